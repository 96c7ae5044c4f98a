#define BOOST_TEST_MODULE e2e_probe_semantics
// How checks are run and reported, through the built daemon: interval_failing, critical: false.
#include <boost/test/unit_test.hpp>

#include <boost/json/serialize.hpp>

#include <signal.h>

#include <fstream>

#include "heartbeatd.hpp"
#include "loopback.hpp"

using namespace heartbeat::test;

namespace {

/** The lines of `path`: how many runs an exec check that appends one per run has made. */
int lines_of(const std::string& path) {
    std::ifstream in(path);
    int n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
}

}  // namespace

// A check that runs every 30 s, every 200 ms while it fails: five failing runs come within
// seconds, and once it is reported passing no run comes for a second (at the failing interval,
// five would).
BOOST_AUTO_TEST_CASE(a_failing_check_runs_at_interval_failing_and_slows_down_once_it_passes) {
    temp_dir dir;
    const std::string runs = dir.path() + "/runs", up = dir.path() + "/up";
    heartbeatd d("checks:\n"
                 "  - name: job\n"
                 "    type: exec\n"
                 "    command: [/bin/sh, -c, 'echo run >> " + runs + "; test -e " + up + "']\n"
                 "    interval: 30s\n"
                 "    interval_failing: 200ms\n");
    BOOST_TEST(d.get(base + "/readiness").status == 500);
    BOOST_TEST(poll_until([&] { return lines_of(runs) >= 5; }, 10000), lines_of(runs));

    dir.write("up", "");
    BOOST_TEST_REQUIRE(poll_until([&] { return d.get(base + "/readiness").status == 200; }, 10000));
    const int at_recovery = lines_of(runs);
    bool ran_again = poll_until([&] { return lines_of(runs) > at_recovery; }, 1000);
    BOOST_TEST(!ran_again, "a run came " << lines_of(runs) - at_recovery << " time(s) after it "
                                            "passed, at the failing interval");
    BOOST_TEST(d.get(base + "/readiness").status == 200);
}

// critical: false through the daemon: readiness and startup pass on the critical check alone, the
// body lists the failing one in warnings, ?verbose marks it [!], and /metrics shows its real
// state beside probes that are up; validate warns about a probe of non-critical checks only.
BOOST_AUTO_TEST_CASE(a_non_critical_check_is_a_warning_not_a_failure) {
    temp_dir dir;
    const std::string config =
        "checks:\n"
        "  - {name: disk, type: file, path: " + dir.path() + ", probes: [readiness, startup]}\n"
        "  - {name: cache, type: tcp, host: 127.0.0.1, port: " + std::to_string(refused_port()) +
        ", critical: false, probes: [readiness, startup], interval: 200ms}\n";
    heartbeatd d(config);
    for (const char* probe : {"/readiness", "/startup"}) {
        auto r = d.get(base + probe);
        BOOST_TEST(r.status == 200, r.body);
        auto body = body_of(r);
        BOOST_TEST(!body.at("checks").at("cache").at("status").as_bool(), r.body);
        BOOST_TEST(boost::json::serialize(body.at("warnings")) == R"(["cache"])", r.body);
    }
    auto verbose = d.get(base + "/readiness?verbose").body;
    BOOST_TEST(verbose.find("[!]cache warn: connect 127.0.0.1:") != std::string::npos, verbose);
    BOOST_TEST(verbose.find("[+]disk ok") != std::string::npos, verbose);
    BOOST_TEST(verbose.ends_with("readiness check passed\n"), verbose);
    auto metrics = d.get("/metrics").body;
    BOOST_TEST(metrics.find("heartbeat_check_up{check=\"cache\",type=\"tcp\"} 0\n") !=
                   std::string::npos,
               metrics);
    BOOST_TEST(metrics.find("heartbeat_probe_up{probe=\"readiness\"} 1\n") != std::string::npos,
               metrics);

    auto only = dir.write("only.yaml", "checks:\n  - {name: cache, type: tcp, host: 127.0.0.1, "
                                       "port: 1, critical: false}\n");
    auto v = run({HEARTBEAT_BINARY, "validate", "--config", only});
    BOOST_TEST(v.code == 0, v.out);
    BOOST_TEST(v.out.find(only + ":2:5: warning: every readiness check is critical: false") !=
                   std::string::npos,
               v.out);
}

namespace {

http_reply send(std::uint16_t port, const std::string& method, const std::string& target,
                const std::string& headers = "") {
    return parse_reply(raw_exchange(port,
                                    method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                                        headers + "Content-Length: 0\r\nConnection: close\r\n\r\n",
                                    10000));
}

bool in_maintenance(heartbeatd& d) {
    auto r = d.get(base + "/readiness");
    return r.status == 500 && r.body.find(R"("message":"maintenance")") != std::string::npos;
}

}  // namespace

// Maintenance: SIGUSR1 toggles it; PUT and DELETE on the push listener (with its token) switch it,
// the main listener never; while on, readiness fails with "maintenance", liveliness passes, the
// metric says 1; a reload keeps it, a restart ends it.
BOOST_AUTO_TEST_CASE(maintenance_takes_readiness_out_of_traffic_until_turned_off) {
    temp_dir secrets;
    const std::string token = "maint-tok-5c2a91";
    auto token_file = secrets.write("token", token + "\n");
    const std::string server =
        "server:\n  push_listen: 127.0.0.1:0\n  maintenance_switch: true\n  push_token_file: " +
        token_file + "\n";
    heartbeatd d(server +
                 "checks:\n  - {name: disk, type: file, path: /, probes: [readiness, "
                 "liveliness]}\n");
    auto m = d.proc->wait_for_line(std::regex("taking push reports on 127\\.0\\.0\\.1:(\\d+)"));
    BOOST_TEST_REQUIRE(m.has_value(), d.proc->stderr_text());
    auto push_port = static_cast<std::uint16_t>(std::stoi((*m)[1]));
    const std::string maintenance = base + "/maintenance";
    const std::string bearer = "Authorization: Bearer " + token + "\r\n";
    auto gauge = [&] {
        auto metrics = d.get("/metrics").body;
        auto at = metrics.find("\nheartbeat_maintenance ");
        return at == std::string::npos ? std::string("none") : metrics.substr(at + 23, 1);
    };
    BOOST_TEST(d.get(base + "/readiness").status == 200);
    BOOST_TEST(gauge() == "0");

    // SIGUSR1 on, SIGUSR1 off.
    d.proc->signal(SIGUSR1);
    BOOST_TEST_REQUIRE(poll_until([&] { return in_maintenance(d); }, 10000));
    BOOST_TEST(d.get(base + "/liveliness").status == 200);
    BOOST_TEST(gauge() == "1");
    auto verbose = d.get(base + "/readiness?verbose").body;
    BOOST_TEST(verbose.find("[-]maintenance failed: maintenance is on") != std::string::npos,
               verbose);
    BOOST_TEST(d.proc->wait_for_line(std::regex("maintenance on \\(SIGUSR1\\)")).has_value());
    d.proc->signal(SIGUSR1);
    BOOST_TEST_REQUIRE(poll_until([&] { return d.get(base + "/readiness").status == 200; }, 10000));
    BOOST_TEST(gauge() == "0");

    // Never on the main listener; not without the token.
    auto on_main = send(d.port, "PUT", maintenance, bearer);
    BOOST_TEST(on_main.status == 404);
    BOOST_TEST(on_main.body.find("server.push_listen (127.0.0.1:" + std::to_string(push_port) +
                                 "), or send SIGUSR1") != std::string::npos,
               on_main.body);
    BOOST_TEST(send(push_port, "PUT", maintenance).status == 401);
    BOOST_TEST(d.get(base + "/readiness").status == 200);

    // PUT on the push listener: on at once, as the answer says.
    auto put = send(push_port, "PUT", maintenance, bearer);
    BOOST_TEST(put.status == 200, put.body);
    BOOST_TEST(body_of(put).at("maintenance").as_bool());
    BOOST_TEST(in_maintenance(d));
    auto health = d.get(base + "/readiness?format=health+json");
    BOOST_TEST(health.status == 500);
    BOOST_TEST(body_of(health).at("output").as_string() == "maintenance");

    // A reload keeps it: the new check shows, readiness stays out.
    d.dir.write("heartbeat.yaml", server +
                                      "checks:\n  - {name: disk, type: file, path: /, "
                                      "probes: [readiness, liveliness]}\n"
                                      "  - {name: root, type: file, path: /}\n");
    d.proc->signal(SIGHUP);
    BOOST_TEST_REQUIRE(
        d.proc->wait_for_line(std::regex("reloaded \\(SIGHUP\\): 2 checks")).has_value(),
        d.proc->stderr_text());
    auto after = d.get(base + "/readiness");
    BOOST_TEST(after.status == 500);
    BOOST_TEST(after.body.find(R"("root":)") != std::string::npos, after.body);
    BOOST_TEST(in_maintenance(d));
    BOOST_TEST(body_of(send(push_port, "GET", maintenance, bearer)).at("maintenance").as_bool());

    // DELETE: back in traffic.
    auto del = send(push_port, "DELETE", maintenance, bearer);
    BOOST_TEST(del.status == 200);
    BOOST_TEST(!body_of(del).at("maintenance").as_bool());
    BOOST_TEST(d.get(base + "/readiness").status == 200);

    // A restart ends it: a restarted pod comes back into service.
    send(push_port, "PUT", maintenance, bearer);
    BOOST_TEST(in_maintenance(d));
    d.proc->signal(SIGTERM);
    BOOST_TEST(d.proc->wait_exit().value_or(-1) == 0);
    d.start();
    BOOST_TEST(d.get(base + "/readiness").status == 200);
    BOOST_TEST(d.proc->stderr_text().find(token) == std::string::npos);
}
