#include "procfs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

namespace heartbeat::test {

int open_fds(pid_t pid) {
    bool self = pid == 0;
    std::string dir = self ? "/proc/self/fd" : "/proc/" + std::to_string(pid) + "/fd";
    int n = 0;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d))
            if (e->d_name[0] != '.') ++n;
        ::closedir(d);
    }
    return self ? n - 1 : n;  // our own listing holds one
}

long resident_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
    return -1;
}

std::string proc_file(pid_t pid, const char* name) {
    // Plain read(2): a process may vanish while we read, and then it is just not listed.
    std::string text;
    int fd = ::open(("/proc/" + std::to_string(pid) + "/" + name).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return text;
    char buf[8192];
    for (ssize_t got; (got = ::read(fd, buf, sizeof buf)) > 0;)
        text.append(buf, static_cast<std::size_t>(got));
    ::close(fd);
    return text;
}

std::string environ_value(pid_t pid, const std::string& name) {
    std::string env = std::string(1, '\0') + proc_file(pid, "environ");
    std::string key = std::string(1, '\0') + name + "=";
    auto at = env.find(key);
    if (at == std::string::npos) return {};
    auto start = at + key.size();
    return env.substr(start, env.find('\0', start) - start);
}

std::vector<process_entry> process_table() {
    std::vector<process_entry> out;
    DIR* d = ::opendir("/proc");
    if (!d) return out;
    while (dirent* e = ::readdir(d)) {
        if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
        process_entry p;
        p.pid = std::atoi(e->d_name);
        auto text = proc_file(p.pid, "stat");
        auto close = text.rfind(')');  // the command name may hold spaces and parentheses
        if (close == std::string::npos || close + 2 >= text.size()) continue;
        if (std::sscanf(text.c_str() + close + 2, "%c %d", &p.state, &p.ppid) == 2)
            out.push_back(p);
    }
    ::closedir(d);
    return out;
}

std::vector<process_entry> descendants(const std::vector<process_entry>& table, pid_t root) {
    std::multimap<pid_t, const process_entry*> by_parent;
    for (const auto& p : table) by_parent.emplace(p.ppid, &p);
    std::vector<process_entry> out;
    std::vector<pid_t> todo{root};
    while (!todo.empty()) {
        pid_t parent = todo.back();
        todo.pop_back();
        auto [first, last] = by_parent.equal_range(parent);
        for (auto it = first; it != last; ++it) {
            out.push_back(*it->second);
            todo.push_back(it->second->pid);
        }
    }
    return out;
}

std::vector<pid_t> descendants(pid_t root) {
    std::vector<pid_t> found;
    for (const auto& p : descendants(process_table(), root)) found.push_back(p.pid);
    return found;
}

std::vector<pid_t> processes_with(const std::string& token) {
    std::vector<pid_t> out;
    for (const auto& p : process_table()) {
        if (p.state == 'Z') continue;
        if (proc_file(p.pid, "cmdline").find(token) != std::string::npos ||
            proc_file(p.pid, "environ").find(token) != std::string::npos)
            out.push_back(p.pid);
    }
    return out;
}

kill_at_exit::~kill_at_exit() {
    for (pid_t pid : processes_with(token)) ::kill(pid, SIGKILL);
}

int zombie_children(pid_t parent) {
    if (parent == 0) parent = ::getpid();
    int n = 0;
    for (const auto& p : process_table()) n += p.ppid == parent && p.state == 'Z';
    return n;
}

bool running(pid_t pid) {
    for (const auto& p : process_table())
        if (p.pid == pid) return p.state != 'Z';
    return false;
}

}  // namespace heartbeat::test
