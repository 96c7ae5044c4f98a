#define BOOST_TEST_MODULE e2e_push
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include "heartbeatd.hpp"

// A push check through the built daemon: the application's reports over HTTP on the push listener,
// readiness following them, the ttl failing it when they stop, and the main listener refusing them.

using namespace heartbeat::test;

namespace {

const std::string token = "push-tok-3e9d1f7a";

http_reply send(std::uint16_t port, const std::string& method, const std::string& target,
                const std::string& body, const std::string& headers = "") {
    std::string req =
        method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers +
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nConnection: close\r\n\r\n" + body;
    return parse_reply(raw_exchange(port, req, 10000));
}

std::string worker_message(heartbeatd& d, const std::string& probe = "readiness") {
    auto r = d.get(base + "/" + probe);
    return std::string(body_of(r).at("checks").at("worker").at("message").as_string());
}

}  // namespace

BOOST_AUTO_TEST_CASE(reports_drive_readiness_until_they_stop) {
    temp_dir secrets;
    auto token_file = secrets.write("push-token", token + "\n");
    heartbeatd d(
        "server:\n  push_listen: 127.0.0.1:0\n  push_token_file: " + token_file +
            "\n"
            "checks:\n"
            "  - {name: worker, type: push, ttl: 2s, probes: [readiness, liveliness, startup]}\n",
        {"--log-level", "debug"});
    auto m = d.proc->wait_for_line(std::regex("taking push reports on 127\\.0\\.0\\.1:(\\d+)"));
    BOOST_TEST_REQUIRE(m.has_value(), d.proc->stderr_text());
    auto push_port = static_cast<std::uint16_t>(std::stoi((*m)[1]));
    const std::string report = base + "/push/worker";
    const std::string bearer = "Authorization: Bearer " + token + "\r\n";

    // Before any report: failing on readiness and liveliness, pending on startup, at once.
    BOOST_TEST(d.get(base + "/readiness").status == 500);
    BOOST_TEST(d.get(base + "/liveliness").status == 500);
    BOOST_TEST(d.get(base + "/startup").status == 500);
    BOOST_TEST(worker_message(d) == "no report yet");

    // The main listener takes no report, and says where they go.
    auto on_main = send(d.port, "PUT", report, R"({"status": true})", bearer);
    BOOST_TEST(on_main.status == 404);
    BOOST_TEST(on_main.body.find("server.push_listen") != std::string::npos, on_main.body);
    BOOST_TEST(d.get(base + "/readiness").status == 500);

    // Without the token: refused, nothing changes.
    auto anonymous = send(push_port, "PUT", report, R"({"status": true})");
    BOOST_TEST(anonymous.status == 401);
    BOOST_TEST(d.get(base + "/readiness").status == 500);

    // A report: ready, with the application's data in the entry (and the token it echoed hidden).
    auto ok = send(push_port, "PUT", report,
                   R"({"status": true, "message": "consumer caught up", "queue": 3, "echo": ")" +
                       token + R"("})",
                   bearer);
    BOOST_TEST(ok.status == 200, ok.body);
    auto ready = d.get(base + "/readiness");
    BOOST_TEST(ready.status == 200, ready.body);
    auto entry = body_of(ready).at("checks").at("worker").as_object();
    BOOST_TEST(entry.at("message").as_string() == "consumer caught up");
    BOOST_TEST(entry.at("queue").as_int64() == 3);
    BOOST_TEST(entry.at("echo").as_string() == "[redacted]");
    BOOST_TEST(d.get(base + "/startup").status == 200);

    // The reports stop: after the ttl the check fails, saying so.
    BOOST_TEST(poll_until([&] { return d.get(base + "/readiness").status == 500; }, 15000));
    BOOST_TEST(worker_message(d) == "no report for 2s");
    BOOST_TEST(d.get(base + "/startup").status == 200);  // the latch holds
    auto metrics = d.get("/metrics").body;
    BOOST_TEST(metrics.find("heartbeat_check_runs_total{check=\"worker\",result=\"success\"} 1") !=
                   std::string::npos,
               metrics);

    d.proc->signal(SIGTERM);
    BOOST_TEST(d.proc->wait_exit().value_or(-1) == 0);
    BOOST_TEST(d.proc->stderr_text().find(token) == std::string::npos, d.proc->stderr_text());
    BOOST_TEST(
        d.proc->stderr_text().find(
            "check worker (push) now failing after 1 consecutive failures: no report for 2s") !=
        std::string::npos);
}

BOOST_AUTO_TEST_CASE(without_push_checks_no_push_listener_opens) {
    heartbeatd d("server:\n  push_listen: 127.0.0.1:0\nchecks: []\n");
    BOOST_TEST(d.get(base + "/readiness").status == 200);
    BOOST_TEST(d.proc->stderr_text().find("taking push reports") == std::string::npos);
    auto on_main = send(d.port, "POST", base + "/push/worker", R"({"status": true})");
    BOOST_TEST(on_main.status == 404);
    BOOST_TEST(on_main.body.find("no push listener is open") != std::string::npos, on_main.body);
}

BOOST_AUTO_TEST_CASE(validate_reports_a_missing_token_file_and_a_missing_ttl) {
    temp_dir dir;
    auto path = dir.write("heartbeat.yaml",
                          "server:\n  push_token_file: /nonexistent/push-token\n"
                          "checks:\n  - {name: worker, type: push}\n");
    auto r = run({HEARTBEAT_BINARY, "validate", "--config", path});
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.out.find(path + ":2:20: cannot read server.push_token_file "
                                 "'/nonexistent/push-token'") != std::string::npos,
               r.out);
    BOOST_TEST(r.out.find("missing required key 'ttl' in check 'worker' (push check)") !=
                   std::string::npos,
               r.out);
}
