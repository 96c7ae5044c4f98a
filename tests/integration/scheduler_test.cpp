#define BOOST_TEST_MODULE scheduler
#include <boost/test/unit_test.hpp>

#include "heartbeat/probes.hpp"
#include "heartbeat/scheduler.hpp"
#include "printing.hpp"

using namespace heartbeat;
using namespace std::chrono_literals;

namespace {

// g++ 12 cannot expand __func__ inside a coroutine, and Boost.Test's macros use it: coroutine
// bodies check through this plain function instead.
void co_test(bool ok, const char* expr, int line) {
    BOOST_TEST(ok, "line " << line << ": " << expr);
}
#define CO_TEST(...) co_test(static_cast<bool>(__VA_ARGS__), #__VA_ARGS__, __LINE__)

/** A runner that takes `delay` per run and follows a script of outcomes; it counts what it is
 * asked. */
struct fake_runner {
    duration delay = 50ms;
    std::map<std::string, std::vector<bool>> script;  // outcomes per check; the last one repeats
    std::map<std::string, int> runs;
    std::map<std::string, int> running;
    int max_parallel_same_check = 0;
    int in_flight = 0;
    int max_in_flight = 0;

    net::awaitable<check_result> run(check_config c) {
        auto& n = running[c.name];
        ++n;
        ++in_flight;
        max_parallel_same_check = std::max(max_parallel_same_check, n);
        max_in_flight = std::max(max_in_flight, in_flight);
        int index = runs[c.name]++;
        net::steady_timer t(co_await net::this_coro::executor, delay);
        co_await t.async_wait(use_nothrow);
        --n;
        --in_flight;
        auto& s = script[c.name];
        bool ok = s.empty()
                      ? true
                      : s[std::min<std::size_t>(static_cast<std::size_t>(index), s.size() - 1)];
        co_return ok ? success() : failure("scripted failure");
    }
};

check_config cfg(std::string name, duration interval, duration timeout = 1s) {
    check_config c;
    c.name = std::move(name);
    c.interval = interval;
    c.timeout = timeout;
    c.spec = file_spec{"/", file_spec::kind::any, {}, {}};
    return c;
}

struct fixture {
    net::io_context ioc;
    fake_runner runner;
    scheduler sched{ioc.get_executor(),
                    [this](check_config c) { return runner.run(std::move(c)); }};

    /** Runs `body` as a coroutine on the io_context, then stops the scheduler; capped at 20 s. */
    void run(net::awaitable<void> body) {
        bool done = false;
        net::co_spawn(ioc, std::move(body), [&](std::exception_ptr e) {
            done = true;
            sched.stop();
            if (e) std::rethrow_exception(e);
        });
        ioc.run_for(20s);
        BOOST_TEST_REQUIRE(done);
    }
    net::awaitable<void> sleep(duration d) {
        net::steady_timer t(ioc, d);
        co_await t.async_wait(use_nothrow);
    }
};

}  // namespace

net::awaitable<void> on_demand_runs_are_shared_by_concurrent_requests_body(fixture& f) {
    auto e = f.sched.find("od");
    const std::vector<entry_ptr> only_e{e};  // named: g++ 12 rejects a braced list inside co_await
    CO_TEST(f.runner.runs["od"] == 0);       // nothing runs until asked
    // Twenty requests at once: one run.
    int finished = 0;
    for (int i = 0; i < 20; ++i)
        net::co_spawn(f.ioc, f.sched.prepare(only_e), [&](std::exception_ptr) { ++finished; });
    co_await f.sleep(200ms);
    CO_TEST(finished == 20);
    CO_TEST(f.runner.runs["od"] == 1);
    CO_TEST(f.runner.max_parallel_same_check == 1);
    CO_TEST(e->state.has_result());
    // A result younger than the reuse window is reused...
    co_await f.sched.prepare(only_e);
    CO_TEST(f.runner.runs["od"] == 1);
    // ...an older one is not.
    co_await f.sleep(f.sched.reuse);
    co_await f.sched.prepare(only_e);
    CO_TEST(f.runner.runs["od"] == 2);
}

BOOST_FIXTURE_TEST_CASE(on_demand_runs_are_shared_by_concurrent_requests, fixture) {
    sched.apply({cfg("od", 0s)});
    run(on_demand_runs_are_shared_by_concurrent_requests_body(*this));
}

net::awaitable<void> a_storm_never_runs_a_check_twice_at_once_body(fixture& f) {
    auto e = f.sched.find("od");
    const std::vector<entry_ptr> only_e{e};  // named: g++ 12 rejects a braced list inside co_await
    int finished = 0;
    for (int wave = 0; wave < 50; ++wave) {
        for (int i = 0; i < 20; ++i)
            net::co_spawn(f.ioc, f.sched.prepare(only_e), [&](std::exception_ptr) { ++finished; });
        co_await f.sleep(1ms);
    }
    co_await f.sleep(500ms);
    CO_TEST(finished == 1000);
    CO_TEST(f.runner.max_parallel_same_check == 1);
    CO_TEST(f.runner.runs["od"] >= 2);
}

BOOST_FIXTURE_TEST_CASE(a_storm_never_runs_a_check_twice_at_once, fixture) {
    sched.reuse = 0s;  // every request wants a fresh run: the worst case for overlap
    runner.delay = 5ms;
    sched.apply({cfg("od", 0s)});
    run(a_storm_never_runs_a_check_twice_at_once_body(*this));
}

net::awaitable<void> fan_out_takes_the_slowest_not_the_sum_body(fixture& f) {
    auto start = steady_clock::now();
    co_await f.sched.prepare(f.sched.entries());
    auto took = steady_clock::now() - start;
    CO_TEST(f.runner.max_in_flight == 50);
    CO_TEST(took >= 300ms);
    CO_TEST(took < 600ms);
    for (auto& e : f.sched.entries()) CO_TEST(e->state.has_result());
}

BOOST_FIXTURE_TEST_CASE(fan_out_takes_the_slowest_not_the_sum, fixture) {
    runner.delay = 300ms;
    std::vector<check_config> cs;
    for (int i = 0; i < 50; ++i) cs.push_back(cfg("c" + std::to_string(i), 0s));
    sched.apply(cs);
    run(fan_out_takes_the_slowest_not_the_sum_body(*this));
}

net::awaitable<void> first_request_waits_for_first_results_then_never_again_body(fixture& f) {
    auto e = f.sched.find("bg");
    const std::vector<entry_ptr> only_e{e};
    CO_TEST(!e->state.has_result());
    co_await f.sched.prepare(only_e);  // joins the run the loop started
    CO_TEST(e->state.has_result());
    CO_TEST(f.runner.runs["bg"] == 1);
    auto start = steady_clock::now();
    co_await f.sched.prepare(only_e);  // background result present: no wait, no run
    CO_TEST((steady_clock::now() - start) < 50ms);
    CO_TEST(f.runner.runs["bg"] == 1);
}

BOOST_FIXTURE_TEST_CASE(first_request_waits_for_first_results_then_never_again, fixture) {
    runner.delay = 200ms;
    sched.apply({cfg("bg", 10s)});
    run(first_request_waits_for_first_results_then_never_again_body(*this));
}

net::awaitable<void> background_loops_keep_their_interval_body(fixture& f) {
    co_await f.sleep(1s);
    // About ten runs: 100 ms apart plus a jitter of at most 10 ms. Bounds that tell right from
    // wrong.
    CO_TEST(f.runner.runs["fast"] >= 6);
    CO_TEST(f.runner.runs["fast"] <= 12);
}

BOOST_FIXTURE_TEST_CASE(background_loops_keep_their_interval, fixture) {
    runner.delay = 1ms;
    sched.apply({cfg("fast", 100ms)});
    run(background_loops_keep_their_interval_body(*this));
}

net::awaitable<void> thresholds_apply_to_background_results_body(fixture& f) {
    for (int i = 0; i < 200 && f.runner.runs["flappy"] < 8; ++i) co_await f.sleep(10ms);
}

BOOST_FIXTURE_TEST_CASE(thresholds_apply_to_background_results, fixture) {
    runner.delay = 1ms;
    auto c = cfg("flappy", 20ms);
    c.failure_threshold = 3;
    runner.script["flappy"] = {true, false, false, true, false, false, false};
    std::vector<std::pair<std::optional<bool>, bool>> seen;
    sched.on_transition = [&](const check_entry&, const transition& t) {
        seen.emplace_back(t.from, t.to);
    };
    sched.apply({c});
    run(thresholds_apply_to_background_results_body(*this));
    BOOST_TEST_REQUIRE(seen.size() == 2u);
    BOOST_TEST(!seen[0].first.has_value());
    BOOST_TEST(seen[0].second);
    BOOST_TEST(seen[1].first.value());
    BOOST_TEST(!seen[1].second);
}

net::awaitable<void> a_stopped_scheduler_turns_results_stale_body(fixture& f) {
    auto e = f.sched.find("bg");
    const std::vector<entry_ptr> only_e{e};
    co_await f.sched.prepare(only_e);
    CO_TEST(e->state.ok_at(steady_clock::now()));
    f.sched.stop();  // a scheduler that no longer runs anything, as if stuck
    co_await f.sleep(2 * 50ms + 50ms + 100ms);
    auto body = check_json(*e, probe::readiness, moment::now());
    CO_TEST(body.at("status").as_bool() == false);
    CO_TEST(body.at("message").as_string().starts_with("stale: last run"));
}

BOOST_FIXTURE_TEST_CASE(a_stopped_scheduler_turns_results_stale, fixture) {
    runner.delay = 1ms;
    sched.apply({cfg("bg", 50ms, 50ms)});
    run(a_stopped_scheduler_turns_results_stale_body(*this));
}

net::awaitable<void> apply_keeps_unchanged_checks_and_stops_removed_ones_body(fixture& f) {
    co_await f.sched.prepare(f.sched.entries());
    auto keep = f.sched.find("keep");
    auto change = f.sched.find("change");
    auto drop = f.sched.find("drop");
    auto changed = cfg("change", 30ms);
    changed.timeout = 2s;
    auto disabled = cfg("off", 30ms);
    disabled.enabled = false;
    f.sched.apply({cfg("keep", 30ms), changed, cfg("new", 30ms), disabled});
    CO_TEST(f.sched.find("keep") == keep);  // same object: state and history kept
    CO_TEST(f.sched.find("change") != change);
    CO_TEST(!f.sched.find("drop"));
    CO_TEST(!f.sched.find("off"));
    CO_TEST(f.sched.entries().size() == 3u);
    int drop_runs = f.runner.runs["drop"];
    co_await f.sleep(200ms);
    CO_TEST(f.runner.runs["drop"] == drop_runs);  // its loop ended
    CO_TEST(f.runner.runs["new"] >= 2);
    CO_TEST(drop->stopped);
    CO_TEST(f.sched.find("new")->state.has_result());
}

BOOST_FIXTURE_TEST_CASE(apply_keeps_unchanged_checks_and_stops_removed_ones, fixture) {
    runner.delay = 1ms;
    sched.apply({cfg("keep", 30ms), cfg("change", 30ms), cfg("drop", 30ms)});
    run(apply_keeps_unchanged_checks_and_stops_removed_ones_body(*this));
}

net::awaitable<void> version_changes_with_every_result_body(fixture& f) {
    auto v0 = f.sched.version();
    co_await f.sched.prepare(f.sched.entries());
    CO_TEST(f.sched.version() > v0);
}

BOOST_FIXTURE_TEST_CASE(version_changes_with_every_result, fixture) {
    runner.delay = 1ms;
    sched.apply({cfg("od", 0s)});
    run(version_changes_with_every_result_body(*this));
}

net::awaitable<void> answers_never_wait_for_a_run_when_a_result_exists_body(fixture& f) {
    auto bg = f.sched.find("bg");
    auto od = f.sched.find("od");
    const std::vector<entry_ptr> both{bg, od};
    co_await f.sched.prepare(both);  // first results: the only wait
    CO_TEST(bg->state.has_result());
    CO_TEST(od->state.has_result());
    // The background loop is in its second run now (300 ms each, 10 ms apart), and the on-demand
    // check gets a run of its own that outlives its reuse window's start.
    co_await f.sleep(50ms);
    CO_TEST(bg->running);
    for (int i = 0; i < 5; ++i) {
        auto start = steady_clock::now();
        co_await f.sched.prepare(both);
        CO_TEST((steady_clock::now() - start) < 50ms);
        co_await f.sleep(20ms);
    }
    CO_TEST(f.runner.runs["od"] == 1);  // still within its reuse window
}

BOOST_FIXTURE_TEST_CASE(answers_never_wait_for_a_run_when_a_result_exists, fixture) {
    runner.delay = 300ms;
    sched.reuse = 10s;
    sched.apply({cfg("bg", 10ms), cfg("od", 0s)});
    run(answers_never_wait_for_a_run_when_a_result_exists_body(*this));
}
