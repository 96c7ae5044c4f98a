#include "heartbeat/process/children.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

namespace heartbeat {

namespace {

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

/** The numbers of a space-separated list, such as a `children` file. */
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

std::string environ_of(pid_t pid) {
    std::string text(1, '\0');  // every entry then starts after a NUL, the first one too
    text += read_proc(fmt::format("/proc/{}/environ", pid), 1 << 22);
    return text.size() > 1 ? text : std::string();
}

std::optional<std::string> environ_variable(const std::string& env, std::string_view name) {
    std::string key(1, '\0');
    key.append(name).push_back('=');
    auto at = env.find(key);
    if (at == std::string::npos) return std::nullopt;
    auto start = at + key.size();
    return env.substr(start, env.find('\0', start) - start);
}

}  // namespace heartbeat
