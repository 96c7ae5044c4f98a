#define BOOST_TEST_MODULE e2e_sidecar
#include <boost/test/unit_test.hpp>

#include "heartbeat/app.hpp"

// heartbeatd where it runs as a sidecar: `probe` as the image's healthcheck, finding the daemon
// where its config says; the config in a folder of its own, far from the daemon's working
// directory; a listener on `[::]`, with and without IPv6 in the kernel.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>

#include <boost/json/parse.hpp>

#include "child.hpp"
#include "heartbeatd.hpp"
#include "http_client.hpp"
#include "loopback.hpp"
#include "skip.hpp"

using namespace heartbeat::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

/** The environment that makes heartbeatd see a kernel without IPv6 (see support/no_ipv6.cpp). */
std::map<std::string, std::string> without_ipv6() {
    // A sanitized heartbeatd wants its runtime first among the loaded libraries; the shim only
    // forwards a system call, so that order does not matter here.
    const char* asan = std::getenv("ASAN_OPTIONS");
    return {{"LD_PRELOAD", HEARTBEAT_NO_IPV6},
            {"ASAN_OPTIONS", std::string(asan ? asan : "") + ":verify_asan_link_order=0"}};
}

/**
 * heartbeatd serving the config that `make_config` writes for a port, without `--listen`: the
 * config's own `server.listen` counts, as in an image. The port is one found free just before;
 * should another process take it meanwhile, another one is tried.
 */
struct configured_daemon {
    temp_dir dir;
    std::string config_path;
    std::unique_ptr<child> proc;
    std::uint16_t port = 0;

    configured_daemon(const std::function<std::string(std::uint16_t)>& make_config,
                      std::map<std::string, std::string> env = {}) {
        for (int attempt = 0; attempt < 5 && !proc; ++attempt) {
            port = refused_port();
            config_path = dir.write("heartbeat.yaml", make_config(port));
            auto c = std::make_unique<child>(
                std::vector<std::string>{HEARTBEAT_BINARY, "serve", "--config", config_path}, env);
            auto m = c->wait_for_line(std::regex("(info listening on )|(error cannot listen on )"));
            BOOST_TEST_REQUIRE(m.has_value(), c->stderr_text());
            if ((*m)[1].matched) proc = std::move(c);
        }
        BOOST_TEST_REQUIRE(proc != nullptr, "no free port found in 5 tries");
    }
    ~configured_daemon() {
        if (!proc) return;
        proc->signal(SIGTERM);
        BOOST_TEST(proc->wait_exit().value_or(-1) == 0);
    }
};

/** GET `target` from [::1]:port with `Connection: close`, parsed; status 0 when nothing answers. */
http_reply request_v6(std::uint16_t port, const std::string& target) {
    int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {};
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    a.sin6_port = htons(port);
    std::string raw;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0 &&
        write_all(fd, "GET " + target + " HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n"))
        raw = read_until(fd, std::string(), 5000);
    ::close(fd);
    return parse_reply(raw);
}

/** Runs argv to its end (capped at 20 s) in `cwd`. */
run_result run_in(const std::string& cwd, std::vector<std::string> argv) {
    child c(std::move(argv), {}, cwd);
    run_result r;
    r.code = c.wait_exit(20000).value_or(-1);
    r.err = c.stderr_text();
    r.out = c.stdout_text();
    return r;
}

}  // namespace

// The image's HEALTHCHECK is a bare `heartbeatd probe`: it must find the daemon wherever the
// config puts it, on another port and under another base_path than the defaults.
BOOST_AUTO_TEST_CASE(probe_without_a_url_asks_where_the_config_listens) {
    configured_daemon d([](std::uint16_t port) {
        return "server:\n  listen: \"127.0.0.1:" + std::to_string(port) +
               "\"\n  base_path: /custom/hb\n"
               "checks:\n  - {name: app-ready, type: file, path: ready, interval: 0}\n"
               "  - {name: config, type: file, path: heartbeat.yaml, probes: [liveliness]}\n";
    });
    std::map<std::string, std::string> env = {{"HEARTBEAT_CONFIG", d.config_path}};
    auto url = "http://127.0.0.1:" + std::to_string(d.port) + "/custom/hb/readiness";

    // Not ready yet: 1, and the one line says what was asked and what came back.
    auto r = run({HEARTBEAT_BINARY, "probe"}, env);
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.err.find(url + ": status 500") != std::string::npos, r.err);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.err);

    // A probe's name instead of a URL, through $HEARTBEAT_CONFIG and through --config.
    r = run({HEARTBEAT_BINARY, "probe", "liveliness"}, env);
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(r.err.empty(), r.err);
    BOOST_TEST(run({HEARTBEAT_BINARY, "probe", "--config", d.config_path, "liveness"}).code == 0);
    BOOST_TEST(run({HEARTBEAT_BINARY, "probe", "--config", d.config_path, "startup"}).code == 0);

    // Ready: a bare probe passes (an on-demand result is reused for 1 s: poll, capped).
    d.dir.write("ready", "");
    BOOST_TEST(poll_until([&] { return run({HEARTBEAT_BINARY, "probe"}, env).code == 0; }));
    r = run({HEARTBEAT_BINARY, "probe"}, env);
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(r.err.empty(), r.err);
}

BOOST_AUTO_TEST_CASE(probe_with_a_config_that_does_not_load_still_asks_and_says_so) {
    configured_daemon d([](std::uint16_t port) {
        return "server:\n  listen: \"127.0.0.1:" + std::to_string(port) +
               "\"\n  base_path: /hb\nchecks: []\n";
    });
    temp_dir other;
    // Its checks are broken, its server section is fine: the probe still finds the daemon.
    auto broken =
        other.write("broken.yaml", "server:\n  listen: \"127.0.0.1:" + std::to_string(d.port) +
                                       "\"\n  base_path: /hb\nchecks: [{name: x}]\n");
    auto r = run({HEARTBEAT_BINARY, "probe", "--config", broken});
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(r.err.find("the config does not load (" + broken + ":4:") != std::string::npos,
               r.err);
    BOOST_TEST(r.err.find("asking http://127.0.0.1:" + std::to_string(d.port) + "/hb/readiness") !=
                   std::string::npos,
               r.err);
    // What cannot be read falls back to its default, and the line says which.
    auto bad_base =
        other.write("bad_base.yaml", "server:\n  listen: \"127.0.0.1:" + std::to_string(d.port) +
                                         "\"\n  base_path: no-slash\n");
    r = run({HEARTBEAT_BINARY, "probe", "--config", bad_base});
    BOOST_TEST(r.code == 1);  // the daemon has nothing under the default base path
    BOOST_TEST(r.err.find("using the default server.base_path, asking http://127.0.0.1:" +
                          std::to_string(d.port) + "/.well-known/heartbeat/readiness") !=
                   std::string::npos,
               r.err);
    // Not YAML at all, or no file: still 0 or 1, never another code, and said on stderr.
    auto garbage = other.write("garbage.yaml", "server: [\n");
    for (const auto& path : {garbage, other.path() + "/missing.yaml"}) {
        r = run({HEARTBEAT_BINARY, "probe", "--config", path, "--timeout", "300ms"});
        BOOST_TEST((r.code == 0 || r.code == 1), r.code);
        BOOST_TEST(
            r.err.find("using the default server.listen and server.base_path") != std::string::npos,
            r.err);
    }
}

// A file check's relative path is relative to the config's folder: the image's working
// directory is `/`, and Kubernetes and compose mount the config folder anywhere.
BOOST_AUTO_TEST_CASE(relative_file_paths_are_relative_to_the_config_folder) {
    temp_dir config_dir, elsewhere;
    config_dir.write("marker", "");
    std::filesystem::create_directory(config_dir.path() + "/sub");
    config_dir.write("sub/flag", "");
    auto cfg = config_dir.write("heartbeat.yaml",
                                "checks:\n  - {name: marker, type: file, path: marker}\n"
                                "  - {name: flag, type: file, path: sub/flag, kind: file}\n");

    // serve, check and validate agree, all started far from the config.
    child d({HEARTBEAT_BINARY, "serve", "--config", cfg, "--listen", "127.0.0.1:0"}, {},
            elsewhere.path());
    auto m = d.wait_for_line(std::regex("listening on 127\\.0\\.0\\.1:(\\d+)"));
    BOOST_TEST_REQUIRE(m.has_value(), d.stderr_text());
    auto port = static_cast<std::uint16_t>(std::stoi((*m)[1]));
    auto ready = request(port, base + "/readiness");
    BOOST_TEST(ready.status == 200, ready.body);

    auto check = run_in(elsewhere.path(), {HEARTBEAT_BINARY, "check", "--config", cfg});
    BOOST_TEST(check.code == 0, check.out << check.err);
    BOOST_TEST(run_in("/", {HEARTBEAT_BINARY, "check", "--config", cfg}).code == 0);
    auto validate = run_in("/", {HEARTBEAT_BINARY, "validate", "--config", cfg});
    BOOST_TEST(validate.code == 0, validate.out);

    // A missing one is reported under the path it was looked for at.
    std::filesystem::remove(config_dir.path() + "/marker");
    auto missing = run_in("/", {HEARTBEAT_BINARY, "check", "--config", cfg});
    BOOST_TEST(missing.code == 1);
    BOOST_TEST(missing.out.find(config_dir.path() + "/marker does not exist") != std::string::npos,
               missing.out);

    // A reload resolves them the same way (the file replaced at once, as editors and ConfigMaps
    // do).
    auto next =
        config_dir.write("next.yaml", "checks:\n  - {name: flag, type: file, path: sub/flag}\n");
    std::filesystem::rename(next, cfg);
    auto only_flag = [&] {
        ready = request(port, base + "/readiness");
        if (ready.status == 0) return false;
        auto checks = json::parse(ready.body).at("checks").as_object();
        return checks.size() == 1 && checks.contains("flag");
    };
    BOOST_TEST_REQUIRE(poll_until(only_flag), ready.body);
    BOOST_TEST(ready.status == 200, ready.body);
    d.signal(SIGTERM);
    BOOST_TEST(d.wait_exit().value_or(-1) == 0);
}

// "[::]" listens dual-stack: IPv4 clients reach it too, whatever net.ipv6.bindv6only says.
BOOST_AUTO_TEST_CASE(a_daemon_on_the_ipv6_wildcard_answers_over_ipv4_and_ipv6,
                     *skip_if(ipv6_loopback_missing)) {
    configured_daemon d([](std::uint16_t port) {
        return "server:\n  listen: \"[::]:" + std::to_string(port) + "\"\nchecks: []\n";
    });
    BOOST_TEST(request(d.port, base + "/readiness").status == 200);
    BOOST_TEST(request_v6(d.port, base + "/readiness").status == 200);
    // A bare probe turns the wildcard into [::1].
    auto r = run({HEARTBEAT_BINARY, "probe", "--config", d.config_path, "liveness"});
    BOOST_TEST(r.code == 0, r.err);
    auto wrong_probe = run({HEARTBEAT_BINARY, "probe", "--config", d.config_path,
                            "http://[::1]:" + std::to_string(d.port) + "/nope"});
    BOOST_TEST(wrong_probe.code == 1);
    BOOST_TEST(wrong_probe.err.find("status 404") != std::string::npos, wrong_probe.err);
}

// On a kernel without IPv6 the same config still serves, on 0.0.0.0, and says so; the probe then
// asks 127.0.0.1.
BOOST_AUTO_TEST_CASE(without_ipv6_the_wildcard_falls_back_to_ipv4) {
    auto env = without_ipv6();
    configured_daemon d(
        [](std::uint16_t port) {
            return "server:\n  listen: \"[::]:" + std::to_string(port) + "\"\nchecks: []\n";
        },
        env);
    BOOST_TEST(d.proc->stderr_text().find("this kernel has no IPv6: listening on 0.0.0.0:" +
                                          std::to_string(d.port) + " instead") != std::string::npos,
               d.proc->stderr_text());
    BOOST_TEST(d.proc->stderr_text().find("listening on 0.0.0.0:" + std::to_string(d.port) +
                                          " (probes under") != std::string::npos,
               d.proc->stderr_text());
    BOOST_TEST(request(d.port, base + "/readiness").status == 200);
    auto r = run({HEARTBEAT_BINARY, "probe", "--config", d.config_path}, env);
    BOOST_TEST(r.code == 0, r.err);

    // Any other address that cannot be had is still an error.
    auto taken = run({HEARTBEAT_BINARY, "serve", "--config", d.config_path, "--listen",
                      "127.0.0.1:" + std::to_string(d.port)},
                     env);
    BOOST_TEST(taken.code == 1);
    BOOST_TEST(taken.err.find("cannot listen on 127.0.0.1:") != std::string::npos, taken.err);
}
