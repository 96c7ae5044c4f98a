#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "heartbeat/check.hpp"
#include "heartbeat/health_state.hpp"

namespace heartbeat {

/**
 * What is known about one configured check: the read model every answer is rendered from. Plain
 * data: the scheduler writes it after each run, on the I/O thread; answers, metrics and logs read
 * it there. Made without an io_context, so a test can set one up by hand.
 */
struct check_status {
    explicit check_status(check_config c);

    check_config cfg;
    health_state state;
    check_result last;                                 // the latest run's outcome
    std::chrono::system_clock::time_point checked_at;  // wall time of the latest run
    std::chrono::system_clock::time_point since;       // wall time of the latest reported change
    std::uint64_t runs_ok = 0;
    std::uint64_t runs_failed = 0;
    bool running = false;  // a run is in flight

    std::uint64_t runs() const { return runs_ok + runs_failed; }

    /**
     * Takes the outcome of the run in flight, finished at `now` (`wall` on the wall clock): counts
     * it, feeds the health state, and returns the change of the reported state, if any.
     */
    std::optional<transition> record(check_result r, steady_clock::time_point now,
                                     std::chrono::system_clock::time_point wall);

    /** The check's rendered entry in one probe's body, kept until what it shows changes. */
    struct rendered_entry {
        bool valid = false;
        std::uint64_t runs = 0;
        bool stale = false;
        bool running = false;
        bool ok = false;
        std::string text;  // `"name":{...}`
    };
    std::array<rendered_entry, 4> rendered;  // by probe, in the default format
    /** The same in the other formats (health+json, MicroProfile) by probe, made on their first use:
     * a daemon nobody asks for them pays nothing. */
    std::unique_ptr<std::array<std::array<rendered_entry, 2>, 4>> rendered_other;
};

using status_ptr = std::shared_ptr<check_status>;
using status_list = std::vector<status_ptr>;

/** The health-state parameters a check's config gives. */
health_state::params state_params(const check_config& c);

}  // namespace heartbeat
