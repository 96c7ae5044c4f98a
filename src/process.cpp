#include "heartbeat/process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <set>
#include <thread>

#include <fmt/format.h>

extern char** environ;

namespace heartbeat {

namespace {

constexpr auto sweep_period = std::chrono::milliseconds(10);
constexpr auto sweep_limit = std::chrono::seconds(5);
// How long a child whose environment reads as empty may still be one that has not shown it yet.
constexpr auto blank_grace = std::chrono::seconds(1);

/** A /proc file read with read(2), about `cap` bytes at most; empty when it cannot be read (the
 * process may have gone meanwhile). */
std::string read_proc(const std::string& path, std::size_t cap = 1 << 16) {
    std::string text;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return text;
    // Large reads: a list that changes between two reads of a /proc file may skip an entry.
    char buf[16384];
    for (ssize_t got; text.size() < cap && (got = ::read(fd, buf, sizeof buf)) > 0;)
        text.append(buf, static_cast<std::size_t>(got));
    ::close(fd);
    return text;
}

/** The parent of `pid` from /proc/PID/stat; 0 when the process is gone. */
pid_t parent_of(pid_t pid) {
    auto text = read_proc(fmt::format("/proc/{}/stat", pid));
    auto close = text.rfind(')');  // the command name may hold spaces and parentheses
    int ppid = 0;
    if (close == std::string::npos || close + 2 >= text.size() ||
        std::sscanf(text.c_str() + close + 2, "%*c %d", &ppid) != 1)
        return 0;
    return ppid;
}

/**
 * The environment `pid` was started with (what it later changes in its own memory does not show:
 * a marker survives unsetenv(), not an exec with a new environment). Empty for a process that is
 * dead or dying, and for a moment during an exec, until the new environment is in place.
 */
std::string environ_of(pid_t pid) {
    std::string text(1, '\0');  // every entry then starts after a NUL, the first one too
    text += read_proc(fmt::format("/proc/{}/environ", pid), 1 << 22);
    return text.size() > 1 ? text : std::string();
}

/** The value of the run marker in an environment read by environ_of(). */
std::optional<std::string> marker_in(const std::string& env) {
    std::string key(1, '\0');
    key.append(run_marker_variable).push_back('=');
    auto at = env.find(key);
    if (at == std::string::npos) return std::nullopt;
    auto start = at + key.size();
    return env.substr(start, env.find('\0', start) - start);
}

std::vector<pid_t> parse_pids(const std::string& text) {
    std::vector<pid_t> out;
    const char* p = text.c_str();
    char* end = nullptr;
    for (long v = std::strtol(p, &end, 10); end != p; v = std::strtol(p, &end, 10)) {
        out.push_back(static_cast<pid_t>(v));
        p = end;
    }
    return out;
}

/** Children by scanning every process's parent: for kernels without /proc/PID/task/TID/children. */
std::vector<pid_t> scan_for_children() {
    std::vector<pid_t> out;
    DIR* d = ::opendir("/proc");
    if (!d) return out;
    pid_t self = ::getpid();
    while (dirent* e = ::readdir(d)) {
        if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
        pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
        if (parent_of(pid) == self) out.push_back(pid);
    }
    ::closedir(d);
    return out;
}

}  // namespace

std::vector<pid_t> child_pids() {
    // A child may belong to any of our threads (an orphan is handed to whichever thread the kernel
    // picks), so every thread's list is read.
    std::vector<pid_t> out;
    DIR* d = ::opendir("/proc/self/task");
    if (!d) return scan_for_children();
    bool listed = false;
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        std::string path = std::string("/proc/self/task/") + e->d_name + "/children";
        if (::access(path.c_str(), R_OK) != 0) continue;
        listed = true;
        auto pids = parse_pids(read_proc(path, 1 << 22));
        out.insert(out.end(), pids.begin(), pids.end());
    }
    ::closedir(d);
    if (!listed) return scan_for_children();
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

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

namespace {

/** The file posix_spawnp runs for `program`: itself when it holds a '/', else the first match
 * along PATH (glibc's default path when PATH is unset). */
std::optional<std::string> program_file(const std::string& program) {
    if (program.find('/') != std::string::npos) return program;
    const char* path = ::getenv("PATH");
    std::string_view dirs = path ? path : "/bin:/usr/bin";
    for (;;) {
        auto colon = dirs.find(':');
        std::string dir(dirs.substr(0, colon));
        auto candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
        if (::access(candidate.c_str(), F_OK) == 0) return candidate;
        if (colon == std::string_view::npos) return std::nullopt;
        dirs.remove_prefix(colon + 1);
    }
}

/** The interpreter a script's `#!` line names, as the kernel reads it (up to a space, a tab or the
 * end of the line; a carriage return is part of the name), from its first 256 bytes. */
std::optional<std::string> shebang_interpreter(const std::string& file) {
    // Non-blocking: a FIFO in the program's place must not hold the I/O thread.
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return std::nullopt;
    char buf[256];
    ssize_t got = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (got < 2 || buf[0] != '#' || buf[1] != '!') return std::nullopt;
    std::string_view line(buf + 2, static_cast<std::size_t>(got) - 2);
    line = line.substr(0, line.find('\n'));
    auto start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) return std::nullopt;
    line = line.substr(start);
    return std::string(line.substr(0, line.find_first_of(" \t")));
}

/** A path as it can be shown on one line: control characters escaped. */
std::string printable(std::string_view path) {
    std::string out;
    for (unsigned char ch : path) {
        if (ch < 0x20 || ch == 0x7f)
            out += ch == '\r' ? std::string("\\r") : fmt::format("\\x{:02x}", ch);
        else
            out += static_cast<char>(ch);
    }
    return out;
}

constexpr std::string_view sidecar_advice =
    "; an application's own commands cannot run in a sidecar's container: check the application "
    "through an http check of its health URL or a file check of a file it touches";

/** Why a program that is not there cannot run: a path names where it is missing; a bare name was
 * looked up in PATH, which in heartbeatd's default image holds nothing but heartbeatd. */
std::string missing_program(const std::string& program) {
    if (program.find('/') != std::string::npos)
        return fmt::format("{} does not exist here{}", printable(program), sidecar_advice);
    const char* path = std::getenv("PATH");
    return fmt::format(
        "no {} in PATH ({}); in a container, the program must be in heartbeatd's image: the "
        "default image has only heartbeatd, the tools image adds pg_isready, redis-cli, "
        "mysqladmin and curl",
        printable(program), path ? printable(path) : std::string("unset"));
}

/** What is wrong with the interpreter `interpreter` of a script that failed to start with
 * `error`; nullopt when it looks runnable (the failure is then the script's own). */
std::optional<std::string> interpreter_problem(const std::string& interpreter, int error) {
    auto named = fmt::format("its interpreter {} (from its #! line)", printable(interpreter));
    struct stat st {};
    if (::stat(interpreter.c_str(), &st) != 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            return fmt::format("{} cannot be reached: {}", named, std::strerror(errno));
        std::string what = named + " does not exist here";
        if (interpreter.ends_with('\r'))
            what += ": the script has Windows line endings (CRLF); convert it to LF";
        char target[512];
        if (auto n = ::readlink(interpreter.c_str(), target, sizeof target - 1); n > 0)
            what += fmt::format(" (it is a link to {}, which does not exist here)",
                                printable(std::string_view(target, static_cast<std::size_t>(n))));
        // The usual cause: a command of the application's image (a virtualenv's script) run in
        // heartbeatd's own container, which has none of the application's files.
        return what + std::string(sidecar_advice);
    }
    if (::access(interpreter.c_str(), X_OK) != 0)
        return fmt::format("{} cannot be executed: {}", named, std::strerror(errno));
    if (error == ENOENT || error == ENOEXEC)
        // It exists and may be executed, yet the kernel cannot start it: a binary built for another
        // system, whose loader or format this one lacks.
        return fmt::format("{} exists but cannot start here: {}", named, std::strerror(error));
    return std::nullopt;
}

}  // namespace

std::string describe_spawn_failure(const spawn_request& req, int error) {
    std::string plain = std::strerror(error);
    if (req.argv.empty() || req.argv[0].empty()) return plain;
    if (req.cwd && (error == ENOENT || error == ENOTDIR || error == EACCES)) {
        struct stat st {};
        if (::stat(req.cwd->c_str(), &st) != 0)
            return fmt::format("its working directory {} (cwd): {}", printable(*req.cwd),
                               std::strerror(errno));
        if (!S_ISDIR(st.st_mode))
            return fmt::format("its working directory {} (cwd) is not a directory",
                               printable(*req.cwd));
    }
    if (error != ENOENT && error != ENOEXEC && error != EACCES) return plain;
    auto file = program_file(req.argv[0]);
    if (!file) return error == ENOENT ? missing_program(req.argv[0]) : plain;
    if (req.cwd && !file->starts_with('/'))
        *file = *req.cwd + "/" + *file;  // the child looks for it after entering its cwd
    if (error == ENOENT && ::access(file->c_str(), F_OK) != 0 && errno == ENOENT)
        return missing_program(*file);
    auto interpreter = shebang_interpreter(*file);
    if (!interpreter) return plain;
    // A script that may not be executed itself is the script's fault, whatever its interpreter.
    if (::access(file->c_str(), X_OK) != 0) return plain;
    return interpreter_problem(*interpreter, error).value_or(plain);
}

signals_blocked::signals_blocked() {
    sigset_t handled;
    ::sigemptyset(&handled);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2}) ::sigaddset(&handled, sig);
    ::pthread_sigmask(SIG_BLOCK, &handled, &old_);
}

signals_blocked::~signals_blocked() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

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
        } else if (auto id = marker_in(env)) {
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
    for (;;) {
        reap_now();
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
