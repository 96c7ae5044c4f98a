#pragma once

// One check run to completion, as the daemon runs it, for the integration tier.
#include "heartbeat/dispatch.hpp"

namespace heartbeat::test {

/** What a run produced, and the wall time it took. */
struct timed_result {
    check_result result;
    duration took{};
};

/** A check of this spec called "t" with this timeout. */
template <class Spec>
check_config make_check(Spec spec, duration timeout = std::chrono::seconds(2)) {
    check_config c;
    c.name = "t";
    c.timeout = timeout;
    c.spec = std::move(spec);
    return c;
}

/** Runs `c` once on a fresh io_context with the daemon's check runtime; capped at 20 s. */
timed_result run_once(const check_config& c);

}  // namespace heartbeat::test
