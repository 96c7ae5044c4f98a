#include "heartbeat/checks/grpc/run.hpp"

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <nghttp2/nghttp2.h>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "heartbeat/checks/grpc/wire.hpp"
#include "heartbeat/net/connect.hpp"
#include "heartbeat/net/resolve.hpp"
#include "heartbeat/net/tls.hpp"
#include "heartbeat/text.hpp"

namespace heartbeat {

namespace beast = boost::beast;
namespace wire = grpc_wire;

check_result judge_grpc(const grpc_reply& got, const std::string& target) {
    check_result r;
    if (got.http_status != 200) {
        r.message = fmt::format("{}: HTTP status {}, expected 200", target, got.http_status);
        return r;
    }
    if (!got.grpc_status) {
        r.message = fmt::format("{}: the answer has no grpc-status", target);
        return r;
    }
    r.facts["grpc_status"] = *got.grpc_status;
    if (*got.grpc_status != 0) {
        auto name = wire::grpc_status_name(*got.grpc_status);
        auto text = printable(wire::decode_grpc_message(got.grpc_message));
        r.message = fmt::format("{}: grpc-status {}{}{}{}{}", target, *got.grpc_status,
                                name.empty() ? "" : " ", name, text.empty() ? "" : ": ", text);
        return r;
    }
    std::string why;
    auto message = wire::unframe(got.body, why);
    if (!message) {
        r.message = fmt::format("{}: {}", target, why);
        return r;
    }
    auto status = wire::health_status(*message);
    if (!status) {
        r.message = fmt::format("{}: a malformed HealthCheckResponse", target);
        return r;
    }
    auto name = wire::serving_status_name(*status);
    r.facts["serving_status"] = name;
    r.ok = *status == 1;
    r.message = r.ok ? "ok" : fmt::format("{}: {}", target, name);
    return r;
}

namespace {

constexpr std::size_t body_cap = 64 * 1024;
constexpr std::string_view call_path = "/grpc.health.v1.Health/Check";

/** Everything one run needs, gathered before any I/O. */
struct call {
    std::string shown;      // host:port
    std::string described;  // host:port, and the service when there is one
    std::string authority;
    std::string request;        // the framed HealthCheckRequest
    std::string authorization;  // `Bearer <token>`, or "" to send none
    bool tls = false;
    duration timeout{};
};

/** What the I/O of one run came to: a reply, or why none came. */
struct received {
    std::string error;  // empty when `reply` holds the answer
    grpc_reply reply;
    // Over TLS, once the handshake completed: the peer certificate's notAfter, and when; after a
    // handshake that failed over the certificate, its notAfter alone.
    bool handshaken = false;
    std::optional<std::chrono::sys_seconds> not_after = {};
    std::chrono::system_clock::time_point handshake_at = {};
};

/** The call's stream as nghttp2's callbacks report it. Lives as long as its session. */
struct exchange {
    std::int32_t stream_id = -1;
    std::string_view request;  // the DATA still to send
    grpc_reply reply;
    bool closed = false;
    std::uint32_t reset_code = 0;              // the stream's error code when it closed
    std::optional<std::uint32_t> peer_goaway;  // the GOAWAY the server sent, if it sent one
    std::optional<std::uint32_t> our_goaway;   // the GOAWAY nghttp2 sent on a protocol error
};

exchange& of(void* user_data) {
    return *static_cast<exchange*>(user_data);
}

std::optional<int> to_int(std::string_view text) {
    int v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return v;
}

int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
              std::size_t namelen, const std::uint8_t* value, std::size_t valuelen, std::uint8_t,
              void* user_data) {
    auto& x = of(user_data);
    if (frame->hd.stream_id != x.stream_id) return 0;
    std::string_view n(reinterpret_cast<const char*>(name), namelen);
    std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status")
        x.reply.http_status = to_int(v).value_or(0);
    else if (n == "grpc-status")
        x.reply.grpc_status = to_int(v).value_or(2);  // UNKNOWN: an unreadable status
    else if (n == "grpc-message")
        x.reply.grpc_message = std::string(v.substr(0, 1024));
    return 0;
}

int on_data(nghttp2_session*, std::uint8_t, std::int32_t stream_id, const std::uint8_t* data,
            std::size_t len, void* user_data) {
    auto& x = of(user_data);
    if (stream_id != x.stream_id) return 0;
    // Past the cap the message is too large to be a HealthCheckResponse; unframe says so.
    std::size_t room = body_cap - std::min(body_cap, x.reply.body.size());
    x.reply.body.append(reinterpret_cast<const char*>(data), std::min(room, len));
    return 0;
}

int on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code,
                    void* user_data) {
    auto& x = of(user_data);
    if (stream_id != x.stream_id) return 0;
    x.closed = true;
    x.reset_code = error_code;
    return 0;
}

int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type == NGHTTP2_GOAWAY) of(user_data).peer_goaway = frame->goaway.error_code;
    return 0;
}

int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type == NGHTTP2_GOAWAY) of(user_data).our_goaway = frame->goaway.error_code;
    return 0;
}

ssize_t read_request(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length,
                     std::uint32_t* data_flags, nghttp2_data_source*, void* user_data) {
    auto& x = of(user_data);
    std::size_t n = std::min(length, x.request.size());
    std::memcpy(buf, x.request.data(), n);
    x.request.remove_prefix(n);
    if (x.request.empty()) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
}

/** HTTP/2 sessions alive now, across every grpc check. */
std::atomic<int> live_sessions{0};

struct session_deleter {
    void operator()(nghttp2_session* s) const {
        nghttp2_session_del(s);
        // Checks that run at the same moment leave the allocator holding their sessions' memory
        // (header tables, buffers) for reuse; once the last is gone, an idle daemon gives it back.
        if (--live_sessions == 0) {
#ifdef __GLIBC__
            ::malloc_trim(0);
#endif
        }
    }
};
using session_ptr = std::unique_ptr<nghttp2_session, session_deleter>;

/** A client session whose callbacks fill in `x`; null when nghttp2 cannot make one (memory). */
session_ptr new_session(exchange& x) {
    nghttp2_session_callbacks* cbs = nullptr;
    if (nghttp2_session_callbacks_new(&cbs) != 0) return nullptr;
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
    nghttp2_session* s = nullptr;
    int rv = nghttp2_session_client_new(&s, cbs, &x);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0) return nullptr;
    ++live_sessions;
    return session_ptr(s);
}

nghttp2_nv header(std::string_view name, std::string_view value) {
    // nghttp2 takes non-const pointers but only reads them (it copies without NO_COPY flags).
    return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
            reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
            value.size(), NGHTTP2_NV_FLAG_NONE};
}

/** Queues our SETTINGS (no server push) and the call; "" or why it could not. */
std::string submit_call(nghttp2_session* s, exchange& x, const call& c) {
    nghttp2_settings_entry no_push{NGHTTP2_SETTINGS_ENABLE_PUSH, 0};
    if (int rv = nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, &no_push, 1); rv != 0)
        return fmt::format("HTTP/2 settings: {}", nghttp2_strerror(rv));
    std::vector<nghttp2_nv> headers = {
        header(":method", "POST"),
        header(":scheme", c.tls ? "https" : "http"),
        header(":path", call_path),
        header(":authority", c.authority),
        header("content-type", "application/grpc"),
        header("te", "trailers"),
        header("user-agent", "heartbeatd/" HEARTBEAT_VERSION),
    };
    // Metadata is a header: gRPC servers read a token from `authorization`.
    if (!c.authorization.empty()) headers.push_back(header("authorization", c.authorization));
    nghttp2_data_provider body{};
    body.read_callback = read_request;
    auto id = nghttp2_submit_request(s, nullptr, headers.data(), headers.size(), &body, nullptr);
    if (id < 0) return fmt::format("HTTP/2 request: {}", nghttp2_strerror(id));
    x.stream_id = id;
    return "";
}

/** Why the connection ended before the call's stream closed, in words. */
std::string ended_early(const exchange& x, const call& c) {
    if (x.peer_goaway)
        return fmt::format("{} ended the HTTP/2 connection before answering (GOAWAY {})", c.shown,
                           nghttp2_http2_strerror(*x.peer_goaway));
    if (x.our_goaway)
        return fmt::format("HTTP/2 with {}: {} (is it a gRPC server?)", c.shown,
                           nghttp2_http2_strerror(*x.our_goaway));
    return fmt::format("{} closed the connection before answering", c.shown);
}

/** Sends whatever nghttp2 has queued; "" or why it could not. */
template <class Stream>
net::awaitable<std::string> flush(Stream& stream, nghttp2_session* s, const call& c) {
    std::string out;
    for (;;) {
        const std::uint8_t* data = nullptr;
        auto n = nghttp2_session_mem_send(s, &data);
        if (n < 0)
            co_return fmt::format("HTTP/2 with {}: {}", c.shown,
                                  nghttp2_strerror(static_cast<int>(n)));
        if (n == 0) break;
        out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    }
    if (out.empty()) co_return "";
    auto [ec, n] = co_await net::async_write(stream, net::buffer(out), use_nothrow);
    if (ec == beast::error::timeout)
        co_return timed_out_message(c.timeout, "sending the call to " + c.described);
    if (ec) co_return fmt::format("sending the call to {}: {}", c.shown, describe(ec));
    co_return "";
}

/**
 * Drives the session over `stream` until the call's stream closes: nghttp2 holds the protocol's
 * state, this loop only moves its bytes. The stream's expiry (the deadline) bounds every step.
 */
template <class Stream>
net::awaitable<std::string> drive(Stream& stream, nghttp2_session* s, exchange& x, call c) {
    std::uint8_t buf[16 * 1024];
    for (;;) {
        if (auto why = co_await flush(stream, s, c); !why.empty()) co_return why;
        if (x.closed) co_return "";
        if (!nghttp2_session_want_read(s) && !nghttp2_session_want_write(s))
            co_return ended_early(x, c);
        auto [ec, n] = co_await stream.async_read_some(net::buffer(buf), use_nothrow);
        if (n > 0) {
            auto rv = nghttp2_session_mem_recv(s, buf, n);
            if (rv < 0)
                co_return fmt::format("HTTP/2 with {}: {}", c.shown,
                                      nghttp2_strerror(static_cast<int>(rv)));
            if (x.closed) co_return "";
        }
        if (ec == beast::error::timeout)
            co_return timed_out_message(c.timeout, "waiting for the answer of " + c.described);
        if (ec == net::error::eof || ec == ssl::error::stream_truncated)
            co_return ended_early(x, c);
        if (ec) co_return fmt::format("reading from {}: {}", c.shown, describe(ec));
    }
}

/** Makes the call on a connected (and, for TLS, handshaken) stream. */
template <class Stream>
net::awaitable<received> talk(Stream& stream, call c) {
    exchange x;  // before the session: its callbacks point here
    x.request = c.request;
    auto session = new_session(x);
    if (!session) co_return received{"cannot make an HTTP/2 session: out of memory", {}};
    if (auto why = submit_call(session.get(), x, c); !why.empty()) co_return received{why, {}};
    auto why = co_await drive(stream, session.get(), x, c);
    if (why.empty() && x.reset_code != 0)
        why = fmt::format("{} reset the call ({})", c.shown, nghttp2_http2_strerror(x.reset_code));
    co_return received{why, x.reply};
}

net::awaitable<received> over_tcp(call c, net::ip::tcp::resolver::results_type endpoints,
                                  steady_clock::time_point deadline) {
    beast::tcp_stream stream(co_await net::this_coro::executor);
    if (auto why = co_await connect_until(stream, endpoints, deadline, c.timeout, c.shown);
        !why.empty())
        co_return received{why, {}};
    auto got = co_await talk(stream, c);
    boost::system::error_code ignored;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    co_return got;
}

/** True when the handshake settled on HTTP/2 (ALPN "h2"), which gRPC over TLS requires. */
bool agreed_on_h2(SSL* ssl) {
    const unsigned char* proto = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(ssl, &proto, &len);
    return len == 2 && std::memcmp(proto, "h2", 2) == 0;
}

net::awaitable<received> over_tls(call c, net::ip::tcp::resolver::results_type endpoints,
                                  steady_clock::time_point deadline, std::string host, bool verify,
                                  std::shared_ptr<ssl::context> tls) {
    beast::ssl_stream<beast::tcp_stream> stream(co_await net::this_coro::executor, *tls);
    SSL* ssl = stream.native_handle();
    expect_peer(ssl, host, verify);
    static constexpr unsigned char h2[] = {2, 'h', '2'};
    // On the connection, not the shared context: an https check's context must not offer h2.
    if (SSL_set_alpn_protos(ssl, h2, sizeof h2) != 0)
        co_return received{"cannot offer HTTP/2 in the TLS handshake (ALPN)", {}};
    if (auto why = co_await connect_until(beast::get_lowest_layer(stream), endpoints, deadline,
                                          c.timeout, c.shown);
        !why.empty())
        co_return received{why, {}};
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, use_nothrow);
    if (hec == beast::error::timeout)
        co_return received{timed_out_message(c.timeout, "in the TLS handshake with " + c.shown),
                           {}};
    if (hec) {
        received failed{fmt::format("TLS handshake with {}: {}", c.shown, tls_error(hec, ssl)), {}};
        failed.not_after = peer_not_after(ssl);
        co_return failed;
    }
    auto not_after = peer_not_after(ssl);
    auto handshake_at = std::chrono::system_clock::now();
    received got;
    if (!agreed_on_h2(ssl))
        got.error =
            fmt::format("{} did not agree to HTTP/2 in the TLS handshake (ALPN h2)", c.shown);
    else
        got = co_await talk(stream, c);
    // No close_notify exchange: the connection is ours to drop, and a peer that stalls it must
    // not cost time.
    got.handshaken = true;
    got.not_after = not_after;
    got.handshake_at = handshake_at;
    co_return got;
}

std::string host_port(std::string_view host, unsigned port) {
    bool v6 = host.find(':') != std::string_view::npos;
    return fmt::format("{}{}{}:{}", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

}  // namespace

net::awaitable<check_result> run_grpc(grpc_spec spec, duration timeout,
                                      steady_clock::time_point deadline) {
    call c;
    c.shown = host_port(spec.host, spec.port);
    c.described = spec.service.empty()
                      ? c.shown
                      : fmt::format("{} service '{}'", c.shown, printable(spec.service));
    c.authority = c.shown;
    c.request = wire::frame(wire::health_request(spec.service));
    c.tls = spec.tls;
    if (spec.token) c.authorization = "Bearer " + *spec.token;
    c.timeout = timeout;

    // Resolve, never past the deadline.
    auto resolved = co_await resolve_until(spec.host, std::to_string(spec.port), deadline);
    if (auto why = resolve_failure(resolved, timeout, spec.host); !why.empty())
        co_return failure(why);

    received got;
    if (!spec.tls) {
        got = co_await over_tcp(c, resolved.endpoints, deadline);
    } else {
        // Built once for this definition at load, not at every run (see tls_slot).
        auto tls = spec.tls_options.client();
        if (!tls.context) co_return failure(tls.error);
        got = co_await over_tls(c, resolved.endpoints, deadline, spec.host, spec.tls_options.verify,
                                tls.context);
    }
    auto r = got.error.empty() ? judge_grpc(got.reply, c.described) : failure(got.error);
    if (got.handshaken)
        report_peer_certificate(r, c.shown, got.not_after, spec.min_cert_validity,
                                got.handshake_at);
    else
        note_peer_certificate(r, got.not_after);
    co_return r;
}

}  // namespace heartbeat
