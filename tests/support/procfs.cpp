#include "procfs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
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

namespace {

/** State letter and parent of every process /proc lists now. */
std::map<pid_t, std::pair<char, pid_t>> process_table() {
    std::map<pid_t, std::pair<char, pid_t>> table;
    DIR* d = ::opendir("/proc");
    if (!d) return table;
    while (dirent* e = ::readdir(d)) {
        if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
        // Plain read(2): a process may vanish while we read, and then it is just not listed.
        int fd =
            ::open((std::string("/proc/") + e->d_name + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        char buf[1024];
        ssize_t got = ::read(fd, buf, sizeof buf - 1);
        ::close(fd);
        if (got <= 0) continue;
        std::string text(buf, static_cast<std::size_t>(got));
        auto close = text.rfind(')');  // the command name may hold spaces and parentheses
        if (close == std::string::npos || close + 2 >= text.size()) continue;
        char state = 0;
        int ppid = 0;
        if (std::sscanf(text.c_str() + close + 2, "%c %d", &state, &ppid) == 2)
            table[static_cast<pid_t>(std::atoi(e->d_name))] = {state, static_cast<pid_t>(ppid)};
    }
    ::closedir(d);
    return table;
}

}  // namespace

int zombie_children(pid_t parent) {
    if (parent == 0) parent = ::getpid();
    int n = 0;
    for (auto& [pid, info] : process_table())
        if (info.second == parent && info.first == 'Z') ++n;
    return n;
}

std::vector<pid_t> descendants(pid_t root) {
    auto table = process_table();
    std::vector<pid_t> found;
    std::vector<pid_t> parents = {root};
    while (!parents.empty()) {
        pid_t parent = parents.back();
        parents.pop_back();
        for (auto& [pid, info] : table)
            if (info.second == parent) {
                found.push_back(pid);
                parents.push_back(pid);
            }
    }
    return found;
}

bool running(pid_t pid) {
    auto table = process_table();
    auto it = table.find(pid);
    return it != table.end() && it->second.first != 'Z';
}

}  // namespace heartbeat::test
