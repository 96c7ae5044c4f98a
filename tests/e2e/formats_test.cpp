#define BOOST_TEST_MODULE e2e_formats
// The probe bodies by content negotiation, through the built daemon: health+json (checked against
// a JSON Schema of the draft's shape, tests/support/health_json.schema.json), MicroProfile, and
// the default body, byte for byte, for every Accept that asks for nothing else.
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "heartbeatd.hpp"
#include "loopback.hpp"

using namespace heartbeat::test;
namespace fs = std::filesystem;

namespace {

const std::string source = HEARTBEAT_SOURCE_DIR;

/** GET `target` with extra header lines (each ending in CRLF). */
http_reply get_with(std::uint16_t port, const std::string& target, const std::string& headers) {
    return parse_reply(raw_exchange(port,
                                    "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers +
                                        "Connection: close\r\n\r\n",
                                    10000));
}

http_reply get_accepting(std::uint16_t port, const std::string& target, const std::string& accept) {
    return get_with(port, target, "Accept: " + accept + "\r\n");
}

/** The checker's verdict on each file against the health+json schema: `PATH: ok` per line. */
std::string schema_verdicts(const std::vector<std::string>& files) {
    std::vector<std::string> argv = {
        fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3",
        source + "/tests/support/schema_check.py",
        source + "/tests/support/health_json.schema.json"};
    argv.insert(argv.end(), files.begin(), files.end());
    auto r = run(argv);
    BOOST_TEST_REQUIRE(r.code == 0, "schema check could not run: " << r.err);
    return r.out;
}

/** A daemon with a passing check and a failing non-critical one on readiness, a failing critical
 * one on liveliness, and an exec check on startup. The intervals are
 * long: the bodies do not change between the requests compared. */
std::string config_in(const temp_dir& dir) {
    const std::string refused = std::to_string(refused_port());
    std::string c = "checks:\n";
    c += "  - {name: disk, type: file, path: " + dir.path() +
         ", probes: [readiness, liveliness], interval: 1h}\n";
    c += "  - {name: cache, type: tcp, host: 127.0.0.1, port: " + refused +
         ", critical: false, interval: 1h}\n";
    c += "  - {name: db, type: tcp, host: 127.0.0.1, port: " + refused +
         ", probes: [liveliness], interval: 1h}\n";
    c += "  - {name: boot, type: exec, command: [/bin/true], probes: [startup], interval: 1h}\n";
    return c;
}

}  // namespace

// Whatever Accept a probe sends that does not ask for health+json, it gets today's body, byte for
// byte, with today's status and type: never a 406.
BOOST_AUTO_TEST_CASE(the_default_body_is_unchanged_for_every_other_accept) {
    temp_dir dir;
    heartbeatd d(config_in(dir));
    for (const char* probe : {"/readiness", "/liveliness"}) {
        auto plain = d.get(base + probe);
        BOOST_TEST_REQUIRE(plain.header("content-type") == "application/json");
        for (std::string accept :
             {"*/*", "application/json", "application/*", "text/html", "application/xml;q=0.9",
              "application/health+json;q=0", "application/json, application/health+json;q=0.5"}) {
            auto r = get_accepting(d.port, base + probe, accept);
            BOOST_TEST(r.status == plain.status, accept);
            BOOST_TEST(r.header("content-type") == "application/json", accept);
            BOOST_TEST(r.body == plain.body, accept);
        }
        BOOST_TEST(d.get(base + probe + "?format=json").body == plain.body);
    }
}

// health+json by Accept or ?format=: warn (200) while a non-critical check fails, fail (500) for
// a critical one; every answer fits the draft's shape.
BOOST_AUTO_TEST_CASE(health_json_by_accept_or_query_fits_the_draft) {
    temp_dir dir;
    heartbeatd d(config_in(dir));
    auto ready = get_accepting(d.port, base + "/readiness", "application/health+json");
    BOOST_TEST(ready.status == 200, ready.body);
    BOOST_TEST(ready.header("content-type") == "application/health+json");
    auto body = body_of(ready);
    BOOST_TEST(body.at("status").as_string() == "warn", ready.body);
    auto& cache = body.at("checks").at("cache:responseTime").as_array().at(0).as_object();
    BOOST_TEST(cache.at("status").as_string() == "warn");
    BOOST_TEST(cache.at("componentType").as_string() == "component");
    BOOST_TEST(std::string(cache.at("output").as_string()).starts_with("connect 127.0.0.1:"));
    auto& disk = body.at("checks").at("disk:responseTime").as_array().at(0).as_object();
    BOOST_TEST(disk.at("componentType").as_string() == "system");
    BOOST_TEST(disk.at("observedUnit").as_string() == "ms");
    BOOST_TEST(disk.at("observedValue").is_number());
    BOOST_TEST(disk.at("time").as_string() ==
               body_of(d.get(base + "/readiness")).at("checks").at("disk").at("checked_at"));
    BOOST_TEST(d.get(base + "/readiness?format=health+json").body == ready.body);
    BOOST_TEST(
        get_accepting(d.port, base + "/readiness", "application/health+json, */*;q=0.1").body ==
        ready.body);
    // Two Accept headers are one list.
    auto two = get_with(d.port, base + "/readiness",
                        "Accept: text/html\r\nAccept: application/health+json\r\n");
    BOOST_TEST(two.header("content-type") == "application/health+json");

    auto live = get_accepting(d.port, base + "/liveliness", "application/health+json");
    BOOST_TEST(live.status == 500);
    BOOST_TEST(body_of(live).at("status").as_string() == "fail");
    BOOST_TEST(body_of(live).at("output").as_string() == "failing: db");
    auto one = d.get(base + "/readiness/disk?format=health+json");
    BOOST_TEST(one.status == 200);
    BOOST_TEST(body_of(one).at("status").as_string() == "pass", one.body);
    auto startup = d.get(base + "/startup?format=health%2Bjson");

    std::vector<std::string> files;
    for (const auto& [name, r] : std::vector<std::pair<std::string, http_reply>>{
             {"readiness", ready}, {"liveliness", live}, {"one", one}, {"startup", startup}})
        files.push_back(dir.write(name + ".json", r.body));
    auto verdicts = schema_verdicts(files);
    for (const auto& f : files)
        BOOST_TEST(verdicts.find(f + ": ok\n") != std::string::npos, verdicts);
}

// The schema is strict enough to fail: a body off the draft's shape is refused.
BOOST_AUTO_TEST_CASE(the_health_json_schema_refuses_what_the_draft_does_not_allow) {
    temp_dir dir;
    std::vector<std::string> bad = {
        dir.write("status.json", R"({"status":"ok"})"),
        dir.write(
            "key.json",
            R"({"status":"pass","checks":{"db":[{"status":"pass","componentType":"datastore"}]}})"),
        dir.write("output.json", R"({"status":"pass","output":"why"})"),
        dir.write("unit.json", R"({"status":"pass","checks":{"db:responseTime":[{"status":"pass",)"
                               R"("componentType":"datastore","observedValue":1}]}})"),
    };
    auto verdicts = schema_verdicts(bad);
    for (const auto& f : bad)
        BOOST_TEST(verdicts.find(f + ": invalid") != std::string::npos, verdicts);
}

// MicroProfile Health 3.x: UP with 200, DOWN with 503, as its specification says.
BOOST_AUTO_TEST_CASE(microprofile_answers_503_when_down) {
    temp_dir dir;
    heartbeatd d(config_in(dir));
    auto ready = d.get(base + "/readiness?format=microprofile");
    BOOST_TEST(ready.status == 200, ready.body);
    BOOST_TEST(ready.header("content-type") == "application/json");
    auto body = body_of(ready);
    BOOST_TEST(body.at("status").as_string() == "UP");
    BOOST_TEST(body.at("checks").as_array().size() == 2u);
    for (const auto& c : body.at("checks").as_array()) {
        BOOST_TEST(c.as_object().contains("name"));
        BOOST_TEST(c.at("data").at("message").is_string());
    }
    auto live = d.get(base + "/liveliness?format=microprofile");
    BOOST_TEST(live.status == 503, live.body);
    BOOST_TEST(body_of(live).at("status").as_string() == "DOWN");
    // HEAD: the same status, no body.
    auto head = d.get(base + "/liveliness?format=microprofile", "HEAD");
    BOOST_TEST(head.status == 503);
    BOOST_TEST(head.body.empty());
}

// A whole probe is written from the response prepared when its answer was rendered; a filtered
// one is built for the request. Both carry the same status, headers and body, kept alive or not.
BOOST_AUTO_TEST_CASE(a_prepared_answer_has_the_headers_of_a_built_one) {
    temp_dir dir;
    heartbeatd d(config_in(dir));
    for (std::string probe : {"/readiness", "/liveliness"}) {
        for (std::string query : {"", "?format=health+json", "?format=microprofile"}) {
            auto prepared = d.get(base + probe + query);
            auto built = d.get(base + probe + query + (query.empty() ? "?" : "&") + "exclude=zz");
            BOOST_TEST(prepared.status == built.status, probe << query);
            BOOST_TEST(prepared.headers == built.headers, probe << query);
            BOOST_TEST(prepared.body == built.body, probe << query);
        }
    }
    // Kept alive: two requests on one connection, the second answered whole.
    const std::string get = "GET " + base + "/readiness HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    auto raw = raw_exchange(d.port, get + "\r\n" + get + "Connection: close\r\n\r\n", 10000);
    std::size_t used = 0;
    auto first = parse_reply(raw, false, &used);
    auto second = parse_reply(raw.substr(used));
    BOOST_TEST(first.status == 200);
    BOOST_TEST(first.header("connection").empty());
    BOOST_TEST(second.status == 200);
    BOOST_TEST(second.header("connection") == "close");
    BOOST_TEST(second.body == first.body);
}
