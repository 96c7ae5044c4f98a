#define BOOST_TEST_MODULE push
#include <boost/test/unit_test.hpp>

#include <fstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "child.hpp"
#include "heartbeat/check_status.hpp"
#include "heartbeat/checks/push/run.hpp"
#include "heartbeat/config.hpp"
#include "heartbeat/probes.hpp"
#include "heartbeat/push_listener.hpp"
#include "heartbeat/reload_plan.hpp"
#include "heartbeat/schedule.hpp"
#include "printing.hpp"

// The push check without sockets: its keys and their messages, the server keys of its listener, a
// report's body as a result, the missed-report result, and the listener's answers to every
// request, against a fake sink that shows whether anything was recorded.

using namespace heartbeat;
using namespace std::chrono_literals;
using heartbeat::test::temp_dir;

namespace {

load_result parse(const std::string& text, const std::string& path = "test.yaml") {
    return parse_config(text, path);
}

std::string printed(const load_result& r) {
    std::string out;
    for (auto& d : r.diagnostics) out += d.format("test.yaml") + "\n";
    return out;
}

bool mentions(const load_result& r, const std::string& text) {
    return printed(r).find(text) != std::string::npos;
}

const std::string one_push = R"(checks:
  - name: worker
    type: push
    ttl: 30s
)";

}  // namespace

BOOST_AUTO_TEST_CASE(a_push_check_loads_with_its_ttl_and_the_listener_defaults) {
    auto r = parse(one_push);
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST(r.diagnostics.empty(), printed(r));
    const auto& c = r.cfg->checks.at(0);
    BOOST_TEST_REQUIRE(as_push(c) != nullptr);
    BOOST_TEST(as_push(c)->ttl == 30s);
    BOOST_TEST(c.type() == "push");
    const auto& s = r.cfg->server;
    BOOST_TEST(s.push_enabled);
    BOOST_TEST(s.push_host == "127.0.0.1");
    BOOST_TEST(s.push_port == 8081);
    BOOST_TEST(s.push_token.empty());
}

BOOST_AUTO_TEST_CASE(ttl_is_required_and_must_be_a_duration_with_positions) {
    auto missing = parse("checks:\n  - name: worker\n    type: push\n");
    BOOST_TEST(!missing.ok());
    BOOST_TEST(mentions(missing,
                        "test.yaml:2:5: missing required key 'ttl' in check 'worker' (push check)"),
               printed(missing));
    auto bad = parse("checks:\n  - name: worker\n    type: push\n    ttl: soon\n");
    BOOST_TEST(!bad.ok());
    BOOST_TEST(mentions(bad, "test.yaml:4:10: "), printed(bad));
    auto zero = parse("checks:\n  - name: worker\n    type: push\n    ttl: 0\n");
    BOOST_TEST(!zero.ok(), printed(zero));
    BOOST_TEST(mentions(zero, "test.yaml:4:10: "), printed(zero));
    auto typo = parse("checks:\n  - name: worker\n    type: push\n    ttl: 5s\n    tll: 5s\n");
    BOOST_TEST(!typo.ok());
    BOOST_TEST(mentions(typo, "test.yaml:5:5: "), printed(typo));
    BOOST_TEST(mentions(typo, "did you mean 'ttl'"), printed(typo));
}

BOOST_AUTO_TEST_CASE(interval_and_timeout_on_a_push_check_are_warned_about) {
    auto r = parse("checks:\n  - name: worker\n    type: push\n    ttl: 5s\n    interval: 2s\n");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST(mentions(r, "test.yaml:5:15: warning: 'interval' does nothing on a push check"),
               printed(r));
}

BOOST_AUTO_TEST_CASE(push_listen_takes_host_port_or_turns_off) {
    auto set = parse("server:\n  push_listen: \"[::1]:9001\"\n" + one_push);
    BOOST_TEST_REQUIRE(set.ok(), printed(set));
    BOOST_TEST(set.cfg->server.push_host == "::1");
    BOOST_TEST(set.cfg->server.push_port == 9001);
    for (std::string off : {"\"\"", "false", "''"}) {
        auto r = parse("server:\n  push_listen: " + off + "\n");
        BOOST_TEST_REQUIRE(r.ok(), printed(r));
        BOOST_TEST(!r.cfg->server.push_enabled, off);
        BOOST_TEST(r.diagnostics.empty(), printed(r));
    }
    auto bad = parse("server:\n  push_listen: localhost\n");
    BOOST_TEST(!bad.ok());
    BOOST_TEST(mentions(bad, "test.yaml:2:16: 'push_listen' must be host:port"), printed(bad));
}

BOOST_AUTO_TEST_CASE(push_checks_without_a_listener_are_warned_about) {
    auto r = parse("server:\n  push_listen: false\n" + one_push);
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST(mentions(r, "test.yaml:2:16: warning: push checks (worker) get no reports"),
               printed(r));
}

BOOST_AUTO_TEST_CASE(push_listen_must_differ_from_listen_when_it_opens) {
    auto clash = parse("server:\n  listen: 127.0.0.1:8081\n" + one_push);
    BOOST_TEST(!clash.ok());
    BOOST_TEST(mentions(clash, "'push_listen' (8081) must differ from 'listen'"), printed(clash));
    // Without push checks the push listener never opens: no clash.
    auto none = parse("server:\n  listen: 127.0.0.1:8081\n");
    BOOST_TEST(none.ok(), printed(none));
    // Nor does a push_listen written out alone: upgrading never opens a port that was closed.
    auto written = parse("server:\n  listen: 127.0.0.1:8081\n  push_listen: 127.0.0.1:8081\n");
    BOOST_TEST(written.ok(), printed(written));
    // The maintenance switch opens it.
    auto set = parse("server:\n  listen: 127.0.0.1:8081\n  maintenance_switch: true\n");
    BOOST_TEST(!set.ok());
    BOOST_TEST(mentions(set, "'push_listen' (8081) must differ from 'listen'"), printed(set));
    auto apart = parse("server:\n  maintenance_switch: true\n");
    BOOST_TEST_REQUIRE(apart.ok(), printed(apart));
    BOOST_TEST(apart.cfg->server.maintenance_switch);
    auto off = parse("server:\n  push_listen: false\n  maintenance_switch: true\n");
    BOOST_TEST_REQUIRE(off.ok(), printed(off));
    BOOST_TEST(mentions(off, "test.yaml:3:23: warning: server.maintenance_switch has no listener"),
               printed(off));
}

BOOST_AUTO_TEST_CASE(the_token_file_is_read_relative_to_the_config_and_never_shown) {
    temp_dir dir;
    dir.write("token", "s3cret-token-value\n");
    auto r =
        parse("server:\n  push_token_file: token\n" + one_push, dir.path() + "/heartbeat.yaml");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST(r.cfg->server.push_token == "s3cret-token-value");  // the newline dropped
    BOOST_TEST(r.cfg->server.push_token_file == "token");

    auto missing = parse("server:\n  push_token_file: /nonexistent/token\n" + one_push);
    BOOST_TEST(!missing.ok());
    BOOST_TEST(mentions(missing,
                        "test.yaml:2:20: cannot read server.push_token_file "
                        "'/nonexistent/token': no such file or directory"),
               printed(missing));

    dir.write("empty", "\n");
    auto empty = parse("server:\n  push_token_file: empty\n", dir.path() + "/heartbeat.yaml");
    BOOST_TEST(!empty.ok());
    BOOST_TEST(mentions(empty, "it is empty"), printed(empty));

    dir.write("spaced", "two words\n");
    auto spaced = parse("server:\n  push_token_file: spaced\n", dir.path() + "/heartbeat.yaml");
    BOOST_TEST(!spaced.ok());
    BOOST_TEST(!mentions(spaced, "two words"), printed(spaced));

    // Quotes and backslashes are escaped in JSON answers, where a report could spell them.
    for (std::string bad : {"tok\\en-123456", "tok\"en-123456"}) {
        dir.write("quoted", bad + "\n");
        auto quoted = parse("server:\n  push_token_file: quoted\n", dir.path() + "/heartbeat.yaml");
        BOOST_TEST(!quoted.ok(), bad);
        BOOST_TEST(mentions(quoted, "without spaces, quotes or backslashes"), printed(quoted));
    }
}

// A control character shown escaped (\u000f) could end in the token's first letters: a report's
// text has none, in keys and values at any depth.
BOOST_AUTO_TEST_CASE(control_characters_in_a_report_become_spaces) {
    auto r = parse_report(
        R"({"status": true, "message": "a\nb", "k\u000fey": ["x\u000fuzz", {"\u001f": "\u007f"}]})");
    auto& result = std::get<check_result>(r);
    BOOST_TEST(result.message == "a b");
    BOOST_TEST(json::serialize(result.data) == R"({"k ey":["x uzz",{" ":" "}]})");
}

BOOST_AUTO_TEST_CASE(the_token_file_names_a_folder_is_an_error_naming_it) {
    temp_dir dir;
    auto r = parse("server:\n  push_token_file: " + dir.path() + "\n");
    BOOST_TEST(!r.ok());
    BOOST_TEST(mentions(r, "cannot read server.push_token_file '" + dir.path() + "'"), printed(r));
}

BOOST_AUTO_TEST_CASE(push_listen_waits_for_a_restart_and_the_token_does_not) {
    auto before = parse(one_push).cfg.value();
    auto after = before;
    after.server.push_port = 9000;
    after.server.push_token = "new-token";
    auto plan = plan_reload(before, after);
    BOOST_TEST(plan.wait_for_restart == std::vector<std::string>{"push_listen"});
    BOOST_TEST(plan.next.server.push_port == 8081);
    BOOST_TEST(plan.next.server.push_token == "new-token");
    // A changed ttl is a changed check.
    auto longer = before;
    std::get<push_spec>(longer.checks[0].spec).ttl = 60s;
    BOOST_TEST(compare_checks(before.checks, longer.checks).changed ==
               std::vector<std::string>{"worker"});
    BOOST_TEST(compare_checks(before.checks, before.checks).unchanged ==
               std::vector<std::string>{"worker"});
}

BOOST_AUTO_TEST_CASE(a_report_becomes_a_result_with_its_data) {
    auto r = parse_report(R"({"status": true, "message": "queue drained", "depth": 3,
                              "lag": {"s": 1.5}})");
    BOOST_TEST_REQUIRE(std::holds_alternative<check_result>(r));
    auto& res = std::get<check_result>(r);
    BOOST_TEST(res.ok);
    BOOST_TEST(res.message == "queue drained");
    BOOST_TEST(res.elapsed.count() == 0);
    BOOST_TEST(res.data.size() == 2u);
    BOOST_TEST(res.data.at("depth").as_int64() == 3);
    BOOST_TEST(res.data.at("lag").at("s").as_double() == 1.5);
    BOOST_TEST(!res.data.contains("status"));
    BOOST_TEST(!res.data.contains("message"));

    auto failing = std::get<check_result>(parse_report(R"({"status": false})"));
    BOOST_TEST(!failing.ok);
    BOOST_TEST(failing.message == "reported failing");
    BOOST_TEST(std::get<check_result>(parse_report(R"({"status": true})")).message == "ok");
}

BOOST_AUTO_TEST_CASE(a_bad_report_is_refused_with_the_reason) {
    auto refusal = [](std::string_view body) {
        auto r = parse_report(body);
        return std::holds_alternative<report_refusal>(r) ? std::get<report_refusal>(r).message
                                                         : std::string("accepted");
    };
    BOOST_TEST(refusal("{").starts_with("the body is not JSON"));
    BOOST_TEST(refusal("").starts_with("the body is not JSON"));
    BOOST_TEST(refusal("[true]") == "the body must be a JSON object");
    BOOST_TEST(refusal(R"({"message": "hi"})") == "the body has no \"status\" (true or false)");
    BOOST_TEST(refusal(R"({"status": "true"})") == "\"status\" must be true or false");
    BOOST_TEST(refusal(R"({"status": 1})") == "\"status\" must be true or false");
    BOOST_TEST(refusal(R"({"status": true, "message": 5})") == "\"message\" must be a string");
}

BOOST_AUTO_TEST_CASE(a_missed_report_says_the_ttl) {
    auto r = missed_report(30s);
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.message == "no report for 30s");
    BOOST_TEST(missed_report(1500ms).message == "no report for 1.5s");
}

BOOST_AUTO_TEST_CASE(a_push_check_never_runs_and_never_makes_an_answer_wait) {
    auto c = parse(one_push).cfg.value().checks.at(0);
    check_status s(c);
    auto now = steady_clock::now();
    BOOST_TEST(!schedule::loops(c, schedule::mode::background));
    BOOST_TEST(!schedule::needs_run(s, schedule::mode::background, 1s, now));
    BOOST_TEST(!schedule::needs_run(s, schedule::mode::on_demand, 1s, now));
    // Before a report: failing on readiness and liveliness, pending on startup, as a check with no
    // result is.
    moment at{now, std::chrono::system_clock::now()};
    for (probe p : {probe::readiness, probe::liveliness, probe::startup}) {
        auto o = check_json(s, p, at);
        BOOST_TEST(o.at("status").as_bool() == false);
        BOOST_TEST(o.at("message").as_string() == "no report yet");
    }
}

BOOST_AUTO_TEST_CASE(staleness_of_a_push_check_is_measured_against_its_ttl) {
    auto c = parse(one_push).cfg.value().checks.at(0);
    c.interval = 1s;  // ignored: reports come every ttl
    check_status s(c);
    auto t0 = steady_clock::now();
    s.record(success(), t0, std::chrono::system_clock::now());
    // The ttl timer records a missed report every 30s; only twice that without one is stale.
    BOOST_TEST(!s.state.stale(t0 + 59s));
    BOOST_TEST(s.state.stale(t0 + 62s));
}

// --- the listener's answers, without sockets ---

namespace {

struct fake_sink {
    std::map<std::string, std::string> types{{"worker", "push"}, {"db", "tcp"}};
    std::vector<std::pair<std::string, check_result>> recorded;
    report_sink sink() {
        return {[this](const std::string& n) -> std::optional<std::string> {
                    auto it = types.find(n);
                    if (it == types.end()) return std::nullopt;
                    return it->second;
                },
                [this](const std::string& n, check_result r) {
                    recorded.emplace_back(n, std::move(r));
                }};
    }
};

push_request make_request(http::bhttp::verb method, std::string target, std::string body,
                          std::string authorization = "") {
    push_request req{method, target, 11};
    if (!authorization.empty()) req.set(http::bhttp::field::authorization, authorization);
    req.body() = std::move(body);
    req.prepare_payload();
    return req;
}

const std::string report_path = "/.well-known/heartbeat/push/worker";

json::object body_of(const http::response& res) {
    return boost::json::parse(res.body()).as_object();
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_valid_report_is_recorded_and_answered_200) {
    fake_sink f;
    push_settings s;
    for (auto verb : {http::bhttp::verb::put, http::bhttp::verb::post}) {
        auto res = answer_push(
            make_request(verb, report_path, R"({"status": false, "message": "m", "k": 1})"), s,
            f.sink());
        BOOST_TEST(res.result_int() == 200);
        BOOST_TEST(res[http::bhttp::field::content_type] == "application/json");
        BOOST_TEST(res[http::bhttp::field::cache_control] == "no-store");
        auto o = body_of(res);
        BOOST_TEST(o.at("status").as_bool());
        BOOST_TEST(o.at("check").as_string() == "worker");
        BOOST_TEST(o.at("reported").as_bool() == false);
    }
    BOOST_TEST_REQUIRE(f.recorded.size() == 2u);
    BOOST_TEST(f.recorded[0].first == "worker");
    BOOST_TEST(f.recorded[0].second.message == "m");
    BOOST_TEST(f.recorded[0].second.data.at("k").as_int64() == 1);
    // A trailing slash is the same path.
    auto slash =
        answer_push(make_request(http::bhttp::verb::put, report_path + "/", R"({"status": true})"),
                    s, f.sink());
    BOOST_TEST(slash.result_int() == 200);
}

BOOST_AUTO_TEST_CASE(every_refusal_records_nothing) {
    fake_sink f;
    push_settings s;
    using v = http::bhttp::verb;
    auto code = [&](push_request req) { return answer_push(req, s, f.sink()).result_int(); };
    BOOST_TEST(code(make_request(v::put, report_path, "{")) == 400);
    BOOST_TEST(code(make_request(v::put, report_path, "[]")) == 400);
    BOOST_TEST(code(make_request(v::put, report_path, R"({"message":"x"})")) == 400);
    BOOST_TEST(code(make_request(v::put, report_path, R"({"status":"yes"})")) == 400);
    BOOST_TEST(code(make_request(v::put, report_path, R"({"status":true,"message":[]})")) == 400);
    BOOST_TEST(code(make_request(v::put, "/.well-known/heartbeat/push/nope", "{}")) == 404);
    BOOST_TEST(code(make_request(v::put, "/.well-known/heartbeat/push/db", "{}")) == 404);
    BOOST_TEST(code(make_request(v::put, "/.well-known/heartbeat/push", "{}")) == 404);
    BOOST_TEST(code(make_request(v::put, "/.well-known/heartbeat/push/a/b", "{}")) == 404);
    BOOST_TEST(code(make_request(v::get, "/.well-known/heartbeat/readiness", "")) == 404);
    auto get = answer_push(make_request(v::get, report_path, ""), s, f.sink());
    BOOST_TEST(get.result_int() == 405);
    BOOST_TEST(get[http::bhttp::field::allow] == "PUT, POST");
    BOOST_TEST(code(make_request(v::delete_, report_path, "")) == 405);
    auto not_push =
        answer_push(make_request(v::put, "/.well-known/heartbeat/push/db", "{}"), s, f.sink());
    BOOST_TEST(std::string(body_of(not_push).at("message").as_string()) ==
               "check 'db' is a tcp check: only push checks take reports");
    BOOST_TEST(f.recorded.empty());
}

BOOST_AUTO_TEST_CASE(a_token_is_required_when_configured) {
    fake_sink f;
    push_settings s;
    s.token = "tok-123456";
    using v = http::bhttp::verb;
    std::string ok_body = R"({"status": true})";
    auto none = answer_push(make_request(v::put, report_path, ok_body), s, f.sink());
    BOOST_TEST(none.result_int() == 401);
    BOOST_TEST(std::string(none[http::bhttp::field::www_authenticate]).starts_with("Bearer"));
    auto wrong =
        answer_push(make_request(v::put, report_path, ok_body, "Bearer tok-123457"), s, f.sink());
    BOOST_TEST(wrong.result_int() == 401);
    BOOST_TEST(wrong.body().find("tok-") == std::string::npos);
    BOOST_TEST(
        answer_push(make_request(v::put, report_path, ok_body, "Basic tok-123456"), s, f.sink())
            .result_int() == 401);
    // An unknown check behind a missing token says nothing of which checks exist.
    BOOST_TEST(
        answer_push(make_request(v::put, "/.well-known/heartbeat/push/nope", ok_body), s, f.sink())
            .result_int() == 401);
    BOOST_TEST(f.recorded.empty());
    auto right =
        answer_push(make_request(v::put, report_path, R"({"status": true, "echo": "tok-123456"})",
                                 "Bearer tok-123456"),
                    s, f.sink());
    BOOST_TEST(right.result_int() == 200);
    BOOST_TEST_REQUIRE(f.recorded.size() == 1u);
    // The token, echoed by the application, is never shown.
    BOOST_TEST(f.recorded[0].second.data.at("echo").as_string() == "[redacted]");
}

BOOST_AUTO_TEST_CASE(bearer_tokens_compare_whole) {
    BOOST_TEST(bearer_matches("Bearer abc", "abc"));
    BOOST_TEST(bearer_matches("bearer abc", "abc"));
    BOOST_TEST(!bearer_matches("Bearer abcd", "abc"));
    BOOST_TEST(!bearer_matches("Bearer ab", "abc"));
    BOOST_TEST(!bearer_matches("Bearer abd", "abc"));
    BOOST_TEST(!bearer_matches("Bearer ", ""));
    BOOST_TEST(!bearer_matches("", "abc"));
    BOOST_TEST(!bearer_matches("Bearerabc", "abc"));
}

BOOST_AUTO_TEST_CASE(push_paths_on_the_main_listener_name_the_push_listener) {
    using v = http::bhttp::verb;
    auto res = refuse_push_on_main(make_request(v::put, report_path, R"({"status":true})"),
                                   "/.well-known/heartbeat", "127.0.0.1:8081");
    BOOST_TEST_REQUIRE(res.has_value());
    BOOST_TEST(res->result_int() == 404);
    BOOST_TEST(res->body().find("server.push_listen (127.0.0.1:8081)") != std::string::npos);
    auto off = refuse_push_on_main(make_request(v::get, "/.well-known/heartbeat/push", ""),
                                   "/.well-known/heartbeat", "");
    BOOST_TEST_REQUIRE(off.has_value());
    BOOST_TEST(off->body().find("no push listener is open") != std::string::npos);
    BOOST_TEST(!refuse_push_on_main(make_request(v::get, "/.well-known/heartbeat/readiness", ""),
                                    "/.well-known/heartbeat", "127.0.0.1:8081"));
    BOOST_TEST(!refuse_push_on_main(make_request(v::get, "/.well-known/heartbeat/pushed", ""),
                                    "/.well-known/heartbeat", "127.0.0.1:8081"));
    // Under a base path of "/", reports are at /push/{check}.
    BOOST_TEST((push_check_name("/push/w", "/") == std::optional<std::string>("w")));
}

namespace {

/** A maintenance switch that records who turned it. */
struct fake_switch {
    bool on = false;
    std::vector<std::string> by;
    maintenance_switch get() {
        return {[this] { return on; },
                [this](bool value, std::string_view who) {
                    on = value;
                    by.emplace_back(who);
                }};
    }
};

const std::string maintenance_path = "/.well-known/heartbeat/maintenance";

}  // namespace

// PUT turns it on, GET tells without changing it, DELETE turns it off; each answer says where it
// stands, as JSON.
BOOST_AUTO_TEST_CASE(the_maintenance_switch_turns_on_tells_and_turns_off) {
    fake_switch sw;
    push_settings s;
    using v = http::bhttp::verb;
    auto on = answer_maintenance(make_request(v::put, maintenance_path, ""), s, sw.get());
    BOOST_TEST(on.result_int() == 200);
    BOOST_TEST(sw.on);
    BOOST_TEST(body_of(on).at("maintenance").as_bool());
    auto told = answer_maintenance(make_request(v::get, maintenance_path + "/", ""), s, sw.get());
    BOOST_TEST(body_of(told).at("maintenance").as_bool());
    BOOST_TEST(sw.by.size() == 1u);
    auto off = answer_maintenance(make_request(v::delete_, maintenance_path, ""), s, sw.get());
    BOOST_TEST(off.result_int() == 200);
    BOOST_TEST(!sw.on);
    BOOST_TEST(!body_of(off).at("maintenance").as_bool());
    BOOST_TEST((sw.by == std::vector<std::string>{"PUT on the push listener",
                                                  "DELETE on the push listener"}));
    auto post = answer_maintenance(make_request(v::post, maintenance_path, ""), s, sw.get());
    BOOST_TEST(post.result_int() == 405);
    BOOST_TEST(post[http::bhttp::field::allow] == "GET, PUT, DELETE");
    BOOST_TEST(sw.by.size() == 2u);
}

BOOST_AUTO_TEST_CASE(the_maintenance_switch_needs_the_token_when_configured) {
    fake_switch sw;
    push_settings s;
    s.token = "tok-123456";
    using v = http::bhttp::verb;
    auto none = answer_maintenance(make_request(v::put, maintenance_path, ""), s, sw.get());
    BOOST_TEST(none.result_int() == 401);
    auto wrong =
        answer_maintenance(make_request(v::put, maintenance_path, "", "Bearer tok-1"), s, sw.get());
    BOOST_TEST(wrong.result_int() == 401);
    BOOST_TEST(!sw.on);
    BOOST_TEST(sw.by.empty());
    auto right = answer_maintenance(make_request(v::put, maintenance_path, "", "Bearer tok-123456"),
                                    s, sw.get());
    BOOST_TEST(right.result_int() == 200);
    BOOST_TEST(sw.on);
}

BOOST_AUTO_TEST_CASE(the_maintenance_path_is_exact_and_follows_the_base_path) {
    BOOST_TEST(is_maintenance_path(maintenance_path, "/.well-known/heartbeat"));
    BOOST_TEST(is_maintenance_path(maintenance_path + "/?x=1", "/.well-known/heartbeat"));
    BOOST_TEST(!is_maintenance_path(maintenance_path + "s", "/.well-known/heartbeat"));
    BOOST_TEST(!is_maintenance_path(maintenance_path + "/x", "/.well-known/heartbeat"));
    BOOST_TEST(is_maintenance_path("/maintenance", "/"));
    BOOST_TEST(is_maintenance_path("/h/maintenance", "/h"));
    // A report path is not the switch, and the switch is not a report path.
    BOOST_TEST(!is_push_path(maintenance_path, "/.well-known/heartbeat"));
    fake_sink f;
    auto report =
        answer_push(make_request(http::bhttp::verb::put, maintenance_path, "{}"), {}, f.sink());
    BOOST_TEST(report.result_int() == 404);
    BOOST_TEST(std::string(body_of(report).at("message").as_string()) ==
               "not found: this listener takes only reports, PUT or POST "
               "/.well-known/heartbeat/push/{check}, and the maintenance switch, PUT or DELETE "
               "/.well-known/heartbeat/maintenance");
    push_settings root;
    root.base_path = "/";
    auto at_root = answer_push(make_request(http::bhttp::verb::put, "/x", "{}"), root, f.sink());
    BOOST_TEST(std::string(body_of(at_root).at("message").as_string())
                   .ends_with("PUT or POST /push/{check}, and the maintenance switch, PUT or "
                              "DELETE /maintenance"),
               at_root.body());
}

// Never on the main listener: its answer says where the switch is, or that SIGUSR1 is the one
// left when no push listener is open.
BOOST_AUTO_TEST_CASE(the_main_listener_refuses_the_maintenance_switch) {
    using v = http::bhttp::verb;
    for (auto method : {v::put, v::delete_, v::get}) {
        auto res = refuse_push_on_main(make_request(method, maintenance_path, ""),
                                       "/.well-known/heartbeat", "127.0.0.1:8081");
        BOOST_TEST_REQUIRE(res.has_value());
        BOOST_TEST(res->result_int() == 404);
        BOOST_TEST(res->body().find("server.push_listen (127.0.0.1:8081), or send SIGUSR1") !=
                       std::string::npos,
                   res->body());
    }
    auto none = refuse_push_on_main(make_request(v::put, maintenance_path, ""),
                                    "/.well-known/heartbeat", "");
    BOOST_TEST_REQUIRE(none.has_value());
    BOOST_TEST(none->body().find("no push listener is open: send SIGUSR1, or set "
                                 "server.maintenance_switch: true") != std::string::npos,
               none->body());
}
