#pragma once

#include "heartbeat/check.hpp"

namespace heartbeat {

/** Runs a command in its own process group; kills and reaps the group at the deadline. */
net::awaitable<check_result> run_exec(exec_spec spec, duration timeout,
                                      steady_clock::time_point deadline, run_context ctx);

}  // namespace heartbeat
