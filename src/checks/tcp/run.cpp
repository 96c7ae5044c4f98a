#include "heartbeat/checks/tcp/run.hpp"

#include <fmt/format.h>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "heartbeat/net/connect.hpp"
#include "heartbeat/net/resolve.hpp"
#include "heartbeat/net/tls.hpp"
#include "heartbeat/redact.hpp"
#include "heartbeat/text.hpp"

namespace heartbeat {

namespace beast = boost::beast;

namespace {

std::string host_port(std::string_view host, unsigned port) {
    bool v6 = host.find(':') != std::string_view::npos;
    return fmt::format("{}{}{}:{}", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

/** The peer hung up: a plain end of stream, or over TLS one without close_notify. */
bool closed(const boost::system::error_code& ec) {
    return ec == net::error::eof || ec == net::ssl::error::stream_truncated;
}

/**
 * Writes `send` and waits for `expect` on a connected stream (plain or TLS), whose expiry bounds
 * both: "" when both went as asked, else why not.
 */
template <class Stream>
net::awaitable<std::string> exchange(Stream& stream, tcp_spec spec, duration timeout,
                                     std::string target, const std::vector<std::string>& secrets) {
    // What the peer sent is shown cut short: its secrets go first, while they are whole.
    auto shown = [&](std::string_view text) { return printable_redacted(text, secrets); };
    if (spec.send) {
        auto [wec, n] = co_await net::async_write(stream, net::buffer(*spec.send), use_nothrow);
        if (wec == beast::error::timeout)
            co_return timed_out_message(timeout, "writing to " + target);
        if (wec) co_return fmt::format("write to {}: {}", target, describe(wec));
    }
    if (!spec.expect) co_return std::string();
    // Read until the expected text shows up, the peer closes, 64 KiB have come, or time is up.
    constexpr std::size_t cap = 64 * 1024;
    std::string got;
    char buf[4096];
    while (got.find(*spec.expect) == std::string::npos) {
        if (got.size() >= cap)
            co_return fmt::format("{} sent 64 KiB without '{}': got '{}'", target,
                                  printable(*spec.expect), shown(got));
        auto [rec, n] = co_await stream.async_read_some(
            net::buffer(buf, std::min(sizeof buf, cap - got.size())), use_nothrow);
        got.append(buf, n);
        if (got.find(*spec.expect) != std::string::npos) break;
        if (rec == beast::error::timeout)
            co_return timed_out_message(
                timeout, fmt::format("waiting for '{}' from {}; got '{}'", printable(*spec.expect),
                                     target, shown(got)));
        if (closed(rec))
            co_return fmt::format("{} closed the connection before sending '{}'; got '{}'", target,
                                  printable(*spec.expect), shown(got));
        if (rec) co_return fmt::format("read from {}: {}", target, describe(rec));
    }
    co_return std::string();
}

net::awaitable<check_result> over_tcp(tcp_spec spec, duration timeout,
                                      steady_clock::time_point deadline,
                                      net::ip::tcp::resolver::results_type endpoints,
                                      std::string target, const std::vector<std::string>& secrets) {
    beast::tcp_stream stream(co_await net::this_coro::executor);
    if (auto why = co_await connect_until(stream, endpoints, deadline, timeout, target);
        !why.empty())
        co_return failure(why);
    auto why = co_await exchange(stream, std::move(spec), timeout, target, secrets);
    boost::system::error_code ignored;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    co_return why.empty() ? success() : failure(why);
}

net::awaitable<check_result> over_tls(tcp_spec spec, duration timeout,
                                      steady_clock::time_point deadline,
                                      net::ip::tcp::resolver::results_type endpoints,
                                      std::string target, std::shared_ptr<ssl::context> tls,
                                      const std::vector<std::string>& secrets) {
    beast::ssl_stream<beast::tcp_stream> stream(co_await net::this_coro::executor, *tls);
    expect_peer(stream.native_handle(), spec.host, spec.tls.verify);
    if (auto why = co_await connect_until(beast::get_lowest_layer(stream), endpoints, deadline,
                                          timeout, target);
        !why.empty())
        co_return failure(why);
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, use_nothrow);
    if (hec == beast::error::timeout)
        co_return failure(timed_out_message(timeout, "in the TLS handshake with " + target));
    if (hec) {
        auto r = failure(fmt::format("TLS handshake with {}: {}", target,
                                     tls_error(hec, stream.native_handle())));
        note_peer_certificate(r, peer_not_after(stream.native_handle()));
        co_return r;
    }
    auto not_after = peer_not_after(stream.native_handle());
    auto handshake_at = std::chrono::system_clock::now();
    auto min = spec.min_cert_validity;
    auto why = co_await exchange(stream, std::move(spec), timeout, target, secrets);
    // No close_notify exchange: the connection is ours to drop, and a peer that stalls it must
    // not cost time.
    check_result r = why.empty() ? success() : failure(why);
    report_peer_certificate(r, target, not_after, min, handshake_at);
    co_return r;
}

}  // namespace

net::awaitable<check_result> run_tcp(tcp_spec spec, duration timeout,
                                     steady_clock::time_point deadline,
                                     std::vector<std::string> secrets) {
    const std::string target = host_port(spec.host, spec.port);

    // Resolve, never past the deadline; connect: the stream's expiry bounds connect, handshake,
    // write and read alike.
    auto resolved = co_await resolve_until(spec.host, std::to_string(spec.port), deadline);
    if (auto why = resolve_failure(resolved, timeout, spec.host); !why.empty())
        co_return failure(why);
    if (!spec.use_tls)
        co_return co_await over_tcp(std::move(spec), timeout, deadline, resolved.endpoints, target,
                                    secrets);
    // Built once for this definition, not at every run (see tls_slot).
    auto tls = spec.tls.client();
    if (!tls.context) co_return failure(tls.error);
    co_return co_await over_tls(std::move(spec), timeout, deadline, resolved.endpoints, target,
                                tls.context, secrets);
}

}  // namespace heartbeat
