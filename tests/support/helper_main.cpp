// heartbeat_test_helper: what the exec tests run. One mode per invocation:
//   exit N | sleep SECONDS | print TEXT | stderr TEXT | flood BYTES | json TEXT | env NAME | pwd |
//   grandchild SECONDS (forks a grandchild that ignores SIGTERM and sleeps, then exits 0 itself) |
//   stubborn SECONDS (ignores SIGTERM and sleeps) | fds (prints how many descriptors it holds) |
//   daemonise SECONDS [keep-stdout] (setsid + double fork: the grandchild ignores SIGTERM and
//     sleeps, with stdio on /dev/null unless keep-stdout; prints the grandchild's pid, exits 0) |
//   close-stdout SECONDS (closes stdout and stderr, then sleeps) |
//   forks N SECONDS stay|exit|escape (forks N children that ignore SIGTERM and sleep, each first
//     leaving the group with setsid if escape; once all have started, it sleeps too if stay, else
//     exits 0)
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

void sleep_seconds(const char* text) {
    ::usleep(static_cast<useconds_t>(std::atof(text) * 1e6));
}

/** The classic daemon: setsid in a child, fork again, the middle one exits. */
int daemonise(const char* seconds, bool keep_stdout) {
    int report[2];
    if (::pipe(report) != 0) return 1;
    pid_t middle = ::fork();
    if (middle < 0) return 1;
    if (middle == 0) {
        ::setsid();
        pid_t grandchild = ::fork();
        if (grandchild != 0) _exit(grandchild > 0 ? 0 : 1);
        ::signal(SIGTERM, SIG_IGN);
        pid_t self = ::getpid();
        if (::write(report[1], &self, sizeof self) != sizeof self) _exit(1);
        ::close(report[0]);
        ::close(report[1]);
        int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0);
        if (!keep_stdout) {
            ::dup2(null, 1);
            ::dup2(null, 2);
        }
        sleep_seconds(seconds);
        _exit(0);
    }
    ::close(report[1]);
    pid_t grandchild = 0;
    bool told = ::read(report[0], &grandchild, sizeof grandchild) == sizeof grandchild;
    ::waitpid(middle, nullptr, 0);
    std::printf("%d\n", static_cast<int>(grandchild));
    return told ? 0 : 1;
}

int forks(int n, const char* seconds, const std::string& then) {
    int ready[2];  // each child writes a byte once it has left the group, if it does
    if (::pipe(ready) != 0) return 1;
    for (int i = 0; i < n; ++i) {
        pid_t pid = ::fork();
        if (pid < 0) return 1;
        if (pid == 0) {
            if (then == "escape") ::setsid();
            ::signal(SIGTERM, SIG_IGN);
            if (::write(ready[1], "x", 1) != 1) _exit(1);
            ::close(ready[0]);
            ::close(ready[1]);
            sleep_seconds(seconds);
            _exit(0);
        }
    }
    ::close(ready[1]);
    char buf[256];
    for (ssize_t left = n, got; left > 0 && (got = ::read(ready[0], buf, sizeof buf)) > 0;)
        left -= got;
    if (then == "stay") sleep_seconds(seconds);
    return 0;
}

}  // namespace

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
    if (mode == "daemonise")
        return daemonise(arg.c_str(), argc > 3 && std::string(argv[3]) == "keep-stdout");
    if (mode == "close-stdout") {
        ::close(1);
        ::close(2);
        sleep_seconds(arg.c_str());
        return 0;
    }
    if (mode == "forks" && argc > 4) return forks(std::atoi(arg.c_str()), argv[3], argv[4]);
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
