// heartbeat_test_helper: what the exec tests run. One mode per invocation:
//   exit N | sleep SECONDS | print TEXT | stderr TEXT | flood BYTES | json TEXT | env NAME | pwd |
//   grandchild SECONDS (forks a grandchild that ignores SIGTERM and sleeps, then exits 0 itself) |
//   stubborn SECONDS (ignores SIGTERM and sleeps) | fds (prints how many descriptors it holds)
#include <signal.h>
#include <unistd.h>

#include <dirent.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
    if (argc < 2) return 64;
    std::string mode = argv[1];
    std::string arg = argc > 2 ? argv[2] : "";
    if (mode == "exit") return std::atoi(arg.c_str());
    if (mode == "sleep") {
        ::usleep(static_cast<useconds_t>(std::atof(arg.c_str()) * 1e6));
        return 0;
    }
    if (mode == "print") {
        std::printf("%s\n", arg.c_str());
        return argc > 3 ? std::atoi(argv[3]) : 0;
    }
    if (mode == "stderr") {
        std::fprintf(stderr, "%s\n", arg.c_str());
        return argc > 3 ? std::atoi(argv[3]) : 0;
    }
    if (mode == "json") {
        std::fputs(arg.c_str(), stdout);
        return 0;
    }
    if (mode == "flood") {
        long long n = std::atoll(arg.c_str());
        std::string chunk(65536, 'x');
        for (long long sent = 0; n < 0 || sent < n; sent += static_cast<long long>(chunk.size()))
            if (std::fwrite(chunk.data(), 1, chunk.size(), stdout) != chunk.size()) return 1;
        std::printf("\nflood done\n");
        return 0;
    }
    if (mode == "env") {
        const char* v = std::getenv(arg.c_str());
        std::printf("%s\n", v ? v : "(unset)");
        return 0;
    }
    if (mode == "pwd") {
        char buf[4096];
        std::printf("%s\n", ::getcwd(buf, sizeof buf) ? buf : "?");
        return 0;
    }
    if (mode == "stubborn" || mode == "grandchild") {
        if (mode == "grandchild") {
            pid_t pid = ::fork();
            if (pid != 0) return 0;  // the parent exits at once; the grandchild is orphaned
        }
        ::signal(SIGTERM, SIG_IGN);
        ::usleep(static_cast<useconds_t>(std::atof(arg.c_str()) * 1e6));
        return 0;
    }
    if (mode == "fds") {
        int count = 0;
        if (DIR* d = ::opendir("/proc/self/fd")) {
            while (dirent* e = ::readdir(d))
                if (e->d_name[0] != '.') ++count;
            ::closedir(d);
        }
        std::printf("%d\n", count - 1);  // minus the one opendir holds
        return 0;
    }
    return 64;
}
