#include "heartbeat/check_status.hpp"

#include "heartbeat/checks/unit.hpp"

namespace heartbeat {

health_state::params state_params(const check_config& c) {
    // A reported check is refreshed every ttl (a report, or the failure of a missed one): that,
    // not its unused interval, is what the staleness guard measures it against.
    if (auto ttl = reported_ttl(c)) return {c.failure_threshold, c.success_threshold, *ttl, c.timeout};
    return {c.failure_threshold, c.success_threshold, c.interval, c.timeout,
            c.interval_failing.value_or(c.interval)};
}

check_status::check_status(check_config c) : cfg(std::move(c)), state(state_params(cfg)) {}

std::optional<transition> check_status::record(check_result r, steady_clock::time_point now,
                                               std::chrono::system_clock::time_point wall) {
    checked_at = wall;
    (r.ok ? runs_ok : runs_failed)++;
    auto change = state.on_result(r.ok, now);
    last = std::move(r);
    if (change) since = wall;
    running = false;
    return change;
}

}  // namespace heartbeat
