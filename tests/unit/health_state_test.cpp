#define BOOST_TEST_MODULE health_state
#include <boost/test/unit_test.hpp>

#include "heartbeat/health_state.hpp"

using namespace heartbeat;
using namespace std::chrono_literals;
using tp = health_state::time_point;

namespace {
tp t0 = tp{} + 1000s;
health_state make(int fail = 1, int succ = 1, duration interval = 10s, duration timeout = 1s) {
    return health_state({fail, succ, interval, timeout});
}
}  // namespace

BOOST_AUTO_TEST_CASE(before_any_result_nothing_passes) {
    auto s = make();
    BOOST_TEST(!s.has_result());
    BOOST_TEST(!s.reported_ok());
    BOOST_TEST(!s.ok_at(t0));
    BOOST_TEST(!s.ever_passed());
    BOOST_TEST(!s.stale(t0 + 1h));  // nothing to be stale
}

BOOST_AUTO_TEST_CASE(first_result_sets_the_state_whatever_the_thresholds) {
    for (bool ok : {true, false}) {
        auto s = make(5, 5);
        auto t = s.on_result(ok, t0);
        BOOST_TEST_REQUIRE(t.has_value());
        BOOST_TEST(!t->from.has_value());
        BOOST_TEST(t->to == ok);
        BOOST_TEST(s.reported_ok() == ok);
        BOOST_TEST(s.ever_passed() == ok);
        BOOST_TEST((s.since() == t0));
    }
}

BOOST_AUTO_TEST_CASE(failure_threshold_holds_a_passing_check_until_enough_failures) {
    auto s = make(3, 1);
    s.on_result(true, t0);
    BOOST_TEST(!s.on_result(false, t0 + 1s));
    BOOST_TEST(s.reported_ok());
    BOOST_TEST(s.consecutive_failures() == 1);
    BOOST_TEST(!s.on_result(false, t0 + 2s));
    BOOST_TEST(s.reported_ok());
    auto t = s.on_result(false, t0 + 3s);
    BOOST_TEST_REQUIRE(t.has_value());
    BOOST_TEST(t->from.value() == true);
    BOOST_TEST(t->to == false);
    BOOST_TEST(!s.reported_ok());
    BOOST_TEST((s.since() == t0 + 3s));
    BOOST_TEST(s.consecutive_failures() == 3);
}

BOOST_AUTO_TEST_CASE(a_success_resets_the_failure_count) {
    auto s = make(2, 1);
    s.on_result(true, t0);
    s.on_result(false, t0 + 1s);
    s.on_result(true, t0 + 2s);  // flap: count starts over
    BOOST_TEST(!s.on_result(false, t0 + 3s));
    BOOST_TEST(s.reported_ok());
    BOOST_TEST(s.on_result(false, t0 + 4s).has_value());
}

BOOST_AUTO_TEST_CASE(success_threshold_holds_a_failing_check_until_enough_successes) {
    auto s = make(1, 2);
    s.on_result(false, t0);
    BOOST_TEST(!s.on_result(true, t0 + 1s));
    BOOST_TEST(!s.reported_ok());
    BOOST_TEST(s.consecutive_successes() == 1);
    s.on_result(false, t0 + 2s);
    BOOST_TEST(!s.on_result(true, t0 + 3s));
    auto t = s.on_result(true, t0 + 4s);
    BOOST_TEST_REQUIRE(t.has_value());
    BOOST_TEST(t->to);
    BOOST_TEST(s.ever_passed());
}

BOOST_AUTO_TEST_CASE(repeated_same_results_make_no_transition) {
    auto s = make();
    s.on_result(true, t0);
    for (int i = 1; i < 10; ++i) BOOST_TEST(!s.on_result(true, t0 + i * 1s));
    BOOST_TEST((s.since() == t0));
    BOOST_TEST((s.last_run() == t0 + 9s));
}

BOOST_AUTO_TEST_CASE(startup_latch_survives_later_failures) {
    auto s = make();
    s.on_result(false, t0);
    BOOST_TEST(!s.ever_passed());
    s.on_result(true, t0 + 1s);
    BOOST_TEST(s.ever_passed());
    s.on_result(false, t0 + 2s);
    BOOST_TEST(!s.reported_ok());
    BOOST_TEST(s.ever_passed());
}

BOOST_AUTO_TEST_CASE(latch_follows_the_reported_state_not_a_single_pass) {
    auto s = make(1, 3);
    s.on_result(false, t0);
    s.on_result(true, t0 + 1s);  // one pass, below the success threshold
    BOOST_TEST(!s.ever_passed());
}

BOOST_AUTO_TEST_CASE(background_results_go_stale_after_two_intervals_and_a_timeout) {
    auto s = make(1, 1, 10s, 1s);
    s.on_result(true, t0);
    BOOST_TEST((s.stale_at().value() == t0 + 21s));
    BOOST_TEST(s.ok_at(t0 + 21s));
    BOOST_TEST(!s.stale(t0 + 21s));
    BOOST_TEST(s.stale(t0 + 21s + 1ms));
    BOOST_TEST(!s.ok_at(t0 + 22s));
    s.on_result(true, t0 + 22s);  // a fresh run clears it
    BOOST_TEST(s.ok_at(t0 + 23s));
}

BOOST_AUTO_TEST_CASE(on_demand_results_never_go_stale) {
    auto s = make(1, 1, 0s, 1s);
    s.on_result(true, t0);
    BOOST_TEST(!s.stale_at().has_value());
    BOOST_TEST(s.ok_at(t0 + 24h));
}

// Every sequence of up to 8 results, every threshold pair up to 3: the reported state changes
// exactly when a reference model says it does.
BOOST_AUTO_TEST_CASE(exhaustive_against_a_reference_model) {
    for (int fail = 1; fail <= 3; ++fail) {
        for (int succ = 1; succ <= 3; ++succ) {
            for (int len = 1; len <= 8; ++len) {
                for (int bits = 0; bits < (1 << len); ++bits) {
                    auto s = make(fail, succ);
                    std::optional<bool> model;
                    bool latched = false;
                    int run_ok = 0, run_fail = 0;
                    for (int i = 0; i < len; ++i) {
                        bool ok = (bits >> i) & 1;
                        run_ok = ok ? run_ok + 1 : 0;
                        run_fail = ok ? 0 : run_fail + 1;
                        std::optional<bool> before = model;
                        if (!model)
                            model = ok;
                        else if (*model && run_fail >= fail)
                            model = false;
                        else if (!*model && run_ok >= succ)
                            model = true;
                        latched = latched || *model;
                        auto t = s.on_result(ok, t0 + i * 1s);
                        BOOST_TEST_REQUIRE(t.has_value() == (before != model));
                        BOOST_TEST_REQUIRE(s.reported_ok() == *model);
                        BOOST_TEST_REQUIRE(s.ever_passed() == latched);
                    }
                }
            }
        }
    }
}
