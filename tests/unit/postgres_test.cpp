#define BOOST_TEST_MODULE postgres
// The postgres check type without I/O: its keys and messages, and the verdict rule over what a
// connection attempt saw.
#include <boost/test/unit_test.hpp>

#include <cstdlib>

#include <boost/json/serialize.hpp>

#include "heartbeat/checks/postgres/run.hpp"
#include "heartbeat/config.hpp"
#include "heartbeat/redact.hpp"

using namespace heartbeat;
using namespace std::chrono_literals;

namespace {

load_result parse(const std::string& check_keys) {
    return parse_config("checks:\n  - name: db\n    type: postgres\n" + check_keys, "test.yaml");
}

/** All diagnostics, formatted, one per line: what `validate` prints. */
std::string printed(const load_result& r) {
    std::string out;
    for (auto& d : r.diagnostics) out += d.format("test.yaml") + "\n";
    return out;
}

const postgres_spec& spec_of(const load_result& r) {
    BOOST_TEST_REQUIRE(r.cfg.has_value(), printed(r));
    return std::get<postgres_spec>(r.cfg->checks.at(0).spec);
}

// libpq 15's connection messages in the verbose form, as it builds them.
const std::string starting_up =
    "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  57P03: the database system "
    "is starting up\nLOCATION:  ProcessStartupPacket, postmaster.c:2375\n";
const std::string hba_reject =
    "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  28000: pg_hba.conf rejects "
    "connection for host \"127.0.0.1\", user \"x\", database \"x\", no encryption\n";
const std::string refused =
    "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the server "
    "running on that host and accepting TCP/IP connections?\n";
const std::string no_password =
    "connection to server at \"127.0.0.1\", port 5432 failed: fe_sendauth: no password supplied\n";

pg_attempt failed_with(std::string error) {
    pg_attempt a;
    a.socket_connected = true;
    a.error = std::move(error);
    return a;
}

}  // namespace

BOOST_AUTO_TEST_CASE(defaults_port_5432_and_no_dbname_or_user) {
    auto r = parse("    host: db\n");
    const auto& p = spec_of(r);
    BOOST_TEST(p.host == "db");
    BOOST_TEST(p.port == 5432);
    BOOST_TEST(!p.dbname.has_value());
    BOOST_TEST(!p.user.has_value());
    BOOST_TEST(r.cfg->checks[0].type() == "postgres");
}

BOOST_AUTO_TEST_CASE(every_key_is_read) {
    auto r = parse("    host: 127.0.0.1\n    port: 6543\n    dbname: app\n    user: probe\n");
    const auto& p = spec_of(r);
    BOOST_TEST(p.host == "127.0.0.1");
    BOOST_TEST(p.port == 6543);
    BOOST_TEST(p.dbname.value() == "app");
    BOOST_TEST(p.user.value() == "probe");
}

BOOST_AUTO_TEST_CASE(a_missing_host_is_reported_at_the_check) {
    auto r = parse("    port: 5432\n");
    BOOST_TEST(printed(r) ==
               "test.yaml:2:5: missing required key 'host' in check 'db' (postgres check)\n");
}

BOOST_AUTO_TEST_CASE(a_host_list_or_a_socket_folder_is_refused_at_its_value) {
    auto r = parse("    host: a,b\n");
    BOOST_TEST(printed(r) ==
               "test.yaml:4:11: 'host' must be one name or IP address (no ',' and no "
               "leading '/'), got 'a,b'\n");
    r = parse("    host: /run/postgresql\n");
    BOOST_TEST(printed(r) ==
               "test.yaml:4:11: 'host' must be one name or IP address (no ',' and no "
               "leading '/'), got '/run/postgresql'\n");
}

BOOST_AUTO_TEST_CASE(bad_values_are_reported_where_they_are) {
    auto r = parse("    host: db\n    port: 70000\n    dbname: ''\n    user: [a]\n");
    auto text = printed(r);
    BOOST_TEST(text.find("test.yaml:5:11: 'port'") != std::string::npos, text);
    BOOST_TEST(text.find("test.yaml:6:13: 'dbname' must not be empty") != std::string::npos, text);
    BOOST_TEST(text.find("test.yaml:7:11: 'user'") != std::string::npos, text);
    BOOST_TEST(r.diagnostics.size() == 3u, text);
}

BOOST_AUTO_TEST_CASE(an_unknown_key_gets_a_did_you_mean) {
    auto r = parse("    host: db\n    db_name: app\n");
    auto text = printed(r);
    BOOST_TEST(text.find("test.yaml:5:5:") != std::string::npos, text);
    BOOST_TEST(text.find("'db_name'") != std::string::npos, text);
    BOOST_TEST(text.find("did you mean 'dbname'?") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(a_key_of_another_type_does_not_apply) {
    auto r = parse("    host: db\n    send: x\n");
    BOOST_TEST(printed(r).find("test.yaml:5:5: key 'send' does not apply to a postgres check") !=
                   std::string::npos,
               printed(r));
}

BOOST_AUTO_TEST_CASE(the_sqlstate_is_the_servers_last_one) {
    BOOST_TEST(server_sqlstate(starting_up) == "57P03");
    BOOST_TEST(server_sqlstate(hba_reject) == "28000");
    BOOST_TEST(server_sqlstate(refused) == "");
    BOOST_TEST(server_sqlstate(no_password) == "");
    BOOST_TEST(server_sqlstate("") == "");
    // An earlier address refused, the next one answered: the answer counts.
    BOOST_TEST(server_sqlstate(refused + starting_up) == "57P03");
    BOOST_TEST(server_sqlstate(starting_up + hba_reject) == "28000");
    // A translated severity keeps the code.
    BOOST_TEST(server_sqlstate("FATAL (übersetzt):  57P03: x") == "57P03");
    // Text that only looks close.
    BOOST_TEST(server_sqlstate("x:  57p03: y") == "");
    BOOST_TEST(server_sqlstate("x:  57P03 y") == "");
    BOOST_TEST(server_sqlstate("x:  57P0") == "");
}

BOOST_AUTO_TEST_CASE(the_verdict_follows_libpqs_ping_rule) {
    pg_attempt ok;
    ok.connected = true;
    BOOST_TEST((judge_verdict(ok) == pg_verdict::accepting));

    auto password = failed_with(no_password);
    password.password_demanded = true;
    BOOST_TEST((judge_verdict(password) == pg_verdict::accepting));

    auto authenticated_then_silent = failed_with("");
    authenticated_then_silent.past_awaiting_response = true;
    authenticated_then_silent.timed_out = true;
    BOOST_TEST((judge_verdict(authenticated_then_silent) == pg_verdict::accepting));

    BOOST_TEST((judge_verdict(failed_with(hba_reject)) == pg_verdict::accepting));
    BOOST_TEST((judge_verdict(failed_with("FATAL:  28P01: password authentication failed")) ==
                pg_verdict::accepting));
    BOOST_TEST((judge_verdict(failed_with("FATAL:  3D000: database \"x\" does not exist")) ==
                pg_verdict::accepting));
    BOOST_TEST(
        (judge_verdict(failed_with("GSSAPI continuation error: x")) == pg_verdict::accepting));
    BOOST_TEST((judge_verdict(failed_with(starting_up)) == pg_verdict::rejecting));
    BOOST_TEST((judge_verdict(failed_with(refused)) == pg_verdict::no_response));
    BOOST_TEST((judge_verdict(failed_with(no_password)) == pg_verdict::no_response),
               "no password asked for: the text alone is not an answer");
    pg_attempt silent;
    silent.timed_out = true;
    BOOST_TEST((judge_verdict(silent) == pg_verdict::no_response));
}

BOOST_AUTO_TEST_CASE(results_carry_the_verdict_and_our_own_words) {
    pg_attempt ok;
    ok.connected = true;
    auto r = judge_postgres(ok, 1s, "db:5432");
    BOOST_TEST(r.ok);
    BOOST_TEST(r.message == "accepting connections");
    BOOST_TEST(json::serialize(r.facts) == R"({"verdict":"accepting"})");

    r = judge_postgres(failed_with(hba_reject), 1s, "db:5432");
    BOOST_TEST(r.ok);
    BOOST_TEST(r.message == "accepting connections");
    BOOST_TEST(json::serialize(r.facts) == R"({"verdict":"accepting","sqlstate":"28000"})");

    r = judge_postgres(failed_with(starting_up), 1s, "db:5432");
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.message == "rejecting connections: db:5432 is starting up (SQLSTATE 57P03)");
    BOOST_TEST(json::serialize(r.facts) == R"({"verdict":"rejecting","sqlstate":"57P03"})");
    r = judge_postgres(failed_with("FATAL:  57P03: the database system is not accepting "
                                   "connections\nDETAIL:  Hot standby mode is disabled.\n"),
                       1s, "db:5432");
    BOOST_TEST(r.message ==
               "rejecting connections: db:5432 is in recovery and hot standby is off (SQLSTATE "
               "57P03)");
    r = judge_postgres(failed_with("FATAL:  57P03: the database system is shutting down"), 1s,
                       "db:5432");
    BOOST_TEST(r.message == "rejecting connections: db:5432 is shutting down (SQLSTATE 57P03)");

    r = judge_postgres(failed_with(refused), 1s, "db:5432");
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.message == "no response from db:5432: connection refused");
    BOOST_TEST(json::serialize(r.facts) == R"({"verdict":"no_response"})");
    r = judge_postgres(failed_with("server closed the connection unexpectedly\n\tThis probably "
                                   "means the server terminated abnormally\n"),
                       1s, "db:5432");
    BOOST_TEST(r.message == "no response from db:5432: it closed the connection without answering");
    r = judge_postgres(failed_with("expected authentication request from server, but received H"),
                       1s, "db:5432");
    BOOST_TEST(r.message ==
               "no response from db:5432: the peer does not speak PostgreSQL's protocol");
    r = judge_postgres(failed_with("something libpq says that we do not know, 's3cr3t'"), 1s,
                       "db:5432");
    BOOST_TEST(r.message ==
               "no response from db:5432: the connection failed before the server answered");

    pg_attempt silent;
    silent.timed_out = true;
    BOOST_TEST(judge_postgres(silent, 500ms, "db:5432").message ==
               "timed out after 500ms connecting to db:5432");
    silent.socket_connected = true;
    BOOST_TEST(judge_postgres(silent, 500ms, "db:5432").message ==
               "timed out after 500ms waiting for db:5432 to answer");
}

BOOST_AUTO_TEST_CASE(pgpassword_from_the_environment_is_a_secret_of_every_postgres_check) {
    check_config c;
    c.spec = postgres_spec{};
    ::setenv("PGPASSWORD", "env-pw-3e9a", 1);
    auto secrets = secret_values(c);
    ::unsetenv("PGPASSWORD");
    BOOST_TEST(secrets == std::vector<std::string>{"env-pw-3e9a"},
               boost::test_tools::per_element());
    check_result r = failure("server said env-pw-3e9a");
    redact(r, secrets);
    BOOST_TEST(r.message == "server said [redacted]");
    BOOST_TEST(secret_values(c).empty());
}
