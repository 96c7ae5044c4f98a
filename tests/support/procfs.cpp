#include "procfs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <fstream>
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

int zombie_children(pid_t parent) {
    if (parent == 0) parent = ::getpid();
    int n = 0;
    DIR* d = ::opendir("/proc");
    if (!d) return 0;
    while (dirent* e = ::readdir(d)) {
        if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
        // Plain read(2): a process may vanish while we read, and that is just "not a zombie of
        // ours".
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
        if (std::sscanf(text.c_str() + close + 2, "%c %d", &state, &ppid) == 2 && ppid == parent &&
            state == 'Z')
            ++n;
    }
    ::closedir(d);
    return n;
}

}  // namespace heartbeat::test
