#include "heartbeat/dispatch.hpp"

#include "heartbeat/checks/exec.hpp"
#include "heartbeat/checks/file.hpp"
#include "heartbeat/checks/http.hpp"
#include "heartbeat/checks/tcp.hpp"
#include "heartbeat/redact.hpp"

namespace heartbeat {

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

}  // namespace heartbeat
