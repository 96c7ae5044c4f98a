#include "heartbeat/net/connect.hpp"

#include <fmt/format.h>

#include "heartbeat/text.hpp"

namespace heartbeat {

namespace beast = boost::beast;

net::awaitable<std::string> connect_until(beast::tcp_stream& stream,
                                          net::ip::tcp::resolver::results_type endpoints,
                                          steady_clock::time_point deadline, duration timeout,
                                          std::string shown) {
    stream.expires_at(deadline);
    auto [ec, ep] = co_await stream.async_connect(endpoints, use_nothrow);
    if (ec == beast::error::timeout) co_return timed_out_message(timeout, "connecting to " + shown);
    if (ec) co_return fmt::format("connect {}: {}", shown, describe(ec));
    co_return std::string();
}

}  // namespace heartbeat
