#pragma once

#include <string_view>

#include "heartbeat/check.hpp"

namespace heartbeat {

/** Runs a command in its own process group; kills and reaps the group at the deadline. */
net::awaitable<check_result> run_exec(exec_spec spec, duration timeout,
                                      steady_clock::time_point deadline, run_context ctx,
                                      std::vector<std::string> secrets = {});

/**
 * The verdict on a command that exited with wait status `status` after writing `out` and `err`
 * (each as captured, at most 64 KiB): the exit code against `expect_exit`, a JSON object on stdout
 * as data, and the last line of output in the message (its `secrets` taken out before it is cut
 * to 200 characters).
 */
check_result judge_exec(const exec_spec& spec, int status, std::string_view out,
                        std::string_view err, const std::vector<std::string>& secrets = {});

}  // namespace heartbeat
