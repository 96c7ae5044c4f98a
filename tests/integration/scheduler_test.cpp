#define BOOST_TEST_MODULE scheduler
#include <boost/test/unit_test.hpp>

#include "heartbeat/probes.hpp"
#include "heartbeat/scheduler.hpp"
#include "printing.hpp"

// The scheduler's coroutines, timers and single flight, on a real io_context. Its decisions (when
// a check runs, when a result is reused or stale) are tested in fake time in
// unit/schedule_test.cpp; here its clocks are a test's too, so reuse and staleness are reached by
// moving them, not by waiting, and no assertion depends on how fast this machine is.

using namespace heartbeat;
using namespace std::chrono_literals;

namespace {

// g++ 12 cannot expand __func__ inside a coroutine, and Boost.Test's macros use it: coroutine
// bodies check through this plain function instead.
void co_test(bool ok, const char* expr, int line) {
    BOOST_TEST(ok, "line " << line << ": " << expr);
}
#define CO_TEST(...) co_test(static_cast<bool>(__VA_ARGS__), #__VA_ARGS__, __LINE__)

/**
 * A runner that takes `delay` per run and follows a script of outcomes; it counts what it is
 * asked. While `held`, a run does not end until `release()`.
 */
struct fake_runner {
    explicit fake_runner(net::io_context& ioc) : gate(ioc, steady_clock::time_point::max()) {}
    duration delay = 1ms;
    std::map<std::string, std::vector<bool>> script;  // outcomes per check; the last one repeats
    std::map<std::string, int> runs;
    std::map<std::string, int> running;
    int max_parallel_same_check = 0;
    int in_flight = 0;
    int max_in_flight = 0;
    bool held = false;
    net::steady_timer gate;

    void release() {
        held = false;
        gate.cancel();
    }

    net::awaitable<check_result> run(check_config c) {
        auto& n = running[c.name];
        ++n;
        ++in_flight;
        max_parallel_same_check = std::max(max_parallel_same_check, n);
        max_in_flight = std::max(max_in_flight, in_flight);
        int index = runs[c.name]++;
        net::steady_timer t(co_await net::this_coro::executor, delay);
        co_await t.async_wait(use_nothrow);
        if (held) co_await gate.async_wait(use_nothrow);
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

/** Clocks that move only when the test says so. */
struct fake_clocks {
    steady_clock::time_point steady = steady_clock::time_point{} + 1000h;
    std::chrono::system_clock::time_point wall = std::chrono::system_clock::time_point{} + 1000h;
    void advance(duration d) {
        steady += d;
        wall += d;
    }
    scheduler_clocks clocks() {
        return {[this] { return steady; }, [this] { return wall; }};
    }
};

struct fixture {
    net::io_context ioc;
    fake_runner runner{ioc};
    fake_clocks time;
    scheduler sched{ioc.get_executor(), [this](check_config c) { return runner.run(std::move(c)); },
                    schedule::mode::background, time.clocks()};

    /** Runs `body` as a coroutine on the io_context, then stops the scheduler; capped at 20 s. */
    void run(net::awaitable<void> body) {
        bool done = false;
        net::co_spawn(ioc, std::move(body), [&](std::exception_ptr e) {
            done = true;
            runner.release();
            sched.stop();
            if (e) std::rethrow_exception(e);
        });
        ioc.run_for(20s);
        BOOST_TEST_REQUIRE(done);
    }
    /** Lets the io_context turn until `ready()`, capped at 10 s; true when it became ready. */
    net::awaitable<bool> until(std::function<bool()> ready) {
        auto cap = steady_clock::now() + 10s;
        while (!ready() && steady_clock::now() < cap) {
            net::steady_timer t(ioc, 1ms);
            co_await t.async_wait(use_nothrow);
        }
        co_return ready();
    }
    static std::function<bool(const check_status&)> named(std::string name) {
        return [name](const check_status& c) { return c.cfg.name == name; };
    }
};

}  // namespace

net::awaitable<void> on_demand_runs_are_shared_by_concurrent_requests_body(fixture& f) {
    auto e = f.sched.find("od");
    CO_TEST(f.runner.runs["od"] == 0);  // nothing runs until asked
    // Twenty requests at once: one run.
    int finished = 0;
    for (int i = 0; i < 20; ++i)
        net::co_spawn(f.ioc, f.sched.prepare(fixture::named("od")),
                      [&](std::exception_ptr) { ++finished; });
    CO_TEST(co_await f.until([&] { return finished == 20; }));
    CO_TEST(f.runner.runs["od"] == 1);
    CO_TEST(f.runner.max_parallel_same_check == 1);
    CO_TEST(e->state.has_result());
    // A result younger than the reuse window is reused, to the last nanosecond...
    f.time.advance(f.sched.reuse - 1ns);
    co_await f.sched.prepare(fixture::named("od"));
    CO_TEST(f.runner.runs["od"] == 1);
    // ...one as old as the window is not.
    f.time.advance(1ns);
    co_await f.sched.prepare(fixture::named("od"));
    CO_TEST(f.runner.runs["od"] == 2);
}

BOOST_FIXTURE_TEST_CASE(on_demand_runs_are_shared_by_concurrent_requests, fixture) {
    runner.delay = 50ms;
    sched.apply({cfg("od", 0s)});
    run(on_demand_runs_are_shared_by_concurrent_requests_body(*this));
}

net::awaitable<void> a_storm_never_runs_a_check_twice_at_once_body(fixture& f) {
    int finished = 0;
    for (int wave = 0; wave < 50; ++wave) {
        for (int i = 0; i < 20; ++i)
            net::co_spawn(f.ioc, f.sched.prepare(scheduler::every),
                          [&](std::exception_ptr) { ++finished; });
        f.time.advance(1ms);  // every wave finds the last result too old: reuse is 0
        net::steady_timer pace(f.ioc, 1ms);
        co_await pace.async_wait(use_nothrow);
    }
    CO_TEST(co_await f.until([&] { return finished == 1000; }));
    CO_TEST(f.runner.max_parallel_same_check == 1);
    CO_TEST(f.runner.runs["od"] >= 2);
}

BOOST_FIXTURE_TEST_CASE(a_storm_never_runs_a_check_twice_at_once, fixture) {
    sched.reuse = 0s;  // every request wants a fresh run: the worst case for overlap
    runner.delay = 5ms;
    sched.apply({cfg("od", 0s)});
    run(a_storm_never_runs_a_check_twice_at_once_body(*this));
}

net::awaitable<void> fan_out_runs_every_check_at_once_body(fixture& f) {
    co_await f.sched.prepare(scheduler::every);
    // All fifty were in flight together: the probe takes the slowest, not the sum.
    CO_TEST(f.runner.max_in_flight == 50);
    for (auto& e : f.sched.entries()) CO_TEST(e->state.has_result());
}

BOOST_FIXTURE_TEST_CASE(fan_out_runs_every_check_at_once, fixture) {
    runner.delay = 50ms;
    std::vector<check_config> cs;
    for (int i = 0; i < 50; ++i) cs.push_back(cfg("c" + std::to_string(i), 0s));
    sched.apply(cs);
    run(fan_out_runs_every_check_at_once_body(*this));
}

net::awaitable<void> answers_wait_for_first_results_only_body(fixture& f) {
    auto bg = f.sched.find("bg");
    auto od = f.sched.find("od");
    CO_TEST(!bg->state.has_result());
    co_await f.sched.prepare(scheduler::every);  // first results: the only wait
    CO_TEST(bg->state.has_result());
    CO_TEST(od->state.has_result());
    CO_TEST(f.runner.runs["od"] == 1);
    // From now on no run ends until released: an answer that waited for one would never come.
    f.runner.held = true;
    CO_TEST(co_await f.until([&] { return bg->running; }));  // the loop's next run, held
    for (int i = 0; i < 5; ++i) {
        co_await f.sched.prepare(scheduler::every);
        CO_TEST(bg->running);  // still in flight: the answer did not wait for it
    }
    CO_TEST(f.runner.runs["od"] == 1);  // within its reuse window: not run again
}

BOOST_FIXTURE_TEST_CASE(answers_wait_for_first_results_only, fixture) {
    sched.reuse = 10s;
    sched.apply({cfg("bg", 10ms), cfg("od", 0s)});
    run(answers_wait_for_first_results_only_body(*this));
}

net::awaitable<void> background_loops_run_again_and_again_body(fixture& f) {
    // Their pace is the pure next_pause (unit/schedule_test.cpp); here, that the loop goes on.
    CO_TEST(co_await f.until([&] { return f.runner.runs["fast"] >= 5; }));
    CO_TEST(f.runner.max_parallel_same_check == 1);
}

BOOST_FIXTURE_TEST_CASE(background_loops_run_again_and_again, fixture) {
    sched.apply({cfg("fast", 10ms)});
    run(background_loops_run_again_and_again_body(*this));
}

net::awaitable<void> thresholds_apply_to_background_results_body(fixture& f) {
    CO_TEST(co_await f.until([&] { return f.runner.runs["flappy"] >= 8; }));
}

BOOST_FIXTURE_TEST_CASE(thresholds_apply_to_background_results, fixture) {
    auto c = cfg("flappy", 5ms);
    c.failure_threshold = 3;
    runner.script["flappy"] = {true, false, false, true, false, false, false};
    std::vector<std::pair<std::optional<bool>, bool>> seen;
    sched.on_transition = [&](const check_status&, const transition& t) {
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
    co_await f.sched.prepare(scheduler::every);
    auto ran_at = f.time.steady;
    CO_TEST(e->state.last_run() == ran_at);  // dated by the scheduler's clock
    f.sched.stop();  // a scheduler that no longer runs anything, as if stuck
    auto at = [&](duration later) { return moment{ran_at + later, f.time.wall}; };
    // Two intervals and the timeout after the run: still reported, then stale.
    auto fine = check_json(*e, probe::readiness, at(2 * 50ms + 50ms));
    CO_TEST(fine.at("status").as_bool() == true);
    auto stale = check_json(*e, probe::readiness, at(2 * 50ms + 50ms + 1ns));
    CO_TEST(stale.at("status").as_bool() == false);
    CO_TEST(stale.at("message").as_string().starts_with("stale: last run"));
}

BOOST_FIXTURE_TEST_CASE(a_stopped_scheduler_turns_results_stale, fixture) {
    sched.apply({cfg("bg", 50ms, 50ms)});
    run(a_stopped_scheduler_turns_results_stale_body(*this));
}

net::awaitable<void> apply_keeps_unchanged_checks_and_stops_removed_ones_body(fixture& f) {
    co_await f.sched.prepare(scheduler::every);
    auto keep = f.sched.find("keep");
    auto change = f.sched.find("change");
    auto drop = f.sched.find("drop");
    auto changed = cfg("change", 10ms);
    changed.timeout = 2s;
    auto disabled = cfg("off", 10ms);
    disabled.enabled = false;
    f.sched.apply({cfg("keep", 10ms), changed, cfg("new", 10ms), disabled});
    CO_TEST(f.sched.find("keep") == keep);  // same object: state and history kept
    CO_TEST(f.sched.find("change") != change);
    CO_TEST(!f.sched.find("drop"));
    CO_TEST(!f.sched.find("off"));
    CO_TEST(f.sched.entries().size() == 3u);
    CO_TEST(f.sched.statuses().size() == 3u);
    CO_TEST(drop->stopped);
    int drop_runs = f.runner.runs["drop"];
    // Three runs of a new loop at the same interval: the dropped one would have run meanwhile.
    CO_TEST(co_await f.until([&] { return f.runner.runs["new"] >= 3; }));
    CO_TEST(f.runner.runs["drop"] == drop_runs);
    CO_TEST(f.sched.find("new")->state.has_result());
}

BOOST_FIXTURE_TEST_CASE(apply_keeps_unchanged_checks_and_stops_removed_ones, fixture) {
    sched.apply({cfg("keep", 10ms), cfg("change", 10ms), cfg("drop", 10ms)});
    run(apply_keeps_unchanged_checks_and_stops_removed_ones_body(*this));
}

net::awaitable<void> version_changes_with_every_result_body(fixture& f) {
    auto v0 = f.sched.version();
    co_await f.sched.prepare(scheduler::every);
    CO_TEST(f.sched.version() > v0);
}

BOOST_FIXTURE_TEST_CASE(version_changes_with_every_result, fixture) {
    sched.apply({cfg("od", 0s)});
    run(version_changes_with_every_result_body(*this));
}
