#include "ares_lookup.hpp"

#include <malloc.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>

#include <arpa/inet.h>

#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include "heartbeat/text.hpp"

namespace heartbeat::detail {

namespace {

// Boost's error_category has a non-virtual destructor by design: a category is a static object,
// never deleted through a pointer to its base.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
/** c-ares 1.18's statuses in words a person on call reads in a check's message (each starts in
 * lower case: resolve_failure puts it after "resolve HOST: "). */
class dns_category_impl final : public boost::system::error_category {
  public:
    const char* name() const noexcept override { return "dns"; }
    std::string message(int status) const override {
        switch (status) {
            case ARES_ENOTFOUND:
            case ARES_ENONAME:
                return "no such host";
            case ARES_ENODATA:
                return "the name has no address";
            case ARES_ESERVFAIL:
                return "server failure: the DNS server answered SERVFAIL";
            case ARES_EREFUSED:
                return "server failure: the DNS server refused the query";
            // c-ares 1.18 reports a server that answers SERVFAIL or REFUSED to every try, or that
            // nothing listens for, with this status: each server failed.
            case ARES_ECONNREFUSED:
                return "server failure: every DNS server answered SERVFAIL or REFUSED, or none "
                       "listens";
            case ARES_ETIMEOUT:
                return "no answer from the DNS server";
            case ARES_EBADNAME:
                return "not a valid host name";
            case ARES_EFILE:
                return "cannot read the resolver configuration";
            case ARES_EFORMERR:
                return "server failure: the DNS server could not read the query (FORMERR)";
            case ARES_ENOTIMP:
                return "server failure: the DNS server does not implement the query (NOTIMP)";
            case ARES_EBADRESP:
                return "malformed answer from the DNS server";
            case ARES_ENOMEM:
                return "out of memory";
            case ARES_ECANCELLED:
            case ARES_EDESTRUCTION:
                return "lookup cancelled";
            default:  // "c-ares" first: describe() lowercases a message's first letter
                return "c-ares status " + std::to_string(status) + ": " + ares_strerror(status);
        }
    }
};
#pragma GCC diagnostic pop

const dns_category_impl dns_category;

/**
 * Lookups alive in this process. Each channel's query tables (about 75 KiB in c-ares 1.18) come
 * from the heap, where glibc keeps them once freed: a burst of N concurrent lookups would leave
 * N × 75 KiB resident for good. When the last lookup ends, the free pages go back to the system.
 */
std::atomic<int> live_lookups{0};

/** c-ares needs this once per process before any channel (a no-op on Linux in 1.18, but
 * documented as required). */
void init_library_once() {
    static const int status = ares_library_init(ARES_LIB_INIT_ALL);
    (void)status;
}

/** Whether `fd` has something to read now. Asio's reactor is edge-triggered: a socket that c-ares
 * did not drain (it reads one piece of a TCP answer per call) would get no new edge. */
bool readable_now(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLERR | POLLHUP)) != 0;
}

net::ip::tcp::resolver::results_type to_results(const ares_addrinfo* answer,
                                                const std::string& host,
                                                const std::string& service) {
    std::vector<net::ip::tcp::endpoint> eps;
    for (auto* n = answer ? answer->nodes : nullptr; n; n = n->ai_next) {
        if (n->ai_family != AF_INET && n->ai_family != AF_INET6) continue;
        net::ip::tcp::endpoint ep;
        if (static_cast<std::size_t>(n->ai_addrlen) > ep.capacity()) continue;
        std::memcpy(ep.data(), n->ai_addr, n->ai_addrlen);
        ep.resize(n->ai_addrlen);
        eps.push_back(ep);
    }
    return net::ip::tcp::resolver::results_type::create(eps.begin(), eps.end(), host, service);
}

/** A question's c-ares status as a dns_status; `one_server`: asked with NOCHECKRESP. */
dns_status query_status(int status, bool one_server) {
    switch (status) {
        case ARES_SUCCESS:
            return dns_status::answered;
        case ARES_ENOTFOUND:
            return dns_status::no_such_name;
        case ARES_ENODATA:
            return dns_status::no_data;
        case ARES_ESERVFAIL:
            return dns_status::server_failure;
        case ARES_EREFUSED:
            return dns_status::refused;
        case ARES_ENOTIMP:
            return dns_status::not_implemented;
        case ARES_EFORMERR:
            return dns_status::format_error;
        // Every try of every server failed: with NOCHECKRESP only a refused connection (a port
        // where nothing listens) does that; without, also each SERVFAIL and REFUSED.
        case ARES_ECONNREFUSED:
            return one_server ? dns_status::unreachable : dns_status::every_server_failed;
        case ARES_ETIMEOUT:
            return dns_status::no_answer;
        default:
            return dns_status::other;
    }
}

}  // namespace

boost::system::error_code dns_error(int ares_status) {
    return {ares_status, dns_category};
}

ares_lookup::ares_lookup(net::any_io_executor ex) : done(ex), ex_(ex), retry_(ex) {
    ++live_lookups;
}

ares_lookup::~ares_lookup() {
    close();
    if (--live_lookups == 0) ::malloc_trim(0);
}

int ares_lookup::open(const resolve_options& options, int flags, int timeout_ms, int tries) {
    init_library_once();
    port_ = options.dns_port;
    ares_options o{};
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS | ARES_OPT_RESOLVCONF;
    o.sock_state_cb = &ares_lookup::on_socket_state;
    o.sock_state_cb_data = this;
    // DNS only: resolve_until has read the hosts file already, from a path it can be given
    // (c-ares 1.18 takes one only from the process environment); a DNS question never reads it.
    std::string lookups = "b";
    o.lookups = lookups.data();
    std::string resolv_conf = options.resolv_conf;
    o.resolvconf_path = resolv_conf.data();
    if (options.dns_port != 0) {
        o.udp_port = o.tcp_port = options.dns_port;  // host byte order in 1.18
        mask |= ARES_OPT_UDP_PORT | ARES_OPT_TCP_PORT;
    }
    if (flags != 0) {
        o.flags = flags;
        mask |= ARES_OPT_FLAGS;
    }
    if (timeout_ms > 0) {
        o.timeout = timeout_ms;
        mask |= ARES_OPT_TIMEOUTMS;
    }
    if (tries > 0) {
        o.tries = tries;
        mask |= ARES_OPT_TRIES;
    }
    int status = ares_init_options(&channel_, &o, mask);
    if (status != ARES_SUCCESS) channel_ = nullptr;
    return status;
}

void ares_lookup::start(const std::string& host, const std::string& service,
                        const resolve_options& options) {
    host_ = host;
    service_ = service;
    if (int status = open(options, 0, 0, 0); status != ARES_SUCCESS) {
        finish({dns_error(status), {}, false});
        return;
    }
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = ARES_AI_NUMERICSERV;
    ares_getaddrinfo(channel_, host_.c_str(), service_.c_str(), &hints, &ares_lookup::on_answer,
                     this);
    if (!result) {
        arm_all();
        arm_timer();
    }
}

void ares_lookup::start_query(const dns_question& q) {
    host_ = q.name;
    query_mode_ = true;
    // One server asked: its SERVFAIL or REFUSED is the answer, said as such (NOCHECKRESP). c-ares
    // would otherwise take it as that server failing and report only that each server failed,
    // which is right when there are others to try, as the C library tries them.
    one_server_ = q.servers.size() == 1;
    int flags = one_server_ ? ARES_FLAG_NOCHECKRESP : 0;
    int timeout_ms =
        static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(q.try_timeout).count());
    int status = open(q.options, flags, timeout_ms, q.tries);
    if (status == ARES_SUCCESS && q.servers.empty() && servers_asked().size() == 1) {
        ares_destroy(channel_);
        channel_ = nullptr;
        one_server_ = true;
        status = open(q.options, ARES_FLAG_NOCHECKRESP, timeout_ms, q.tries);
    }
    if (status == ARES_SUCCESS && !q.servers.empty()) status = use_servers(q.servers);
    if (status != ARES_SUCCESS) {
        finish(dns_reply{dns_status::other, dns_error(status).message(), {}, {}});
        return;
    }
    asked = servers_asked();
    constexpr int class_in = 1;
    // resolv.conf's search domains and ndots for the system's servers; a server named by the
    // caller is asked the name as written.
    if (q.servers.empty())
        ares_search(channel_, host_.c_str(), class_in, q.type, &ares_lookup::on_query_answer, this);
    else
        ares_query(channel_, host_.c_str(), class_in, q.type, &ares_lookup::on_query_answer, this);
    if (!finished()) {
        arm_all();
        arm_timer();
    }
}

int ares_lookup::use_servers(const std::vector<net::ip::udp::endpoint>& servers) {
    std::vector<ares_addr_port_node> nodes(servers.size());
    for (std::size_t i = 0; i < servers.size(); ++i) {
        auto& n = nodes[i];
        n.next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
        const auto a = servers[i].address();
        if (a.is_v4()) {
            n.family = AF_INET;
            auto bytes = a.to_v4().to_bytes();
            std::memcpy(&n.addr.addr4, bytes.data(), bytes.size());
        } else {
            n.family = AF_INET6;
            auto bytes = a.to_v6().to_bytes();
            std::memcpy(&n.addr.addr6, bytes.data(), bytes.size());
        }
        n.udp_port = n.tcp_port = servers[i].port();
    }
    return ares_set_servers_ports(channel_, nodes.empty() ? nullptr : nodes.data());
}

std::vector<std::string> ares_lookup::servers_asked() const {
    std::vector<std::string> out;
    ares_addr_port_node* list = nullptr;
    if (!channel_ || ares_get_servers_ports(channel_, &list) != ARES_SUCCESS) return out;
    for (auto* n = list; n; n = n->next) {
        char text[INET6_ADDRSTRLEN] = "";
        ::inet_ntop(n->family, &n->addr, text, sizeof text);
        // Port 0: the channel's, which is 53 unless a test's resolve_options says otherwise.
        int port = n->udp_port != 0 ? n->udp_port : (port_ != 0 ? port_ : 53);
        out.push_back(n->family == AF_INET6 ? fmt::format("[{}]:{}", text, port)
                                            : fmt::format("{}:{}", text, port));
    }
    ares_free_data(list);
    return out;
}

void ares_lookup::close() {
    if (!channel_) return;
    // ares_destroy calls the pending query back (ARES_EDESTRUCTION) and reports each socket
    // closed: both land here, and neither may touch Asio any more than releasing a descriptor.
    closing_ = true;
    ares_destroy(channel_);
    channel_ = nullptr;
    retry_.cancel();
    // Every socket was reported closed above; should c-ares have skipped one, its descriptor is
    // still c-ares' to close, never the reactor's.
    for (auto& w : watches_) (void)w.descriptor->release();
    watches_.clear();
}

void ares_lookup::on_socket_state(void* self, ares_socket_t fd, int readable, int writable) {
    static_cast<ares_lookup*>(self)->socket_state(fd, readable != 0, writable != 0);
}

void ares_lookup::socket_state(int fd, bool readable, bool writable) {
    auto it =
        std::find_if(watches_.begin(), watches_.end(), [fd](const watch& w) { return w.fd == fd; });
    if (!readable && !writable) {
        // c-ares closes the socket right after: the reactor must forget it first (release, not
        // close: the socket is c-ares'), and the waits on it end as aborted.
        if (it != watches_.end()) {
            it->descriptor->release();
            watches_.erase(it);
        }
        return;
    }
    if (it == watches_.end()) {
        watch w;
        w.id = next_id_++;
        w.fd = fd;
        w.descriptor = std::make_unique<net::posix::stream_descriptor>(ex_);
        boost::system::error_code ec;
        w.descriptor->assign(fd, ec);
        if (ec) {
            // Not watchable (no memory for the reactor): the lookup cannot go on.
            (void)w.descriptor->release();
            if (closing_) return;
            if (query_mode_)
                finish(dns_reply{dns_status::other, describe(ec), {}, {}});
            else
                finish({ec, {}, false});
            return;
        }
        watches_.push_back(std::move(w));
        it = watches_.end() - 1;
    }
    it->want_read = readable;
    it->want_write = writable;
}

void ares_lookup::on_answer(void* self, int status, int /*timeouts*/, ares_addrinfo* answer) {
    auto* me = static_cast<ares_lookup*>(self);
    if (!me->closing_) {
        resolve_outcome out;
        if (status != ARES_SUCCESS)
            out.ec = dns_error(status);
        else {
            out.endpoints = to_results(answer, me->host_, me->service_);
            if (out.endpoints.empty()) out.ec = dns_error(ARES_ENODATA);
        }
        me->finish(std::move(out));
    }
    if (answer) ares_freeaddrinfo(answer);
}

void ares_lookup::on_query_answer(void* self, int status, int /*timeouts*/, unsigned char* abuf,
                                  int alen) {
    auto* me = static_cast<ares_lookup*>(self);
    if (me->closing_) return;
    dns_reply r;
    r.status = query_status(status, me->one_server_);
    if (r.status == dns_status::other) r.error = dns_error(status).message();
    if (abuf && alen > 0) r.message.assign(abuf, abuf + alen);
    me->finish(std::move(r));
}

void ares_lookup::finish(resolve_outcome outcome) {
    if (result) return;
    result = std::move(outcome);
    done.cancel();
}

void ares_lookup::finish(dns_reply r) {
    if (reply) return;
    r.servers = asked;
    reply = std::move(r);
    done.cancel();
}

ares_lookup::watch* ares_lookup::find(std::uint64_t id) {
    auto it =
        std::find_if(watches_.begin(), watches_.end(), [id](const watch& w) { return w.id == id; });
    return it == watches_.end() ? nullptr : &*it;
}

void ares_lookup::arm_all() {
    for (auto& w : watches_) arm(w);
}

void ares_lookup::arm(watch& w) {
    auto weak = weak_from_this();
    auto id = w.id;
    if (w.want_read && !w.reading) {
        w.reading = true;
        if (readable_now(w.fd))
            net::post(ex_, [weak, id] {
                if (auto self = weak.lock()) self->ready(id, true, {});
            });
        else
            w.descriptor->async_wait(net::posix::stream_descriptor::wait_read,
                                     [weak, id](boost::system::error_code ec) {
                                         if (auto self = weak.lock()) self->ready(id, true, ec);
                                     });
    }
    if (w.want_write && !w.writing) {
        w.writing = true;
        w.descriptor->async_wait(net::posix::stream_descriptor::wait_write,
                                 [weak, id](boost::system::error_code ec) {
                                     if (auto self = weak.lock()) self->ready(id, false, ec);
                                 });
    }
}

void ares_lookup::arm_timer() {
    if (!channel_) return;
    timeval tv{};
    if (!ares_timeout(channel_, nullptr, &tv)) return;  // nothing in flight
    retry_.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
    retry_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec) self->process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    });
}

void ares_lookup::ready(std::uint64_t id, bool for_read, boost::system::error_code ec) {
    watch* w = find(id);
    if (!w) return;  // c-ares closed that socket meanwhile
    (for_read ? w->reading : w->writing) = false;
    if (ec == net::error::operation_aborted) return;
    int fd = w->fd;
    // An error on the socket (ec set) is c-ares' to find when it reads or writes.
    process(for_read ? fd : ARES_SOCKET_BAD, for_read ? ARES_SOCKET_BAD : fd);
}

void ares_lookup::process(int read_fd, int write_fd) {
    if (!channel_ || finished()) return;
    ares_process_fd(channel_, read_fd, write_fd);
    if (finished() || !channel_) return;
    arm_all();
    arm_timer();
}

}  // namespace heartbeat::detail
