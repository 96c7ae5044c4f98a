// The image as users get it: built from the repository's Dockerfile by podman, then run the way the
// README says (read-only, as 65532, no capability), with its HEALTHCHECK run by the engine.
#define BOOST_TEST_MODULE deploy_image
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "containers.hpp"
#include "http_client.hpp"
#include "procfs.hpp"
#include "skip.hpp"

using namespace heartbeat::test;
namespace fs = std::filesystem;

namespace {

const std::string image = "localhost/heartbeatd:deploy-test";
const std::string tools_image = "localhost/heartbeatd:deploy-test-tools";
const std::string name = "heartbeatd-deploy-image";

std::string podman_missing() {
    return containers::unavailable_reason();
}

std::string buildah_missing() {
    if (auto why = podman_missing(); !why.empty()) return why;
    if (containers::program("buildah").empty()) return "buildah is not installed";
    return "";
}

/** Removes the container on the way out, whatever the assertions did. */
struct container_guard {
    std::string name;
    explicit container_guard(std::string n) : name(std::move(n)) {
        containers::podman({"rm", "-f", "-t", "0", name});
    }
    ~container_guard() { containers::podman({"rm", "-f", "-t", "0", name}); }
};

/** The regular files and symlinks of the image, as `podman export` of a container of it lists them.
 */
std::vector<std::string> image_files(const std::string& ref) {
    container_guard c("heartbeatd-deploy-export");
    containers::podman({"create", "--name", c.name, ref});
    auto listing = containers::shell("podman export " + c.name + " | tar -t | grep -v '/$'");
    std::vector<std::string> files;
    std::istringstream in(listing.out);
    for (std::string line; std::getline(in, line);) files.push_back(line);
    return files;
}

std::uint16_t published_port(const std::string& container) {
    auto out = containers::trimmed(containers::podman({"port", container, "8080/tcp"}).out);
    auto colon = out.rfind(':');
    return colon == std::string::npos
               ? 0
               : static_cast<std::uint16_t>(std::stoi(out.substr(colon + 1)));
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_default_image_is_heartbeatd_its_libraries_and_nothing_to_run_besides,
                     *skip_if(podman_missing)) {
    BOOST_REQUIRE(containers::build_heartbeatd("runtime", image));

    auto files = image_files(image);
    BOOST_TEST_MESSAGE("the default image holds " << files.size() << " files");
    std::set<std::string> names(files.begin(), files.end());
    BOOST_TEST(names.count("usr/local/bin/heartbeatd") == 1u);
    BOOST_TEST(names.count("etc/ssl/certs/ca-certificates.crt") == 1u);
    BOOST_TEST(names.count("etc/heartbeat/heartbeat.yaml") == 1u);
    for (const char* absent : {"bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/bash",
                               "usr/bin/apt-get", "usr/bin/dpkg", "bin/busybox", "usr/bin/env"})
        BOOST_TEST(names.count(absent) == 0u, absent << " is in the image");
    // Every file is one of: the binary, a shared library, a file under /etc, the schema.
    for (const auto& f : files) {
        bool known = f == "usr/local/bin/heartbeatd" || f.find(".so") != std::string::npos ||
                     f.starts_with("etc/") || f.starts_with("usr/lib/ssl/") ||
                     f == "usr/share/heartbeatd/heartbeat.schema.json";
        BOOST_TEST(known, "unexpected file in the image: " << f);
    }

    auto size = std::stoll(containers::inspect(image, "{{.Size}}"));
    BOOST_TEST_MESSAGE("default image: " << size << " bytes (" << size / 1000 << " kB)");
    // About 15 MB of it is heartbeatd with the libraries it links; libpq with its own (loaded only
    // when a config has a postgres check) adds 9 MB.
    BOOST_TEST(size <= 26'000'000, "the default image is " << size << " bytes");
    BOOST_TEST(containers::inspect(image, "{{.Config.User}}") == "65532:65532");
    BOOST_TEST(containers::inspect(image, "{{json .HealthCheck.Test}}").find("probe") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(buildah_bud_in_docker_format_keeps_the_healthcheck,
                     *skip_if(buildah_missing)) {
    // buildah's default (OCI) format has no HEALTHCHECK; `--format docker` keeps it. --layers
    // shares podman's cache of the same steps.
    const std::string tag = "localhost/heartbeatd:deploy-test-buildah";
    auto built = containers::shell("buildah bud --layers --format docker -t " + tag + " -f " +
                                       containers::source_dir() + "/Dockerfile " +
                                       containers::source_dir() + " 2>&1",
                                   1800);
    BOOST_REQUIRE_MESSAGE(built.code == 0,
                          built.out.substr(built.out.size() > 4000 ? built.out.size() - 4000 : 0));
    BOOST_TEST(containers::inspect(tag, "{{json .HealthCheck.Test}}").find("probe") !=
               std::string::npos);
    BOOST_TEST(containers::inspect(tag, "{{.Config.User}}") == "65532:65532");
    containers::podman({"rmi", "-f", tag});
}

BOOST_AUTO_TEST_CASE(read_only_as_65532_without_capabilities_every_endpoint_answers,
                     *skip_if(podman_missing)) {
    BOOST_REQUIRE(containers::build_heartbeatd("runtime", image));
    temp_dir config, marker;
    marker.write("ready", "");
    config.write("heartbeat.yaml", R"(server:
  listen: "[::]:8080"
environ:
  variables: [APP_VERSION]
checks:
  - name: self
    type: tcp
    host: 127.0.0.1
    port: 8080
    probes: [readiness, liveliness]
  - name: app-ready
    type: file
    path: /run/app/ready
    interval: 500ms
    probes: [readiness, startup]
)");
    // The folders are readable by 65532, as a ConfigMap's files are.
    fs::permissions(config.path(), fs::perms::others_read | fs::perms::others_exec,
                    fs::perm_options::add);
    fs::permissions(marker.path(), fs::perms::others_read | fs::perms::others_exec,
                    fs::perm_options::add);

    container_guard c(name);
    auto started = containers::podman({"run",
                                       "-d",
                                       "--name",
                                       name,
                                       "--read-only",
                                       "--cap-drop",
                                       "ALL",
                                       "--user",
                                       "65532:65532",
                                       "--security-opt",
                                       "no-new-privileges",
                                       "-e",
                                       "APP_VERSION=1.2.3",
                                       "-p",
                                       "127.0.0.1::8080",
                                       "-v",
                                       config.path() + ":/etc/heartbeat:ro",
                                       "-v",
                                       marker.path() + ":/run/app:ro",
                                       image});
    BOOST_REQUIRE_MESSAGE(started.code == 0, started.err);
    auto port = published_port(name);
    BOOST_REQUIRE(port != 0);

    http_reply ready;
    BOOST_TEST(poll_until(
                   [&] {
                       return (ready = request(port, "/.well-known/heartbeat/readiness")).status ==
                              200;
                   },
                   30000),
               "readiness: " << ready.status << " " << ready.body << "\n"
                             << containers::podman({"logs", name}).err);
    BOOST_TEST(request(port, "/.well-known/heartbeat/liveliness").status == 200);
    BOOST_TEST(request(port, "/.well-known/heartbeat/startup").status == 200);
    auto env_answer = request(port, "/.well-known/heartbeat/environ");
    BOOST_TEST(env_answer.status == 200);
    BOOST_TEST(env_answer.body.find("1.2.3") != std::string::npos, env_answer.body);
    auto metrics = request(port, "/metrics");
    BOOST_TEST(metrics.status == 200);
    BOOST_TEST(metrics.body.find("heartbeat_check_up") != std::string::npos);

    // As a container engine sees it: PID 1 of its namespace, user 65532, no capability at all.
    auto pid = std::stoi(containers::inspect(name, "{{.State.Pid}}"));
    auto status = proc_file(pid, "status");
    BOOST_TEST(status.find("\nUid:\t65532\t65532\t65532\t65532") != std::string::npos, status);
    BOOST_TEST(status.find("\nCapEff:\t0000000000000000") != std::string::npos, status);
    auto nspid = status.substr(status.find("NSpid:"));
    nspid = nspid.substr(0, nspid.find('\n'));
    BOOST_TEST(nspid.ends_with("\t1"), nspid);

    // Exactly the shared libraries it loads: every library in the image is mapped by the daemon,
    // or is libpq or one of its own, which a postgres check loads (this config has none). The
    // host's libpq is the same Debian 12 package the image's comes from.
    auto maps = proc_file(pid, "maps");
    auto libpq = containers::shell("ldd /usr/lib/x86_64-linux-gnu/libpq.so.5");
    BOOST_TEST_REQUIRE(libpq.code == 0, libpq.out << libpq.err);
    for (const auto& f : image_files(image)) {
        if (f.find(".so") == std::string::npos) continue;
        auto base = f.substr(f.rfind('/') + 1);
        bool for_libpq =
            base == "libpq.so.5" || libpq.out.find("/" + base + " ") != std::string::npos;
        BOOST_TEST((maps.find("/" + base + "\n") != std::string::npos || for_libpq),
                   base << " is never loaded");
    }

    auto health = containers::podman({"healthcheck", "run", name});
    BOOST_TEST(health.code == 0, "healthcheck: " << health.out << health.err);

    // A failing check fails the engine's healthcheck, and it passes again once the check does.
    fs::remove(marker.path() + "/ready");
    BOOST_TEST(poll_until(
        [&] {
            return containers::podman({"healthcheck", "run", name}).code != 0;
        },
        30000));
    BOOST_TEST(request(port, "/.well-known/heartbeat/readiness").status == 500);
    BOOST_TEST(request(port, "/.well-known/heartbeat/liveliness").status == 200);
    marker.write("ready", "");
    BOOST_TEST(poll_until(
        [&] {
            return containers::podman({"healthcheck", "run", name}).code == 0;
        },
        30000));

    // SIGTERM to PID 1: it drains and exits 0 without an init.
    auto stopped = containers::podman({"stop", "-t", "20", name}, 60);
    BOOST_TEST(stopped.code == 0, stopped.err);
    BOOST_TEST(containers::inspect(name, "{{.State.ExitCode}}") == "0");
}

BOOST_AUTO_TEST_CASE(the_tools_image_has_the_clients_exec_checks_call, *skip_if(podman_missing)) {
    BOOST_REQUIRE(containers::build_heartbeatd("tools", tools_image));
    for (const char* program : {"pg_isready", "redis-cli", "mysqladmin", "curl"}) {
        auto r = containers::podman({"run", "--rm", "--network", "none", "--entrypoint", program,
                                     tools_image, "--version"});
        BOOST_TEST(r.code == 0, program << ": " << r.out << r.err);
    }
    // As Docker and the kubelet run it, with no passwd entry added by the engine: the user has a
    // name, which pg_isready and psql use as their default user.
    auto who = containers::podman({"run", "--rm", "--network", "none", "--passwd=false",
                                   "--entrypoint", "id", tools_image, "-un"});
    BOOST_TEST(containers::trimmed(who.out) == "nonroot", who.out << who.err);
    auto r = containers::podman({"run", "--rm", "--network", "none", tools_image, "--version"});
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(containers::inspect(tools_image, "{{.Config.User}}") == "65532:65532");
    BOOST_TEST_MESSAGE("tools image: "
                       << std::stoll(containers::inspect(tools_image, "{{.Size}}")) / 1000
                       << " kB");
}

BOOST_AUTO_TEST_CASE(every_bundled_config_runs_in_the_image_it_names, *skip_if(podman_missing)) {
    // Each example runs in the default image unless its header says `# image: tools`. Without a
    // network its hosts cannot be reached, but no check may fail for want of a program.
    BOOST_REQUIRE(containers::build_heartbeatd("runtime", image));
    BOOST_REQUIRE(containers::build_heartbeatd("tools", tools_image));
    auto examples = containers::source_dir() + "/config/examples";
    int runs = 0;
    for (const auto& entry : fs::directory_iterator(examples)) {
        std::ifstream in(entry.path());
        std::string text((std::istreambuf_iterator<char>(in)), {});
        auto ref = text.find("\n# image: tools") != std::string::npos ? tools_image : image;
        for (const char* probe : {"readiness", "liveliness", "startup", "environ"}) {
            auto r = containers::podman(
                {"run", "--rm", "--network", "none", "-v", examples + ":/etc/heartbeat:ro", ref,
                 "check", "--config", "/etc/heartbeat/" + entry.path().filename().string(), probe},
                120);
            ++runs;
            for (const char* missing : {"cannot run", "No such file or directory"})
                BOOST_TEST(r.out.find(missing) == std::string::npos, entry.path().filename()
                                                                         << " " << probe << " in "
                                                                         << ref << ": " << r.out);
            BOOST_TEST((r.code == 0 || r.code == 1), r.err);
        }
    }
    BOOST_TEST(runs >= 16);
}
