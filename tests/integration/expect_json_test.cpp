#define BOOST_TEST_MODULE integration_expect_json
// expect_json on real bodies and real stdout: http checks against Python's http.server serving a
// folder of JSON files on loopback, exec checks whose commands print JSON; each run as the daemon
// runs it (run_check: timed, secrets redacted).
#include <boost/test/unit_test.hpp>

#include "child.hpp"
#include "file_server.hpp"
#include "heartbeat/config.hpp"
#include "run_check.hpp"
#include "skip.hpp"

using namespace heartbeat;
using namespace heartbeat::test;
using namespace std::chrono_literals;

namespace {

// A cluster health as Elasticsearch answers GET /_cluster/health.
const std::string yellow_cluster = R"({
  "cluster_name": "logs", "status": "yellow", "timed_out": false,
  "number_of_nodes": 2, "number_of_data_nodes": 2, "active_primary_shards": 12,
  "active_shards": 12, "relocating_shards": 0, "initializing_shards": 0,
  "unassigned_shards": 12, "delayed_unassigned_shards": 0, "number_of_pending_tasks": 0,
  "active_shards_percent_as_number": 50.0
})";

/** The keys of one check, as a config file gives them, loaded as the daemon loads them. */
check_config load_check(const std::string& keys) {
    auto r = parse_config("checks:\n  - name: t\n    timeout: 5s\n" + keys, "test.yaml");
    std::string why;
    for (const auto& d : r.diagnostics) why += d.format("test.yaml") + "\n";
    BOOST_TEST_REQUIRE(r.ok(), why);
    return r.cfg->checks.at(0);
}

/** A folder of JSON files, served. */
struct health_files {
    temp_dir dir;
    std::unique_ptr<file_server> server;
    health_files() {
        dir.write("green.json", R"({"status": "green", "number_of_nodes": 3, "unassigned_shards": 0,
                                   "active_shards_percent_as_number": 100.0})");
        dir.write("yellow.json", yellow_cluster);
        dir.write("page.html", "<html><body>Bad Gateway</body></html>\n");
        dir.write("big.json", "[" + std::string(70000, ' ') + "1]");
        dir.write("echo.json", R"({"authorization": "Bearer tok-3f9a1c77e2d54b08"})");
        server = std::make_unique<file_server>(dir.path());
    }
    std::string check(const std::string& file, const std::string& more) const {
        return "    type: http\n    url: " + server->url(file) + "\n" + more;
    }
};

const std::string cluster_assertions = R"(    expect_json:
      $.status: green
      $.number_of_nodes: ">= 3"
      $.unassigned_shards: 0
      $.active_shards_percent_as_number: 100
)";

}  // namespace

BOOST_AUTO_TEST_SUITE(http_bodies, *skip_if(file_server_missing))

BOOST_AUTO_TEST_CASE(a_healthy_cluster_passes) {
    health_files files;
    auto t = run_once(load_check(files.check("green.json", cluster_assertions)));
    BOOST_TEST(t.result.ok, t.result.message);
    BOOST_TEST(t.result.message == "ok");
    BOOST_TEST(t.result.facts.at("status_code").as_int64() == 200);
}

BOOST_AUTO_TEST_CASE(a_degraded_cluster_fails_with_every_assertion_that_failed) {
    health_files files;
    auto t = run_once(load_check(files.check("yellow.json", cluster_assertions)));
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message ==
               "GET " + files.server->url("yellow.json") +
                   ": status 200 but expect_json $.status: expected \"green\", got \"yellow\"; "
                   "expect_json $.number_of_nodes: expected >= 3, got 2; expect_json "
                   "$.unassigned_shards: expected 0, got 12; expect_json "
                   "$.active_shards_percent_as_number: expected 100, got 50");
}

BOOST_AUTO_TEST_CASE(a_body_that_is_not_json_or_too_long_says_so) {
    health_files files;
    auto t = run_once(load_check(files.check("page.html", "    expect_json: {$.status: green}\n")));
    BOOST_TEST(t.result.message ==
               "GET " + files.server->url("page.html") +
                   ": status 200 but the body is not JSON (syntax error at byte 0): "
                   "'<html><body>Bad Gateway</body></html>\\n'");
    t = run_once(load_check(files.check("big.json", "    expect_json: {'$[0]': 1}\n")));
    BOOST_TEST(t.result.message ==
               "GET " + files.server->url("big.json") +
                   ": status 200 but the body was cut at 64 KiB (no more is read): expect_json "
                   "needs the whole document");
    t = run_once(load_check(files.check("missing.json", "    expect_json: {$.status: green}\n")));
    BOOST_TEST(t.result.message ==
               "GET " + files.server->url("missing.json") + ": status 404, expected 200-399");
}

BOOST_AUTO_TEST_CASE(a_secret_the_body_echoes_is_redacted) {
    health_files files;
    auto c = load_check(
        files.check("echo.json", R"(    headers: {Authorization: Bearer tok-3f9a1c77e2d54b08}
    expect_json: {$.authorization: none}
)"));
    auto t = run_once(c);
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message.find("tok-3f9a1c77e2d54b08") == std::string::npos,
               t.result.message);
    BOOST_TEST(t.result.message ==
               "GET " + files.server->url("echo.json") +
                   ": status 200 but expect_json $.authorization: expected \"none\", got "
                   "\"[redacted]\"");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(exec_stdout)

BOOST_AUTO_TEST_CASE(a_command_printing_json_is_judged) {
    temp_dir dir;
    auto ready = dir.write("ready.json", R"({"state": "ready", "queue": {"depth": 4}})");
    auto c = load_check("    type: exec\n    command: [cat, " + ready +
                        "]\n    expect_json: {$.state: ready, $.queue.depth: \"< 10\"}\n");
    auto t = run_once(c);
    BOOST_TEST(t.result.ok, t.result.message);
    BOOST_TEST(t.result.data.at("state").as_string() == "ready");  // still in the entry
    c = load_check("    type: exec\n    command: [cat, " + ready +
                   "]\n    expect_json: {$.state: ready, $.queue.depth: \"< 3\"}\n");
    t = run_once(c);
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message ==
               "exit code 0, but expect_json $.queue.depth: expected < 3, got 4");
}

BOOST_AUTO_TEST_CASE(stdout_past_the_64_kib_captured_is_not_misread) {
    // 128 KiB of output: the capture keeps 64 KiB and drains the rest.
    auto c = load_check(std::string("    type: exec\n    command: [") + HEARTBEAT_HELPER +
                        ", flood, 131072]\n    expect_json: {$.a: 1}\n");
    auto t = run_once(c);
    BOOST_TEST(t.result.message ==
               "exit code 0, but stdout was cut at 64 KiB (no more is read): expect_json needs the "
               "whole document");
    c = load_check(std::string("    type: exec\n    command: [") + HEARTBEAT_HELPER +
                   ", print, 'not json']\n    expect_json: {$.a: 1}\n");
    t = run_once(c);
    BOOST_TEST(t.result.message ==
               "exit code 0, but stdout is not JSON (syntax error at byte 0): 'not json\\n'");
}

BOOST_AUTO_TEST_SUITE_END()
