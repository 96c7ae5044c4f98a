#include "heartbeat/net/resolve.hpp"

#include <netdb.h>
#include <netinet/in.h>

#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include "heartbeat/deadline.hpp"
#include "heartbeat/process/signals.hpp"
#include "heartbeat/text.hpp"

namespace heartbeat {

namespace {

/**
 * Lets lookup threads hand results to an io_context only while it lives. The io_context calls
 * `shutdown()` before it destroys anything; from then on a late lookup drops its result.
 */
class resolver_gate final : public net::execution_context::service {
  public:
    struct state {
        std::mutex mutex;
        bool open = true;
    };
    static net::execution_context::id id;
    explicit resolver_gate(net::execution_context& ctx)
        : service(ctx), state_(std::make_shared<state>()) {}
    std::shared_ptr<state> shared() const { return state_; }

  private:
    void shutdown() override {
        std::lock_guard lock(state_->mutex);
        state_->open = false;
    }
    std::shared_ptr<state> state_;
};

net::execution_context::id resolver_gate::id;

resolve_outcome lookup(const std::string& host, const std::string& service) {
    resolve_outcome out;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* res = nullptr;
    int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
    if (rc != 0) {
        out.ec = rc == EAI_NONAME  ? net::error::host_not_found
                 : rc == EAI_AGAIN ? net::error::host_not_found_try_again
                                   : net::error::no_recovery;
        return out;
    }
    std::vector<net::ip::tcp::endpoint> eps;
    for (auto* p = res; p; p = p->ai_next) {
        if (p->ai_family == AF_INET)
            eps.emplace_back(net::ip::address_v4(ntohl(
                                 reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr.s_addr)),
                             ntohs(reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_port));
        else if (p->ai_family == AF_INET6) {
            auto* a6 = reinterpret_cast<sockaddr_in6*>(p->ai_addr);
            net::ip::address_v6::bytes_type bytes;
            std::memcpy(bytes.data(), a6->sin6_addr.s6_addr, 16);
            eps.emplace_back(net::ip::address_v6(bytes, a6->sin6_scope_id), ntohs(a6->sin6_port));
        }
    }
    ::freeaddrinfo(res);
    out.endpoints =
        net::ip::tcp::resolver::results_type::create(eps.begin(), eps.end(), host, service);
    return out;
}

}  // namespace

net::awaitable<resolve_outcome> resolve_until(std::string host, std::string service,
                                              steady_clock::time_point deadline) {
    auto ex = co_await net::this_coro::executor;
    resolve_outcome out;
    boost::system::error_code ec;
    auto literal = net::ip::make_address(host, ec);
    if (!ec) {
        // A literal address: no lookup, no thread, no wait.
        unsigned port = static_cast<unsigned>(std::stoul(service));
        out.endpoints = net::ip::tcp::resolver::results_type::create(
            net::ip::tcp::endpoint(literal, static_cast<unsigned short>(port)), host, service);
        co_return out;
    }
    // getaddrinfo cannot be cancelled, and Asio's resolver joins its thread when the io_context
    // goes away: a hung DNS server would hold the run, and then the exit. Each lookup gets a
    // detached thread instead; it hands its result back through the gate, or drops it.
    auto slot = std::make_shared<deadline_slot<resolve_outcome>>(ex);
    slot->signal.expires_at(deadline);
    auto gate = net::use_service<resolver_gate>(net::query(ex, net::execution::context)).shared();
    // The thread holds the slot only weakly: were it the last owner, the slot's timer would be
    // destroyed on this thread, possibly after its io_context is gone.
    signals_blocked in_lookup_thread;  // TERM, INT, HUP and CHLD stay with the I/O thread
    std::thread([gate, weak = std::weak_ptr(slot), ex, host, service] {
        auto result = lookup(host, service);
        std::lock_guard lock(gate->mutex);
        if (gate->open)
            net::post(ex, [weak, result = std::move(result)]() mutable {
                if (auto s = weak.lock()) s->set(std::move(result));
            });
    }).detach();
    co_await slot->signal.async_wait(use_nothrow);
    if (slot->value) co_return std::move(*slot->value);
    out.timed_out = true;
    co_return out;
}

std::string resolve_failure(const resolve_outcome& r, duration timeout, const std::string& host) {
    if (r.timed_out) return timed_out_message(timeout, "resolving " + host);
    if (r.ec) return fmt::format("resolve {}: {}", host, describe(r.ec));
    return {};
}

}  // namespace heartbeat
