#define BOOST_TEST_MODULE e2e_postgres
// A postgres check through the built daemon: its verdict in the answers, and the password that
// libpq reads from the daemon's environment nowhere in them or in the log.
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include "heartbeatd.hpp"
#include "postgres_server.hpp"
#include "skip.hpp"

using namespace heartbeat::test;

namespace {

const std::string password = "pg-env-secret-4be17a";

std::string no_postgres() {
    return postgres_servers::missing();
}

std::string config(const postgres_servers& pg) {
    return "checks:\n"
           "  - {name: db, type: postgres, host: 127.0.0.1, port: " +
           std::to_string(pg.primary_port()) +
           ", user: scram_user, dbname: app, timeout: 5s, probes: [readiness]}\n"
           "  - {name: replica, type: postgres, host: localhost, port: " +
           std::to_string(pg.standby_port()) + ", timeout: 5s, probes: [startup]}\n";
}

}  // namespace

BOOST_AUTO_TEST_CASE(verdicts_reach_the_answers_and_the_password_nothing, *skip_if(no_postgres)) {
    postgres_servers pg;
    BOOST_TEST_REQUIRE(pg.error().empty(), pg.error());
    heartbeatd d(config(pg), {}, {{"PGPASSWORD", password}});

    auto ready = d.get(base + "/readiness");
    BOOST_TEST(ready.status == 200, ready.body);
    auto db = body_of(ready).at("checks").at("db").as_object();
    BOOST_TEST(db.at("status").as_bool());
    BOOST_TEST(db.at("message").as_string() == "accepting connections");
    // The server was asked with the environment's (wrong) password and refused it: it answered.
    BOOST_TEST(db.at("verdict").as_string() == "accepting");
    BOOST_TEST(db.at("sqlstate").as_string() == "28P01");

    auto startup = d.get(base + "/startup/replica");
    BOOST_TEST(startup.status != 200, startup.body);
    auto replica = body_of(startup).at("checks").at("replica").as_object();
    BOOST_TEST(replica.at("verdict").as_string() == "rejecting");
    BOOST_TEST(replica.at("message").as_string() ==
               "rejecting connections: localhost:" + std::to_string(pg.standby_port()) +
                   " is in recovery and hot standby is off (SQLSTATE 57P03)");

    std::vector<std::string> answers = {ready.body, startup.body};
    for (const std::string target : {"/readiness?verbose", "/startup?verbose", "/liveliness",
                                     "/readiness/db", "/startup/replica?verbose"})
        answers.push_back(d.get(base + target).body);
    answers.push_back(d.get("/metrics").body);
    for (const auto& a : answers)
        BOOST_TEST(a.find(password) == std::string::npos, "an answer shows the password: " << a);
    d.proc->signal(SIGTERM);
    BOOST_TEST(d.proc->wait_exit().value_or(-1) == 0);
    BOOST_TEST(d.proc->stderr_text().find("replica") != std::string::npos,
               "the log names the failing check: " << d.proc->stderr_text());
    BOOST_TEST(d.proc->stderr_text().find(password) == std::string::npos, d.proc->stderr_text());
}
