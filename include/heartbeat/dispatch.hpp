#pragma once

#include "heartbeat/check.hpp"

namespace heartbeat {

/**
 * Runs one check once with the runner of its type (again after a failure, up to `retries` more
 * attempts `retry_delay` apart), bounded by its timeout whatever the target
 * does; times the run and hides the check's secrets from what it reports.
 */
net::awaitable<check_result> run_check(check_config cfg, run_context ctx);

}  // namespace heartbeat
