#pragma once

// The Asio vocabulary every async module uses: one io_context thread, coroutines, errors as values.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace heartbeat {

namespace net = boost::asio;

/** The default completion token: `auto [ec, n] = co_await op(..., use_nothrow);` */
inline constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);

using steady_clock = std::chrono::steady_clock;

}  // namespace heartbeat
