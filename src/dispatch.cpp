#include "heartbeat/dispatch.hpp"

#include "heartbeat/checks/unit.hpp"
#include "heartbeat/redact.hpp"

namespace heartbeat {

net::awaitable<check_result> run_check(check_config cfg, run_context ctx) {
    auto started = steady_clock::now();
    auto deadline = started + cfg.timeout;
    check_result r = co_await unit_of(cfg.spec).run(cfg, deadline, ctx);
    r.elapsed = steady_clock::now() - started;
    // A target may echo what it was sent (a token in an error page): never show it.
    redact(r, secret_values(cfg));
    co_return r;
}

}  // namespace heartbeat
