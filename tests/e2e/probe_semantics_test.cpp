#define BOOST_TEST_MODULE e2e_probe_semantics
// How checks are run and reported, through the built daemon: interval_failing.
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "heartbeatd.hpp"

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
