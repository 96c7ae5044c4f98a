#include "heartbeat/checks/tcp.hpp"

#include <fmt/format.h>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "heartbeat/deadline.hpp"

namespace heartbeat {

namespace beast = boost::beast;

std::string describe(const boost::system::error_code& ec) {
    std::string text = ec.message();
    if (!text.empty())
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
}

std::string printable(std::string_view bytes) {
    std::string out;
    for (unsigned char c : bytes.substr(0, 80)) {
        if (c == '\r')
            out += "\\r";
        else if (c == '\n')
            out += "\\n";
        else if (c < 0x20 || c >= 0x7f)
            out += fmt::format("\\x{:02x}", c);
        else
            out += static_cast<char>(c);
    }
    if (bytes.size() > 80) out += "...";
    return out;
}

std::string resolve_failure(const resolve_outcome& r, duration timeout, const std::string& host) {
    if (r.timed_out) return timed_out_message(timeout, "resolving " + host);
    if (r.ec) return fmt::format("resolve {}: {}", host, describe(r.ec));
    return {};
}

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
