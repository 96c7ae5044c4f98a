#pragma once

#include <random>

#include "heartbeat/check_status.hpp"

namespace heartbeat {

/**
 * The scheduler's decisions, apart from any timer or I/O: pure functions of a check's status and
 * of `now`, so that they are tested in fake time. The scheduler calls these and nothing else to
 * decide when a check runs.
 */
namespace schedule {

/** How checks run: in background loops at their interval (serve), or only when asked (check). */
enum class mode { background, on_demand };

/** True when a check runs in a background loop of its own under `m` (never a push check). */
bool loops(const check_config& c, mode m);

/**
 * True when an answer must wait for a run of this check at `now`: before its first result (joining
 * the run in flight), and for a check that does not loop, when its result is `reuse` old or older.
 * A looping check with a result never makes an answer wait, even while its next run is in flight.
 * A push check never does: it is never run.
 */
bool needs_run(const check_status& s, mode m, duration reuse, steady_clock::time_point now);

/** The widest jitter added to an interval: a tenth of it, at most a second. */
duration jitter_span(duration interval);

/** The interval a looping check runs at now: `interval_failing` while it is reported failing or
 * has not passed yet, else `interval`. */
duration interval_in_force(const check_status& s);

/**
 * The pause after a run of a looping check before its next: the interval in force plus `jitter`,
 * which is clamped to that interval's jitter span (the caller draws it, see `draw_jitter`).
 */
duration next_pause(const check_status& s, duration jitter);

/** A jitter drawn uniformly from [0, jitter_span(interval)]. */
duration draw_jitter(duration interval, std::mt19937_64& rng);

}  // namespace schedule
}  // namespace heartbeat
