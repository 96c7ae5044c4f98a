#include "heartbeat/checks/http.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "heartbeat/checks/tcp.hpp"
#include "heartbeat/deadline.hpp"
#include "heartbeat/url.hpp"

namespace heartbeat {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;

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

/** What one exchange produced: status, body (capped), or an error in words. */
struct exchange {
    int status = 0;
    std::string body;
    std::string error;  // empty when a response arrived
};

/** A failed I/O step in words: "timed out after 1s <while>" for the deadline, else "<doing>:
 * <reason>". */
std::string step_failure(const boost::system::error_code& ec, duration timeout,
                         const std::string& while_, const std::string& doing) {
    if (ec == beast::error::timeout) return timed_out_message(timeout, while_);
    return fmt::format("{}: {}", doing, describe(ec));
}

/** Sends the request and reads the response head and at most 64 KiB of body, on any stream. */
template <class Stream>
net::awaitable<exchange> talk(Stream& stream, const bhttp::request<bhttp::empty_body>& req,
                              bool head, duration timeout, const std::string& shown) {
    exchange x;
    auto [wec, wn] = co_await bhttp::async_write(stream, req, use_nothrow);
    if (wec) {
        x.error = step_failure(wec, timeout, "sending the request to " + shown,
                               "sending the request to " + shown);
        co_return x;
    }
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(boost::none);  // we stop reading at our own cap instead of failing
    if (head) parser.skip(true);
    auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, use_nothrow);
    if (hec) {
        x.error = step_failure(hec, timeout, "waiting for the response of " + shown,
                               "reading the response of " + shown);
        co_return x;
    }
    x.status = static_cast<int>(parser.get().result_int());
    char chunk[8192];
    while (!parser.is_done() && x.body.size() < body_cap) {
        parser.get().body().data = chunk;
        parser.get().body().size = std::min(sizeof chunk, body_cap - x.body.size());
        auto [rec, rn] = co_await bhttp::async_read(stream, buffer, parser, use_nothrow);
        x.body.append(chunk,
                      std::min(sizeof chunk, body_cap - x.body.size()) - parser.get().body().size);
        if (rec == bhttp::error::need_buffer) continue;
        if (rec) {
            x.error = step_failure(rec, timeout, "reading the body of " + shown,
                                   "reading the body of " + shown);
            co_return x;
        }
    }
    co_return x;
}

std::string tls_error(const boost::system::error_code& ec, SSL* ssl) {
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK)
        return fmt::format("certificate verify failed: {}", X509_verify_cert_error_string(verify));
    std::string text = ec.message();
    if (ec.category() == net::error::get_ssl_category()) {
        char buf[256];
        ERR_error_string_n(static_cast<unsigned long>(ec.value()), buf, sizeof buf);
        const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
        if (reason) text = reason;
    }
    return text;
}

}  // namespace

net::awaitable<check_result> run_http(http_spec spec, duration timeout,
                                      steady_clock::time_point deadline) {
    auto ex = co_await net::this_coro::executor;
    auto u = parse_url(spec.url);
    if (!u) co_return failure("bad url");  // refused at load; kept for safety
    // The URL as it may be shown: never its user-info.
    const std::string shown = u->redacted();

    // Resolve, never past the deadline.
    auto resolved = co_await resolve_until(u->host, std::to_string(u->port), deadline);
    if (auto why = resolve_failure(resolved, timeout, u->host); !why.empty())
        co_return failure(why);

    bhttp::request<bhttp::empty_body> req{
        spec.method == "HEAD" ? bhttp::verb::head : bhttp::verb::get, u->target, 11};
    bool default_port = u->port == (u->tls ? 443 : 80);
    bool v6 = u->host.find(':') != std::string::npos;
    std::string host_header = v6 ? "[" + u->host + "]" : u->host;
    if (!default_port) host_header += ":" + std::to_string(u->port);
    req.set(bhttp::field::host, host_header);
    req.set(bhttp::field::user_agent, "heartbeatd/" HEARTBEAT_VERSION);
    req.set(bhttp::field::accept, "*/*");
    req.set(bhttp::field::connection, "close");
    if (u->has_userinfo)
        req.set(bhttp::field::authorization, "Basic " + basic_credentials(u->userinfo));
    for (const auto& [k, v] : spec.headers) req.set(k, v);
    bool head = spec.method == "HEAD";

    exchange x;
    if (!u->tls) {
        beast::tcp_stream stream(ex);
        if (auto why = co_await connect_until(stream, resolved.endpoints, deadline, timeout, shown);
            !why.empty())
            co_return failure(why);
        x = co_await talk(stream, req, head, timeout, shown);
    } else {
        ssl::context tls(ssl::context::tls_client);
        tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3);
        boost::system::error_code cec2;
        if (spec.tls_verify) {
            if (spec.ca_file)
                tls.load_verify_file(*spec.ca_file, cec2);
            else
                tls.set_default_verify_paths(cec2);
            if (cec2)
                co_return failure(fmt::format("cannot load CA certificates{}: {}",
                                              spec.ca_file ? " from " + *spec.ca_file : "",
                                              describe(cec2)));
            tls.set_verify_mode(ssl::verify_peer);
        } else {
            tls.set_verify_mode(ssl::verify_none);
        }
        beast::ssl_stream<beast::tcp_stream> stream(ex, tls);
        boost::system::error_code literal_ec;
        net::ip::make_address(u->host, literal_ec);
        bool is_literal = !literal_ec;
        if (!is_literal)
            SSL_set_tlsext_host_name(stream.native_handle(), u->host.c_str());  // SNI: names only
        if (spec.tls_verify) {
            // The certificate must name the host: a DNS name, or an IP address for a literal.
            X509_VERIFY_PARAM* param = SSL_get0_param(stream.native_handle());
            if (is_literal)
                X509_VERIFY_PARAM_set1_ip_asc(param, u->host.c_str());
            else
                X509_VERIFY_PARAM_set1_host(param, u->host.c_str(), 0);
        }
        if (auto why = co_await connect_until(beast::get_lowest_layer(stream), resolved.endpoints,
                                              deadline, timeout, shown);
            !why.empty())
            co_return failure(why);
        auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, use_nothrow);
        if (hec == beast::error::timeout)
            co_return failure(timed_out_message(timeout, "in the TLS handshake with " + shown));
        if (hec)
            co_return failure(fmt::format("TLS handshake with {}: {}", shown,
                                          tls_error(hec, stream.native_handle())));
        x = co_await talk(stream, req, head, timeout, shown);
        // No TLS close_notify exchange: the connection is ours to drop, and a peer that stalls it
        // must not cost time.
    }

    if (!x.error.empty()) co_return failure(x.error);
    check_result r;
    r.facts["status_code"] = x.status;
    bool status_ok = spec.expect_status.empty()
                         ? (x.status >= 200 && x.status <= 399)
                         : std::any_of(spec.expect_status.begin(), spec.expect_status.end(),
                                       [&](const status_match& m) { return m.matches(x.status); });
    if (!status_ok) {
        r.message = fmt::format("{} {}: status {}, expected {}", spec.method, shown, x.status,
                                expected_statuses(spec.expect_status));
        co_return r;
    }
    if (spec.expect_body && x.body.find(*spec.expect_body) == std::string::npos) {
        r.message = fmt::format("{} {}: status {} but the body{} does not contain '{}': got '{}'",
                                spec.method, shown, x.status,
                                x.body.size() >= body_cap ? " (first 64 KiB)" : "",
                                printable(*spec.expect_body), printable(x.body));
        co_return r;
    }
    r.ok = true;
    r.message = "ok";
    co_return r;
}

}  // namespace heartbeat
