#pragma once

#include <string>

#include <boost/beast/core/tcp_stream.hpp>

#include "heartbeat/asio.hpp"
#include "heartbeat/durations.hpp"

namespace heartbeat {

/**
 * Sets the stream's expiry to `deadline` (bounding every later read and write too) and connects to
 * one of `endpoints`; "" on success, else the failure in words, naming the target as `shown`.
 */
net::awaitable<std::string> connect_until(boost::beast::tcp_stream& stream,
                                          net::ip::tcp::resolver::results_type endpoints,
                                          steady_clock::time_point deadline, duration timeout,
                                          std::string shown);

}  // namespace heartbeat
