#pragma once

#include <functional>
#include <map>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "heartbeat/asio.hpp"
#include "heartbeat/durations.hpp"

namespace heartbeat::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

/** What one client may cost. */
struct server_limits {
    std::size_t max_connections = 256;
    std::size_t header_limit = 8 * 1024;  // a larger request head gets 431
    std::size_t body_limit = 1024;        // a larger request body gets 413; probes take no body
    duration request_timeout =
        std::chrono::seconds(10);  // to send a complete request (idle keep-alive included), and
                                   // to take its whole answer
    // What the kernel may hold for one connection, each way (SO_SNDBUF, SO_RCVBUF; Linux doubles
    // them for its bookkeeping). Without them Linux grows a send buffer up to tcp_wmem's maximum
    // (4 MiB) for a client that pipelines requests and never reads, and the daemon renders answers
    // to fill it. Small: a request is at most 9 KiB, and a probe's answer a few hundred bytes;
    // larger answers (environ, metrics) just take a few more writes.
    std::size_t send_buffer = 16 * 1024;
    std::size_t receive_buffer = 16 * 1024;
};

/** True when listening on `host` failed with `ec` only because the kernel has no IPv6: `host` is
 * the IPv6 wildcard and `ec` is EAFNOSUPPORT or EADDRNOTAVAIL. `0.0.0.0` then serves instead. */
bool falls_back_to_ipv4(std::string_view host, const boost::system::error_code& ec);

/**
 * A response made ready for the wire once, and written as it is to every request it answers: the
 * status line and headers up to `Content-Length`, and the body. The `Connection` header and the
 * blank line come per request.
 */
struct prepared {
    std::string head;  // "HTTP/1.1 200 OK\r\n...Content-Length: N\r\n"
    std::string body;
};

/** Makes a prepared HTTP/1.1 response of `status` with the headers every answer has. */
std::shared_ptr<const prepared> prepare(bhttp::status status, std::string_view content_type,
                                        std::string body);

/** What a handler gives back: a response made for the request, or a prepared one. */
struct reply {
    reply() = default;
    reply(bhttp::response<bhttp::string_body> m) : message(std::move(m)) {}  // NOLINT: implicit
    reply(std::shared_ptr<const prepared> r, bool keep, bool head_only)
        : ready(std::move(r)), keep_alive(keep), head(head_only) {}

    bhttp::response<bhttp::string_body> message;  // when `ready` is null
    std::shared_ptr<const prepared> ready;
    bool keep_alive = true;  // for `ready`; `message` says it itself
    bool head = false;       // for `ready`: the head alone
};

/** Turns a request into a reply; may wait (first results, on-demand checks). */
using request_handler = std::function<net::awaitable<reply>(bhttp::request<bhttp::string_body>)>;

/** An HTTP/1.1 server: an accept loop and one coroutine per connection that only does I/O. */
class server {
  public:
    server(net::any_io_executor ex, request_handler handler, server_limits limits);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /** Binds and listens; returns the bound endpoint (port 0 picks a free one). Throws on failure.
     * `::` listens dual-stack; where the kernel has no IPv6, it listens on `0.0.0.0` instead and
     * logs a warning. */
    net::ip::tcp::endpoint listen(const std::string& host, std::uint16_t port);
    /** Starts accepting. */
    void start();
    /** Stops accepting and closes every connection. */
    void stop();
    /**
     * Open connections now. At the cap, a new client evicts the oldest connection that is waiting
     * on its client (for a request, or for it to take an answer), so that idle, slow or
     * non-reading clients can never lock a probe out.
     */
    std::size_t connections() const { return sessions_.size(); }

  private:
    net::ip::tcp::endpoint bind_and_listen(const net::ip::tcp::endpoint& ep);
    net::awaitable<void> accept_loop();
    void admit(net::ip::tcp::socket socket);
    net::awaitable<void> session(std::shared_ptr<beast::tcp_stream> stream, std::uint64_t id);

    net::any_io_executor ex_;
    request_handler handler_;
    server_limits limits_;
    net::ip::tcp::acceptor acceptor_;
    /** What a connection is doing: waiting on its client (reading, writing) or in the handler. */
    enum class phase { reading, handling, writing };
    /** A live connection: its stream and its phase. */
    struct session_slot {
        beast::tcp_stream* stream = nullptr;
        phase now = phase::reading;
    };
    /** Evicts the oldest session that waits on its client; false when there is none. */
    bool make_room();
    void set_phase(std::uint64_t id, phase now);
    void unregister(std::uint64_t id);
    /** Memory is given back after at least this many connections at once fall to a handful. */
    static constexpr std::size_t trim_after_peak = 64;
    static constexpr std::size_t trim_below = 4;
    /** Connections taken from the listen queue in one turn of the I/O loop, beyond the first. */
    static constexpr int accept_burst = 64;

    std::map<std::uint64_t, session_slot> sessions_;  // by id: oldest first
    std::uint64_t next_id_ = 0;
    std::size_t peak_ = 0;  // most connections open at once since memory was last given back
    bool stopped_ = false;
};

}  // namespace heartbeat::http
