#pragma once
// The deploy tests' access to a real container engine: podman, with the settings of
// tests/deploy/containers.conf, and images built from the repository's own Dockerfiles.

#include <string>
#include <vector>

#include "child.hpp"

namespace heartbeat::test::containers {

/** Why no container can run here (podman missing, or unable to start one), or "" when it can. The
 * first call makes the base images (scripts/container-bases.sh) and starts a throwaway container.
 */
const std::string& unavailable_reason();

/** The environment podman and podman-compose need here (CONTAINERS_CONF). */
std::map<std::string, std::string> engine_env();

/** The full path of a program on $PATH, or "" (child processes are spawned by path). */
std::string program(const std::string& name);

/** `bash -c COMMAND` with the engine's environment, capped at `timeout_s`. */
run_result shell(const std::string& command, int timeout_s = 120);

/** podman ARGS, capped at `timeout_s`. */
run_result podman(std::vector<std::string> args, int timeout_s = 120);

/** Builds `target` of the repository's Dockerfile as `tag` (podman's layer cache makes repeated
 * builds cheap); fails the test with the build's output if it does not build. */
bool build_heartbeatd(const std::string& target, const std::string& tag);

/** Builds tests/deploy/images/NAME/Dockerfile as `tag`. */
bool build_test_image(const std::string& name, const std::string& tag);

/** `s` without its trailing newlines and spaces (a podman command's output, as a value). */
std::string trimmed(std::string s);

/** `podman inspect --format FORMAT WHAT`, trimmed. */
std::string inspect(const std::string& what, const std::string& format);

/** Capped waits for a container's state: a podman command's output containing `needle`. */
bool poll_podman(const std::vector<std::string>& args, const std::string& needle, int timeout_s);

/** The source tree (HEARTBEAT_SOURCE_DIR of the test). */
std::string source_dir();

}  // namespace heartbeat::test::containers
