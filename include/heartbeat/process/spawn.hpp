#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace heartbeat {

/** What to start: argv (argv[0] looked up in PATH when it has no '/'), extra environment, working
 * directory. */
struct spawn_request {
    std::vector<std::string> argv;
    std::map<std::string, std::string> env;
    std::optional<std::string> cwd;
};

/** A started child: its pid (also its process group id) and the read ends of its stdout and stderr.
 */
struct spawned {
    pid_t pid = -1;
    int out_fd = -1;
    int err_fd = -1;
};

/**
 * Starts a child in a process group of its own, stdin from /dev/null, stdout and stderr to pipes,
 * no descriptor of ours inherited, default signal dispositions and an empty signal mask.
 * Returns the child, or the errno of the failure (ENOENT for a missing program).
 */
std::variant<spawned, int> spawn_process(const spawn_request& req);

}  // namespace heartbeat
