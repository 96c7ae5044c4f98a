#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include <boost/asio/cancellation_signal.hpp>

#include "heartbeat/check.hpp"
#include "heartbeat/health_state.hpp"

namespace heartbeat {

/** One configured check and everything known about it; shared with the coroutines that run it. */
struct check_entry {
    check_entry(check_config c, net::any_io_executor ex);

    check_config cfg;
    health_state state;
    check_result last;                                 // the latest run's outcome
    std::chrono::system_clock::time_point checked_at;  // wall time of the latest run
    std::chrono::system_clock::time_point since;       // wall time of the latest reported change
    std::uint64_t runs_ok = 0;
    std::uint64_t runs_failed = 0;

    /** A check's rendered entry in one probe's body, kept until its result changes (see
     * probe_cache). */
    struct rendered_entry {
        bool valid = false;
        std::uint64_t runs = 0;
        bool stale = false;
        bool running = false;
        bool ok = false;
        std::string text;  // `"name":{...}`
    };
    std::array<rendered_entry, 4> rendered;  // by probe

    bool running = false;
    std::shared_ptr<net::steady_timer>
        run_done;                          // cancelled when the current run ends: wakes its waiters
    net::steady_timer sleep;               // the background loop waits on it between runs
    net::cancellation_signal stop_signal;  // ends the loop and the run in flight
    bool stopped = false;
};

using entry_ptr = std::shared_ptr<check_entry>;

/**
 * Runs the checks: a background loop per check with an interval, single-flight on-demand runs for
 * the others, and first-result waits. One io_context thread owns all of it: no locks.
 */
class scheduler {
  public:
    /** Runs one check once, bounded by its timeout. */
    using runner = std::function<net::awaitable<check_result>(check_config)>;

    /** `background = false` runs nothing by itself: every check runs when a request asks
     * (`heartbeatd check`). */
    scheduler(net::any_io_executor ex, runner run, bool background = true);
    ~scheduler();
    scheduler(const scheduler&) = delete;
    scheduler& operator=(const scheduler&) = delete;

    /** Makes the configured checks the running ones: unchanged checks keep their state, removed
     * ones stop. */
    void apply(const std::vector<check_config>& checks);
    /** Stops every loop and cancels every run in flight. */
    void stop();

    /** The enabled checks, in config order. */
    const std::vector<entry_ptr>& entries() const { return order_; }
    /** The entry of an enabled check, or null. */
    entry_ptr find(const std::string& name) const;

    /**
     * Makes sure each of `needed` has a result fit to answer with: waits for first results, runs
     * on-demand checks whose result is older than `reuse` (sharing a run already in flight). All at
     * once.
     */
    net::awaitable<void> prepare(std::vector<entry_ptr> needed);

    /** Changes whenever any reported result changes: keys caches of rendered answers. */
    std::uint64_t version() const { return version_; }

    /** Called on every change of a check's reported state (for logs). */
    std::function<void(const check_entry&, const transition&)> on_transition;
    /** Called after every run (for metrics). */
    std::function<void(const check_entry&)> on_run;

    /** How long an on-demand result is reused. */
    duration reuse = std::chrono::seconds(1);

  private:
    net::awaitable<void> loop(entry_ptr e);
    net::awaitable<void> run_once(entry_ptr e);
    bool needs_run(const check_entry& e, steady_clock::time_point now) const;
    void start(const entry_ptr& e);
    duration jitter(duration interval);

    net::any_io_executor ex_;
    runner run_;
    bool background_;
    std::map<std::string, entry_ptr> by_name_;
    std::vector<entry_ptr> order_;
    std::uint64_t version_ = 0;
    std::mt19937_64 rng_;
};

}  // namespace heartbeat
