#pragma once

#include "heartbeat/check.hpp"

namespace heartbeat {

/** Checks that a path exists (and its kind, age and size), without letting a hung mount hold the
 * run. */
net::awaitable<check_result> run_file(file_spec spec, duration timeout,
                                      steady_clock::time_point deadline, run_context ctx);

/** The verdict on one stat(), apart from I/O: what `run_file` reports for these facts. */
struct file_facts {
    int error = 0;  // errno of stat, 0 when it succeeded
    bool is_dir = false;
    bool is_regular = false;
    std::uint64_t size = 0;
    std::chrono::system_clock::time_point modified;
};
check_result judge_file(const file_spec& spec, const file_facts& facts,
                        std::chrono::system_clock::time_point now);

}  // namespace heartbeat
