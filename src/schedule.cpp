#include "heartbeat/schedule.hpp"

#include <algorithm>

#include "heartbeat/checks/unit.hpp"

namespace heartbeat {

namespace schedule {

bool loops(const check_config& c, mode m) {
    // A reported check (push) never runs: its results are the application's reports.
    return m == mode::background && c.interval.count() > 0 && !reported_ttl(c);
}

bool needs_run(const check_status& s, mode m, duration reuse, steady_clock::time_point now) {
    // A reported check has no run to wait for: before its first report it answers "no report yet".
    if (reported_ttl(s.cfg)) return false;
    if (!s.state.has_result()) return true;
    if (loops(s.cfg, m)) return false;
    return now - s.state.last_run() >= reuse;
}

duration jitter_span(duration interval) {
    // Enough to spread checks that start together, too little to matter to any of them.
    return std::clamp<duration>(interval / 10, duration{0}, std::chrono::seconds(1));
}

duration interval_in_force(const check_status& s) {
    return s.state.interval_in_force();
}

duration next_pause(const check_status& s, duration jitter) {
    auto interval = interval_in_force(s);
    return interval + std::clamp(jitter, duration{0}, jitter_span(interval));
}

duration draw_jitter(duration interval, std::mt19937_64& rng) {
    auto span = jitter_span(interval);
    if (span.count() <= 0) return duration{0};
    std::uniform_int_distribution<duration::rep> dist(0, span.count());
    return duration(dist(rng));
}

}  // namespace schedule
}  // namespace heartbeat
