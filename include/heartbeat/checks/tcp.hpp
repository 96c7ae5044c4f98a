#pragma once

#include "heartbeat/check.hpp"

namespace heartbeat {

/** Connects to host:port, optionally writes `send` and waits for `expect`, all before `deadline`.
 */
net::awaitable<check_result> run_tcp(tcp_spec spec, duration timeout,
                                     steady_clock::time_point deadline);

/** An error's text as a sentence fragment: "connection refused". */
std::string describe(const boost::system::error_code& ec);

/** Bytes from a peer, safe to show in a message: control characters escaped, at most 80 shown. */
std::string printable(std::string_view bytes);

}  // namespace heartbeat
