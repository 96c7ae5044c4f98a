// The reference for exec fan-out: N processes of a command, each started with posix_spawn and
// reaped with waitpid before the next, as plainly as a program can. Prints the milliseconds.
//   bench_spawn N COMMAND [ARGS...]
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

extern char** environ;

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s N COMMAND [ARGS...]\n", argv[0]);
        return 2;
    }
    int n = std::atoi(argv[1]);
    std::vector<char*> args(argv + 2, argv + argc);
    args.push_back(nullptr);
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
        pid_t pid = 0;
        if (posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return 1;
        int status = 0;
        if (waitpid(pid, &status, 0) != pid) return 1;
    }
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
    std::printf("%.1f\n", ms.count());
    return 0;
}
