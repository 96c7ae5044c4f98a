#include "containers.hpp"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "child.hpp"

#ifndef HEARTBEAT_SOURCE_DIR
#error "containers.cpp needs HEARTBEAT_SOURCE_DIR"
#endif

namespace heartbeat::test::containers {

std::string source_dir() {
    return HEARTBEAT_SOURCE_DIR;
}

std::map<std::string, std::string> engine_env() {
    return {{"CONTAINERS_CONF", source_dir() + "/tests/deploy/containers.conf"}};
}

std::string program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    for (std::size_t at = 0; at <= dirs.size();) {
        auto end = dirs.find(':', at);
        if (end == std::string::npos) end = dirs.size();
        auto candidate = dirs.substr(at, end - at) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        at = end + 1;
    }
    return "";
}

run_result podman(std::vector<std::string> args, int timeout_s) {
    args.insert(args.begin(), program("podman"));
    return run(std::move(args), engine_env(), timeout_s * 1000);
}

run_result shell(const std::string& command, int timeout_s) {
    return run({program("bash"), "-c", command}, engine_env(), timeout_s * 1000);
}

namespace {

std::string find_reason() {
    if (program("podman").empty()) return "podman is not installed (scripts/setup.sh installs it)";
    auto version = podman({"--version"}, 30);
    if (version.code != 0) return "podman cannot run here: " + version.err;
    // The bases take a minute the first time (debootstrap), then come from the cache.
    auto bases = shell("bash " + source_dir() + "/scripts/container-bases.sh", 900);
    if (bases.code != 0) return "cannot make the Debian base images: " + bases.err;
    auto trial =
        podman({"run", "--rm", "--network", "none", "docker.io/library/debian:12-slim", "true"});
    if (trial.code != 0) return "podman cannot start a container here: " + trial.err;
    return "";
}

bool build(std::vector<std::string> args, const std::string& what) {
    auto r = podman(std::move(args), 1800);
    if (r.code != 0)
        BOOST_TEST_MESSAGE("building "
                           << what << " failed (" << r.code << "):\n"
                           << r.out.substr(r.out.size() > 8000 ? r.out.size() - 8000 : 0) << r.err);
    return r.code == 0;
}

}  // namespace

const std::string& unavailable_reason() {
    static const std::string reason = find_reason();
    return reason;
}

bool build_heartbeatd(const std::string& target, const std::string& tag) {
    return build({"build", "--format", "docker", "--target", target, "-t", tag, "-f",
                  source_dir() + "/Dockerfile", source_dir()},
                 "the " + target + " image");
}

bool build_test_image(const std::string& name, const std::string& tag) {
    auto dir = source_dir() + "/tests/deploy/images/" + name;
    return build({"build", "--format", "docker", "-t", tag, dir}, name);
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

std::string inspect(const std::string& what, const std::string& format) {
    return trimmed(podman({"inspect", "--format", format, what}).out);
}

bool poll_podman(const std::vector<std::string>& args, const std::string& needle, int timeout_s) {
    return poll_until([&] { return podman(args, 30).out.find(needle) != std::string::npos; },
                      timeout_s * 1000);
}

}  // namespace heartbeat::test::containers
