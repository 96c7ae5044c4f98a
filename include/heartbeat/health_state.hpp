#pragma once

#include <chrono>
#include <optional>

#include "heartbeat/durations.hpp"

namespace heartbeat {

/** A change of a check's reported state. `from` is empty for the first result. */
struct transition {
    std::optional<bool> from;
    bool to = false;
};

/**
 * The reported state of one check, apart from any I/O: thresholds, the startup latch and the
 * staleness guard. Fed one run outcome at a time; asked for its state at a point in time.
 */
class health_state {
  public:
    using time_point = std::chrono::steady_clock::time_point;

    /** What the state machine needs from the check's config. */
    struct params {
        int failure_threshold = 1;
        int success_threshold = 1;
        duration interval{0};  // 0: on demand, never stale
        duration timeout{std::chrono::seconds(1)};
        duration interval_failing{0};  // while reported failing; 0: `interval`
    };

    explicit health_state(params p) : params_(p) {}

    /** Records one run's outcome at `now`; returns the change of the reported state, if any. */
    std::optional<transition> on_result(bool ok, time_point now);

    /** True once a first result is in. */
    bool has_result() const { return reported_.has_value(); }
    /** The reported state, thresholds applied; false before the first result. */
    bool reported_ok() const { return reported_.value_or(false); }
    /** The startup latch: true once the reported state has been passing. */
    bool ever_passed() const { return ever_passed_; }
    /** When the reported state last changed (the first result counts as a change). */
    time_point since() const { return since_; }
    /** When the latest run finished. */
    time_point last_run() const { return last_run_; }
    int consecutive_failures() const { return failures_; }
    int consecutive_successes() const { return successes_; }

    /** The interval in force: `interval_failing` while the reported state is failing (the first
     * result included), else `interval`. */
    duration interval_in_force() const;
    /** When a background result stops being trustworthy: last run + 2 x the interval in force +
     * timeout. */
    std::optional<time_point> stale_at() const;
    /** True when, at `now`, the latest result is too old to report (background checks only). */
    bool stale(time_point now) const;
    /** The state to report at `now`: the reported state, unless the result is missing or stale. */
    bool ok_at(time_point now) const { return reported_ok() && !stale(now); }

  private:
    params params_;
    std::optional<bool> reported_;
    bool ever_passed_ = false;
    int failures_ = 0;
    int successes_ = 0;
    time_point since_{};
    time_point last_run_{};
};

}  // namespace heartbeat
