#pragma once

#include "heartbeat/check.hpp"

namespace heartbeat {

/** One HTTP(S) request, redirects not followed, body capped; all before `deadline`. */
net::awaitable<check_result> run_http(http_spec spec, duration timeout,
                                      steady_clock::time_point deadline);

}  // namespace heartbeat
