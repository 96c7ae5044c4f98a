#define BOOST_TEST_MODULE push
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <future>
#include <thread>

#include <boost/json/parse.hpp>

#include "heartbeat/checks/push/run.hpp"
#include "heartbeat/push_listener.hpp"
#include "heartbeat/scheduler.hpp"
#include "http_client.hpp"
#include "loopback.hpp"
#include "printing.hpp"

// The push listener over real loopback sockets, recording into a real scheduler; and the
// scheduler's ttl rules for push checks on its own clocks, moved by the test rather than waited
// for: no assertion depends on how fast this machine is.

using namespace heartbeat;
using namespace heartbeat::test;
using namespace std::chrono_literals;

namespace {

check_config push_check(std::string name, duration ttl, int failure_threshold = 1) {
    check_config c;
    c.name = std::move(name);
    c.probes = {probe::readiness, probe::liveliness, probe::startup};
    c.failure_threshold = failure_threshold;
    c.spec = push_spec{ttl};
    return c;
}

check_config other_check(std::string name) {
    check_config c;
    c.name = std::move(name);
    c.interval = 0s;  // on demand: nothing runs unless asked
    c.spec = file_spec{"/", file_spec::kind::any, {}, {}};
    return c;
}

/** Clocks that move only when the test says so. */
struct fake_clocks {
    steady_clock::time_point steady = steady_clock::time_point{} + 1000h;
    std::chrono::system_clock::time_point wall = std::chrono::system_clock::time_point{} + 1000h;
    scheduler_clocks clocks() {
        return {[this] { return steady; }, [this] { return wall; }};
    }
};

/** A runner that counts: a push check must never reach it. */
struct counting_runner {
    int runs = 0;
    net::awaitable<check_result> run(check_config) {
        ++runs;
        co_return success();
    }
};

/** A scheduler with a push check `worker` (ttl 30s) and a file check `disk`, on fake clocks. */
struct sched_fixture {
    net::io_context ioc;
    fake_clocks time;
    counting_runner runner;
    scheduler sched{ioc.get_executor(), [this](check_config c) { return runner.run(std::move(c)); },
                    schedule::mode::background, time.clocks()};
    sched_fixture() {
        sched.apply({push_check("worker", 30s), other_check("disk")});
        ioc.poll();
    }
    ~sched_fixture() {
        sched.stop();
        ioc.poll();
    }
    /**
     * Moves the clocks, wakes the ttl watch as its timer would, and lets it act. The watch's timer
     * is a real one, set for what remains on these clocks: tests move them by whole seconds, so
     * that none is due on the real clock meanwhile.
     */
    void advance(duration d) {
        time.steady += d;
        time.wall += d;
        for (auto& e : sched.entries()) e->sleep.cancel();
        ioc.poll();
    }
};

/** The same scheduler behind a push listener on 127.0.0.1:0, its io_context in a thread. */
struct listener_fixture {
    net::io_context ioc;
    fake_clocks time;
    counting_runner runner;
    scheduler sched{ioc.get_executor(), [this](check_config c) { return runner.run(std::move(c)); },
                    schedule::mode::background, time.clocks()};
    push_settings settings;
    std::atomic<bool> maintenance{false};  // set on the listener's thread, read on the test's
    std::unique_ptr<push_listener> listener;
    std::uint16_t port = 0;
    std::thread thread;

    explicit listener_fixture(std::string token = "") {
        settings.token = std::move(token);
        sched.apply({push_check("worker", 30s), other_check("disk")});
        listener = std::make_unique<push_listener>(
            ioc.get_executor(), scheduler_sink(sched),
            maintenance_switch{[this] { return maintenance.load(); },
                               [this](bool on, std::string_view) { maintenance = on; }},
            [this] { return settings; }, 16);
        port = listener->listen("127.0.0.1", 0).port();
        listener->start();
        thread = std::thread([this] { ioc.run_for(60s); });
    }
    ~listener_fixture() {
        net::post(ioc, [this] {
            listener->stop();
            sched.stop();
            ioc.stop();
        });
        thread.join();
    }
    /** Runs `fn` on the I/O thread, which owns the state, and returns its value. */
    template <class Fn>
    auto on_io(Fn fn) {
        std::packaged_task<decltype(fn())()> task(std::move(fn));
        auto result = task.get_future();
        net::post(ioc, [&task] { task(); });
        BOOST_TEST_REQUIRE((result.wait_for(10s) == std::future_status::ready));
        return result.get();
    }
    /** The worker's runs and the scheduler's version: what a refused request must not move. */
    std::pair<std::uint64_t, std::uint64_t> footprint() {
        return on_io([this] { return std::pair{sched.find("worker")->runs(), sched.version()}; });
    }
    http_reply send(const std::string& method, const std::string& target, const std::string& body,
                    const std::string& extra_headers = "") {
        std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                          extra_headers + "Content-Length: " + std::to_string(body.size()) +
                          "\r\nConnection: close\r\n\r\n" + body;
        return parse_reply(raw_exchange(port, req, 10000));
    }
};

const std::string path = "/.well-known/heartbeat/push/worker";

std::string message_of(const http_reply& r) {
    return std::string(boost::json::parse(r.body).at("message").as_string());
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_report_over_loopback_is_recorded_as_a_run) {
    listener_fixture f;
    auto before = f.footprint();
    auto r = f.send("PUT", path, R"({"status": true, "message": "caught up", "queue": 4})");
    BOOST_TEST(r.status == 200, r.body);
    BOOST_TEST(r.header("content-type") == "application/json");
    auto after = f.footprint();
    BOOST_TEST(after.first == before.first + 1);
    BOOST_TEST(after.second == before.second + 1);  // answers render again, once
    auto [ok, message, queue, elapsed] = f.on_io([&] {
        auto e = f.sched.find("worker");
        return std::tuple{e->state.reported_ok(), e->last.message,
                          e->last.data.at("queue").as_int64(), e->last.elapsed};
    });
    BOOST_TEST(ok);
    BOOST_TEST(message == "caught up");
    BOOST_TEST(queue == 4);
    BOOST_TEST(elapsed == duration{0});
    auto failed = f.send("POST", path, R"({"status": false, "message": "queue stuck"})");
    BOOST_TEST(failed.status == 200, failed.body);
    BOOST_TEST(!f.on_io([&] { return f.sched.find("worker")->state.reported_ok(); }));
    BOOST_TEST(f.on_io([&] { return f.runner.runs; }) == 0);
}

BOOST_AUTO_TEST_CASE(every_refused_request_leaves_the_state_as_it_was) {
    listener_fixture f;
    auto before = f.footprint();
    struct refused {
        std::string method, target, body;
        int status;
    };
    std::vector<refused> cases = {
        {"PUT", path, "{not json", 400},
        {"PUT", path, "[1, 2]", 400},
        {"PUT", path, R"({"message": "no status"})", 400},
        {"PUT", path, R"({"status": "yes"})", 400},
        {"PUT", path, R"({"status": true, "message": 7})", 400},
        {"PUT", "/.well-known/heartbeat/push/nobody", R"({"status": true})", 404},
        {"PUT", "/.well-known/heartbeat/push/disk", R"({"status": true})", 404},
        {"GET", "/.well-known/heartbeat/readiness", "", 404},
        {"GET", path, "", 405},
        {"DELETE", path, "", 405},
    };
    for (const auto& c : cases) {
        auto r = f.send(c.method, c.target, c.body);
        BOOST_TEST(r.status == c.status, c.method << " " << c.target << " " << c.body << ": "
                                                  << r.status << " " << r.body);
        BOOST_TEST(!message_of(r).empty());
        if (c.status == 405) BOOST_TEST(r.header("allow") == "PUT, POST");
    }
    BOOST_TEST((f.footprint() == before));
    BOOST_TEST(!f.on_io([&] { return f.sched.find("worker")->state.has_result(); }));
}

BOOST_AUTO_TEST_CASE(a_body_over_16_kib_is_refused_unread) {
    listener_fixture f;
    auto before = f.footprint();
    // Exactly 16 KiB is taken.
    std::string fits = R"({"status": true, "pad": ")";
    fits += std::string(max_report_size - fits.size() - 2, 'x') + "\"}";
    BOOST_TEST_REQUIRE(fits.size() == 16384u);
    BOOST_TEST(f.send("PUT", path, fits).status == 200);
    auto after_fit = f.footprint();
    BOOST_TEST(after_fit.first == before.first + 1);

    // One byte more is not, announced by Content-Length: the answer comes before the body is sent,
    // so nothing beyond the limit is read.
    int fd = connect_loopback(f.port);
    BOOST_TEST_REQUIRE(fd >= 0);
    write_all(fd, "PUT " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 16385\r\n\r\n");
    auto r = parse_reply(read_until(fd, std::string(), 10000));
    ::close(fd);
    BOOST_TEST(r.status == 413, r.body);

    // A chunked body is cut off where it passes the limit.
    std::string chunk(8192, ' ');
    std::string chunked = "PUT " + path +
                          " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "2000\r\n" +
                          chunk + "\r\n2000\r\n" + chunk + "\r\n2000\r\n" + chunk + "\r\n0\r\n\r\n";
    BOOST_TEST(parse_reply(raw_exchange(f.port, chunked, 10000)).status == 413);
    BOOST_TEST((f.footprint() == after_fit));
}

BOOST_AUTO_TEST_CASE(a_configured_token_must_be_sent_as_a_bearer) {
    listener_fixture f("the-push-token");
    auto before = f.footprint();
    auto none = f.send("PUT", path, R"({"status": true})");
    BOOST_TEST(none.status == 401);
    BOOST_TEST(none.header("www-authenticate").starts_with("Bearer"));
    auto wrong =
        f.send("PUT", path, R"({"status": true})", "Authorization: Bearer the-push-tokeN\r\n");
    BOOST_TEST(wrong.status == 401);
    BOOST_TEST(wrong.header("www-authenticate").find("invalid_token") != std::string::npos);
    BOOST_TEST((f.footprint() == before));
    auto right =
        f.send("PUT", path, R"({"status": true})", "Authorization: Bearer the-push-token\r\n");
    BOOST_TEST(right.status == 200, right.body);
    BOOST_TEST(f.footprint().first == before.first + 1);
}

BOOST_AUTO_TEST_CASE(no_report_within_the_ttl_records_a_failure) {
    sched_fixture f;
    auto e = f.sched.find("worker");
    BOOST_TEST(!e->state.has_result());
    f.advance(29s);
    BOOST_TEST(!e->state.has_result());
    f.advance(1s);  // 30 s after the start
    BOOST_TEST_REQUIRE(e->state.has_result());
    BOOST_TEST(!e->state.reported_ok());
    BOOST_TEST(e->last.message == "no report for 30s");
    BOOST_TEST(e->runs_failed == 1u);
    BOOST_TEST(!e->state.ever_passed());
    // A report: passing, and 30 s more from now.
    auto v = f.sched.version();
    BOOST_TEST((f.sched.report("worker", success()) == scheduler::report_outcome::recorded));
    BOOST_TEST(f.sched.version() == v + 1);
    f.ioc.poll();
    BOOST_TEST(e->state.reported_ok());
    f.advance(29s);
    BOOST_TEST(e->state.reported_ok());
    BOOST_TEST(e->runs_failed == 1u);
    f.advance(1s);
    BOOST_TEST(!e->state.reported_ok());
    BOOST_TEST(e->runs_failed == 2u);
    // Each further ttl without a report is one more missed report.
    f.advance(30s);
    BOOST_TEST(e->runs_failed == 3u);
    BOOST_TEST(e->state.consecutive_failures() == 2);
    // Never stale: the misses keep it fresh.
    BOOST_TEST(!e->state.stale(f.time.steady));
    BOOST_TEST(f.runner.runs == 0);
}

BOOST_AUTO_TEST_CASE(thresholds_count_missed_reports_like_failed_runs) {
    sched_fixture f;
    f.sched.apply({push_check("worker", 10s, 2)});
    f.ioc.poll();
    auto e = f.sched.find("worker");
    f.sched.report("worker", success());
    f.advance(10s);
    BOOST_TEST(e->state.reported_ok());  // one miss of two
    BOOST_TEST(e->last.message == "no report for 10s");
    f.advance(10s);
    BOOST_TEST(!e->state.reported_ok());
}

BOOST_AUTO_TEST_CASE(reports_for_other_checks_change_nothing) {
    sched_fixture f;
    auto v = f.sched.version();
    BOOST_TEST((f.sched.report("disk", success()) == scheduler::report_outcome::not_push));
    BOOST_TEST((f.sched.report("nobody", success()) == scheduler::report_outcome::unknown_check));
    BOOST_TEST(f.sched.version() == v);
    BOOST_TEST(!f.sched.find("disk")->state.has_result());
}

BOOST_AUTO_TEST_CASE(a_reload_keeps_an_unchanged_push_check_and_rearms_a_changed_one) {
    sched_fixture f;
    auto e = f.sched.find("worker");
    f.sched.report("worker", success());
    f.advance(20s);
    // The same definition: the same entry, its state, and its due time.
    f.sched.apply({push_check("worker", 30s), other_check("disk")});
    f.ioc.poll();
    BOOST_TEST(f.sched.find("worker") == e);
    BOOST_TEST(e->state.reported_ok());
    f.advance(10s);  // 30 s after the report
    BOOST_TEST(!e->state.reported_ok());
    BOOST_TEST(e->last.message == "no report for 30s");
    // A new ttl: a new check, waiting for its first report, due a whole ttl after the reload.
    f.sched.apply({push_check("worker", 5s), other_check("disk")});
    f.ioc.poll();
    auto fresh = f.sched.find("worker");
    BOOST_TEST(fresh != e);
    BOOST_TEST(!fresh->state.has_result());
    f.advance(4s);
    BOOST_TEST(!fresh->state.has_result());
    f.advance(1s);
    BOOST_TEST(fresh->last.message == "no report for 5s");
}

BOOST_AUTO_TEST_CASE(an_answer_never_waits_for_a_push_check) {
    sched_fixture f;
    bool done = false;
    net::co_spawn(f.ioc, f.sched.prepare(scheduler::every),
                  [&](std::exception_ptr) { done = true; });
    // The file check runs (on demand, first result); the push check adds no wait of its own.
    for (int i = 0; i < 1000 && !done; ++i) f.ioc.poll();
    BOOST_TEST(done);
    BOOST_TEST(!f.sched.find("worker")->state.has_result());
    BOOST_TEST(f.runner.runs == 1);
}

// The maintenance switch over loopback, with the token: PUT on, DELETE off, a report path beside
// it untouched, no check's state moved.
BOOST_AUTO_TEST_CASE(the_maintenance_switch_over_loopback_moves_no_check) {
    listener_fixture f("the-push-token");
    const std::string switch_path = "/.well-known/heartbeat/maintenance";
    const std::string bearer = "Authorization: Bearer the-push-token\r\n";
    auto before = f.footprint();
    BOOST_TEST(f.send("PUT", switch_path, "").status == 401);
    BOOST_TEST(!f.maintenance);
    auto on = f.send("PUT", switch_path, "", bearer);
    BOOST_TEST(on.status == 200, on.body);
    BOOST_TEST(on.header("content-type") == "application/json");
    BOOST_TEST(f.maintenance);
    BOOST_TEST(f.send("GET", switch_path + "/", "", bearer).body.find(R"("maintenance":true)") !=
               std::string::npos);
    BOOST_TEST(f.send("DELETE", switch_path, "", bearer).status == 200);
    BOOST_TEST(!f.maintenance);
    BOOST_TEST(f.send("POST", switch_path, "", bearer).status == 405);
    BOOST_TEST((f.footprint() == before));
}
