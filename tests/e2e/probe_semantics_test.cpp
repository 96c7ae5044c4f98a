#define BOOST_TEST_MODULE e2e_probe_semantics
// How checks are run and reported, through the built daemon: interval_failing, critical: false.
#include <boost/test/unit_test.hpp>

#include <boost/json/serialize.hpp>

#include <fstream>

#include "heartbeatd.hpp"
#include "loopback.hpp"

using namespace heartbeat::test;

namespace {

/** The lines of `path`: how many runs an exec check that appends one per run has made. */
int lines_of(const std::string& path) {
    std::ifstream in(path);
    int n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
}

}  // namespace

// A check that runs every 30 s, every 200 ms while it fails: five failing runs come within
// seconds, and once it is reported passing no run comes for a second (at the failing interval,
// five would).
BOOST_AUTO_TEST_CASE(a_failing_check_runs_at_interval_failing_and_slows_down_once_it_passes) {
    temp_dir dir;
    const std::string runs = dir.path() + "/runs", up = dir.path() + "/up";
    heartbeatd d("checks:\n"
                 "  - name: job\n"
                 "    type: exec\n"
                 "    command: [/bin/sh, -c, 'echo run >> " + runs + "; test -e " + up + "']\n"
                 "    interval: 30s\n"
                 "    interval_failing: 200ms\n");
    BOOST_TEST(d.get(base + "/readiness").status == 500);
    BOOST_TEST(poll_until([&] { return lines_of(runs) >= 5; }, 10000), lines_of(runs));

    dir.write("up", "");
    BOOST_TEST_REQUIRE(poll_until([&] { return d.get(base + "/readiness").status == 200; }, 10000));
    const int at_recovery = lines_of(runs);
    bool ran_again = poll_until([&] { return lines_of(runs) > at_recovery; }, 1000);
    BOOST_TEST(!ran_again, "a run came " << lines_of(runs) - at_recovery << " time(s) after it "
                                            "passed, at the failing interval");
    BOOST_TEST(d.get(base + "/readiness").status == 200);
}

// critical: false through the daemon: readiness and startup pass on the critical check alone, the
// body lists the failing one in warnings, ?verbose marks it [!], and /metrics shows its real
// state beside probes that are up; validate warns about a probe of non-critical checks only.
BOOST_AUTO_TEST_CASE(a_non_critical_check_is_a_warning_not_a_failure) {
    temp_dir dir;
    const std::string config =
        "checks:\n"
        "  - {name: disk, type: file, path: " + dir.path() + ", probes: [readiness, startup]}\n"
        "  - {name: cache, type: tcp, host: 127.0.0.1, port: " + std::to_string(refused_port()) +
        ", critical: false, probes: [readiness, startup], interval: 200ms}\n";
    heartbeatd d(config);
    for (const char* probe : {"/readiness", "/startup"}) {
        auto r = d.get(base + probe);
        BOOST_TEST(r.status == 200, r.body);
        auto body = body_of(r);
        BOOST_TEST(!body.at("checks").at("cache").at("status").as_bool(), r.body);
        BOOST_TEST(boost::json::serialize(body.at("warnings")) == R"(["cache"])", r.body);
    }
    auto verbose = d.get(base + "/readiness?verbose").body;
    BOOST_TEST(verbose.find("[!]cache warn: connect 127.0.0.1:") != std::string::npos, verbose);
    BOOST_TEST(verbose.find("[+]disk ok") != std::string::npos, verbose);
    BOOST_TEST(verbose.ends_with("readiness check passed\n"), verbose);
    auto metrics = d.get("/metrics").body;
    BOOST_TEST(metrics.find("heartbeat_check_up{check=\"cache\",type=\"tcp\"} 0\n") !=
                   std::string::npos,
               metrics);
    BOOST_TEST(metrics.find("heartbeat_probe_up{probe=\"readiness\"} 1\n") != std::string::npos,
               metrics);

    auto only = dir.write("only.yaml", "checks:\n  - {name: cache, type: tcp, host: 127.0.0.1, "
                                       "port: 1, critical: false}\n");
    auto v = run({HEARTBEAT_BINARY, "validate", "--config", only});
    BOOST_TEST(v.code == 0, v.out);
    BOOST_TEST(v.out.find(only + ":2:5: warning: every readiness check is critical: false") !=
                   std::string::npos,
               v.out);
}
