#pragma once

#include <string>

#include "heartbeat/process/spawn.hpp"

namespace heartbeat {

/**
 * Why `req` could not be started, given the errno spawn_process returned, in words that point at
 * the cause: a missing working directory, or a script whose `#!` interpreter is missing or cannot
 * run (the kernel's ENOENT then blames the script). Otherwise strerror. Reads at most 256 bytes of
 * the program file; meant for after a failed spawn only.
 */
std::string describe_spawn_failure(const spawn_request& req, int error);

}  // namespace heartbeat
