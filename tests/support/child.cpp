#include "child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <boost/test/unit_test.hpp>

extern char** environ;

namespace heartbeat::test {

namespace {
int pidfd_open(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

std::vector<std::string> merged_env(const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> all;
    for (char** e = environ; *e; ++e) {
        std::string kv = *e;
        auto eq = kv.find('=');
        if (eq != std::string::npos) all[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (auto& [k, v] : extra) all[k] = v;
    std::vector<std::string> out;
    for (auto& [k, v] : all) out.push_back(k + "=" + v);
    return out;
}

void drain(int fd, std::string& into) {
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) return;
        into.append(buf, static_cast<std::size_t>(n));
    }
}
}  // namespace

child::child(std::vector<std::string> argv, std::map<std::string, std::string> env,
             const std::string& cwd)
    : program_(argv.at(0)) {
    int err[2], out[2];
    if (::pipe2(err, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    auto envs = merged_env(env);
    std::vector<char*> envp;
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    int rc = ::posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    ::close(err[1]);
    ::close(out[1]);
    if (rc != 0) throw std::runtime_error("posix_spawn " + argv[0]);
    err_fd_ = err[0];
    out_fd_ = out[0];
    // The daemon logs synchronously: a full pipe would stop it until the test reads. A large pipe
    // holds what a thousand checks log between two reads.
    ::fcntl(err_fd_, F_SETPIPE_SZ, 1 << 20);
    ::fcntl(err_fd_, F_SETFL, O_NONBLOCK);
    ::fcntl(out_fd_, F_SETFL, O_NONBLOCK);
    pidfd_ = pidfd_open(pid_);
}

child::~child() {
    if (!exit_) {
        ::kill(pid_, SIGKILL);
        wait_exit(10000);
    }
    ::close(err_fd_);
    ::close(out_fd_);
    if (pidfd_ >= 0) ::close(pidfd_);
    // A race or a leak in a sanitized child would otherwise go unseen: tests read its stderr only
    // for what they look for.
    for (const char* report : {"WARNING: ThreadSanitizer", "ERROR: AddressSanitizer",
                               "ERROR: LeakSanitizer", ": runtime error: "})
        if (auto at = err_.find(report); at != std::string::npos) {
            BOOST_ERROR(program_ << " reported a sanitizer error:\n" << err_.substr(at, 8000));
            break;
        }
}

void child::signal(int sig) const {
    ::kill(pid_, sig);
}

bool child::pump(int timeout_ms) {
    pollfd p[2] = {{err_fd_, POLLIN, 0}, {out_fd_, POLLIN, 0}};
    int n = ::poll(p, 2, timeout_ms);
    if (n <= 0) return false;
    drain(err_fd_, err_);
    drain(out_fd_, out_);
    return true;
}

const std::string& child::stderr_text() {
    drain(err_fd_, err_);
    return err_;
}

std::optional<std::smatch> child::wait_for_line(const std::regex& re, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        drain(err_fd_, err_);
        // Look at complete lines not yet matched.
        while (true) {
            auto nl = err_.find('\n', scanned_);
            if (nl == std::string::npos) break;
            matched_line_ = err_.substr(scanned_, nl - scanned_);
            scanned_ = nl + 1;
            std::smatch m;
            if (std::regex_search(matched_line_, m, re)) return m;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        pollfd p{err_fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
        if (p.revents & (POLLHUP | POLLERR) && !(p.revents & POLLIN)) return std::nullopt;
    }
}

std::optional<int> child::wait_exit(int timeout_ms) {
    if (exit_) return exit_;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            drain(err_fd_, err_);
            drain(out_fd_, out_);
            return exit_;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        // The pidfd becomes readable when the process exits; meanwhile keep its pipes from filling
        // up.
        pollfd p[3] = {{pidfd_, POLLIN, 0}, {err_fd_, POLLIN, 0}, {out_fd_, POLLIN, 0}};
        ::poll(p, 3, static_cast<int>(left.count()));
        drain(err_fd_, err_);
        drain(out_fd_, out_);
    }
}

run_result run(std::vector<std::string> argv, std::map<std::string, std::string> env,
               int timeout_ms) {
    child c(std::move(argv), std::move(env));
    run_result r;
    auto code = c.wait_exit(timeout_ms);
    r.code = code.value_or(-1);
    r.out = c.stdout_text();
    r.err = c.stderr_text();
    return r;
}

bool poll_until(const std::function<bool()>& fn, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        if (fn()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        ::poll(nullptr, 0, 20);
    }
}

temp_dir::temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "heartbeat-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
    path_ = tmpl;
}

temp_dir::~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::string temp_dir::write(const std::string& name, const std::string& text) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
}

}  // namespace heartbeat::test
