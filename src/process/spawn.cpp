#include "heartbeat/process/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

extern char** environ;

namespace heartbeat {

namespace {

/** Its descriptors: stdin from /dev/null, stdout and stderr to the pipes, none other of ours. */
void init_file_actions(posix_spawn_file_actions_t& fa, int out, int err,
                       const std::optional<std::string>& cwd) {
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    posix_spawn_file_actions_adddup2(&fa, err, 2);
    // Asio opens sockets without O_CLOEXEC: close everything past stdio so no listener or
    // connection of ours leaks into a check's command.
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    if (cwd) posix_spawn_file_actions_addchdir_np(&fa, cwd->c_str());
}

/** A process group of its own (a timeout kills the command and all it started), an empty signal
 * mask and default dispositions. */
void init_attributes(posix_spawnattr_t& attr) {
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

/** Our environment with `extra` added, each of its variables replacing ours of the same name. */
std::vector<std::string> environment_with(const std::map<std::string, std::string>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string_view kv(*e);
        auto name = kv.substr(0, kv.find('='));
        if (!extra.count(std::string(name))) env.emplace_back(kv);
    }
    for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
    return env;
}

/** The null-ended array of pointers that exec takes, into `strings` (valid while they are). */
std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

}  // namespace

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
    init_file_actions(fa, out[1], err[1], req.cwd);
    posix_spawnattr_t attr;
    init_attributes(attr);
    auto env = environment_with(req.env);
    auto envp = c_strings(env);
    auto args = req.argv;
    auto argv = c_strings(args);

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

}  // namespace heartbeat
