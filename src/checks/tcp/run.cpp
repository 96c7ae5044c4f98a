#include "heartbeat/checks/tcp/run.hpp"

#include <fmt/format.h>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "heartbeat/net/connect.hpp"
#include "heartbeat/net/resolve.hpp"
#include "heartbeat/text.hpp"

namespace heartbeat {

namespace beast = boost::beast;

namespace {
std::string host_port(std::string_view host, unsigned port) {
    bool v6 = host.find(':') != std::string_view::npos;
    return fmt::format("{}{}{}:{}", v6 ? "[" : "", host, v6 ? "]" : "", port);
}
}  // namespace

net::awaitable<check_result> run_tcp(tcp_spec spec, duration timeout,
                                     steady_clock::time_point deadline) {
    auto ex = co_await net::this_coro::executor;
    const std::string target = host_port(spec.host, spec.port);

    // Resolve, never past the deadline; connect: the stream's expiry bounds connect, write and read
    // alike.
    auto resolved = co_await resolve_until(spec.host, std::to_string(spec.port), deadline);
    if (auto why = resolve_failure(resolved, timeout, spec.host); !why.empty())
        co_return failure(why);
    beast::tcp_stream stream(ex);
    if (auto why = co_await connect_until(stream, resolved.endpoints, deadline, timeout, target);
        !why.empty())
        co_return failure(why);

    if (spec.send) {
        auto [wec, n] = co_await net::async_write(stream, net::buffer(*spec.send), use_nothrow);
        if (wec == beast::error::timeout)
            co_return failure(timed_out_message(timeout, "writing to " + target));
        if (wec) co_return failure(fmt::format("write to {}: {}", target, describe(wec)));
    }
    if (spec.expect) {
        // Read until the expected text shows up, the peer closes, 64 KiB have come, or time is up.
        constexpr std::size_t cap = 64 * 1024;
        std::string got;
        char buf[4096];
        while (got.find(*spec.expect) == std::string::npos) {
            if (got.size() >= cap)
                co_return failure(fmt::format("{} sent 64 KiB without '{}': got '{}'", target,
                                              printable(*spec.expect), printable(got)));
            auto [rec, n] = co_await stream.async_read_some(
                net::buffer(buf, std::min(sizeof buf, cap - got.size())), use_nothrow);
            got.append(buf, n);
            if (got.find(*spec.expect) != std::string::npos) break;
            if (rec == beast::error::timeout)
                co_return failure(timed_out_message(
                    timeout, fmt::format("waiting for '{}' from {}; got '{}'",
                                         printable(*spec.expect), target, printable(got))));
            if (rec == net::error::eof)
                co_return failure(
                    fmt::format("{} closed the connection before sending '{}'; got '{}'", target,
                                printable(*spec.expect), printable(got)));
            if (rec) co_return failure(fmt::format("read from {}: {}", target, describe(rec)));
        }
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    co_return success();
}

}  // namespace heartbeat
