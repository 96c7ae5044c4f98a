#define BOOST_TEST_MODULE postgres
// The postgres check against Debian's PostgreSQL 15 on loopback: each of pg_isready's verdicts.
#include <boost/test/unit_test.hpp>

#include <cstdlib>

#include <boost/json/serialize.hpp>

#include "heartbeat/checks/postgres/run.hpp"
#include "loopback.hpp"
#include "postgres_server.hpp"
#include "procfs.hpp"
#include "run_check.hpp"
#include "skip.hpp"

using namespace heartbeat;
using namespace heartbeat::test;
using namespace std::chrono_literals;

namespace {

/** One initdb for the whole program, started on first use, stopped and removed at exit. */
postgres_servers& servers() {
    static postgres_servers s;
    BOOST_TEST_REQUIRE(s.error().empty(), s.error());
    return s;
}

std::string no_postgres() {
    return postgres_servers::missing();
}

check_config postgres(std::string host, std::uint16_t port, std::optional<std::string> user = {},
                      duration timeout = 5s) {
    postgres_spec p;
    p.host = std::move(host);
    p.port = port;
    p.user = std::move(user);
    p.dbname = "postgres";
    return make_check(std::move(p), timeout);
}

std::string facts(const check_result& r) {
    return json::serialize(r.facts);
}

std::string at(std::uint16_t port) {
    return "127.0.0.1:" + std::to_string(port);
}

/** Sets an environment variable for one scope: what libpq would read. */
struct scoped_env {
    std::string name;
    scoped_env(std::string n, const std::string& value) : name(std::move(n)) {
        ::setenv(name.c_str(), value.c_str(), 1);
    }
    ~scoped_env() { ::unsetenv(name.c_str()); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_closed_port_is_no_response) {
    auto port = refused_port();
    auto t = run_once(postgres("127.0.0.1", port));
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message == "no response from " + at(port) + ": connection refused");
    BOOST_TEST(facts(t.result) == R"({"verdict":"no_response"})");
}

BOOST_AUTO_TEST_CASE(a_listener_that_never_answers_fails_at_the_timeout) {
    silent_listener silent;
    auto t = run_once(postgres("127.0.0.1", silent.port(), {}, 1s));
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message ==
               "timed out after 1s waiting for " + at(silent.port()) + " to answer");
    BOOST_TEST(facts(t.result) == R"({"verdict":"no_response"})");
    BOOST_TEST(t.took >= 1s);
    BOOST_TEST(t.took < 1300ms);
}

BOOST_AUTO_TEST_CASE(a_peer_that_is_not_postgres_is_no_response) {
    scripted_server http([](int fd) {
        read_until(fd, "heartbeatd", 2000);  // the startup message's application_name
        write_all(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    auto t = run_once(postgres("127.0.0.1", http.port()));
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message == "no response from " + at(http.port()) +
                                       ": the peer does not speak PostgreSQL's protocol");
}

// The cases that need the servers: run on their own too (tests/CMakeLists.txt), so that CTest
// shows it when they skip.
BOOST_AUTO_TEST_SUITE(server, *skip_if(no_postgres))

BOOST_AUTO_TEST_CASE(a_trusting_server_is_accepting) {
    auto t = run_once(postgres("127.0.0.1", servers().primary_port(), "heartbeat"));
    BOOST_TEST(t.result.ok, t.result.message);
    BOOST_TEST(t.result.message == "accepting connections");
    BOOST_TEST(facts(t.result) == R"({"verdict":"accepting"})");
}

BOOST_AUTO_TEST_CASE(a_host_name_is_resolved_and_each_address_tried) {
    // localhost may give ::1 first, where nothing listens: libpq goes on to 127.0.0.1.
    auto t = run_once(postgres("localhost", servers().primary_port(), "heartbeat"));
    BOOST_TEST(t.result.ok, t.result.message);
    BOOST_TEST(facts(t.result) == R"({"verdict":"accepting"})");
}

BOOST_AUTO_TEST_CASE(a_server_that_asks_for_a_password_is_accepting_without_one) {
    for (std::string user : {"scram_user", "md5_user"}) {
        BOOST_TEST_CONTEXT(user) {
            auto t = run_once(postgres("127.0.0.1", servers().primary_port(), user));
            BOOST_TEST(t.result.ok, t.result.message);
            BOOST_TEST(t.result.message == "accepting connections");
            BOOST_TEST(facts(t.result) == R"({"verdict":"accepting"})");
        }
    }
}

BOOST_AUTO_TEST_CASE(a_wrong_password_from_the_environment_is_accepting_and_never_shown) {
    // libpq sends PGPASSWORD when asked for one; the server refuses it (28P01): it answered.
    const std::string password = "pg-secret-7d1c93";
    scoped_env env("PGPASSWORD", password);
    auto t = run_once(postgres("127.0.0.1", servers().primary_port(), "scram_user"));
    BOOST_TEST(t.result.ok, t.result.message);
    BOOST_TEST(facts(t.result) == R"({"verdict":"accepting","sqlstate":"28P01"})");
    BOOST_TEST(t.result.message.find(password) == std::string::npos);
    BOOST_TEST(facts(t.result).find(password) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_pg_hba_reject_line_is_accepting) {
    auto t = run_once(postgres("127.0.0.1", servers().primary_port(), "rejected"));
    BOOST_TEST(t.result.ok, t.result.message);
    BOOST_TEST(facts(t.result) == R"({"verdict":"accepting","sqlstate":"28000"})");
}

BOOST_AUTO_TEST_CASE(a_standby_in_recovery_without_hot_standby_is_rejecting) {
    auto port = servers().standby_port();
    auto t = run_once(postgres("127.0.0.1", port, "heartbeat"));
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message == "rejecting connections: " + at(port) +
                                       " is in recovery and hot standby is off (SQLSTATE 57P03)");
    BOOST_TEST(facts(t.result) == R"({"verdict":"rejecting","sqlstate":"57P03"})");
}

BOOST_AUTO_TEST_CASE(runs_leave_no_descriptor_open) {
    auto& pg = servers();
    silent_listener silent;
    auto before = open_fds();
    for (int i = 0; i < 3; ++i) {
        run_once(postgres("127.0.0.1", pg.primary_port(), "heartbeat"));
        run_once(postgres("127.0.0.1", pg.standby_port(), "heartbeat"));
        run_once(postgres("127.0.0.1", pg.primary_port(), "scram_user"));
        run_once(postgres("127.0.0.1", silent.port(), {}, 200ms));
    }
    BOOST_TEST(open_fds() == before);
}

BOOST_AUTO_TEST_SUITE_END()
