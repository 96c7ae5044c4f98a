#include "containers.hpp"

#include <boost/test/unit_test.hpp>

#include "child.hpp"

#ifndef HEARTBEAT_SOURCE_DIR
#error "containers.cpp needs HEARTBEAT_SOURCE_DIR"
#endif

namespace heartbeat::test::containers {

std::string source_dir() { return HEARTBEAT_SOURCE_DIR; }

std::map<std::string, std::string> engine_env() {
    return {{"CONTAINERS_CONF", source_dir() + "/tests/deploy/containers.conf"}};
}

run_result podman(std::vector<std::string> args, int timeout_s) {
    args.insert(args.begin(), "podman");
    return run(std::move(args), engine_env(), timeout_s * 1000);
}

namespace {

std::string find_reason() {
    auto version = run({"podman", "--version"}, engine_env(), 30000);
    if (version.code != 0) return "podman cannot run here: " + version.err;
    // The bases take a minute the first time (debootstrap), then come from the cache.
    auto bases = run({"bash", source_dir() + "/scripts/container-bases.sh"}, engine_env(), 900000);
    if (bases.code != 0) return "cannot make the Debian base images: " + bases.err;
    auto trial = podman({"run", "--rm", "--network", "none", "docker.io/library/debian:12-slim",
                         "true"});
    if (trial.code != 0) return "podman cannot start a container here: " + trial.err;
    return "";
}

bool build(std::vector<std::string> args, const std::string& what) {
    auto r = podman(std::move(args), 1800);
    if (r.code != 0)
        BOOST_TEST_MESSAGE("building " << what << " failed (" << r.code << "):\n"
                                       << r.out.substr(r.out.size() > 8000 ? r.out.size() - 8000 : 0)
                                       << r.err);
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

bool poll_podman(const std::vector<std::string>& args, const std::string& needle, int timeout_s) {
    return poll_until(
        [&] { return podman(args, 30).out.find(needle) != std::string::npos; }, timeout_s * 1000);
}

}  // namespace heartbeat::test::containers
