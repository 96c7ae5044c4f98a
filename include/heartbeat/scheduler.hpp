#pragma once

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include <boost/asio/cancellation_signal.hpp>

#include "heartbeat/check_status.hpp"
#include "heartbeat/schedule.hpp"

namespace heartbeat {

/** A check's status and the machinery that runs it; shared with the coroutines that run it. */
struct check_entry : check_status {
    check_entry(check_config c, net::any_io_executor ex);

    std::shared_ptr<net::steady_timer>
        run_done;                          // cancelled when the current run ends: wakes its waiters
    net::steady_timer sleep;               // the background loop waits on it between runs
    net::cancellation_signal stop_signal;  // ends the loop and the run in flight
    bool stopped = false;
    steady_clock::time_point report_due;  // push checks: a report must come by then
};

/** The clocks a scheduler stamps results with and decides by: the real ones, or a test's. */
struct scheduler_clocks {
    std::function<steady_clock::time_point()> steady = [] { return steady_clock::now(); };
    std::function<std::chrono::system_clock::time_point()> wall = [] {
        return std::chrono::system_clock::now();
    };
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

    /** `schedule::mode::on_demand` runs nothing by itself: every check runs when a request asks
     * (`heartbeatd check`). The clocks decide staleness and reuse, and date the results. */
    scheduler(net::any_io_executor ex, runner run, schedule::mode mode = schedule::mode::background,
              scheduler_clocks clocks = {});
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
    /** The same, as the read model answers are rendered from. */
    const status_list& statuses() const { return statuses_; }
    /** The entry of an enabled check, or null. */
    entry_ptr find(const std::string& name) const;

    /**
     * Makes sure each check `wanted` picks has a result fit to answer with: waits for first
     * results, runs on-demand checks whose result is older than `reuse` (sharing a run already in
     * flight). All at once. `wanted` is asked once per check, before anything waits.
     */
    net::awaitable<void> prepare(std::function<bool(const check_status&)> wanted);
    /** What became of a report (see `report`). */
    enum class report_outcome { recorded, unknown_check, not_push };
    /**
     * Records a push check's report as the result of a run, and gives it `ttl` more until the next
     * one. Any other check, or a check that is not enabled, is left as it is.
     */
    report_outcome report(const std::string& name, check_result r);

    /** A `wanted` that picks every check. */
    static bool every(const check_status&) { return true; }

    /** Changes whenever any reported result changes: keys caches of rendered answers. */
    std::uint64_t version() const { return version_; }

    /** Called on every change of a check's reported state (for logs). */
    std::function<void(const check_status&, const transition&)> on_transition;

    /** How long an on-demand result is reused. */
    duration reuse = std::chrono::seconds(1);

  private:
    net::awaitable<void> loop(entry_ptr e);
    net::awaitable<void> run_once(entry_ptr e);
    net::awaitable<void> watch_reports(entry_ptr e);
    void record(const entry_ptr& e, check_result r);
    void start(const entry_ptr& e);

    net::any_io_executor ex_;
    runner run_;
    schedule::mode mode_;
    scheduler_clocks clocks_;
    std::map<std::string, entry_ptr> by_name_;
    std::vector<entry_ptr> order_;
    status_list statuses_;  // order_, as statuses
    std::uint64_t version_ = 0;
    std::mt19937_64 rng_;
};

}  // namespace heartbeat
