#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/signal_set.hpp>

#include "heartbeat/asio.hpp"
#include "heartbeat/durations.hpp"

namespace heartbeat {

/** What to start: argv (argv[0] looked up in PATH when it has no '/'), extra environment, working
 * directory. */
struct spawn_request {
    std::vector<std::string> argv;
    std::map<std::string, std::string> env;
    std::optional<std::string> cwd;
};

/** A started child: its pid (also its process group id) and the read ends of its stdout and stderr.
 */
struct spawned {
    pid_t pid = -1;
    int out_fd = -1;
    int err_fd = -1;
};

/**
 * Starts a child in a process group of its own, stdin from /dev/null, stdout and stderr to pipes,
 * no descriptor of ours inherited, default signal dispositions and an empty signal mask.
 * Returns the child, or the errno of the failure (ENOENT for a missing program).
 */
std::variant<spawned, int> spawn_process(const spawn_request& req);

/**
 * Reaps every child of the process: the ones it watches (their exit status goes to whoever waits),
 * and any other, such as orphaned grandchildren handed to a subreaper or to PID 1, which are just
 * reaped. One SIGCHLD handler on the io_context thread, looping `waitpid(-1, WNOHANG)`.
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
    /** Kills every watched group, waits (blocking, at most `limit`) until each is reaped. For
     * shutdown. */
    void kill_all_and_reap(duration limit);
    /** Watched children still running. */
    std::size_t running() const;
    /** Children reaped that nobody watched (orphans). */
    std::uint64_t orphans_reaped() const { return orphans_; }

  private:
    net::awaitable<void> sigchld_loop();

    struct child {
        std::optional<int> status;
        std::shared_ptr<net::steady_timer> done;  // cancelled at exit: wakes the waiter
    };
    net::any_io_executor ex_;
    net::signal_set sigchld_;
    std::map<pid_t, child> children_;
    std::uint64_t orphans_ = 0;
};

}  // namespace heartbeat
