#include "heartbeat/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

extern char** environ;

namespace heartbeat {

std::variant<spawned, int> spawn_process(const spawn_request& req) {
    if (req.argv.empty() || req.argv[0].empty()) return ENOENT;
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return errno;
    if (::pipe2(err, O_CLOEXEC) != 0) {
        int e = errno;
        ::close(out[0]);
        ::close(out[1]);
        return e;
    }

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    // Asio opens sockets without O_CLOEXEC: close everything past stdio so no listener or
    // connection of ours leaks into a check's command.
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    if (req.cwd) posix_spawn_file_actions_addchdir_np(&fa, req.cwd->c_str());

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr,
                              0);  // its own group: a timeout kills the command and all it started
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
        std::string_view kv(*e);
        auto name = kv.substr(0, kv.find('='));
        if (!req.env.count(std::string(name))) env_strings.emplace_back(kv);
    }
    for (const auto& [k, v] : req.env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = req.argv;
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(out[1]);
    ::close(err[1]);
    if (rc != 0) {
        ::close(out[0]);
        ::close(err[0]);
        return rc;
    }
    return spawned{pid, out[0], err[0]};
}

process_reaper::process_reaper(net::any_io_executor ex) : ex_(ex), sigchld_(ex, SIGCHLD) {
    net::co_spawn(ex_, sigchld_loop(), net::detached);
    reap_now();  // children that exited before the handler was installed
}

process_reaper::~process_reaper() {
    boost::system::error_code ignored;
    sigchld_.cancel(ignored);
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

void process_reaper::reap_now() {
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0) return;  // none ready, or no children at all
        auto it = children_.find(pid);
        if (it == children_.end()) {
            ++orphans_;  // a grandchild handed to us, or a child nobody waits for: reaped, nothing
                         // more
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

void process_reaper::kill_all_and_reap(duration limit) {
    signal_all(SIGKILL);
    auto deadline = steady_clock::now() + limit;
    while (running() > 0 && steady_clock::now() < deadline) {
        reap_now();
        if (running() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    reap_now();
}

}  // namespace heartbeat
