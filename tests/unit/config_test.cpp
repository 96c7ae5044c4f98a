#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include <random>

#include "heartbeat/config.hpp"

using namespace heartbeat;
using namespace std::chrono_literals;

namespace {
load_result parse(const std::string& text) {
    return parse_config(text, "test.yaml");
}

/** All diagnostics, formatted, one per line: what `validate` prints. */
std::string printed(const load_result& r) {
    std::string out;
    for (auto& d : r.diagnostics) out += d.format("test.yaml") + "\n";
    return out;
}

bool mentions(const load_result& r, const std::string& text) {
    return printed(r).find(text) != std::string::npos;
}
}  // namespace

BOOST_AUTO_TEST_CASE(durations_parse_every_unit) {
    BOOST_TEST(parse_duration("250ms")->count() == 250'000'000);
    BOOST_TEST(parse_duration("1.5s")->count() == 1'500'000'000);
    BOOST_TEST(parse_duration("2m").value() == std::chrono::minutes(2));
    BOOST_TEST(parse_duration("1h").value() == std::chrono::hours(1));
    BOOST_TEST(parse_duration("3").value() == std::chrono::seconds(3));
    BOOST_TEST(parse_duration("0").value().count() == 0);
    BOOST_TEST(!parse_duration("5 sec"));
    BOOST_TEST(!parse_duration("-1s"));
    BOOST_TEST(!parse_duration(""));
    BOOST_TEST(!parse_duration("s"));
    BOOST_TEST(!parse_duration("1e400"));
    BOOST_TEST(!parse_duration("nan"));
    BOOST_TEST(format_duration(500ms) == "500ms");
    BOOST_TEST(format_duration(1500ms) == "1.5s");
    BOOST_TEST(format_duration(2min) == "2m");
    BOOST_TEST(format_duration(0s) == "0s");
}

BOOST_AUTO_TEST_CASE(the_spec_example_loads_with_its_values) {
    auto r = parse(R"(
server:
  listen: "0.0.0.0:8080"
  base_path: /.well-known/heartbeat
defaults:
  timeout: 1s
  interval: 10s
environ:
  virtualenv: /app/.venv
  variables: [APP_VERSION, GIT_COMMIT]
checks:
  - name: database
    type: tcp
    host: postgres
    port: 5432
    timeout: 500ms
    probes: [readiness, liveliness]
  - name: search
    type: http
    url: http://opensearch:9200/_cluster/health
    expect_body: '"status":"green"'
    probes: [readiness]
  - name: migrations
    type: exec
    command: ["/app/bin/check-migrations", "--quiet"]
    probes: [startup, readiness]
  - name: worker-alive
    type: file
    path: /shared/worker.alive
    max_age: 30s
    probes: [liveliness]
)");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    const auto& c = *r.cfg;
    BOOST_TEST(c.server.host == "0.0.0.0");
    BOOST_TEST(c.server.port == 8080);
    BOOST_TEST(c.environ.virtualenv.value() == "/app/.venv");
    BOOST_TEST(c.environ.variables.size() == 2u);
    BOOST_TEST_REQUIRE(c.checks.size() == 4u);
    BOOST_TEST(c.checks[0].timeout == 500ms);
    BOOST_TEST(c.checks[0].interval == 10s);
    BOOST_TEST(c.checks[1].timeout == 1s);
    BOOST_TEST(std::get<tcp_spec>(c.checks[0].spec).port == 5432);
    BOOST_TEST(std::get<http_spec>(c.checks[1].spec).expect_body.value() == "\"status\":\"green\"");
    BOOST_TEST(std::get<exec_spec>(c.checks[2].spec).argv.size() == 2u);
    BOOST_TEST(std::get<file_spec>(c.checks[3].spec).max_age.value() == 30s);
    BOOST_TEST(c.checks[0].probes.count(probe::liveliness) == 1u);
    BOOST_TEST(c.checks[0].line == 12);
    // The liveliness check that reaches another host draws a warning, not an error.
    BOOST_TEST(mentions(r,
                        "test.yaml:12:5: warning: check 'database' is a liveliness check that "
                        "reaches another host"));
}

BOOST_AUTO_TEST_CASE(defaults_apply_unless_a_check_sets_its_own) {
    auto r = parse(R"(
defaults: {timeout: 2s, interval: 30s, failure_threshold: 3}
checks:
  - {name: a, type: file, path: /x}
  - {name: b, type: file, path: /x, timeout: 100ms, interval: 0, failure_threshold: 1, success_threshold: 2}
)");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST(r.cfg->checks[0].timeout == 2s);
    BOOST_TEST(r.cfg->checks[0].interval == 30s);
    BOOST_TEST(r.cfg->checks[0].failure_threshold == 3);
    BOOST_TEST(r.cfg->checks[1].timeout == 100ms);
    BOOST_TEST(r.cfg->checks[1].interval.count() == 0);
    BOOST_TEST(r.cfg->checks[1].success_threshold == 2);
    BOOST_TEST(r.cfg->checks[0].probes == std::set<probe>{probe::readiness});
}

BOOST_AUTO_TEST_CASE(built_in_defaults_and_empty_files) {
    auto r = parse("");
    BOOST_TEST_REQUIRE(r.ok());
    BOOST_TEST(r.cfg->checks.empty());
    BOOST_TEST(r.cfg->server.port == 8080);
    BOOST_TEST(r.cfg->server.base_path == "/.well-known/heartbeat");
    auto c = parse("checks:\n  - {name: a, type: tcp, host: 127.0.0.1, port: 1}\n");
    BOOST_TEST_REQUIRE(c.ok());
    BOOST_TEST(c.cfg->checks[0].timeout == 1s);
    BOOST_TEST(c.cfg->checks[0].interval == 10s);
    BOOST_TEST(c.cfg->checks[0].enabled);
    BOOST_TEST(parse("# only a comment\n").ok());
}

BOOST_AUTO_TEST_CASE(every_problem_is_reported_with_its_place) {
    auto r = parse(R"(checks:
  - name: db
    type: tcp
    host: postgres
    port: 70000
    tiemout: 1s
  - name: db
    type: file
    path: /x
  - name: web
    type: http
    url: ftp://example
    probes: [readyness]
  - name: job
    type: exec
    command: []
    interval: 5 sec
  - type: tcp
    port: 1
)");
    BOOST_TEST(!r.ok());
    auto text = printed(r);
    BOOST_TEST(
        mentions(r, "test.yaml:5:11: 'port' must be a whole number from 1 to 65535, got '70000'"),
        text);
    BOOST_TEST(
        mentions(r, "test.yaml:6:5: unknown key 'tiemout' in check 'db' (did you mean 'timeout'?)"),
        text);
    BOOST_TEST(mentions(r, "test.yaml:7:5: duplicate check name 'db' (first defined at line 2)"),
               text);
    BOOST_TEST(mentions(r, "test.yaml:12:10: 'url' must start with http:// or https://"), text);
    BOOST_TEST(mentions(r, "test.yaml:13:14: unknown probe 'readyness'"), text);
    BOOST_TEST(mentions(r, "(did you mean 'readiness'?)"), text);
    BOOST_TEST(mentions(r, "test.yaml:16:14: 'command' is empty"), text);
    BOOST_TEST(mentions(r, "test.yaml:17:15: bad duration '5 sec' for 'interval'"), text);
    BOOST_TEST(mentions(r, "test.yaml:18:5: missing required key 'name'"), text);
    BOOST_TEST(mentions(r, "missing required key 'host'"), text);
    BOOST_TEST(r.diagnostics.size() == 9u, text);
}

BOOST_AUTO_TEST_CASE(wrong_types_and_keys_of_other_types) {
    auto r = parse(R"(server:
  listen: 8080
  base_path: health
defaults:
  timeout: [1s]
checks:
  - name: a
    type: tcp
    host: {x: 1}
    port: 5432
    url: http://x/
    enabled: maybe
  - name: "bad name!"
    type: file
    path: /x
  - name: c
    type: nope
  - just a string
)");
    BOOST_TEST(!r.ok());
    auto text = printed(r);
    BOOST_TEST(mentions(r, "test.yaml:2:11: 'listen' must be host:port"), text);
    BOOST_TEST(mentions(r, "test.yaml:3:14: 'base_path' must be a path starting with '/'"), text);
    BOOST_TEST(mentions(r, "test.yaml:5:12: 'timeout' must be a single value, not a list"), text);
    BOOST_TEST(mentions(r, "test.yaml:9:11: 'host' must be a single value, not a mapping"), text);
    BOOST_TEST(mentions(r, "test.yaml:11:5: key 'url' does not apply to a tcp check (check 'a')"),
               text);
    BOOST_TEST(mentions(r, "test.yaml:12:14: 'enabled' must be true or false, got 'maybe'"), text);
    BOOST_TEST(mentions(r, "test.yaml:13:11: check name 'bad name!' may only use"), text);
    BOOST_TEST(mentions(r, "test.yaml:17:11: unknown check type 'nope'"), text);
    BOOST_TEST(mentions(r, "test.yaml:18:5: each item of 'checks' must be a mapping"), text);
}

BOOST_AUTO_TEST_CASE(yaml_syntax_errors_have_a_place) {
    auto r = parse("checks:\n  - name: a\n    type: [tcp\n");
    BOOST_TEST(!r.ok());
    BOOST_TEST_REQUIRE(r.diagnostics.size() == 1u);
    BOOST_TEST(r.diagnostics[0].message.starts_with("YAML syntax:"), printed(r));
    BOOST_TEST(r.diagnostics[0].line >= 3);
    auto top = parse("- a\n- b\n");
    BOOST_TEST(mentions(top, "test.yaml:1:1: the file must be a mapping"), printed(top));
}

BOOST_AUTO_TEST_CASE(top_level_typo_gets_a_suggestion) {
    auto r = parse("chekcs: []\n");
    BOOST_TEST(
        mentions(r,
                 "test.yaml:1:1: unknown key 'chekcs' at the top level (did you mean 'checks'?)"),
        printed(r));
    auto dup = parse("checks: []\nchecks: []\n");
    BOOST_TEST(mentions(dup, "test.yaml:2:1: duplicate key 'checks'"), printed(dup));
}

BOOST_AUTO_TEST_CASE(pitfall_warnings_keep_the_file_valid) {
    auto r = parse(R"(checks:
  - {name: slow, type: file, path: /x, timeout: 10s, interval: 5s}
  - {name: local, type: tcp, host: 127.0.0.1, port: 80, probes: [liveness]}
  - {name: remote, type: http, url: "http://user:secret@db.internal/", probes: [liveliness]}
)");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST(mentions(r,
                        "test.yaml:2:5: warning: check 'slow' has a timeout (10s) not shorter than "
                        "its interval (5s)"),
               printed(r));
    BOOST_TEST(!mentions(r, "'local' is a liveliness"));
    BOOST_TEST(mentions(
        r, "check 'remote' is a liveliness check that reaches another host (db.internal)"));
    BOOST_TEST(!mentions(r, "secret"));
    BOOST_TEST(r.cfg->checks[1].probes.count(probe::liveliness) == 1u);
}

BOOST_AUTO_TEST_CASE(every_check_type_parses_its_options) {
    auto r = parse(R"(checks:
  - name: redis
    type: tcp
    host: "::1"
    port: 6379
    send: "PING\r\n"
    expect: "+PONG"
  - name: os
    type: http
    url: https://127.0.0.1:9200/_cluster/health?local=true
    method: head
    headers: {Authorization: "Bearer x"}
    expect_status: [200, 3xx]
    tls_verify: false
    ca_file: /etc/ca.pem
  - name: shell
    type: exec
    command: "pg_isready -q"
    env: {PGHOST: db}
    cwd: /tmp
    expect_exit: 2
  - name: dir
    type: file
    path: /tmp
    kind: dir
    min_size: 0
    enabled: false
)");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    auto& t = std::get<tcp_spec>(r.cfg->checks[0].spec);
    BOOST_TEST(t.send.value() == "PING\r\n");
    auto& h = std::get<http_spec>(r.cfg->checks[1].spec);
    BOOST_TEST(h.method == "HEAD");
    BOOST_TEST(h.expect_status.size() == 2u);
    BOOST_TEST(h.expect_status[1].matches(302));
    BOOST_TEST(!h.expect_status[0].matches(201));
    BOOST_TEST(!h.tls.verify);
    auto& e = std::get<exec_spec>(r.cfg->checks[2].spec);
    BOOST_TEST(e.argv == (std::vector<std::string>{"/bin/sh", "-c", "pg_isready -q"}));
    BOOST_TEST(e.expect_exit == 2);
    BOOST_TEST(e.env.at("PGHOST") == "db");
    BOOST_TEST(!r.cfg->checks[3].enabled);
    BOOST_TEST(r.cfg->checks[3].type() == "file");
}

BOOST_AUTO_TEST_CASE(listen_addresses) {
    BOOST_TEST(parse_listen("0.0.0.0:8080")->second == 8080);
    BOOST_TEST(parse_listen("[::]:9000")->first == "::");
    BOOST_TEST(!parse_listen("8080"));
    BOOST_TEST(!parse_listen("::1:80"));
    BOOST_TEST(!parse_listen("host:99999"));
    auto r = parse("server: {listen: \"[::1]:0\"}\n");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST(r.cfg->server.host == "::1");
}

BOOST_AUTO_TEST_CASE(same_definition_tells_unchanged_checks) {
    auto a = parse("checks: [{name: a, type: tcp, host: h, port: 1}]\n");
    auto b = parse("\n\nchecks: [{name: a, type: tcp, host: h, port: 1}]\n");
    auto c = parse("checks: [{name: a, type: tcp, host: h, port: 2}]\n");
    BOOST_TEST(a.cfg->checks[0].same_definition(b.cfg->checks[0]));
    BOOST_TEST(!a.cfg->checks[0].same_definition(c.cfg->checks[0]));
}

// Malformed input of every kind yields diagnostics, never a crash or a hang.
BOOST_AUTO_TEST_CASE(hostile_files_never_crash_the_loader) {
    std::vector<std::string> inputs = {
        std::string(1 << 21, 'a'),                    // larger than any config
        std::string("checks:\n  - name: \0x\n", 20),  // NUL byte
        std::string(5000, '['),                       // deep flow nesting
        [] {
            std::string s;
            for (int i = 0; i < 3000; ++i) s += std::string(i % 80, ' ') + "- \n";
            return s;
        }(),
        "a: &a [1,2]\nb: &b [*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b]\nchecks: [*c, *c]\n",  // aliases
        "checks:\n  - &x {name: a, type: tcp, host: h, port: 1}\n  - *x\n",  // an aliased check:
                                                                             // duplicate
        "checks: !!binary aGVsbG8=\n",
        "\xff\xfe\x00\x01garbage",
        "checks:\n  - name: " + std::string(100000, 'x') + "\n    type: tcp\n",
        "%YAML 9.9\n---\nchecks: []\n",
        "checks: [{name: a, type: tcp, host: h, port: 1, probes: {a: b}}]\n",
        "? [a, b]\n: c\n",
        "checks:\n  - {? [x] : y}\n",
    };
    std::mt19937 rng(7);
    const std::string alphabet = "checks:- {}[]:\n\"'&*!|>%@` ,#name type tcp\\x";
    for (int i = 0; i < 300; ++i) {
        std::string s(static_cast<std::size_t>(rng() % 400), ' ');
        for (auto& ch : s) ch = alphabet[rng() % alphabet.size()];
        inputs.push_back(s);
    }
    for (const auto& in : inputs) {
        load_result r;
        BOOST_CHECK_NO_THROW(r = parse(in));
        if (!r.ok()) BOOST_TEST(!r.diagnostics.empty());
    }
    BOOST_TEST(!parse(inputs[0]).ok());
    BOOST_TEST(mentions(parse(inputs[5]), "duplicate check name 'a'"));
}

BOOST_AUTO_TEST_CASE(load_config_reports_a_missing_file) {
    auto r = load_config("/nonexistent/heartbeat.yaml");
    BOOST_TEST(!r.ok());
    BOOST_TEST(r.diagnostics.at(0).message.find("cannot open") != std::string::npos);
    BOOST_TEST(r.diagnostics.at(0)
                   .format("/nonexistent/heartbeat.yaml")
                   .starts_with("/nonexistent/heartbeat.yaml:0:0: "));
}

BOOST_AUTO_TEST_CASE(a_nul_anywhere_is_refused_where_it_is_without_showing_the_value) {
    for (std::string value : {R"(path: "/etc/hostname\0/x", type: file)",
                              R"(host: "db\u0000.evil", port: 5432, type: tcp)",
                              R"(type: exec, command: [true], cwd: "/tmp\x00/x")",
                              R"(type: http, url: "http://a/", headers: {X-Token: "s3cret\0"})"}) {
        auto r = parse("checks:\n  - {name: n, " + value + "}\n");
        BOOST_TEST(!r.ok(), value);
        BOOST_TEST(mentions(r, "test.yaml:2:"), printed(r));
        BOOST_TEST(mentions(r, "contains a NUL character"), printed(r));
        BOOST_TEST(!mentions(r, "s3cret"), printed(r));
    }
}

BOOST_AUTO_TEST_CASE(names_and_keys_from_the_file_never_start_a_new_line_of_output) {
    auto r = parse(
        "checks:\n"
        "  - {name: \"a\\nok: 3 checks\", type: file, path: /}\n"
        "  - {name: b, type: file, path: /, \"x\\r\\ny\\u0001\": 1}\n");
    BOOST_TEST(!r.ok());
    BOOST_TEST(r.diagnostics.size() == 2u);
    for (const auto& d : r.diagnostics)
        BOOST_TEST(d.format("test.yaml").find_first_of("\r\n") == std::string::npos,
                   d.format("test.yaml"));
    BOOST_TEST(mentions(r, "check name 'a\\nok: 3 checks' may only use"), printed(r));
    BOOST_TEST(mentions(r, "unknown key 'x\\r\\ny\\x01'"), printed(r));
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_refused_saying_what_and_where) {
    auto r = parse("checks: " + std::string(100000, '['));
    BOOST_TEST(!r.ok());
    BOOST_TEST(mentions(r, "test.yaml:1:"), printed(r));
    BOOST_TEST(mentions(r, "levels deep here"), printed(r));
    BOOST_TEST(!mentions(r, "bad file"), printed(r));
    auto block = parse("checks:\n  - name: a\n    type: file\n    path: /\n    x: " +
                       std::string(2000, '{') + "\n");
    BOOST_TEST(mentions(block, "test.yaml:5:"), printed(block));
    BOOST_TEST(mentions(block, "levels deep here"), printed(block));
}

// The image's working directory is `/`; the config folder is mounted anywhere: a relative path of
// a file check means next to the config.
BOOST_AUTO_TEST_CASE(relative_file_paths_are_taken_from_the_config_folder) {
    const std::string text =
        "checks:\n"
        "  - {name: a, type: file, path: marker}\n"
        "  - {name: b, type: file, path: ../shared/alive}\n"
        "  - {name: c, type: file, path: /abs/marker}\n"
        "  - {name: d, type: exec, command: [run], cwd: rel}\n";
    auto path_of = [](const load_result& r, std::size_t i) {
        return std::get<file_spec>(r.cfg->checks.at(i).spec).path;
    };
    auto r = parse_config(text, "/etc/heartbeat/heartbeat.yaml");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST(path_of(r, 0) == "/etc/heartbeat/marker");
    BOOST_TEST(path_of(r, 1) == "/etc/heartbeat/../shared/alive");
    BOOST_TEST(path_of(r, 2) == "/abs/marker");
    // An exec check's cwd too (and a TLS ca_file: tests/unit/include_test.cpp).
    BOOST_TEST(std::get<exec_spec>(r.cfg->checks.at(3).spec).cwd.value() == "/etc/heartbeat/rel");
    // A config named relative to the working directory: its folder is too.
    BOOST_TEST(path_of(parse_config(text, "config/heartbeat.yaml"), 0) == "config/marker");
    BOOST_TEST(path_of(parse_config(text, "heartbeat.yaml"), 0) == "marker");
}

// `heartbeatd probe` reads server.listen and base_path even from a file that does not load.
BOOST_AUTO_TEST_CASE(the_server_section_is_read_key_by_key) {
    auto s = read_server_section(
        "server:\n  listen: \"[::]:9000\"\n  base_path: /hb/\nchecks: [{name: x}]\n");
    BOOST_TEST(s.unread.empty());
    BOOST_TEST(s.server.host == "::");
    BOOST_TEST(s.server.port == 9000);
    BOOST_TEST(s.server.base_path == "/hb");

    s = read_server_section("server:\n  listen: nope\n  base_path: /hb\n  bogus: 1\n");
    BOOST_TEST(s.unread == std::vector<std::string>{"listen"});
    BOOST_TEST(s.server.port == 8080);
    BOOST_TEST(s.server.base_path == "/hb");

    s = read_server_section("server:\n  listen: 127.0.0.1:81\n  base_path: [a]\n");
    BOOST_TEST(s.unread == std::vector<std::string>{"base_path"});
    BOOST_TEST(s.server.port == 81);
    BOOST_TEST(s.server.base_path == "/.well-known/heartbeat");

    // Nothing to read where the file sets nothing: the defaults are what serve would use too.
    BOOST_TEST(read_server_section("checks: []\n").unread.empty());
    BOOST_TEST(read_server_section("").unread.empty());
    for (std::string_view bad :
         {std::string_view("server: [\n"), std::string_view("server: 3\n"),
          std::string_view("\0x", 2), std::string_view("server: {listen: \"a\\0:80\"}")}) {
        s = read_server_section(bad);
        BOOST_TEST(s.server.port == 8080);
        BOOST_TEST(s.unread.size() == 2u - bad.starts_with("server: {"));
    }
}

BOOST_AUTO_TEST_CASE(booleans_are_plain_true_or_false_as_yaml_1_2_reads_them) {
    auto ok = parse(
        "checks:\n  - {name: a, type: file, path: /, enabled: false}\n"
        "  - {name: b, type: file, path: /, enabled: True}\n"
        "  - {name: c, type: file, path: /, enabled: !!bool FALSE}\n");
    BOOST_TEST_REQUIRE(ok.ok(), printed(ok));
    BOOST_TEST(!ok.cfg->checks[0].enabled);
    BOOST_TEST(ok.cfg->checks[1].enabled);
    BOOST_TEST(!ok.cfg->checks[2].enabled);
    auto r = parse(
        "checks:\n"
        "  - {name: a, type: file, path: /, enabled: \"false\"}\n"
        "  - {name: b, type: file, path: /, enabled: 'true'}\n"
        "  - {name: c, type: file, path: /, enabled: no}\n"
        "  - {name: d, type: tcp, host: h, port: 1, tls: On}\n"
        "  - {name: e, type: file, path: /, enabled: maybe}\n");
    auto out = printed(r);
    BOOST_TEST(out ==
                   "test.yaml:2:45: 'enabled' must be true or false written without quotes: a "
                   "quoted 'false' is text, not a boolean, to YAML 1.2 and so to editors and the "
                   "JSON Schema\n"
                   "test.yaml:3:45: 'enabled' must be true or false written without quotes: a "
                   "quoted 'true' is text, not a boolean, to YAML 1.2 and so to editors and the "
                   "JSON Schema\n"
                   "test.yaml:4:45: 'enabled' must be true or false: YAML 1.2, which editors and "
                   "the JSON Schema follow, reads 'no' as text, not a boolean\n"
                   "test.yaml:5:49: 'tls' must be true or false: YAML 1.2, which editors and the "
                   "JSON Schema follow, reads 'On' as text, not a boolean\n"
                   "test.yaml:6:45: 'enabled' must be true or false, got 'maybe'\n",
               out);
}

BOOST_AUTO_TEST_CASE(push_listen_is_off_only_with_a_plain_false_or_empty_text) {
    auto off = parse("server: {push_listen: false}\n");
    BOOST_TEST_REQUIRE(off.ok(), printed(off));
    BOOST_TEST(!off.cfg->server.push_enabled);
    auto empty = parse("server: {push_listen: ''}\n");
    BOOST_TEST_REQUIRE(empty.ok(), printed(empty));
    BOOST_TEST(!empty.cfg->server.push_enabled);
    auto quoted = parse("server: {push_listen: 'false'}\n");
    BOOST_TEST(!quoted.ok());
    BOOST_TEST(printed(quoted).find("test.yaml:1:23: 'push_listen' must be host:port") !=
                   std::string::npos,
               printed(quoted));
}

BOOST_AUTO_TEST_CASE(interval_failing_is_a_duration_that_defaults_to_the_interval) {
    auto r = parse("checks:\n  - {name: a, type: file, path: /, interval: 1m, interval_failing: 5s}\n"
                   "  - {name: b, type: file, path: /}\n");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST((r.cfg->checks[0].interval_failing == std::optional<duration>(5s)));
    BOOST_TEST(!r.cfg->checks[1].interval_failing.has_value());
    auto other = parse("checks:\n  - {name: a, type: file, path: /, interval: 1m, "
                       "interval_failing: 6s}\n");
    BOOST_TEST(!r.cfg->checks[0].same_definition(other.cfg->checks[0]));
    BOOST_TEST(mentions(parse("checks:\n  - {name: a, type: file, path: /, interval_failing: 0}\n"),
                        "'interval_failing' must be longer than 0"));
    // Where it can do nothing: a warning, at its place.
    auto on_demand = parse("checks:\n  - {name: a, type: file, path: /, interval: 0, "
                           "interval_failing: 5s}\n");
    BOOST_TEST(on_demand.ok());
    BOOST_TEST(printed(on_demand) ==
                   "test.yaml:2:67: warning: 'interval_failing' does nothing on check 'a': with "
                   "interval 0 it runs only when a request needs it\n",
               printed(on_demand));
    auto push = parse("server: {push_listen: '127.0.0.1:0'}\n"
                      "checks:\n  - {name: p, type: push, ttl: 1m, interval_failing: 5s}\n");
    BOOST_TEST(mentions(push, "'interval_failing' does nothing on a push check"), printed(push));
    // From the defaults, unless a check sets its own; inherited, it warns about nothing.
    auto inherited = parse("defaults: {interval_failing: 3s}\nchecks:\n"
                           "  - {name: a, type: file, path: /}\n"
                           "  - {name: b, type: file, path: /, interval_failing: 1s}\n"
                           "  - {name: c, type: file, path: /, interval: 0}\n");
    BOOST_TEST_REQUIRE(inherited.ok(), printed(inherited));
    BOOST_TEST(printed(inherited).empty(), printed(inherited));
    BOOST_TEST((inherited.cfg->checks[0].interval_failing == std::optional<duration>(3s)));
    BOOST_TEST((inherited.cfg->checks[1].interval_failing == std::optional<duration>(1s)));
}
