#define BOOST_TEST_MODULE config_vars
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <map>

#include "heartbeat/checks/unit.hpp"
#include "heartbeat/config.hpp"
#include "heartbeat/config_vars.hpp"
#include "heartbeat/redact.hpp"

using namespace heartbeat;

namespace {

const std::map<std::string, std::string, std::less<>> fake_env = {
    {"HOST", "db.internal"}, {"PORT", "5432"}, {"EMPTY", ""}, {"_x9", "v"}};

std::optional<std::string> fake(std::string_view name) {
    auto it = fake_env.find(name);
    if (it == fake_env.end()) return std::nullopt;
    return it->second;
}

std::string expanded(std::string_view text) {
    auto e = expand_text(text, fake);
    BOOST_TEST_REQUIRE(!e.error.has_value(), text << ": " << e.error.value_or(""));
    return e.value;
}

std::string error_of(std::string_view text) {
    auto e = expand_text(text, fake);
    BOOST_TEST_REQUIRE(e.error.has_value(), text << " expanded to " << e.value);
    BOOST_TEST(e.value.empty());
    return *e.error;
}

load_result parse(const std::string& text) {
    return parse_config(text, "test.yaml");
}

std::string printed(const load_result& r) {
    std::string out;
    for (auto& d : r.diagnostics) out += d.format("test.yaml") + "\n";
    return out;
}

/** Sets a variable for one test and takes it away again. */
struct scoped_env {
    std::string name;
    scoped_env(std::string n, const std::string& value) : name(std::move(n)) {
        ::setenv(name.c_str(), value.c_str(), 1);
    }
    ~scoped_env() { ::unsetenv(name.c_str()); }
};

const check_config& check_named(const config& cfg, const std::string& name) {
    for (const auto& c : cfg.checks)
        if (c.name == name) return c;
    BOOST_FAIL("no check " << name);
    return cfg.checks.front();
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_grammar_replaces_names_and_defaults_as_the_shell_does) {
    BOOST_TEST(expanded("${HOST}") == "db.internal");
    BOOST_TEST(expanded("postgres://${HOST}:${PORT}/x") == "postgres://db.internal:5432/x");
    BOOST_TEST(expanded("${NOPE:-fallback}") == "fallback");
    BOOST_TEST(expanded("${HOST:-fallback}") == "db.internal");
    BOOST_TEST(expanded("${EMPTY:-fallback}") == "fallback");  // empty takes the default
    BOOST_TEST(expanded("${EMPTY}") == "");
    BOOST_TEST(expanded("${NOPE:-}") == "");
    BOOST_TEST(expanded("${NOPE:-a b:-c $x}") == "a b:-c $x");
    BOOST_TEST(expanded("${_x9}") == "v");
    BOOST_TEST(expanded("$$") == "$");
    BOOST_TEST(expanded("$${HOST}") == "${HOST}");
    BOOST_TEST(expanded("$$$${HOST}") == "$${HOST}");
    BOOST_TEST(expanded("cost: 5$") == "cost: 5$");
    BOOST_TEST(expanded("^ok$") == "^ok$");
    BOOST_TEST(expanded("$HOST $(x) $1 a$b") == "$HOST $(x) $1 a$b");
    BOOST_TEST(expanded("no variables") == "no variables");
    BOOST_TEST(expanded("") == "");
}

BOOST_AUTO_TEST_CASE(only_values_from_the_environment_count_as_secrets) {
    auto e = expand_text("${HOST}:${NOPE:-5432}/${EMPTY}$$", fake);
    BOOST_TEST(e.changed);
    BOOST_TEST(e.value == "db.internal:5432/$");
    BOOST_TEST_REQUIRE(e.from_environment.size() == 1u);
    BOOST_TEST(e.from_environment[0].first == "HOST");
    BOOST_TEST(e.from_environment[0].second == "db.internal");
    BOOST_TEST(!expand_text("^ok$", fake).changed);
    BOOST_TEST(expand_text("$$", fake).changed);
}

BOOST_AUTO_TEST_CASE(malformed_and_unset_variables_are_errors_that_never_show_a_value) {
    BOOST_TEST(error_of("${HOST").find("without a closing '}'") != std::string::npos);
    BOOST_TEST(error_of("x ${HOST:-a").find("without a closing '}'") != std::string::npos);
    BOOST_TEST(error_of("${1X}").find("malformed variable '${1X}'") != std::string::npos);
    BOOST_TEST(error_of("${}").find("malformed variable '${}'") != std::string::npos);
    BOOST_TEST(error_of("${A-B}").find("malformed variable '${A-B}'") != std::string::npos);
    BOOST_TEST(error_of("${HOST:x}").find("malformed") != std::string::npos);
    BOOST_TEST(error_of("${A B}").find("malformed") != std::string::npos);
    BOOST_TEST(error_of("${NOPE:-${HOST}}").find("do not nest") != std::string::npos);
    auto unset = error_of("a ${HOST} ${NOPE} b");
    BOOST_TEST(unset.find("variable NOPE is not set") != std::string::npos, unset);
    BOOST_TEST(unset.find("${NOPE:-default}") != std::string::npos, unset);
    BOOST_TEST(unset.find("db.internal") == std::string::npos, unset);
}

BOOST_AUTO_TEST_CASE(every_scalar_value_is_expanded_when_the_file_loads_but_no_key) {
    scoped_env host("HB_TEST_HOST", "db-host-4e1a.internal");
    scoped_env port("HB_TEST_PORT", "6543");
    auto r = parse(
        "server: {listen: '127.0.0.1:${HB_TEST_PORT}', base_path: '${HB_TEST_BASE:-/hb}'}\n"
        "defaults: {timeout: '${HB_TEST_TIMEOUT:-2s}'}\n"
        "checks:\n"
        "  - name: db\n"
        "    type: tcp\n"
        "    host: ${HB_TEST_HOST}\n"
        "    port: ${HB_TEST_PORT}\n"
        "    probes: ['${HB_TEST_PROBE:-startup}', readiness]\n"
        "    expect: '^ok$ costs $$5'\n"
        "  - name: cmd\n"
        "    type: exec\n"
        "    command: [echo, '${HB_TEST_HOST}']\n"
        "    env: {'${KEY}': '${HB_TEST_HOST}'}\n");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    const auto& cfg = *r.cfg;
    BOOST_TEST(cfg.server.port == 6543);
    BOOST_TEST(cfg.server.base_path == "/hb");
    const auto& db = check_named(cfg, "db");
    BOOST_TEST(db.timeout == std::chrono::seconds(2));
    BOOST_TEST(db.probes.count(probe::startup) == 1u);
    const auto& tcp = std::get<tcp_spec>(db.spec);
    BOOST_TEST(tcp.host == "db-host-4e1a.internal");
    BOOST_TEST(tcp.port == 6543);
    BOOST_TEST(tcp.expect.value_or("") == "^ok$ costs $5");
    const auto& exec = std::get<exec_spec>(check_named(cfg, "cmd").spec);
    BOOST_TEST_REQUIRE(exec.env.size() == 1u);
    BOOST_TEST(exec.env.count("${KEY}") == 1u);  // a key stays as written
    BOOST_TEST(exec.env.at("${KEY}") == "db-host-4e1a.internal");
}

// In a flow mapping a variable must be quoted; a boolean from one is still read by its value,
// while a quoted boolean written in the file stays text, as YAML 1.2 has it.
BOOST_AUTO_TEST_CASE(a_quoted_variable_gives_a_boolean_by_its_value) {
    scoped_env on("HB_TEST_ON", "false");
    auto r = parse("checks:\n  - {name: f, type: file, path: /, enabled: \"${HB_TEST_ON}\"}\n"
                   "  - {name: g, type: file, path: /, enabled: '${HB_TEST_UNSET:-true}'}\n");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST(!check_named(*r.cfg, "f").enabled);
    BOOST_TEST(check_named(*r.cfg, "g").enabled);
    auto quoted = parse("checks:\n  - {name: f, type: file, path: /, enabled: \"false\"}\n");
    BOOST_TEST(!quoted.ok());
    scoped_env yes("HB_TEST_ON", "yes");
    auto text = parse("checks:\n  - {name: f, type: file, path: /, enabled: \"${HB_TEST_ON}\"}\n");
    BOOST_TEST(!text.ok());
    BOOST_TEST(printed(text).find("reads '${HB_TEST_ON}' as text") != std::string::npos,
               printed(text));
}

BOOST_AUTO_TEST_CASE(each_load_reads_the_environment_anew) {
    const std::string text = "checks:\n  - {name: a, type: tcp, host: '${HB_TEST_H}', port: 1}\n";
    {
        scoped_env h("HB_TEST_H", "first-host");
        auto r = parse(text);
        BOOST_TEST_REQUIRE(r.ok(), printed(r));
        BOOST_TEST(std::get<tcp_spec>(r.cfg->checks[0].spec).host == "first-host");
    }
    scoped_env h("HB_TEST_H", "second-host");
    auto r = parse(text);
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST(std::get<tcp_spec>(r.cfg->checks[0].spec).host == "second-host");
}

BOOST_AUTO_TEST_CASE(problems_are_reported_at_the_scalar_with_its_place) {
    auto r = parse(
        "checks:\n"
        "  - name: a\n"
        "    type: tcp\n"
        "    host: ${HB_TEST_UNSET_HOST}\n"
        "    port: '${HB_TEST_PORT'\n"
        "  - {name: b, type: tcp, host: 'x${9}', port: 1}\n");
    BOOST_TEST(!r.ok());
    auto out = printed(r);
    BOOST_TEST(out ==
                   "test.yaml:4:11: variable HB_TEST_UNSET_HOST is not set in the environment "
                   "(write ${HB_TEST_UNSET_HOST:-default} to give a default)\n"
                   "test.yaml:5:11: '${' without a closing '}': write ${NAME}, "
                   "${NAME:-default}, or $$ for a $\n"
                   "test.yaml:6:32: malformed variable '${9}': a name is letters, digits and _ "
                   "(not first a digit), then '}' or ':-default}'\n",
               out);
}

BOOST_AUTO_TEST_CASE(names_types_and_environ_refuse_variables) {
    scoped_env v("HB_TEST_NAME", "shown-name");
    auto r = parse(
        "environ: {virtualenv: '${HB_TEST_NAME}', variables: ['${HB_TEST_NAME}']}\n"
        "checks:\n"
        "  - {name: '${HB_TEST_NAME}', type: file, path: /}\n"
        "  - {name: t, type: '${HB_TEST_NAME:-file}', path: /}\n");
    auto out = printed(r);
    BOOST_TEST(!r.ok());
    BOOST_TEST(
        out.find("test.yaml:1:23: variables are not expanded in 'environ'") != std::string::npos,
        out);
    BOOST_TEST(
        out.find("test.yaml:1:54: variables are not expanded in 'environ'") != std::string::npos,
        out);
    BOOST_TEST(out.find("test.yaml:3:12: variables are not expanded in a check's 'name'") !=
                   std::string::npos,
               out);
    BOOST_TEST(out.find("test.yaml:4:21: variables are not expanded in a check's 'type'") !=
                   std::string::npos,
               out);
    BOOST_TEST(out.find("shown-name") == std::string::npos, out);
}

BOOST_AUTO_TEST_CASE(messages_quote_the_text_as_written_for_values_from_the_environment) {
    scoped_env port("HB_TEST_PORT", "99999");
    scoped_env url("HB_TEST_URL", "ftp://secret-host-31c9/health");
    scoped_env enabled("HB_TEST_ON", "yes");
    scoped_env host("HB_TEST_HOST", "liveness-host-77d1");
    // Plain (unquoted) variables in block style: in flow style (`{…}`) YAML ends a plain value at
    // its first `}`.
    auto r = parse(
        "checks:\n"
        "  - name: a\n"
        "    type: tcp\n"
        "    host: h\n"
        "    port: ${HB_TEST_PORT}\n"
        "  - {name: b, type: http, url: '${HB_TEST_URL}'}\n"
        "  - name: c\n"
        "    type: file\n"
        "    path: /\n"
        "    enabled: ${HB_TEST_ON}\n"
        "  - {name: d, type: http, url: 'http://${HB_TEST_HOST}:80/', probes: [liveliness]}\n"
        "  - {name: e, type: tcp, host: h, port: '${HB_TEST_NOPE:-0}'}\n");
    auto out = printed(r);
    BOOST_TEST(!r.ok());
    BOOST_TEST(out.find("test.yaml:5:11: 'port' must be a whole number from 1 to 65535, got "
                        "'${HB_TEST_PORT}'") != std::string::npos,
               out);
    BOOST_TEST(
        out.find("test.yaml:6:32: 'url' must start with http:// or https://") != std::string::npos,
        out);
    BOOST_TEST(out.find("test.yaml:10:14: 'enabled' must be true or false: YAML 1.2, which "
                        "editors and the JSON Schema follow, reads '${HB_TEST_ON}' as text") !=
                   std::string::npos,
               out);
    // The liveliness warning names the host as the file writes it.
    BOOST_TEST(out.find("test.yaml:11:5: warning: check 'd' is a liveliness check that reaches "
                        "another host (${HB_TEST_HOST})") != std::string::npos,
               out);
    // A default written in the file is no secret: it is quoted as the value it gave.
    BOOST_TEST(out.find("test.yaml:12:41: 'port' must be a whole number from 1 to 65535, got "
                        "'0'") != std::string::npos,
               out);
    for (const std::string secret : {"99999", "secret-host-31c9", "'yes'", "liveness-host-77d1"})
        BOOST_TEST(out.find(secret) == std::string::npos, secret << " in " << out);
}

BOOST_AUTO_TEST_CASE(an_unexpanded_scalar_has_no_second_message) {
    auto r = parse("checks:\n  - {name: a, type: tcp, host: h, port: '${HB_TEST_NOPE}'}\n");
    BOOST_TEST_REQUIRE(r.diagnostics.size() == 1u, printed(r));
    BOOST_TEST(r.diagnostics[0].message.find("HB_TEST_NOPE is not set") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(values_from_the_environment_join_the_secrets_of_the_checks_that_use_them) {
    scoped_env token("HB_TEST_TOKEN", "tok-9f8e7d");
    scoped_env shortv("HB_TEST_SHORT", "ab");
    auto r = parse(
        "checks:\n"
        "  - {name: a, type: http, url: "
        "'http://127.0.0.1:1/?t=${HB_TEST_TOKEN}&s=${HB_TEST_SHORT}'}\n"
        "  - {name: b, type: http, url: 'http://127.0.0.1:1/${HB_TEST_NOPE:-plain-default}'}\n");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    const auto& a = check_named(*r.cfg, "a");
    const auto& b = check_named(*r.cfg, "b");
    auto secrets = secret_values(a);
    BOOST_TEST(std::count(secrets.begin(), secrets.end(), "tok-9f8e7d") == 1);
    // Too short to tell apart from ordinary text, as for every other secret.
    BOOST_TEST(std::count(secrets.begin(), secrets.end(), "ab") == 0);
    auto bs = secret_values(b);
    BOOST_TEST(std::count(bs.begin(), bs.end(), "tok-9f8e7d") == 0);
    BOOST_TEST(std::count(bs.begin(), bs.end(), "plain-default") == 0);
    BOOST_TEST(r.cfg->variable_secrets == std::vector<std::string>{"tok-9f8e7d"});
    check_result res;
    res.message = "GET http://127.0.0.1:1/?t=tok-9f8e7d: refused";
    redact(res, secrets);
    BOOST_TEST(res.message == "GET http://127.0.0.1:1/?t=[redacted]: refused");
}

BOOST_AUTO_TEST_CASE(the_readme_example_serves_two_environments) {
    // README.md, "Variables", as written there.
    const std::string text = R"(checks:
  - name: database
    type: postgres
    host: ${DB_HOST}                          # staging-db / db.prod.internal
    port: ${DB_PORT:-5432}
  - name: search
    type: http
    url: https://${SEARCH_HOST}/_cluster/health
    headers: {Authorization: "Bearer ${SEARCH_TOKEN}"}
    expect_body: '"status":"green"'
    enabled: ${SEARCH_ENABLED:-true}          # staging sets SEARCH_ENABLED=false
)";
    scoped_env host("DB_HOST", "staging-db");
    scoped_env search("SEARCH_HOST", "search.staging");
    scoped_env token("SEARCH_TOKEN", "tok-staging-1");
    {
        scoped_env off("SEARCH_ENABLED", "false");
        auto staging = parse(text);
        BOOST_TEST_REQUIRE(staging.ok(), printed(staging));
        BOOST_TEST(!check_named(*staging.cfg, "search").enabled);
        BOOST_TEST(std::get<postgres_spec>(check_named(*staging.cfg, "database").spec).port ==
                   5432);
    }
    scoped_env port("DB_PORT", "6432");
    auto production = parse(text);
    BOOST_TEST_REQUIRE(production.ok(), printed(production));
    BOOST_TEST(check_named(*production.cfg, "search").enabled);
    BOOST_TEST(std::get<postgres_spec>(check_named(*production.cfg, "database").spec).port == 6432);
    auto secrets = secret_values(check_named(*production.cfg, "search"));
    BOOST_TEST(std::count(secrets.begin(), secrets.end(), "tok-staging-1") == 1);
}
