#include "heartbeat/checks/http/run.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "heartbeat/checks/http/assertions.hpp"
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/net/connect.hpp"
#include "heartbeat/net/resolve.hpp"
#include "heartbeat/net/tls.hpp"
#include "heartbeat/redact.hpp"
#include "heartbeat/text.hpp"
#include "heartbeat/url.hpp"
#include "keys.hpp"

namespace heartbeat {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

constexpr std::size_t body_cap = 64 * 1024;

std::string expected_statuses(const std::vector<status_match>& expect) {
    if (expect.empty()) return "200-399";
    std::string out;
    for (const auto& m : expect) {
        if (!out.empty()) out += ", ";
        out += m.class_ ? fmt::format("{}xx", m.class_) : std::to_string(m.code);
    }
    return out;
}

bool status_expected(const std::vector<status_match>& expect, int status) {
    if (expect.empty()) return status >= 200 && status <= 399;
    return std::any_of(expect.begin(), expect.end(),
                       [&](const status_match& m) { return m.matches(status); });
}

/** What `expect_body_regex` and `expect_headers` find wrong, after "but ", or "". */
std::string response_assertion_failure(const http_spec& spec, const http_exchange& got,
                                       const std::vector<std::string>& secrets) {
    if (spec.expect_body_regex)
        if (auto why =
                body_regex_failure(*spec.expect_body_regex, got.body, got.truncated, secrets);
            !why.empty())
            return why;
    return header_failure(spec.expect_headers, got.headers, secrets);
}

/** What `expect_json` finds wrong with the body, "; "-separated; "" when nothing. The secrets
 * are taken out of each value before it is shortened (see evaluate_json). */
std::string json_failures(const http_spec& spec, const http_exchange& got,
                          const std::vector<std::string>& secrets) {
    if (spec.expect_json.empty()) return "";
    return fmt::format("{}", fmt::join(judge_json_text(spec.expect_json, got.body, "the body",
                                                       got.truncated, secrets),
                                       "; "));
}

}  // namespace

check_result judge_http(const http_spec& spec, const http_exchange& got,
                        const std::vector<std::string>& secrets) {
    auto u = parse_url(spec.url);
    if (!u) return failure("bad url");  // refused at load; kept for safety
    const std::string shown = u->redacted();
    check_result r;
    r.facts["status_code"] = got.status;
    if (!status_expected(spec.expect_status, got.status)) {
        r.message = fmt::format("{} {}: status {}, expected {}", spec.method, shown, got.status,
                                expected_statuses(spec.expect_status));
        return r;
    }
    if (spec.expect_body && got.body.find(*spec.expect_body) == std::string::npos) {
        r.message =
            fmt::format("{} {}: status {} but the body{} does not contain '{}': got '{}'",
                        spec.method, shown, got.status, got.truncated ? " (first 64 KiB)" : "",
                        printable_redacted(*spec.expect_body, secrets),
                        printable_redacted(got.body, secrets));
        return r;
    }
    auto why = response_assertion_failure(spec, got, secrets);
    if (why.empty()) why = json_failures(spec, got, secrets);
    if (!why.empty()) {
        r.message = fmt::format("{} {}: status {} but {}", spec.method, shown, got.status, why);
        return r;
    }
    r.ok = true;
    r.message = "ok";
    return r;
}

namespace {

using request = bhttp::request<bhttp::string_body>;

/** What the I/O of one run came to: a response received, or why none was. */
struct received {
    std::string error;  // empty when `exchange` holds a response
    http_exchange exchange;
    bool handshake = false;  // a TLS handshake completed: handshake_at is known
    // Of the peer's leaf certificate, after a handshake that completed or failed over it.
    std::optional<std::chrono::sys_seconds> not_after;
    std::chrono::system_clock::time_point handshake_at;
};

received failed(std::string why) {
    received r;
    r.error = std::move(why);
    return r;
}

/** Everything one run needs, gathered before any I/O. */
struct call {
    url target;
    std::string shown;  // the URL as it may be shown: never its user-info
    request req;
    bool head = false;
    bool verify = true;
    duration timeout{};
    steady_clock::time_point deadline;
};

/** A failed I/O step in words: "timed out after 1s <doing>" at the deadline, else "<doing>: why".
 */
std::string step_failure(const boost::system::error_code& ec, duration timeout,
                         const std::string& doing) {
    if (ec == beast::error::timeout) return timed_out_message(timeout, doing);
    return fmt::format("{}: {}", doing, describe(ec));
}

/** The body and its framing: Content-Length always (0 without a body, so that no server waits
 * for one), and a Content-Type unless the headers set one. */
void set_body(request& req, const http_spec& spec) {
    if (spec.body) {
        req.body() = *spec.body;
        if (req.find(bhttp::field::content_type) == req.end())
            req.set(bhttp::field::content_type, "application/json");
    }
    req.prepare_payload();
    if (req.find(bhttp::field::content_length) == req.end()) req.content_length(req.body().size());
}

request make_request(const http_spec& spec, const url& u) {
    request req{bhttp::string_to_verb(spec.method), u.target, 11};
    bool default_port = u.port == (u.tls ? 443 : 80);
    bool v6 = u.host.find(':') != std::string::npos;
    std::string host_header = v6 ? "[" + u.host + "]" : u.host;
    if (!default_port) host_header += ":" + std::to_string(u.port);
    req.set(bhttp::field::host, host_header);
    req.set(bhttp::field::user_agent, "heartbeatd/" HEARTBEAT_VERSION);
    req.set(bhttp::field::accept, "*/*");
    req.set(bhttp::field::connection, "close");
    if (u.has_userinfo)
        req.set(bhttp::field::authorization, "Basic " + basic_credentials(u.userinfo));
    for (const auto& [k, v] : spec.headers) req.set(k, v);
    for (const auto& [k, v] : http_keys::credential_fields(spec.credentials)) req.set(k, v);
    set_body(req, spec);
    return req;
}

/** Reads the body into `got` until its end or the 64 KiB cap; an error in words, or "". */
template <class Stream>
net::awaitable<std::string> read_body(Stream& stream, beast::flat_buffer& buffer,
                                      bhttp::response_parser<bhttp::buffer_body>& parser,
                                      http_exchange& got, duration timeout, std::string shown) {
    char chunk[8192];
    while (!parser.is_done() && got.body.size() < body_cap) {
        std::size_t room = std::min(sizeof chunk, body_cap - got.body.size());
        parser.get().body().data = chunk;
        parser.get().body().size = room;
        auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, use_nothrow);
        got.body.append(chunk, room - parser.get().body().size);
        if (ec == bhttp::error::need_buffer) continue;
        if (ec) co_return step_failure(ec, timeout, "reading the body of " + shown);
    }
    co_return std::string();
}

/** Sends the request and reads the response head and at most 64 KiB of body, on any stream. */
template <class Stream>
net::awaitable<received> talk(Stream& stream, call c) {
    auto [wec, wn] = co_await bhttp::async_write(stream, c.req, use_nothrow);
    if (wec) co_return failed(step_failure(wec, c.timeout, "sending the request to " + c.shown));
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(boost::none);  // we stop reading at our own cap instead of failing
    if (c.head) parser.skip(true);
    auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, use_nothrow);
    if (hec == beast::error::timeout)
        co_return failed(timed_out_message(c.timeout, "waiting for the response of " + c.shown));
    if (hec) co_return failed(step_failure(hec, c.timeout, "reading the response of " + c.shown));
    received r;
    r.exchange.status = static_cast<int>(parser.get().result_int());
    for (const auto& field : parser.get())
        r.exchange.headers.emplace_back(field.name_string(), field.value());
    r.error = co_await read_body(stream, buffer, parser, r.exchange, c.timeout, c.shown);
    r.exchange.truncated = r.exchange.body.size() >= body_cap;
    co_return r;
}

net::awaitable<received> over_tcp(call c, net::ip::tcp::resolver::results_type endpoints) {
    beast::tcp_stream stream(co_await net::this_coro::executor);
    if (auto why = co_await connect_until(stream, endpoints, c.deadline, c.timeout, c.shown);
        !why.empty())
        co_return failed(why);
    co_return co_await talk(stream, std::move(c));
}

net::awaitable<received> over_tls(call c, net::ip::tcp::resolver::results_type endpoints,
                                  std::shared_ptr<ssl::context> tls) {
    beast::ssl_stream<beast::tcp_stream> stream(co_await net::this_coro::executor, *tls);
    expect_peer(stream.native_handle(), c.target.host, c.verify);
    if (auto why = co_await connect_until(beast::get_lowest_layer(stream), endpoints, c.deadline,
                                          c.timeout, c.shown);
        !why.empty())
        co_return failed(why);
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, use_nothrow);
    if (hec == beast::error::timeout)
        co_return failed(timed_out_message(c.timeout, "in the TLS handshake with " + c.shown));
    if (hec) {
        auto r = failed(fmt::format("TLS handshake with {}: {}", c.shown,
                                    tls_error(hec, stream.native_handle())));
        r.not_after = peer_not_after(stream.native_handle());
        co_return r;
    }
    auto not_after = peer_not_after(stream.native_handle());
    auto handshake_at = std::chrono::system_clock::now();
    // No TLS close_notify exchange: the connection is ours to drop, and a peer that stalls it must
    // not cost time.
    received r = co_await talk(stream, std::move(c));
    r.handshake = true;
    r.not_after = not_after;
    r.handshake_at = handshake_at;
    co_return r;
}

/** `host:port` as a certificate message names the peer. */
std::string peer_name(const url& u) {
    bool v6 = u.host.find(':') != std::string::npos;
    return fmt::format("{}{}{}:{}", v6 ? "[" : "", u.host, v6 ? "]" : "", u.port);
}

}  // namespace

net::awaitable<check_result> run_http(http_spec spec, duration timeout,
                                      steady_clock::time_point deadline,
                                      std::vector<std::string> secrets) {
    auto u = parse_url(spec.url);
    if (!u) co_return failure("bad url");  // refused at load; kept for safety
    call c{.target = *u,
           .shown = u->redacted(),
           .req = make_request(spec, *u),
           .head = spec.method == "HEAD",
           .verify = spec.tls.verify,
           .timeout = timeout,
           .deadline = deadline};

    // Resolve, never past the deadline.
    auto resolved = co_await resolve_until(u->host, std::to_string(u->port), deadline);
    if (auto why = resolve_failure(resolved, timeout, u->host); !why.empty())
        co_return failure(why);

    received got;
    if (!u->tls) {
        got = co_await over_tcp(std::move(c), resolved.endpoints);
    } else {
        // Built once for this definition, not at every run (see tls_slot).
        auto tls = spec.tls.client();
        if (!tls.context) co_return failure(tls.error);
        got = co_await over_tls(std::move(c), resolved.endpoints, tls.context);
    }
    check_result r = got.error.empty() ? judge_http(spec, got.exchange, secrets) : failure(got.error);
    if (got.handshake)
        report_peer_certificate(r, peer_name(*u), got.not_after, spec.min_cert_validity,
                                got.handshake_at);
    else
        note_peer_certificate(r, got.not_after);
    co_return r;
}

}  // namespace heartbeat
