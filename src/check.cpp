#include "heartbeat/check.hpp"

#include <fmt/format.h>

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
    if (auto* t = std::get_if<tcp_spec>(&cfg.spec)) r = co_await run_tcp(*t, cfg.timeout, deadline);
    else if (auto* f = std::get_if<file_spec>(&cfg.spec)) r = co_await run_file(*f, cfg.timeout, deadline, ctx);
    else if (auto* h = std::get_if<http_spec>(&cfg.spec)) r = co_await run_http(*h, cfg.timeout, deadline);
    else r = co_await run_exec(std::get<exec_spec>(cfg.spec), cfg.timeout, deadline, ctx);
    r.elapsed = steady_clock::now() - started;
    co_return r;
}

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
    struct state {
        explicit state(net::any_io_executor e) : resolver(e), slot(e) {}
        net::ip::tcp::resolver resolver;
        deadline_slot<resolve_outcome> slot;
    };
    // getaddrinfo cannot be cancelled: the lookup may outlive this run, so it owns its state.
    auto st = std::make_shared<state>(ex);
    st->slot.signal.expires_at(deadline);
    st->resolver.async_resolve(host, service, [st](boost::system::error_code rec, auto results) {
        resolve_outcome r;
        r.ec = rec;
        r.endpoints = std::move(results);
        st->slot.set(std::move(r));
    });
    co_await st->slot.signal.async_wait(use_nothrow);
    if (st->slot.value) co_return std::move(*st->slot.value);
    st->resolver.cancel();
    out.timed_out = true;
    co_return out;
}

}  // namespace heartbeat
