#include "heartbeat/http/server.hpp"

#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <tuple>

#include <fmt/format.h>

#include <spdlog/spdlog.h>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/object.hpp>
#include "heartbeat/json_text.hpp"

namespace heartbeat::http {

namespace json = boost::json;

server::server(net::any_io_executor ex, request_handler handler, server_limits limits)
    : ex_(ex), handler_(std::move(handler)), limits_(limits), acceptor_(ex) {}

server::~server() {
    stop();
}

bool falls_back_to_ipv4(std::string_view host, const boost::system::error_code& ec) {
    boost::system::error_code parse_ec;
    auto address = net::ip::make_address(host, parse_ec);
    bool v6_wildcard = !parse_ec && address.is_v6() && address.is_unspecified();
    return v6_wildcard && (ec == boost::system::errc::address_family_not_supported ||
                           ec == boost::system::errc::address_not_available);
}

net::ip::tcp::endpoint server::listen(const std::string& host, std::uint16_t port) {
    try {
        return bind_and_listen({net::ip::make_address(host), port});
    } catch (const boost::system::system_error& e) {
        if (!falls_back_to_ipv4(host, e.code())) throw;
        // A kernel booted without IPv6 (ipv6.disable=1, some container hosts): the same config
        // must still serve, over IPv4.
        spdlog::warn(
            "cannot listen on [{}]:{}: {}; this kernel has no IPv6: listening on 0.0.0.0:{} "
            "instead",
            host, port, e.code().message(), port);
        return bind_and_listen({net::ip::address_v4::any(), port});
    }
}

net::ip::tcp::endpoint server::bind_and_listen(const net::ip::tcp::endpoint& ep) {
    try {
        acceptor_.open(ep.protocol());
        acceptor_.set_option(net::socket_base::reuse_address(true));
        // Dual stack whatever net.ipv6.bindv6only says: "[::]" takes IPv4 clients too.
        if (ep.address().is_v6()) acceptor_.set_option(net::ip::v6_only(false));
        acceptor_.bind(ep);
#ifdef TCP_DEFER_ACCEPT
        // A client is handed over only once its first bytes are in (nginx's `deferred`): at the
        // connection cap, one that has connected but not yet written cannot be evicted by a flood
        // of newer ones before its request is read. One that never writes is handed over after
        // this many seconds, and then has the request time like any other.
        int defer = static_cast<int>(
            std::chrono::ceil<std::chrono::seconds>(limits_.request_timeout).count());
        ::setsockopt(acceptor_.native_handle(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer,
                     sizeof defer);
#endif
        // Accepted sockets inherit these. Set before listen(), so the window scale the handshake
        // advertises fits the receive buffer.
        acceptor_.set_option(
            net::socket_base::send_buffer_size(static_cast<int>(limits_.send_buffer)));
        acceptor_.set_option(
            net::socket_base::receive_buffer_size(static_cast<int>(limits_.receive_buffer)));
        acceptor_.listen(net::socket_base::max_listen_connections);
        return acceptor_.local_endpoint();
    } catch (...) {
        boost::system::error_code ignored;
        acceptor_.close(ignored);  // so that another address can be tried
        throw;
    }
}

void server::start() {
    net::co_spawn(ex_, accept_loop(), net::detached);
}

void server::stop() {
    if (stopped_) return;
    stopped_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    // Closing a session's socket ends its pending read or write; the coroutine then unregisters.
    for (auto& [id, slot] : sessions_) slot.stream->socket().close(ignored);
}

net::awaitable<void> server::accept_loop() {
    // The burst below must find an empty queue, not wait for one.
    acceptor_.non_blocking(true);
    while (!stopped_) {
        auto [ec, socket] = co_await acceptor_.async_accept(use_nothrow);
        if (stopped_) break;
        if (ec) {
            // Out of descriptors or a client that reset before accept: note it and go on.
            if (ec != net::error::operation_aborted)
                spdlog::warn("accept failed: {}", ec.message());
            if (ec == net::error::no_descriptors) {
                net::steady_timer pause(ex_, std::chrono::milliseconds(50));
                co_await pause.async_wait(use_nothrow);
            }
            continue;
        }
        admit(std::move(socket));
        // Take the clients already queued in this same turn of the I/O loop. One accept per turn
        // puts a probe behind one step of every busy connection for each client queued ahead of
        // it (a flood of connections); a bounded burst keeps each turn short all the same.
        for (int i = 0; i < accept_burst && !stopped_; ++i) {
            boost::system::error_code more_ec;
            auto more = acceptor_.accept(more_ec);
            if (more_ec) break;  // would_block: queue empty; a real error shows in the next wait
            admit(std::move(more));
        }
    }
}

void server::admit(net::ip::tcp::socket socket) {
    if (sessions_.size() >= limits_.max_connections && !make_room()) {
        // Every connection is busy with a request: a new client costs one accept and one close.
        boost::system::error_code ignored;
        socket.close(ignored);
        return;
    }
    // Registered before the session first runs, so a burst of accepts counts it and can evict it.
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    auto id = next_id_++;
    sessions_[id] = session_slot{stream.get()};
    peak_ = std::max(peak_, sessions_.size());
    net::co_spawn(ex_, session(std::move(stream), id), net::detached);
}

bool server::make_room() {
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
        // A session in the handler is owed an answer; one waiting on its client is not owed time.
        if (it->second.now == phase::handling) continue;
        // Closing frees the descriptor now; the session's pending read or write (or its next one)
        // fails, and it ends.
        boost::system::error_code ignored;
        it->second.stream->socket().close(ignored);
        sessions_.erase(it);
        return true;
    }
    return false;
}

void server::unregister(std::uint64_t id) {
    sessions_.erase(id);
    // A burst of connections (an attack, every kubelet of a node restarting at once) leaves the
    // allocator holding the sessions' memory for reuse; once the burst is over, give it back.
    if (peak_ >= trim_after_peak && sessions_.size() <= trim_below) {
        peak_ = sessions_.size();
#ifdef __GLIBC__
        ::malloc_trim(0);
#endif
    }
}

void server::set_phase(std::uint64_t id, phase now) {
    if (auto it = sessions_.find(id); it != sessions_.end()) it->second.now = now;
}

namespace {

bhttp::response<bhttp::string_body> refusal(bhttp::status status, std::string_view message) {
    bhttp::response<bhttp::string_body> res{status, 11};
    res.set(bhttp::field::server, "heartbeatd");
    res.set(bhttp::field::content_type, "application/json");
    res.set(bhttp::field::cache_control, "no-store");
    res.keep_alive(false);
    json::object o;
    o["status"] = false;
    o["message"] = message;
    res.body() = to_json_text(o);
    res.prepare_payload();
    return res;
}

}  // namespace

std::shared_ptr<const prepared> prepare(bhttp::status status, std::string_view content_type,
                                        std::string body) {
    auto p = std::make_shared<prepared>();
    p->head = fmt::format(
        "HTTP/1.1 {} {}\r\nServer: heartbeatd\r\nContent-Type: {}\r\nCache-Control: "
        "no-store\r\nContent-Length: {}\r\n",
        static_cast<unsigned>(status), std::string_view(bhttp::obsolete_reason(status)),
        content_type, body.size());
    p->body = std::move(body);
    return p;
}

net::awaitable<void> server::session(std::shared_ptr<beast::tcp_stream> owned, std::uint64_t id) {
    beast::tcp_stream& stream = *owned;
    // Holds one request and what the client pipelined behind it; bounded like the request itself.
    beast::flat_buffer buffer(limits_.header_limit + limits_.body_limit);
    for (;;) {
        // Read: a whole request within the time limit, head and body within their caps.
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(limits_.header_limit));
        parser.body_limit(limits_.body_limit);
        stream.expires_after(limits_.request_timeout);
        set_phase(id, phase::reading);
        auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, use_nothrow);
        set_phase(id, phase::handling);
        if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
            stream.expires_after(std::chrono::seconds(2));
            co_await bhttp::async_write(stream,
                                        refusal(bhttp::status::request_header_fields_too_large,
                                                "request head larger than 8 KiB"),
                                        use_nothrow);
            break;
        }
        if (ec == bhttp::error::body_limit) {
            stream.expires_after(std::chrono::seconds(2));
            co_await bhttp::async_write(
                stream, refusal(bhttp::status::payload_too_large, "request body too large"),
                use_nothrow);
            break;
        }
        if (ec) break;  // closed, timed out, or not HTTP: nothing to answer

        // Handle: everything that is not I/O happens in the handler.
        auto res = co_await handler_(parser.release());

        // Write: bounded too, so a client that does not read cannot hold the session. Requests are
        // answered one at a time: while this write waits for the client to take the answer, its
        // pipelined requests stay unread in the (bounded) receive buffer.
        stream.expires_after(limits_.request_timeout);
        set_phase(id, phase::writing);
        bool keep = res.ready ? res.keep_alive : res.message.keep_alive();
        boost::system::error_code wec;
        if (res.ready) {
            // Shared with every request it answers, and written without a copy; this session
            // holds it until the write ends.
            static constexpr std::string_view close_tail = "Connection: close\r\n\r\n";
            std::array<net::const_buffer, 3> parts{
                net::buffer(res.ready->head),
                net::buffer(keep ? std::string_view("\r\n") : close_tail),
                net::buffer(res.head ? std::string_view() : std::string_view(res.ready->body))};
            std::tie(wec, std::ignore) = co_await net::async_write(stream, parts, use_nothrow);
        } else {
            std::tie(wec, std::ignore) =
                co_await bhttp::async_write(stream, res.message, use_nothrow);
        }
        if (wec || !keep || stopped_) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    stream.socket().close(ignored);
    unregister(id);
}

}  // namespace heartbeat::http
