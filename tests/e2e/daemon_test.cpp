#define BOOST_TEST_MODULE e2e
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include <boost/json/parse.hpp>

#include "child.hpp"
#include "heartbeatd.hpp"
#include "http_client.hpp"
#include "loopback.hpp"
#include "procfs.hpp"
#include "skip.hpp"

using namespace heartbeat::test;
using namespace std::chrono_literals;
namespace json = boost::json;

BOOST_AUTO_TEST_CASE(every_endpoint_over_real_http) {
    scripted_server up([](int) {});
    auto down = refused_port();
    temp_dir files;
    auto alive = files.write("alive", "x");
    heartbeatd d(
        "checks:\n"
        "  - {name: api, type: tcp, host: 127.0.0.1, port: " +
        std::to_string(up.port()) +
        ", probes: [readiness, liveliness, startup]}\n"
        "  - {name: db, type: tcp, host: 127.0.0.1, port: " +
        std::to_string(down) +
        ", probes: [readiness]}\n"
        "  - {name: alive, type: file, path: " +
        alive +
        ", probes: [liveliness], interval: 0}\n"
        "  - {name: off, type: file, path: /nonexistent, enabled: false}\n");

    auto ready = d.get(base + "/readiness");
    BOOST_TEST(ready.status == 500);
    BOOST_TEST(ready.header("content-type") == "application/json");
    BOOST_TEST(ready.header("cache-control") == "no-store");
    auto rb = body_of(ready);
    BOOST_TEST(rb.at("status").as_bool() == false);
    BOOST_TEST(rb.at("checks").at("api").at("status").as_bool() == true);
    BOOST_TEST(rb.at("checks").at("api").at("message").as_string() == "ok");
    BOOST_TEST(rb.at("checks").at("db").at("message").as_string() ==
               "connect 127.0.0.1:" + std::to_string(down) + ": connection refused");
    BOOST_TEST(rb.at("checks").at("db").at("duration_ms").is_number());
    BOOST_TEST(!rb.at("checks").as_object().contains("off"));

    BOOST_TEST(d.get(base + "/readiness/").status == 500);
    BOOST_TEST(d.get(base + "/readiness?exclude=db").status == 200);
    BOOST_TEST(d.get(base + "/readiness/api").status == 200);
    BOOST_TEST(d.get(base + "/readiness/db").status == 500);
    BOOST_TEST(d.get(base + "/readiness/nope").status == 404);
    BOOST_TEST(d.get(base + "/readiness/alive").status == 404);  // not a readiness check

    auto verbose = d.get(base + "/readiness?verbose");
    BOOST_TEST(verbose.status == 500);
    BOOST_TEST(verbose.header("content-type") == "text/plain; charset=utf-8");
    BOOST_TEST(verbose.body.find("[+]api ok\n") != std::string::npos, verbose.body);
    BOOST_TEST(verbose.body.find("[-]db failed: connect 127.0.0.1:") != std::string::npos,
               verbose.body);
    BOOST_TEST(verbose.body.ends_with("readiness check failed\n"), verbose.body);

    auto live = d.get(base + "/liveliness");
    BOOST_TEST(live.status == 200, live.body);
    BOOST_TEST(body_of(live).at("checks").as_object().size() == 2u);
    BOOST_TEST(d.get(base + "/liveness").status == 200);
    BOOST_TEST(d.get(base + "/startup").status == 200);

    auto head = d.get(base + "/readiness", "HEAD");
    BOOST_TEST(head.status == 500);
    BOOST_TEST(head.body.empty());
    BOOST_TEST(std::stoul(head.header("content-length")) > 0u);

    auto env = d.get(base + "/environ");
    BOOST_TEST(env.status == 200);
    BOOST_TEST(body_of(env).at("heartbeat").at("version").is_string());

    auto post = d.get(base + "/readiness", "POST");
    BOOST_TEST(post.status == 405);
    BOOST_TEST(post.header("allow") == "GET, HEAD");
    BOOST_TEST(d.get("/nope").status == 404);
    BOOST_TEST(d.get(base + "/ready").status == 404);

    d.proc->signal(SIGTERM);
    BOOST_TEST(d.proc->wait_exit().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_probe_without_checks_answers_200) {
    heartbeatd d("checks: []\n");
    for (auto p : {"/readiness", "/liveliness", "/startup"}) {
        auto r = d.get(base + p);
        BOOST_TEST(r.status == 200);
        BOOST_TEST(r.body == R"({"status":true,"checks":{}})");
    }
    d.proc->signal(SIGINT);
    BOOST_TEST(d.proc->wait_exit().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(fifty_slow_checks_answer_in_well_under_a_second) {
    silent_listener silent;
    std::string cfg = "checks:\n";
    for (int i = 0; i < 50; ++i)
        cfg += "  - {name: slow" + std::to_string(i) +
               ", type: tcp, host: 127.0.0.1, port: " + std::to_string(silent.port()) +
               ", expect: x, timeout: 300ms, interval: 0}\n";
    heartbeatd d(cfg);
    auto start = std::chrono::steady_clock::now();
    auto r = d.get(base + "/readiness");
    auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(r.status == 500);
    auto b = body_of(r);
    BOOST_TEST(b.at("checks").as_object().size() == 50u);
    BOOST_TEST(
        b.at("checks").at("slow7").at("message").as_string().starts_with("timed out after 300ms"));
    BOOST_TEST(took >= 300ms);
    BOOST_TEST(took < 600ms);
}

BOOST_AUTO_TEST_CASE(startup_latches_once_passed) {
    temp_dir files;
    std::string flag = files.path() + "/ready";
    heartbeatd d("checks:\n  - {name: boot, type: file, path: " + flag +
                 ", probes: [startup, readiness], interval: 0}\n");
    BOOST_TEST(d.get(base + "/startup").status == 500);
    files.write("ready", "");
    // interval 0 reuses a result for 1 s: poll, capped, until the file is seen.
    BOOST_TEST(poll_until([&] { return d.get(base + "/startup").status == 200; }));
    std::remove(flag.c_str());
    BOOST_TEST(poll_until([&] { return d.get(base + "/readiness").status == 500; }));
    BOOST_TEST(d.get(base + "/startup").status == 200);  // latched
}

BOOST_AUTO_TEST_CASE(sigterm_fails_readiness_at_once_and_exits_0_after_the_delay) {
    scripted_server up([](int) {});
    heartbeatd d(
        "server: {shutdown_delay: 2s}\nchecks:\n  - {name: api, type: tcp, host: 127.0.0.1, "
        "port: " +
        std::to_string(up.port()) + ", probes: [readiness, liveliness]}\n");
    BOOST_TEST(d.get(base + "/readiness").status == 200);
    d.proc->signal(SIGTERM);
    BOOST_TEST_REQUIRE(d.proc->wait_for_line(std::regex("SIGTERM received")).has_value());
    auto r = d.get(base + "/readiness");
    BOOST_TEST(r.status == 500);
    BOOST_TEST(body_of(r).at("message").as_string() == "shutting down");
    BOOST_TEST(d.get(base + "/liveliness").status == 200);
    auto start = std::chrono::steady_clock::now();
    BOOST_TEST(d.proc->wait_exit(10000).value_or(-1) == 0);
    BOOST_TEST((std::chrono::steady_clock::now() - start) < 2500ms);
}

BOOST_AUTO_TEST_CASE(a_second_signal_stops_at_once) {
    heartbeatd d("server: {shutdown_delay: 60s}\n");
    d.proc->signal(SIGTERM);
    BOOST_TEST_REQUIRE(d.proc->wait_for_line(std::regex("SIGTERM received")).has_value());
    d.proc->signal(SIGINT);
    BOOST_TEST(d.proc->wait_exit(5000).value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(validate_prints_problems_and_exit_codes) {
    temp_dir dir;
    auto good = dir.write(
        "good.yaml",
        "checks:\n  - {name: a, type: file, path: /}\n  - {name: b, type: file, path: /}\n");
    auto r = run({HEARTBEAT_BINARY, "validate", "--config", good});
    BOOST_TEST(r.code == 0);
    BOOST_TEST(r.out == "ok: 2 checks\n");
    auto bad = dir.write(
        "bad.yaml",
        "checks:\n  - name: a\n    type: tcp\n    host: h\n    port: 0\n    tmeout: 1s\n");
    r = run({HEARTBEAT_BINARY, "validate", "--config", bad});
    BOOST_TEST(r.code == 1);
    BOOST_TEST(
        r.out.find(bad + ":5:11: 'port' must be a whole number from 1 to 65535, got '0'\n") !=
            std::string::npos,
        r.out);
    BOOST_TEST(
        r.out.find(bad + ":6:5: unknown key 'tmeout' in check 'a' (did you mean 'timeout'?)\n") !=
            std::string::npos,
        r.out);
    // serve refuses the same file with the same messages.
    auto s = run({HEARTBEAT_BINARY, "serve", "--config", bad, "--listen", "127.0.0.1:0"});
    BOOST_TEST(s.code == 1);
    BOOST_TEST(s.err.find(bad + ":6:5: unknown key 'tmeout'") != std::string::npos, s.err);
    auto bin = dir.write("garbage.yaml", std::string("\x7f"
                                                     "ELF\x02\x01\x01\x00\x00\x00\xff\xfe",
                                                     13));
    r = run({HEARTBEAT_BINARY, "validate", "--config", bin});
    BOOST_TEST(r.code == 1);
    BOOST_TEST(!r.out.empty());
}

BOOST_AUTO_TEST_CASE(config_discovery) {
    // A named file that does not exist is an error, whether named by flag or environment.
    auto r = run(
        {HEARTBEAT_BINARY, "serve", "--config", "/nonexistent/h.yaml", "--listen", "127.0.0.1:0"});
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.err.find("/nonexistent/h.yaml:0:0: cannot open the file") != std::string::npos,
               r.err);
    r = run({HEARTBEAT_BINARY, "serve", "--listen", "127.0.0.1:0"},
            {{"HEARTBEAT_CONFIG", "/nonexistent/e.yaml"}});
    BOOST_TEST(r.code == 1);
    // $HEARTBEAT_CONFIG is used when there is no flag.
    temp_dir dir;
    auto cfg = dir.write("h.yaml", "checks: [{name: viaenv, type: file, path: /}]\n");
    auto c = run({HEARTBEAT_BINARY, "check"}, {{"HEARTBEAT_CONFIG", cfg}});
    BOOST_TEST(c.code == 0, c.err);
    BOOST_TEST(c.out.find("viaenv") != std::string::npos);
}

namespace {
std::string default_config_present() {
    if (std::ifstream("/etc/heartbeat/heartbeat.yaml"))
        return "/etc/heartbeat/heartbeat.yaml exists here: the default path is in use";
    return "";
}
}  // namespace

// Only meaningful where the default path is absent, as on build machines.
BOOST_AUTO_TEST_CASE(no_config_anywhere_runs_with_no_checks, *skip_if(default_config_present)) {
    child c({HEARTBEAT_BINARY, "serve", "--listen", "127.0.0.1:0"}, {{"HEARTBEAT_CONFIG", ""}});
    BOOST_TEST(c.wait_for_line(std::regex("no config file")).has_value());
    auto m = c.wait_for_line(std::regex("listening on 127\\.0\\.0\\.1:(\\d+)"));
    BOOST_TEST_REQUIRE(m.has_value());
    auto r = request(static_cast<std::uint16_t>(std::stoi((*m)[1])), base + "/readiness");
    BOOST_TEST(r.status == 200);
    c.signal(SIGTERM);
    BOOST_TEST(c.wait_exit().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(check_command_runs_a_probe_once) {
    temp_dir dir;
    auto port = refused_port();
    auto cfg = dir.write("c.yaml",
                         "checks:\n  - {name: root, type: file, path: /, probes: [liveliness]}\n"
                         "  - {name: db, type: tcp, host: 127.0.0.1, port: " +
                             std::to_string(port) + "}\n");
    auto live = run({HEARTBEAT_BINARY, "check", "--config", cfg, "liveliness"});
    BOOST_TEST(live.code == 0);
    BOOST_TEST(json::parse(live.out).at("status").as_bool() == true);
    auto ready = run({HEARTBEAT_BINARY, "check", "--config", cfg});
    BOOST_TEST(ready.code == 1);
    BOOST_TEST(json::parse(ready.out).at("checks").at("db").at("status").as_bool() == false);
}

BOOST_AUTO_TEST_CASE(version_help_and_bad_usage) {
    auto v = run({HEARTBEAT_BINARY, "--version"});
    BOOST_TEST(v.code == 0);
    BOOST_TEST(v.out.starts_with("heartbeatd "));
    auto h = run({HEARTBEAT_BINARY, "--help"});
    BOOST_TEST(h.code == 0);
    BOOST_TEST(h.out.find("Usage:") != std::string::npos);
    auto bad = run({HEARTBEAT_BINARY, "--frobnicate"});
    BOOST_TEST(bad.code == 1);
    BOOST_TEST(bad.err.find("unknown option '--frobnicate'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(json_logs_are_one_object_per_line) {
    // One check, so that a timer wakes the event loop every second: ThreadSanitizer's runtime
    // holds back a signal that lands just before the thread blocks in epoll_wait until the thread
    // next wakes, and a daemon with nothing to do would sleep through SIGTERM (seen 1 run in 10,
    // only under TSan).
    heartbeatd d("checks:\n  - {name: root, type: file, path: /, interval: 1s}\n",
                 {"--log-format", "json"});
    d.proc->signal(SIGTERM);
    BOOST_TEST(d.proc->wait_exit().value_or(-1) == 0);
    std::istringstream lines(d.proc->stderr_text());
    std::string line;
    int count = 0;
    while (std::getline(lines, line)) {
        auto o = json::parse(line).as_object();
        BOOST_TEST(o.contains("time"));
        BOOST_TEST(o.contains("level"));
        BOOST_TEST(o.contains("message"));
        ++count;
    }
    BOOST_TEST(count >= 3);
}

namespace {
/** The smallest of `samples` readings of `fn` (a run in flight holds two pipes for a moment). */
int min_of(const std::function<int()>& fn, int samples = 30) {
    int best = fn();
    for (int i = 1; i < samples; ++i) {
        ::poll(nullptr, 0, 10);
        best = std::min(best, fn());
    }
    return best;
}
}  // namespace

BOOST_AUTO_TEST_CASE(exec_checks_through_the_daemon_leave_no_zombie_and_no_descriptor) {
    const std::string helper = HEARTBEAT_HELPER;
    heartbeatd d(
        "checks:\n"
        "  - {name: pass, type: exec, command: ['" +
        helper +
        "', exit, '0'], interval: 10ms}\n"
        "  - {name: fail, type: exec, command: ['" +
        helper +
        "', stderr, 'db down', '1'], interval: 10ms}\n"
        "  - {name: slow, type: exec, command: ['" +
        helper +
        "', sleep, '5'], timeout: 30ms, interval: 10ms}\n"
        "  - {name: orphan, type: exec, command: ['" +
        helper +
        "', grandchild, '5'], interval: 10ms}\n"
        "  - {name: flood, type: exec, command: ['" +
        helper +
        "', flood, '300000'], interval: 10ms}\n"
        "  - {name: shell, type: exec, command: 'echo {\\\"version\\\": \\\"1.0\\\"}', interval: "
        "10ms, probes: [liveliness]}\n");
    int fds_at_start = min_of([&] { return open_fds(d.proc->pid()); });
    auto body = body_of(d.get(base + "/readiness"));
    BOOST_TEST(body.at("checks").at("pass").at("exit_code").as_int64() == 0);
    BOOST_TEST(body.at("checks").at("fail").at("message").as_string() ==
               "exit code 1, expected exit code 0: db down");
    // On a loaded machine (a sanitizer build beside other tests) a 10 ms interval can run late
    // enough for the staleness guard (2 x interval + timeout); its message then quotes the run's.
    std::string slow(body.at("checks").at("slow").at("message").as_string());
    BOOST_TEST((slow.starts_with("timed out after 30ms") ||
                slow.find("(last message: timed out after 30ms") != std::string::npos),
               slow);
    auto live = body_of(d.get(base + "/liveliness"));
    BOOST_TEST(live.at("checks").at("shell").at("version").as_string() == "1.0",
               d.get(base + "/liveliness").body);
    // Six checks every ~10 ms: thousands of runs within seconds. Wait, capped, for them.
    auto total_runs = [&] {
        std::istringstream metrics(d.get("/metrics").body);
        double sum = 0;
        std::string line;
        while (std::getline(metrics, line))
            if (line.starts_with("heartbeat_check_runs_total{"))
                sum += std::stod(line.substr(line.rfind(' ') + 1));
        return sum;
    };
    BOOST_TEST(poll_until([&] { return total_runs() >= 2000; }, 60000), total_runs());
    int fds_at_end = min_of([&] { return open_fds(d.proc->pid()); });
    int zombies = min_of([&] { return zombie_children(d.proc->pid()); });
    BOOST_TEST(fds_at_end == fds_at_start);
    BOOST_TEST(zombies == 0);
    d.proc->signal(SIGTERM);
    BOOST_TEST(d.proc->wait_exit().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(probe_command_exit_codes) {
    scripted_server up([](int) {});
    auto down = refused_port();
    heartbeatd d(
        "checks:\n  - {name: api, type: tcp, host: 127.0.0.1, port: " + std::to_string(up.port()) +
        ", probes: [liveliness]}\n  - {name: db, type: tcp, host: 127.0.0.1, port: " +
        std::to_string(down) + "}\n");
    std::string url = "http://127.0.0.1:" + std::to_string(d.port) + base;
    auto ok = run({HEARTBEAT_BINARY, "probe", url + "/liveliness"});
    BOOST_TEST(ok.code == 0);
    BOOST_TEST(ok.out.empty());
    auto failing = run({HEARTBEAT_BINARY, "probe", url + "/readiness"});
    BOOST_TEST(failing.code == 1);
    BOOST_TEST(std::count(failing.err.begin(), failing.err.end(), '\n') == 1);
    BOOST_TEST(failing.err.find("status 500") != std::string::npos, failing.err);
    auto refused =
        run({HEARTBEAT_BINARY, "probe", "http://127.0.0.1:" + std::to_string(down) + "/"});
    BOOST_TEST(refused.code == 1);
    silent_listener silent;
    auto start = std::chrono::steady_clock::now();
    auto slow =
        run({HEARTBEAT_BINARY, "probe", "http://127.0.0.1:" + std::to_string(silent.port()) + "/",
             "--timeout", "300ms"});
    BOOST_TEST(slow.code == 1);
    BOOST_TEST((std::chrono::steady_clock::now() - start) < 2s);
    BOOST_TEST(run({HEARTBEAT_BINARY, "probe", "not a url"}).code == 1);
    BOOST_TEST(run({HEARTBEAT_BINARY, "probe", "--timeout", "soon"}).code == 1);
}

BOOST_AUTO_TEST_CASE(environ_shows_the_virtualenv_allowed_variables_and_environ_checks) {
    temp_dir venv;
    std::string site = venv.path() + "/lib/python3.11/site-packages";
    std::filesystem::create_directories(site + "/flask-2.2.2.dist-info");
    std::ofstream(site + "/flask-2.2.2.dist-info/METADATA")
        << "Name: Flask\nVersion: 2.2.2\nRequires-Dist: Werkzeug>=2.2.2\n";
    std::filesystem::create_directories(site + "/werkzeug-2.0.0.dist-info");
    std::ofstream(site + "/werkzeug-2.0.0.dist-info/METADATA")
        << "Name: Werkzeug\nVersion: 2.0.0\n";
    std::ofstream(venv.path() + "/pyvenv.cfg") << "home = /usr/bin\nversion = 3.11.7\n";
    const std::string helper = HEARTBEAT_HELPER;
    heartbeatd d("environ:\n  virtualenv: " + venv.path() +
                     "\n  variables: [APP_VERSION]\n"
                     "checks:\n"
                     "  - {name: handlers, type: exec, command: ['" +
                     helper +
                     "', json, '{\"queue_length\": 3}'], probes: [environ]}\n"
                     "  - {name: broken, type: exec, command: ['" +
                     helper + "', exit, '1'], probes: [environ]}\n",
                 {}, {{"APP_VERSION", "1.4.2"}, {"SECRET_TOKEN", "do-not-show"}});
    auto r = d.get(base + "/environ");
    BOOST_TEST(r.status == 200);  // environ describes; its status says the rest
    BOOST_TEST(r.body.find("do-not-show") == std::string::npos);
    auto b = body_of(r);
    BOOST_TEST(b.at("status").as_bool() == false);
    BOOST_TEST(b.at("python").as_array().size() == 3u);
    BOOST_TEST(b.at("python").at(1).as_int64() == 11);
    auto& flask = b.at("libraries").at("Flask").as_object();
    BOOST_TEST(flask.at("version").as_string() == "2.2.2");
    BOOST_TEST(flask.at("conflicts").at(0).at("requirement").as_string() == "Werkzeug>=2.2.2");
    BOOST_TEST(flask.at("conflicts").at(0).at("installed").as_string() == "2.0.0");
    BOOST_TEST(b.at("libraries").at("Werkzeug").at("conflicts").is_null());
    BOOST_TEST(b.at("variables").at("APP_VERSION").as_string() == "1.4.2");
    BOOST_TEST(b.at("variables").as_object().size() == 1u);
    BOOST_TEST(b.at("queue_length").as_int64() == 3);  // the check's data, at the top level
    BOOST_TEST(b.at("checks").at("broken").at("status").as_bool() == false);
    BOOST_TEST(b.at("heartbeat").at("uptime_s").is_number());
    // A check of environ alone answers in the probe format, and fails with 500.
    BOOST_TEST(d.get(base + "/environ/broken").status == 500);
    BOOST_TEST(d.get(base + "/environ/handlers").status == 200);
}

namespace {
/** A UDP socket bound to 127.0.0.53:53 (needs root), or -1. */
int silent_dns_socket() {
    int udp = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(53);
    ::inet_pton(AF_INET, "127.0.0.53", &a.sin_addr);
    if (udp >= 0 && ::bind(udp, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return udp;
    if (udp >= 0) ::close(udp);
    return -1;
}

std::string silent_dns_impossible() {
    int udp = silent_dns_socket();
    if (udp < 0) return "needs root to bind 127.0.0.53:53";
    ::close(udp);
    if (run({"/usr/bin/unshare", "-m", "/bin/true"}).code != 0)
        return "needs root and util-linux's unshare to unshare a mount namespace";
    return "";
}
}  // namespace

// The check runs in a mount namespace whose /etc/resolv.conf names a loopback "DNS server" that
// swallows every query. Needs root (CI and build machines have it); skipped otherwise.
BOOST_AUTO_TEST_CASE(a_dns_server_that_never_answers_cannot_hold_a_run_or_the_exit,
                     *skip_if(silent_dns_impossible)) {
    int udp = silent_dns_socket();
    BOOST_TEST_REQUIRE(udp >= 0);
    temp_dir dir;
    auto resolv = dir.write("resolv.conf", "nameserver 127.0.0.53\noptions timeout:5 attempts:2\n");
    auto cfg = dir.write(
        "h.yaml",
        "checks:\n  - {name: db, type: tcp, host: db.heartbeat-test.example, port: 5432, timeout: "
        "300ms}\n"
        "  - {name: web, type: http, url: 'http://web.heartbeat-test.example/', timeout: 300ms}\n");
    auto start = std::chrono::steady_clock::now();
    auto r = run({"/usr/bin/unshare", "-m", "/bin/sh", "-c",
                  "mount --bind " + resolv + " /etc/resolv.conf && exec " + HEARTBEAT_BINARY +
                      " check --config " + cfg},
                 {}, 30000);
    auto took = std::chrono::steady_clock::now() - start;
    ::close(udp);
    BOOST_TEST(r.code == 1, r.err);
    auto b = json::parse(r.out).as_object();
    BOOST_TEST(b.at("checks").at("db").at("message").as_string() ==
               "timed out after 300ms resolving db.heartbeat-test.example");
    BOOST_TEST(b.at("checks").at("web").at("message").as_string() ==
               "timed out after 300ms resolving web.heartbeat-test.example");
    // The resolver would wait 10 s; the check, and the process exit after it, do not.
    BOOST_TEST(took < 2s);
}
