#pragma once

#include "heartbeat/check.hpp"

namespace heartbeat {

/**
 * Connects to host:port, shakes hands with `tls: true` (then reports the certificate's expiry),
 * optionally writes `send` and waits for `expect`, all before `deadline`.
 */
net::awaitable<check_result> run_tcp(tcp_spec spec, duration timeout,
                                     steady_clock::time_point deadline,
                                     std::vector<std::string> secrets = {});

}  // namespace heartbeat
