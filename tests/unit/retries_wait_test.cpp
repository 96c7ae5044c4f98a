#define BOOST_TEST_MODULE retries_wait
#include <boost/test/unit_test.hpp>

#include "heartbeat/cli.hpp"
#include "heartbeat/config.hpp"
#include "heartbeat/wait.hpp"

// The common keys retries, retry_delay and allow_remote, the liveliness warning, and the pure parts
// of `heartbeatd wait`: its command line, its progress lines and its verdicts.

using namespace heartbeat;
using namespace std::chrono_literals;

namespace {

load_result parse(const std::string& text) {
    return parse_config(text, "test.yaml");
}

std::string printed(const load_result& r) {
    std::string out;
    for (auto& d : r.diagnostics) out += d.format("test.yaml") + "\n";
    return out;
}

bool mentions(const load_result& r, const std::string& text) {
    return printed(r).find(text) != std::string::npos;
}

std::size_t warnings(const load_result& r) {
    return static_cast<std::size_t>(std::count_if(r.diagnostics.begin(), r.diagnostics.end(),
                                                  [](const diagnostic& d) { return d.warning; }));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(retries)

BOOST_AUTO_TEST_CASE(default_to_none_two_hundred_milliseconds_apart) {
    auto r = parse("checks:\n  - {name: a, type: tcp, host: 127.0.0.1, port: 80}\n");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST(r.cfg->checks[0].retries == 0);
    BOOST_TEST((r.cfg->checks[0].retry_delay == 200ms));
    BOOST_TEST(!r.cfg->checks[0].allow_remote);
    BOOST_TEST(warnings(r) == 0u, printed(r));
}

BOOST_AUTO_TEST_CASE(are_read_with_their_delay) {
    auto r = parse(R"(checks:
  - name: a
    type: tcp
    host: 127.0.0.1
    port: 80
    timeout: 5s
    retries: 3
    retry_delay: 250ms
)");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST(r.cfg->checks[0].retries == 3);
    BOOST_TEST((r.cfg->checks[0].retry_delay == 250ms));
    BOOST_TEST(warnings(r) == 0u, printed(r));
}

BOOST_AUTO_TEST_CASE(out_of_range_or_of_the_wrong_type_are_errors_at_their_place) {
    auto r = parse(R"(checks:
  - name: a
    type: tcp
    host: 127.0.0.1
    port: 80
    retries: -1
  - name: b
    type: tcp
    host: 127.0.0.1
    port: 80
    retries: 101
    retry_delay: soon
)");
    BOOST_TEST(!r.ok());
    BOOST_TEST(mentions(r, "test.yaml:6:14: 'retries'"), printed(r));
    BOOST_TEST(mentions(r, "test.yaml:11:14: 'retries'"), printed(r));
    BOOST_TEST(mentions(r, "test.yaml:12:18: bad duration 'soon' for 'retry_delay'"), printed(r));
}

BOOST_AUTO_TEST_CASE(a_misspelt_key_gets_a_suggestion) {
    auto r = parse("checks:\n  - {name: a, type: tcp, host: h, port: 80, retrys: 2}\n");
    BOOST_TEST(!r.ok());
    BOOST_TEST(mentions(r, "did you mean 'retries'"), printed(r));
}

BOOST_AUTO_TEST_CASE(on_a_push_check_are_an_error) {
    auto r = parse(R"(checks:
  - name: p
    type: push
    ttl: 1m
    retries: 2
  - name: q
    type: push
    ttl: 1m
    retry_delay: 1s
)");
    BOOST_TEST(!r.ok());
    BOOST_TEST(mentions(r, "test.yaml:5:14: check 'p' is a push check: it has no runs to retry"),
               printed(r));
    BOOST_TEST(mentions(r, "remove 'retries'"), printed(r));
    BOOST_TEST(mentions(r, "test.yaml:9:18: check 'q' is a push check"), printed(r));
    BOOST_TEST(mentions(r, "remove 'retry_delay'"), printed(r));
}

BOOST_AUTO_TEST_CASE(that_cannot_fit_in_the_timeout_draw_a_warning) {
    auto r = parse(R"(checks:
  - name: a
    type: tcp
    host: 127.0.0.1
    port: 80
    timeout: 1s
    retries: 2
    retry_delay: 500ms
  - name: b
    type: tcp
    host: 127.0.0.1
    port: 80
    timeout: 1s
    retries: 2
    retry_delay: 499ms
)");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST(mentions(r,
                        "test.yaml:7:14: warning: check 'a' has 2 retries 500ms apart, not "
                        "less than its timeout (1s): the later attempts can never start"),
               printed(r));
    BOOST_TEST(!mentions(r, "check 'b' has"), printed(r));
}

BOOST_AUTO_TEST_CASE(change_the_definition_so_a_reload_restarts_the_check) {
    auto a = parse("checks:\n  - {name: a, type: tcp, host: h, port: 80, retries: 1}\n");
    auto b = parse("checks:\n  - {name: a, type: tcp, host: h, port: 80, retries: 2}\n");
    auto c = parse(
        "checks:\n  - {name: a, type: tcp, host: h, port: 80, retries: 1, retry_delay: 1ms}\n");
    BOOST_TEST_REQUIRE((a.ok() && b.ok() && c.ok()));
    BOOST_TEST(!a.cfg->checks[0].same_definition(b.cfg->checks[0]));
    BOOST_TEST(!a.cfg->checks[0].same_definition(c.cfg->checks[0]));
    BOOST_TEST(a.cfg->checks[0].same_definition(a.cfg->checks[0]));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(allow_remote)

const std::string remote = R"(checks:
  - name: db
    type: tcp
    host: db.internal
    port: 5432
    probes: [liveliness]
)";

BOOST_AUTO_TEST_CASE(a_remote_liveliness_check_is_warned_about_with_the_cascade_and_the_way_out) {
    auto r = parse(remote);
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST(warnings(r) == 1u, printed(r));
    BOOST_TEST(mentions(r,
                        "test.yaml:2:5: warning: check 'db' is a liveliness check that reaches "
                        "another host (db.internal)"),
               printed(r));
    BOOST_TEST(mentions(r, "every pod that runs this check is restarted, all at once"), printed(r));
    BOOST_TEST(mentions(r, "restarting them fixes nothing"), printed(r));
    BOOST_TEST(mentions(r, "set allow_remote: true"), printed(r));
}

BOOST_AUTO_TEST_CASE(allow_remote_silences_it) {
    auto r = parse(remote + "    allow_remote: true\n");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST(r.cfg->checks[0].allow_remote);
    BOOST_TEST(r.diagnostics.empty(), printed(r));
}

BOOST_AUTO_TEST_CASE(allow_remote_false_keeps_it) {
    auto r = parse(remote + "    allow_remote: false\n");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST(mentions(r, "warning: check 'db' is a liveliness check"), printed(r));
}

BOOST_AUTO_TEST_CASE(allow_remote_must_be_a_boolean) {
    auto r = parse(remote + "    allow_remote: maybe\n");
    BOOST_TEST(!r.ok());
    BOOST_TEST(mentions(r, "test.yaml:7:19: 'allow_remote'"), printed(r));
}

BOOST_AUTO_TEST_CASE(silences_only_its_own_check) {
    auto r = parse(remote + "    allow_remote: true\n" + R"(  - name: search
    type: http
    url: http://search.internal:9200/
    probes: [liveness]
)");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST(warnings(r) == 1u, printed(r));
    BOOST_TEST(mentions(r, "check 'search' is a liveliness check"), printed(r));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(wait_command)

cli_options parsed(const std::vector<std::string>& args) {
    auto r = parse_cli(args);
    BOOST_TEST_REQUIRE(r.options.has_value(), r.error);
    return *r.options;
}

BOOST_AUTO_TEST_CASE(the_command_line_takes_config_probe_and_timeout) {
    auto o = parsed({"wait", "--config", "f.yaml", "--probe", "startup", "--timeout", "2m"});
    BOOST_TEST((o.cmd == cli_options::command::wait));
    BOOST_TEST(*o.config_path == "f.yaml");
    BOOST_TEST(o.probe == "startup");
    BOOST_TEST(o.timeout_given);
    BOOST_TEST((o.timeout == 2min));
    auto d = parsed({"wait", "--config=f.yaml"});
    BOOST_TEST(d.probe == "readiness");
    BOOST_TEST(!d.timeout_given);
    BOOST_TEST((default_wait_timeout == 5min));
}

BOOST_AUTO_TEST_CASE(an_unknown_probe_or_argument_is_refused) {
    auto r = parse_cli({"wait", "--probe", "ready"});
    BOOST_TEST(!r.options);
    BOOST_TEST(r.error.find("--probe needs a probe") != std::string::npos, r.error);
    auto extra = parse_cli({"wait", "db"});
    BOOST_TEST(!extra.options);
    BOOST_TEST(extra.error.find("unexpected argument 'db'") != std::string::npos, extra.error);
}

BOOST_AUTO_TEST_CASE(the_help_names_the_default_probe_and_the_exit_codes) {
    auto text = usage();
    BOOST_TEST(text.find("heartbeatd wait [--config PATH] [--probe PROBE]") != std::string::npos);
    BOOST_TEST(text.find("(default readiness)") != std::string::npos);
    BOOST_TEST(text.find("2 bad configuration") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_board_prints_a_line_per_change_with_the_count) {
    wait_board b({"db", "cache", "api"});
    BOOST_TEST(b.total() == 3u);
    BOOST_TEST(b.change("db", false, "connection refused") ==
               "wait: db failing (0/3): connection refused");
    BOOST_TEST(b.change("db", true, "ok") == "wait: db passing (1/3)");
    BOOST_TEST(b.change("cache", true, "ok") == "wait: cache passing (2/3)");
    BOOST_TEST(!b.done());
    BOOST_TEST(b.change("cache", false, "timed out after 1s") ==
               "wait: cache failing (1/3): timed out after 1s");
    b.change("cache", true, "ok");
    BOOST_TEST(!b.done());
    BOOST_TEST(b.change("api", true, "ok") == "wait: api passing (3/3)");
    BOOST_TEST(b.done());
}

check_config tcp_check(const std::string& name, std::set<probe> probes, duration interval = 10s) {
    check_config c;
    c.name = name;
    c.probes = std::move(probes);
    c.interval = interval;
    c.spec = tcp_spec{"127.0.0.1", 80, {}, {}};
    return c;
}

BOOST_AUTO_TEST_CASE(it_waits_for_the_enabled_checks_of_its_probe_and_runs_on_demand_ones) {
    config cfg;
    cfg.checks.push_back(tcp_check("ready", {probe::readiness}));
    cfg.checks.push_back(tcp_check("both", {probe::readiness, probe::startup}, 0s));
    cfg.checks.push_back(tcp_check("live", {probe::liveliness}));
    cfg.checks.push_back(tcp_check("off", {probe::readiness}));
    cfg.checks.back().enabled = false;
    // A non-critical check fails no probe: it holds nothing up either.
    cfg.checks.push_back(tcp_check("optional", {probe::readiness, probe::startup}));
    cfg.checks.back().critical = false;
    auto ready = checks_to_wait_for(cfg, probe::readiness);
    BOOST_TEST_REQUIRE(ready.size() == 2u);
    BOOST_TEST(ready[0].name == "ready");
    BOOST_TEST(ready[1].name == "both");
    BOOST_TEST((ready[1].interval == 1s));
    auto startup = checks_to_wait_for(cfg, probe::startup);
    BOOST_TEST_REQUIRE(startup.size() == 1u);
    BOOST_TEST(startup[0].name == "both");
}

BOOST_AUTO_TEST_CASE(a_push_check_is_refused_with_a_reason) {
    std::vector<check_config> checks{tcp_check("db", {probe::startup})};
    BOOST_TEST(cannot_wait_for(checks, "startup").empty());
    check_config push;
    push.name = "job";
    push.spec = push_spec{1min};
    checks.push_back(push);
    auto why = cannot_wait_for(checks, "startup");
    BOOST_TEST(why.find("check 'job' of probe startup is a push check: wait opens no listener") !=
                   std::string::npos,
               why);
}

BOOST_AUTO_TEST_CASE(the_timeout_report_lists_each_check_not_passing_and_why) {
    auto db = std::make_shared<check_status>(tcp_check("db", {probe::readiness}));
    auto api = std::make_shared<check_status>(tcp_check("api", {probe::readiness}));
    auto slow = std::make_shared<check_status>(tcp_check("slow", {probe::readiness}));
    auto now = steady_clock::now();
    auto wall = std::chrono::system_clock::now();
    db->record(failure("connect 127.0.0.1:80: connection refused"), now, wall);
    api->record(success(), now, wall);
    auto lines = timeout_report({db, api, slow}, "readiness", 30s);
    BOOST_TEST_REQUIRE(lines.size() == 3u);
    BOOST_TEST(lines[0] == "wait: timed out after 30s: 2 of 3 readiness checks not passing");
    BOOST_TEST(lines[1] == "  db (tcp): connect 127.0.0.1:80: connection refused");
    BOOST_TEST(lines[2] == "  slow (tcp): no result yet");
}

BOOST_AUTO_TEST_SUITE_END()
