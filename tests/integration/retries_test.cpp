#define BOOST_TEST_MODULE retries
#include <boost/test/unit_test.hpp>

#include <poll.h>

#include <atomic>
#include <fstream>

#include "child.hpp"
#include "loopback.hpp"
#include "run_check.hpp"

// Retries within one run, as run_check does them for every type: attempts until the first pass,
// all of them inside the check's one timeout.

using namespace heartbeat;
using namespace heartbeat::test;
using namespace std::chrono_literals;

namespace {

/** An exec check that fails until it has run `passes_at` times, counting its runs in `counter`. */
check_config flaky(const std::string& counter, int passes_at, int retries) {
    exec_spec s;
    s.argv = {"/bin/sh", "-c",
              "n=$(cat '" + counter + "' 2>/dev/null || echo 0); n=$((n + 1)); echo $n > '" +
                  counter + "'; echo attempt $n; [ $n -ge " + std::to_string(passes_at) + " ]"};
    auto c = make_check(std::move(s), 10s);
    c.retries = retries;
    c.retry_delay = 50ms;
    return c;
}

int runs_counted(const std::string& counter) {
    std::ifstream in(counter);
    int n = 0;
    in >> n;
    return n;
}

std::int64_t attempts(const check_result& r) {
    return r.facts.at("attempts").as_int64();
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_target_that_fails_twice_passes_on_the_third_attempt) {
    temp_dir dir;
    auto counter = dir.path() + "/runs";
    auto t = run_once(flaky(counter, 3, 2));
    BOOST_TEST(t.result.ok, t.result.message);
    BOOST_TEST(attempts(t.result) == 3);
    BOOST_TEST(t.result.message == "attempt 3");
    BOOST_TEST(runs_counted(counter) == 3);
}

BOOST_AUTO_TEST_CASE(it_stops_at_the_first_pass) {
    temp_dir dir;
    auto counter = dir.path() + "/runs";
    auto t = run_once(flaky(counter, 2, 5));
    BOOST_TEST(t.result.ok, t.result.message);
    BOOST_TEST(attempts(t.result) == 2);
    BOOST_TEST(runs_counted(counter) == 2);
}

BOOST_AUTO_TEST_CASE(too_few_retries_report_the_last_attempts_failure) {
    temp_dir dir;
    auto counter = dir.path() + "/runs";
    auto t = run_once(flaky(counter, 3, 1));
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(attempts(t.result) == 2);
    BOOST_TEST(t.result.message.ends_with(": attempt 2"), t.result.message);
    BOOST_TEST(t.result.facts.at("exit_code").as_int64() == 1);
    BOOST_TEST(runs_counted(counter) == 2);
}

BOOST_AUTO_TEST_CASE(without_retries_there_is_one_attempt_and_no_attempts_key) {
    temp_dir dir;
    auto counter = dir.path() + "/runs";
    auto t = run_once(flaky(counter, 3, 0));
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(!t.result.facts.contains("attempts"));
    BOOST_TEST(runs_counted(counter) == 1);
}

// Wrong would be one whole timeout per attempt: 4 s here.
BOOST_AUTO_TEST_CASE(an_attempt_that_uses_up_the_timeout_leaves_none_for_retries) {
    silent_listener peer;
    auto c = make_check(tcp_spec{"127.0.0.1", peer.port(), std::string("PING\r\n"), "+PONG"}, 1s);
    c.retries = 3;
    c.retry_delay = 10ms;
    auto t = run_once(c);
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(attempts(t.result) == 1);
    BOOST_TEST(t.result.message.find("timed out") != std::string::npos, t.result.message);
    BOOST_TEST(t.took < 2s);
}

// Attempts 300 ms apart in a 1 s timeout: at 0, 0.3, 0.6 and 0.9 s at most, and the run ends when
// the next could only start after the deadline, not at the 100 retries asked for.
BOOST_AUTO_TEST_CASE(retries_stop_at_the_deadline) {
    auto c = make_check(tcp_spec{"127.0.0.1", refused_port(), {}, {}}, 1s);
    c.retries = 100;
    c.retry_delay = 300ms;
    auto t = run_once(c);
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(attempts(t.result) >= 2);
    BOOST_TEST(attempts(t.result) <= 4);
    BOOST_TEST(t.took < 1300ms);
    BOOST_TEST(t.result.message.find("refused") != std::string::npos, t.result.message);
}

namespace {

/** Answers `+PONG` to each connection: the first `slow` of them `ms` after the request came. */
struct slow_peer {
    std::atomic<int> slow;
    scripted_server server;
    slow_peer(int ms, int slow_ones)
        : slow(slow_ones), server([this, ms](int fd) {
              read_until(fd, "\r\n");
              // The peer's slowness is what is tested: it answers late on purpose.
              if (slow.fetch_sub(1) > 0) ::poll(nullptr, 0, ms);
              write_all(fd, "+PONG\r\n");
          }) {}
};

tcp_spec ping(std::uint16_t port) {
    return tcp_spec{"127.0.0.1", port, std::string("PING\r\n"), "+PONG"};
}

}  // namespace

// max_duration: a success later than it fails as slow, says how long it took, and is retried as
// any failing attempt; a fast enough one passes.
BOOST_AUTO_TEST_CASE(a_success_slower_than_max_duration_fails_as_slow) {
    slow_peer peer(400, 1);
    auto spec = ping(peer.server.port());
    spec.max_duration = 100ms;
    auto c = make_check(spec, 3s);
    auto t = run_once(c);
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message.starts_with("slow: took "), t.result.message);
    BOOST_TEST(t.result.message.ends_with("ms, allowed 100ms"), t.result.message);
    // It took the peer's 400 ms at least: the number is the attempt's own time.
    auto took = std::stoi(t.result.message.substr(std::string("slow: took ").size()));
    BOOST_TEST(took >= 400, t.result.message);
    // The peer is fast now: the same check passes.
    BOOST_TEST(run_once(c).result.ok);

    // Retried as any failing attempt: the first is slow, the second is not.
    peer.slow = 1;
    c.retries = 2;
    c.retry_delay = 10ms;
    t = run_once(c);
    BOOST_TEST(t.result.ok, t.result.message);
    BOOST_TEST(attempts(t.result) == 2);
}
