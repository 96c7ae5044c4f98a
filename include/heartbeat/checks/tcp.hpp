#pragma once

#include <boost/beast/core/tcp_stream.hpp>

#include "heartbeat/check.hpp"
#include "heartbeat/deadline.hpp"

namespace heartbeat {

/** Connects to host:port, optionally writes `send` and waits for `expect`, all before `deadline`.
 */
net::awaitable<check_result> run_tcp(tcp_spec spec, duration timeout,
                                     steady_clock::time_point deadline);

/** A failed lookup in words ("timed out after 1s resolving db", "resolve db: host not found"), or
 * "". */
std::string resolve_failure(const resolve_outcome& r, duration timeout, const std::string& host);

/**
 * Sets the stream's expiry to `deadline` (bounding every later read and write too) and connects to
 * one of `endpoints`; "" on success, else the failure in words, naming the target as `shown`.
 */
net::awaitable<std::string> connect_until(boost::beast::tcp_stream& stream,
                                          net::ip::tcp::resolver::results_type endpoints,
                                          steady_clock::time_point deadline, duration timeout,
                                          std::string shown);

/** An error's text as a sentence fragment: "connection refused". */
std::string describe(const boost::system::error_code& ec);

/** Bytes from a peer, safe to show in a message: control characters escaped, at most 80 shown. */
std::string printable(std::string_view bytes);

}  // namespace heartbeat
