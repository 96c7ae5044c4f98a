#define BOOST_TEST_MODULE e2e_expect_json
// expect_json through the built daemon: http checks against Python's http.server on loopback
// serving health bodies, exec checks printing JSON; the readiness code and each entry's message,
// secrets kept out of answers and logs; and the JSON Schema agreeing with `validate`.
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "file_server.hpp"
#include "heartbeatd.hpp"
#include "skip.hpp"

using namespace heartbeat::test;
namespace fs = std::filesystem;

namespace {

const std::string token = "tok-e2e-4b1d9f03a7";

// Spring Boot's /actuator/health, up and down.
const std::string spring_up = R"json({"status": "UP", "components": {
  "db": {"status": "UP", "details": {"database": "PostgreSQL", "validationQuery": "isValid()"}},
  "diskSpace": {"status": "UP", "details": {"total": 499963174912, "free": 91300069376,
                "threshold": 10485760, "exists": true}},
  "ping": {"status": "UP"}}})json";
const std::string spring_down = R"({"status": "DOWN", "components": {
  "db": {"status": "DOWN", "details": {"error": "java.sql.SQLTransientConnectionException"}},
  "diskSpace": {"status": "UP", "details": {"total": 499963174912, "free": 91300069376,
                "threshold": 10485760, "exists": true}},
  "ping": {"status": "UP"}}})";

/** The config of an http check of `file` in `dir`, served at `port`, and of an exec check that
 * prints `exec_file`. */
std::string config(const std::string& dir, std::uint16_t port, const std::string& file,
                   const std::string& exec_file) {
    return "checks:\n"
           "  - name: app\n"
           "    type: http\n"
           "    url: http://127.0.0.1:" +
           std::to_string(port) + "/" + file +
           "\n"
           "    headers: {Authorization: Bearer " +
           token +
           "}\n"
           "    interval: 200ms\n"
           "    expect_json:\n"
           "      $.status: UP\n"
           "      $.components.db.status: UP\n"
           "      $.components.diskSpace.details.free: \">= 1e9\"\n"
           "      $.components.length: 3\n"
           "  - name: job\n"
           "    type: exec\n"
           "    command: [cat, " +
           dir + "/" + exec_file +
           "]\n"
           "    interval: 200ms\n"
           "    expect_json: {$.components.ping.status: UP, $.status: \"!= DOWN\"}\n";
}

std::string entry_message(const boost::json::object& body, const std::string& check) {
    return std::string(body.at("checks").at(check).at("message").as_string());
}

/** Whether the schema accepts the file, per tests/support/schema_check.py. */
bool schema_accepts(const std::string& file, std::string& why) {
    auto r = run({file_server_python(),
                  std::string(HEARTBEAT_SOURCE_DIR) + "/tests/support/schema_check.py",
                  std::string(HEARTBEAT_SOURCE_DIR) + "/config/heartbeat.schema.json", file});
    BOOST_TEST_REQUIRE(r.code == 0, "schema check could not run: " << r.err);
    why = r.out;
    return r.out.find(": ok\n") != std::string::npos;
}

std::string schema_missing() {
    auto r = run({file_server_python(), "-c", "import jsonschema, yaml"});
    return r.code == 0 ? "" : "python3-jsonschema or python3-yaml is missing (scripts/setup.sh)";
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_passing_and_a_failing_expect_json_through_the_daemon,
                     *skip_if(file_server_missing)) {
    temp_dir files;
    files.write("up.json", spring_up);
    files.write("down.json", spring_down);
    // The body echoes the token the check sends: it must not come back out of the daemon.
    files.write("echo.json", R"({"status": "UP", "components": {"db": {"status": "Bearer )" +
                                 token + R"("}, "ping": {"status": "UP"}}})");
    file_server server(files.path());

    heartbeatd up(config(files.path(), server.port, "up.json", "up.json"));
    auto r = up.get(base + "/readiness");
    BOOST_TEST(r.status == 200, r.body);
    auto body = body_of(r);
    BOOST_TEST(entry_message(body, "app") == "ok");
    BOOST_TEST(body.at("checks").at("job").at("status").as_bool());

    heartbeatd down(config(files.path(), server.port, "down.json", "down.json"));
    r = down.get(base + "/readiness");
    BOOST_TEST(r.status == 500, r.body);
    body = body_of(r);
    BOOST_TEST(entry_message(body, "app") ==
               "GET http://127.0.0.1:" + std::to_string(server.port) +
                   "/down.json: status 200 but expect_json $.status: expected \"UP\", got "
                   "\"DOWN\"; expect_json $.components.db.status: expected \"UP\", got \"DOWN\"");
    BOOST_TEST(entry_message(body, "job") ==
               "exit code 0, but expect_json $.status: expected anything but \"DOWN\", got "
               "\"DOWN\"");

    heartbeatd echo(config(files.path(), server.port, "echo.json", "up.json"));
    r = echo.get(base + "/readiness");
    BOOST_TEST(r.status == 500, r.body);
    body = body_of(r);
    BOOST_TEST(entry_message(body, "app") ==
               "GET http://127.0.0.1:" + std::to_string(server.port) +
                   "/echo.json: status 200 but expect_json $.components.db.status: expected "
                   "\"UP\", got \"[redacted]\"; expect_json $.components.diskSpace.details.free: "
                   "no such member (the object has \"db\", \"ping\"); expect_json "
                   "$.components.length: expected 3, got 2");
    // Neither the answers (JSON and plain text) nor the log show the token.
    auto verbose = echo.get(base + "/readiness?verbose");
    BOOST_TEST(verbose.body.find("[-]app failed: GET") != std::string::npos, verbose.body);
    BOOST_TEST(poll_until(
        [&] { return echo.proc->stderr_text().find("[redacted]") != std::string::npos; }));
    BOOST_TEST(r.body.find(token) == std::string::npos, r.body);
    BOOST_TEST(verbose.body.find(token) == std::string::npos, verbose.body);
    BOOST_TEST(echo.proc->stderr_text().find(token) == std::string::npos, echo.proc->stderr_text());
}

BOOST_AUTO_TEST_CASE(validate_reports_bad_paths_and_comparisons_at_their_place) {
    temp_dir dir;
    auto file = dir.write("bad.yaml", R"(checks:
  - name: web
    type: http
    url: http://127.0.0.1:9200/_cluster/health
    expect_json:
      $.status: green
      nodes: ">= 3"
      $.shards: ">= many"
)");
    auto r = run({HEARTBEAT_BINARY, "validate", "--config", file});
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.out == file +
                            ":7:7: bad path 'nodes' in 'expect_json': a path starts with $ (did "
                            "you mean '$.nodes'?)\n" +
                            file +
                            ":8:17: bad expectation '>= many' for '$.shards' in 'expect_json': "
                            "'>=' compares numbers: write a number after it, not 'many'\n",
               r.out << r.err);
}

BOOST_AUTO_TEST_CASE(schema_and_validate_agree_on_expect_json, *skip_if(schema_missing)) {
    const std::string http = "checks:\n  - {name: h, type: http, url: 'http://x/', expect_json: ";
    const std::string exec = "checks:\n  - {name: e, type: exec, command: [x], expect_json: ";
    const std::vector<std::pair<std::string, bool>> cases = {
        {http + "{$.status: green}}\n", true},
        {http + "{$: 1, $.a.length: '>= 2', $.n: '< -1.5e3', $.x: null, $.y: true}}\n", true},
        {http + "{'$[\"a.b\"][0]': '!= red', '$.s': '== >= 3', '$.q': '== \"x\"'}}\n", true},
        {http + "{$.a-b_c: 1, $.ü: 2, '$[\"\\\"\"]': 3}}\n", true},
        {exec + "{$.state: ready}}\n", true},
        {http + "{}}\n", false},
        {http + "[1]}\n", false},
        {http + "{status: green}}\n", false},
        {http + "{'$.a b': 1}}\n", false},
        {http + "{'$.*': 1}}\n", false},
        {http + "{'$[-1]': 1}}\n", false},
        {http + "{\"$['a']\": 1}}\n", false},
        {http + "{$..a: 1}}\n", false},
        {http + "{$.a: '>= x'}}\n", false},
        {http + "{$.a: '> \"3\"'}}\n", false},
        {http + "{$.a: '=='}}\n", false},
        {http + "{$.a: '== \"x'}}\n", false},
        {http + "{$.a: [1]}}\n", false},
        {http + "{$.a: {b: 1}}}\n", false},
        {http + "{$.a: 1}, method: HEAD}\n", false},
        {exec + "{$.a: '< x'}}\n", false},
    };
    temp_dir dir;
    int n = 0;
    for (const auto& [text, good] : cases) {
        auto file = dir.write("case" + std::to_string(n++) + ".yaml", text);
        auto v = run({HEARTBEAT_BINARY, "validate", "--config", file});
        std::string why;
        BOOST_TEST((v.code == 0) == good, "validate on:\n" << text << v.out);
        BOOST_TEST(schema_accepts(file, why) == good, "schema on:\n" << text << why);
    }
}
