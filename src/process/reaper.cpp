#include "heartbeat/process/reaper.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "heartbeat/process/children.hpp"

namespace heartbeat {

namespace {

constexpr auto sweep_period = std::chrono::milliseconds(10);
constexpr auto sweep_limit = std::chrono::seconds(5);
// How long a child whose environment reads as empty may still be one that has not shown it yet.
constexpr auto blank_grace = std::chrono::seconds(1);

}  // namespace

process_reaper::process_reaper(net::any_io_executor ex)
    : ex_(ex), sigchld_(ex, SIGCHLD), sweep_timer_(ex) {
    net::co_spawn(ex_, sigchld_loop(), net::detached);
    reap_now();  // children that exited before the handler was installed
}

process_reaper::~process_reaper() {
    boost::system::error_code ignored;
    sigchld_.cancel(ignored);
    sweep_timer_.cancel();
}

bool process_reaper::become_subreaper() {
    return ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
}

void process_reaper::watch(pid_t pid) {
    children_[pid] = child{
        std::nullopt, std::make_shared<net::steady_timer>(ex_, steady_clock::time_point::max())};
}

net::awaitable<std::optional<int>> process_reaper::wait_exit(pid_t pid) {
    auto it = children_.find(pid);
    if (it == children_.end()) co_return std::nullopt;
    if (!it->second.status) {
        auto done = it->second.done;
        co_await done->async_wait(use_nothrow);
        it = children_.find(pid);
        if (it == children_.end()) co_return std::nullopt;
    }
    co_return it->second.status;
}

void process_reaper::forget(pid_t pid) {
    children_.erase(pid);
}

void process_reaper::signal_all(int sig) {
    for (auto& [pid, c] : children_)
        if (!c.status) ::kill(-pid, sig);
}

std::size_t process_reaper::running() const {
    std::size_t n = 0;
    for (auto& [pid, c] : children_) n += !c.status;
    return n;
}

namespace {

/** True when orphans are handed to this process (a subreaper, or PID 1): every child is then ours
 * to reap. Otherwise (a program that embeds the reaper, such as a test) its other children belong
 * to someone else, who will wait for them. */
bool adopts_orphans() {
    if (::getpid() == 1) return true;
    int flag = 0;
    return ::prctl(PR_GET_CHILD_SUBREAPER, &flag) == 0 && flag != 0;
}

}  // namespace

void process_reaper::reap_watched() {
    for (auto& [pid, c] : children_) {
        int status = 0;
        if (c.status || ::waitpid(pid, &status, WNOHANG) != pid) continue;
        c.status = status;
        c.done->cancel();
    }
}

void process_reaper::reap_now() {
    if (!adopts_orphans()) return reap_watched();
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0) return;  // none ready, or no children at all
        auto it = children_.find(pid);
        if (it == children_.end()) {
            ++orphans_;  // a grandchild handed to us, or a child nobody waits for: reaped only
            continue;
        }
        it->second.status = status;
        it->second.done->cancel();
    }
}

net::awaitable<void> process_reaper::sigchld_loop() {
    for (;;) {
        auto [ec, sig] = co_await sigchld_.async_wait(use_nothrow);
        if (ec) co_return;
        // Signals coalesce: one SIGCHLD may stand for many exits, so collect all that are ready.
        reap_now();
    }
}

std::string process_reaper::next_run_id() {
    return fmt::format("{}.{}", ::getpid(), ++runs_);
}

void process_reaper::sweep(pid_t pgid, std::string run_id) {
    // The group at once; what escaped it at the next step, which also serves every run that ends
    // meanwhile: a burst of runs costs one look at /proc, not one each.
    bool group_gone = ::kill(-pgid, SIGKILL) != 0;
    sweeps_.push_back({pgid, std::move(run_id), steady_clock::now() + sweep_limit, group_gone, {}});
    if (!sweep_loop_running_) {
        sweep_loop_running_ = true;
        net::co_spawn(ex_, sweep_loop(), net::detached);
    }
}

net::awaitable<void> process_reaper::sweep_loop() {
    for (;;) {
        sweep_step();
        if (sweeps_.empty()) break;
        sweep_timer_.expires_after(sweep_period);
        auto [ec] = co_await sweep_timer_.async_wait(use_nothrow);
        if (ec) co_return;  // the reaper is going away: touch nothing of it
    }
    sweep_loop_running_ = false;
}

void process_reaper::sweep_step() {
    // Reap first: an orphan reaped now had handed its children to us before it died, so the scan
    // below sees them.
    reap_now();
    std::multimap<std::string, pid_t> tagged;
    std::set<pid_t> present;
    bool transit = false;  // a child whose run cannot be told yet: look again before giving up
    auto now = steady_clock::now();
    for (pid_t pid : child_pids()) {
        present.insert(pid);
        if (children_.count(pid)) continue;  // a command still running: its own run ends it
        auto env = environ_of(pid);
        if (env.empty()) {
            // Dying (it may be about to hand us its children), mid-exec, or really started with
            // no environment at all: only the last stays blank for long.
            transit |= now - blank_since_.try_emplace(pid, now).first->second < blank_grace;
        } else if (auto id = environ_variable(env, run_marker_variable)) {
            tagged.emplace(std::move(*id), pid);
        }
    }
    std::erase_if(blank_since_, [&](auto& b) { return !present.count(b.first); });
    std::erase_if(sweeps_, [&](sweep_state& s) {
        // Once the group is gone, its id may be reused: it is never signalled again.
        if (!s.group_gone) s.group_gone = ::kill(-s.pgid, SIGKILL) != 0;
        std::erase_if(s.killed, [&](pid_t p) { return !present.count(p); });
        auto [first, last] = tagged.equal_range(s.run_id);
        for (auto it = first; it != last; ++it) {
            ::kill(it->second, SIGKILL);
            if (std::find(s.killed.begin(), s.killed.end(), it->second) == s.killed.end()) {
                s.killed.push_back(it->second);
                ++leftovers_;
            }
        }
        bool done = s.group_gone && s.killed.empty() && first == last && !transit;
        return done || now >= s.give_up;
    });
    if (sweeps_.empty()) blank_since_.clear();  // a pid seen later may be another process
}

std::size_t process_reaper::kill_all_and_reap(duration limit) {
    signal_all(SIGKILL);
    for (auto& s : sweeps_)
        if (!s.group_gone) ::kill(-s.pgid, SIGKILL);
    sweeps_.clear();
    std::set<pid_t> others;
    auto deadline = steady_clock::now() + limit;
    bool every_child = adopts_orphans();
    for (;;) {
        reap_now();
        if (!every_child) {
            // Only the watched ones are ours; they were killed above.
            if (running() == 0 || steady_clock::now() >= deadline) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            continue;
        }
        auto kids = child_pids();
        if (kids.empty() || steady_clock::now() >= deadline) break;
        for (pid_t pid : kids) {
            ::kill(pid, SIGKILL);
            if (!children_.count(pid)) others.insert(pid);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return others.size();
}

}  // namespace heartbeat
