#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace heartbeat {

/** Pids of this process's children (zombies included): the `children` list of each of its threads
 * in /proc, or, where the kernel has none, a scan of every /proc/PID/stat. */
std::vector<pid_t> child_pids();

/**
 * The environment `pid` was started with, as /proc/PID/environ holds it, with a NUL in front so
 * that every entry starts after a NUL (what it later changes in its own memory does not show: a
 * variable survives unsetenv(), not an exec with a new environment). Empty for a process that is
 * dead or dying, and for a moment during an exec, until the new environment is in place.
 */
std::string environ_of(pid_t pid);

/** The value of the variable `name` in an environment read by environ_of(). */
std::optional<std::string> environ_variable(const std::string& env, std::string_view name);

}  // namespace heartbeat
