#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/signal_set.hpp>

#include "heartbeat/asio.hpp"
#include "heartbeat/durations.hpp"

namespace heartbeat {

/** The variable that tags every process of one exec run: its value is that run's id. */
inline constexpr std::string_view run_marker_variable = "HEARTBEAT_RUN";

/**
 * Reaps the children it watches (their exit status goes to whoever waits) and, in a process that
 * adopts orphans (a subreaper, or PID 1), every other child too, such as orphaned grandchildren,
 * which are just reaped. One SIGCHLD handler on the io_context thread, looping
 * `waitpid(-1, WNOHANG)`; without orphans to adopt it waits for its own children only, and leaves
 * the rest of the process's children to whoever started them.
 */
class process_reaper {
  public:
    explicit process_reaper(net::any_io_executor ex);
    ~process_reaper();
    process_reaper(const process_reaper&) = delete;
    process_reaper& operator=(const process_reaper&) = delete;

    /** Makes this process the reaper of its orphaned descendants (PR_SET_CHILD_SUBREAPER). */
    static bool become_subreaper();

    /** Starts watching `pid`. Call right after spawning, before any co_await, so no exit is missed.
     */
    void watch(pid_t pid);
    /** Waits for a watched child's exit; its raw wait status. Cancellable. */
    net::awaitable<std::optional<int>> wait_exit(pid_t pid);
    /** Stops watching a child whose exit has been collected. */
    void forget(pid_t pid);
    /** Sends `sig` to the process group of every watched child still running. */
    void signal_all(int sig);
    /** Collects every exit that is ready now. */
    void reap_now();
    /** A fresh run id for `run_marker_variable`: unique among the runs of this process. */
    std::string next_run_id();
    /**
     * Kills what a run left behind, now and every few milliseconds until nothing is left (at most a
     * few seconds): its process group `pgid`, and every orphan adopted since that carries
     * `run_id` in its environment. Killing an orphan hands its own children to us, hence the loop.
     */
    void sweep(pid_t pgid, std::string run_id);
    /** Runs whose leftovers are still being swept. */
    std::size_t sweeping() const { return sweeps_.size(); }
    /** Processes killed because a finished run had left them running. */
    std::uint64_t leftovers_killed() const { return leftovers_; }
    /**
     * Kills every watched group and, in a process that adopts orphans, every other child, again
     * and again until none is left: each kill hands the victim's children to us. Blocks at most
     * `limit`. For shutdown. Returns how many children besides the watched ones it killed.
     */
    std::size_t kill_all_and_reap(duration limit);
    /** Watched children still running. */
    std::size_t running() const;
    /** Children reaped that nobody watched (orphans). */
    std::uint64_t orphans_reaped() const { return orphans_; }

  private:
    void reap_watched();
    net::awaitable<void> sigchld_loop();
    net::awaitable<void> sweep_loop();
    void sweep_step();

    struct child {
        std::optional<int> status;
        std::shared_ptr<net::steady_timer> done;  // cancelled at exit: wakes the waiter
    };
    net::any_io_executor ex_;
    net::signal_set sigchld_;
    /** One finished run whose leftovers are being killed. */
    struct sweep_state {
        pid_t pgid;
        std::string run_id;
        steady_clock::time_point give_up;
        bool group_gone = false;
        std::vector<pid_t> killed;  // tagged orphans sent SIGKILL and not yet reaped
    };
    std::map<pid_t, child> children_;
    std::vector<sweep_state> sweeps_;
    // Children whose environment read as empty, since when: they keep a sweep looking a while.
    std::map<pid_t, steady_clock::time_point> blank_since_;
    net::steady_timer sweep_timer_;
    bool sweep_loop_running_ = false;
    std::uint64_t orphans_ = 0;
    std::uint64_t leftovers_ = 0;
    std::uint64_t runs_ = 0;
};

}  // namespace heartbeat
