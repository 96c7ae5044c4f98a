#include "heartbeat/check.hpp"
#include "heartbeat/process.hpp"
#include "heartbeat/redact.hpp"

#include <netdb.h>
#include <netinet/in.h>

#include <cstring>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include "heartbeat/checks/exec.hpp"
#include "heartbeat/checks/file.hpp"
#include "heartbeat/checks/http.hpp"
#include "heartbeat/checks/tcp.hpp"
#include "heartbeat/deadline.hpp"

namespace heartbeat {

check_result failure(std::string message) {
    check_result r;
    r.ok = false;
    r.message = std::move(message);
    return r;
}

check_result success() {
    check_result r;
    r.ok = true;
    r.message = "ok";
    return r;
}

std::string timed_out_message(duration timeout, std::string_view doing) {
    return fmt::format("timed out after {} {}", format_duration(timeout), doing);
}

net::awaitable<check_result> run_check(check_config cfg, run_context ctx) {
    auto started = steady_clock::now();
    auto deadline = started + cfg.timeout;
    check_result r;
    if (auto* t = std::get_if<tcp_spec>(&cfg.spec))
        r = co_await run_tcp(*t, cfg.timeout, deadline);
    else if (auto* f = std::get_if<file_spec>(&cfg.spec))
        r = co_await run_file(*f, cfg.timeout, deadline, ctx);
    else if (auto* h = std::get_if<http_spec>(&cfg.spec))
        r = co_await run_http(*h, cfg.timeout, deadline);
    else
        r = co_await run_exec(std::get<exec_spec>(cfg.spec), cfg.timeout, deadline, ctx);
    r.elapsed = steady_clock::now() - started;
    // A target may echo what it was sent (a token in an error page): never show it.
    redact(r, secret_values(cfg));
    co_return r;
}

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
    signals_blocked in_lookup_thread;
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

}  // namespace heartbeat
