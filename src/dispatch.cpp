#include "heartbeat/dispatch.hpp"

#include <boost/asio/this_coro.hpp>

#include "heartbeat/checks/response_time.hpp"
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/redact.hpp"

namespace heartbeat {

namespace {

/** True when the run was cancelled (the check was removed, the daemon is stopping). */
net::awaitable<bool> cancelled() {
    auto state = co_await net::this_coro::cancellation_state;
    co_return state.cancelled() != net::cancellation_type::none;
}

}  // namespace

// Retries live here, once, rather than in each type's runner: every type gets them alike, and the
// attempts share the run's one deadline, so a run with retries still ends within its timeout.
net::awaitable<check_result> run_check(check_config cfg, run_context ctx) {
    auto started = steady_clock::now();
    auto deadline = started + cfg.timeout;
    const auto& unit = unit_of(cfg.spec);
    check_result r;
    int attempts = 0;
    const auto max_duration = unit.max_duration ? unit.max_duration(cfg.spec) : std::nullopt;
    for (;;) {
        auto attempt_started = steady_clock::now();
        r = co_await unit.run(cfg, deadline, ctx);
        ++attempts;
        // A success that came too late is a failure (and may be retried, as any other).
        if (auto took = steady_clock::now() - attempt_started;
            r.ok && max_duration && took > *max_duration) {
            r.ok = false;
            r.message = slow_message(took, *max_duration);
        }
        if (r.ok || attempts > cfg.retries || co_await cancelled()) break;
        // An attempt that could only start at or after the deadline never starts: the delay is
        // cut short and the run ends now with the last attempt's result.
        if (steady_clock::now() + cfg.retry_delay >= deadline) break;
        net::steady_timer pause(ctx.executor, cfg.retry_delay);
        co_await pause.async_wait(use_nothrow);
        if (co_await cancelled()) break;
    }
    if (cfg.retries > 0) r.facts["attempts"] = attempts;
    r.elapsed = steady_clock::now() - started;
    // A target may echo what it was sent (a token in an error page): never show it.
    redact(r, secret_values(cfg));
    co_return r;
}

}  // namespace heartbeat
