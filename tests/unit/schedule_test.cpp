#define BOOST_TEST_MODULE schedule
#include <boost/test/unit_test.hpp>

#include "heartbeat/schedule.hpp"
#include "printing.hpp"

// The scheduler's decisions in fake time: every `now` is a number the test picks, so each rule is
// checked at and around its boundaries, exhaustively, without waiting.

using namespace heartbeat;
using namespace std::chrono_literals;
using schedule::mode;

namespace {

const steady_clock::time_point t0 = steady_clock::time_point{} + 1000h;

check_config config_of(duration interval, duration timeout = 1s) {
    check_config c;
    c.name = "c";
    c.interval = interval;
    c.timeout = timeout;
    c.spec = file_spec{"/", file_spec::kind::any, {}, {}};
    return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_answer_waits_only_for_a_first_result_or_an_expired_on_demand_one) {
    const duration reuse = 1s;
    for (mode m : {mode::background, mode::on_demand})
        for (duration interval : {duration{0}, duration{100ms}, duration{10s}}) {
            check_status fresh(config_of(interval));
            // Before a first result, every answer joins the first run, whenever it comes.
            for (auto at : {t0, t0 + 1h}) BOOST_TEST(schedule::needs_run(fresh, m, reuse, at));

            check_status s(config_of(interval));
            s.record(success(), t0, {});
            bool loops = m == mode::background && interval.count() > 0;
            BOOST_TEST(schedule::loops(s.cfg, m) == loops);
            // Every millisecond of three reuse windows, and each side of the boundary.
            for (auto age = duration{0}; age <= 3 * reuse; age += 1ms) {
                bool expected = !loops && age >= reuse;
                BOOST_TEST(schedule::needs_run(s, m, reuse, t0 + age) == expected,
                           "interval " << interval << ", age " << age);
            }
            BOOST_TEST(schedule::needs_run(s, m, reuse, t0 + reuse - 1ns) == false);
            BOOST_TEST(schedule::needs_run(s, m, reuse, t0 + reuse) == !loops);
            // A failing result is no different: the loop's next run will tell.
            s.record(failure("down"), t0, {});
            BOOST_TEST(schedule::needs_run(s, m, reuse, t0 + 1h) == !loops);
        }
}

BOOST_AUTO_TEST_CASE(the_jitter_is_a_tenth_of_the_interval_at_most_a_second) {
    BOOST_TEST(schedule::jitter_span(0s) == duration{0});
    BOOST_TEST(schedule::jitter_span(1ms) == duration{100us});
    BOOST_TEST(schedule::jitter_span(100ms) == duration{10ms});
    BOOST_TEST(schedule::jitter_span(9s) == duration{900ms});
    BOOST_TEST(schedule::jitter_span(10s) == duration{1s});
    BOOST_TEST(schedule::jitter_span(1h) == duration{1s});
}

BOOST_AUTO_TEST_CASE(the_pause_between_runs_is_the_interval_plus_a_jitter_within_its_span) {
    std::mt19937_64 rng(42);
    for (duration interval :
         {duration{10ms}, duration{100ms}, duration{1s}, duration{10s}, duration{1h}}) {
        check_status s(config_of(interval));
        auto span = schedule::jitter_span(interval);
        auto lo = duration::max(), hi = duration::min();
        for (int i = 0; i < 10000; ++i) {
            auto pause = schedule::next_pause(s, schedule::draw_jitter(interval, rng));
            lo = std::min(lo, pause);
            hi = std::max(hi, pause);
        }
        BOOST_TEST(lo >= interval);
        BOOST_TEST(hi <= interval + span);
        // Spread over the whole span, not stuck at one end.
        BOOST_TEST(lo < interval + span / 10, "interval " << interval);
        BOOST_TEST(hi > interval + span * 9 / 10, "interval " << interval);
        // A jitter outside the span is brought back into it.
        BOOST_TEST(schedule::next_pause(s, -1s) == interval);
        BOOST_TEST(schedule::next_pause(s, 1h) == interval + span);
    }
}

BOOST_AUTO_TEST_CASE(a_loop_in_fake_time_runs_as_often_as_its_interval_says) {
    // One minute of a loop at each interval, as the scheduler paces it: a run of 1 ms, then the
    // pause. The count lies between what the longest and the shortest pauses allow.
    std::mt19937_64 rng(7);
    const duration run_time = 1ms, span_of_time = 60s;
    for (duration interval : {duration{100ms}, duration{1s}, duration{5s}}) {
        check_status s(config_of(interval));
        auto now = t0;
        int runs = 0;
        while (now < t0 + span_of_time) {
            now += run_time;
            s.record(success(), now, {});
            ++runs;
            now += schedule::next_pause(s, schedule::draw_jitter(interval, rng));
        }
        auto longest = run_time + interval + schedule::jitter_span(interval);
        auto shortest = run_time + interval;
        BOOST_TEST(runs >= span_of_time / longest, "interval " << interval);
        BOOST_TEST(runs <= span_of_time / shortest + 1, "interval " << interval);
        // Never stale in between: each run lands before the previous result's stale_at.
        BOOST_TEST(!s.state.stale(now));
    }
}

BOOST_AUTO_TEST_CASE(a_result_turns_stale_two_intervals_and_a_timeout_after_its_run) {
    for (duration interval : {duration{50ms}, duration{1s}, duration{1h}}) {
        check_status s(config_of(interval, 500ms));
        s.record(success(), t0, {});
        auto stale_at = t0 + 2 * interval + 500ms;
        BOOST_TEST((*s.state.stale_at() == stale_at));
        BOOST_TEST(s.state.ok_at(stale_at));
        BOOST_TEST(!s.state.ok_at(stale_at + 1ns));
        s.record(success(), stale_at + 1s, {});  // the next run brings it back
        BOOST_TEST(s.state.ok_at(stale_at + 1s));
    }
    // On-demand results are never stale: each answer asks for a fresh enough one.
    check_status od(config_of(0s));
    od.record(success(), t0, {});
    BOOST_TEST(!od.state.stale_at());
    BOOST_TEST(od.state.ok_at(t0 + 1000h));
}

BOOST_AUTO_TEST_CASE(recording_a_result_counts_it_and_dates_changes_only) {
    using wall = std::chrono::system_clock;
    auto c = config_of(1s);
    c.failure_threshold = 2;
    check_status s(c);
    s.running = true;
    auto w0 = wall::time_point{} + 24h * 20000;
    auto first = s.record(success(), t0, w0);
    BOOST_TEST_REQUIRE(first.has_value());
    BOOST_TEST(!first->from.has_value());
    BOOST_TEST(!s.running);
    BOOST_TEST(s.runs_ok == 1u);
    BOOST_TEST((s.since == w0));
    // One failure under a threshold of two: counted, dated, but no change, so `since` stays.
    BOOST_TEST(!s.record(failure("down"), t0 + 1s, w0 + 1s).has_value());
    BOOST_TEST(s.runs_failed == 1u);
    BOOST_TEST((s.checked_at == w0 + 1s));
    BOOST_TEST((s.since == w0));
    BOOST_TEST(s.last.message == "down");
    auto second = s.record(failure("still down"), t0 + 2s, w0 + 2s);
    BOOST_TEST_REQUIRE(second.has_value());
    BOOST_TEST(*second->from == true);
    BOOST_TEST(second->to == false);
    BOOST_TEST((s.since == w0 + 2s));
    BOOST_TEST(s.runs() == 3u);
}

// interval_failing: the interval in force follows the reported state, thresholds applied, and
// the pause, its jitter and the staleness guard follow the interval in force.
BOOST_AUTO_TEST_CASE(a_failing_check_runs_at_interval_failing_until_it_is_reported_passing) {
    auto c = config_of(60s, 1s);
    c.interval_failing = 5s;
    c.failure_threshold = 2;
    check_status s(c);
    // Before any result, and after a first result that fails: the failing interval.
    BOOST_TEST(schedule::interval_in_force(s) == 5s);
    s.record(failure("down"), t0, {});
    BOOST_TEST(schedule::next_pause(s, 0s) == 5s);
    BOOST_TEST(schedule::next_pause(s, 1h) == 5s + schedule::jitter_span(5s));
    BOOST_TEST((*s.state.stale_at() == t0 + 2 * 5s + 1s));
    // Reported passing: back to the interval, and its staleness.
    s.record(success(), t0 + 5s, {});
    BOOST_TEST(schedule::next_pause(s, 0s) == 60s);
    BOOST_TEST((*s.state.stale_at() == t0 + 5s + 2 * 60s + 1s));
    // One failure, under the threshold: still reported passing, still the interval.
    s.record(failure("down"), t0 + 65s, {});
    BOOST_TEST(schedule::next_pause(s, 0s) == 60s);
    // The second: reported failing, the failing interval.
    s.record(failure("down"), t0 + 125s, {});
    BOOST_TEST(schedule::next_pause(s, 0s) == 5s);
    // Without interval_failing nothing changes: the interval whatever the state.
    check_status plain(config_of(60s));
    plain.record(failure("down"), t0, {});
    BOOST_TEST(schedule::next_pause(plain, 0s) == 60s);
}

BOOST_AUTO_TEST_CASE(a_loop_in_fake_time_polls_faster_while_failing) {
    // Five minutes of a loop that fails for its first two minutes: runs every 5 s then, every
    // 60 s after (jitter included, within its spans).
    std::mt19937_64 rng(11);
    auto c = config_of(60s);
    c.interval_failing = 5s;
    check_status s(c);
    auto now = t0;
    int failing_runs = 0, passing_runs = 0;
    while (now < t0 + 300s) {
        bool up = now >= t0 + 120s;
        s.record(up ? success() : failure("down"), now, {});
        ++(up ? passing_runs : failing_runs);
        BOOST_TEST(!s.state.stale(now));
        now += schedule::next_pause(s, schedule::draw_jitter(schedule::interval_in_force(s), rng));
    }
    BOOST_TEST(failing_runs >= 120 / 6);  // 5 s plus a jitter of at most 0.5 s
    BOOST_TEST(failing_runs <= 120 / 5 + 1);
    BOOST_TEST(passing_runs >= 180 / 61);
    BOOST_TEST(passing_runs <= 180 / 60 + 2);
}
