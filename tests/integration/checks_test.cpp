#define BOOST_TEST_MODULE checks
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <future>

#include <boost/asio/ip/tcp.hpp>

#include "child.hpp"
#include "heartbeat/checks/exec/run.hpp"
#include "heartbeat/checks/file/run.hpp"
#include "heartbeat/checks/tcp/run.hpp"
#include "heartbeat/deadline.hpp"
#include "loopback.hpp"
#include "procfs.hpp"
#include "run_check.hpp"
#include "skip.hpp"

using namespace heartbeat;
using namespace heartbeat::test;
using namespace std::chrono_literals;

namespace {

using timed = timed_result;
timed run(const check_config& c) {
    return run_once(c);
}

check_config tcp(std::string host, std::uint16_t port, duration timeout = 1s) {
    return make_check(tcp_spec{std::move(host), port, {}, {}}, timeout);
}

check_config file(file_spec f) {
    return make_check(std::move(f));
}

/** A server that answers each connection with `reply` after reading `wait_for` (if any), then
 * closes. */
scripted_server replying(std::string wait_for, std::string reply) {
    return scripted_server([=](int fd) {
        if (!wait_for.empty()) read_until(fd, wait_for, 2000);
        write_all(fd, reply);
    });
}

}  // namespace

BOOST_AUTO_TEST_CASE(tcp_connect_passes) {
    auto srv = replying("", "");
    auto t = run(tcp("127.0.0.1", srv.port()));
    BOOST_TEST(t.result.ok, t.result.message);
    BOOST_TEST(t.result.message == "ok");
    BOOST_TEST(t.result.elapsed.count() > 0);
}

BOOST_AUTO_TEST_CASE(tcp_resolves_localhost_names) {
    auto srv = replying("", "");
    auto t = run(tcp("localhost", srv.port()));
    BOOST_TEST(t.result.ok, t.result.message);
}

BOOST_AUTO_TEST_CASE(tcp_refused_says_so) {
    auto port = refused_port();
    auto t = run(tcp("127.0.0.1", port));
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message ==
               "connect 127.0.0.1:" + std::to_string(port) + ": connection refused");
}

BOOST_AUTO_TEST_CASE(tcp_ipv6_loopback, *skip_if(ipv6_loopback_missing)) {
    net::io_context probe_ctx;
    net::ip::tcp::acceptor a(probe_ctx, {net::ip::make_address("::1"), 0});
    auto t = run(tcp("::1", a.local_endpoint().port()));
    BOOST_TEST(t.result.ok, t.result.message);
}

BOOST_AUTO_TEST_CASE(tcp_send_and_expect) {
    auto srv = replying("PING\r\n", "+PONG\r\n");
    auto c = tcp("127.0.0.1", srv.port());
    std::get<tcp_spec>(c.spec).send = "PING\r\n";
    std::get<tcp_spec>(c.spec).expect = "+PONG";
    auto t = run(c);
    BOOST_TEST(t.result.ok, t.result.message);
}

BOOST_AUTO_TEST_CASE(tcp_wrong_reply_then_close) {
    auto srv = replying("PING\r\n", "-ERR unknown\r\n");
    auto c = tcp("127.0.0.1", srv.port());
    std::get<tcp_spec>(c.spec).send = "PING\r\n";
    std::get<tcp_spec>(c.spec).expect = "+PONG";
    auto t = run(c);
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message ==
                   "127.0.0.1:" + std::to_string(srv.port()) +
                       " closed the connection before sending '+PONG'; got '-ERR unknown\\r\\n'",
               t.result.message);
}

BOOST_AUTO_TEST_CASE(tcp_peer_that_never_answers_times_out_on_time) {
    silent_listener silent;
    auto c = tcp("127.0.0.1", silent.port(), 300ms);
    std::get<tcp_spec>(c.spec).expect = "+PONG";
    auto t = run(c);
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message.starts_with("timed out after 300ms waiting for '+PONG'"),
               t.result.message);
    BOOST_TEST(t.took >= 300ms);
    BOOST_TEST(t.took < 600ms);
}

BOOST_AUTO_TEST_CASE(tcp_peer_dripping_bytes_is_cut_at_the_deadline) {
    std::atomic<bool> stop{false};
    scripted_server drip([&](int fd) {
        for (int i = 0; i < 100 && !stop; ++i) {
            if (!write_all(fd, "x")) return;
            read_until(fd, "never", 50);  // 50 ms between bytes
        }
    });
    auto c = tcp("127.0.0.1", drip.port(), 400ms);
    std::get<tcp_spec>(c.spec).expect = "+PONG";
    auto t = run(c);
    stop = true;
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message.starts_with("timed out after 400ms"), t.result.message);
    BOOST_TEST(t.took < 700ms);
}

BOOST_AUTO_TEST_CASE(tcp_flood_is_capped_at_64_kib) {
    scripted_server flood([](int fd) {
        std::string chunk(65536, 'y');
        for (int i = 0; i < 64; ++i)
            if (!write_all(fd, chunk)) return;
    });
    auto c = tcp("127.0.0.1", flood.port(), 2s);
    std::get<tcp_spec>(c.spec).expect = "+PONG";
    auto t = run(c);
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message.find("sent 64 KiB without '+PONG'") != std::string::npos,
               t.result.message);
}

BOOST_AUTO_TEST_CASE(deadline_wait_abandons_work_that_hangs) {
    // The mechanism behind the file check and name resolution: a blocking call that never returns
    // in time does not hold the run past its deadline.
    net::io_context ioc;
    net::thread_pool pool(1);
    std::promise<void> release;
    auto hung = release.get_future().share();
    std::optional<int> got = 42;
    auto start = steady_clock::now();
    auto work = [hung] {
        hung.wait_for(5s);
        return 1;
    };
    net::co_spawn(ioc, offload_until<int>(pool, steady_clock::now() + 200ms, std::move(work)),
                  [&](std::exception_ptr, std::optional<int> v) { got = v; });
    ioc.run_for(5s);
    auto took = steady_clock::now() - start;
    release.set_value();
    pool.join();
    BOOST_TEST(!got.has_value());
    BOOST_TEST(took < 500ms);
}

BOOST_AUTO_TEST_CASE(file_kinds_sizes_and_ages) {
    temp_dir dir;
    auto path = dir.write("alive", "12345");
    auto t = run(file({path, file_spec::kind::file, {}, 5}));
    BOOST_TEST(t.result.ok, t.result.message);
    t = run(file({path, file_spec::kind::dir, {}, {}}));
    BOOST_TEST(t.result.message == path + " exists but is not a directory");
    t = run(file({dir.path(), file_spec::kind::dir, {}, {}}));
    BOOST_TEST(t.result.ok);
    t = run(file({path, file_spec::kind::any, {}, 6}));
    BOOST_TEST(t.result.message == path + " is 5 bytes, less than min_size 6");
    t = run(file({dir.path() + "/missing", file_spec::kind::any, {}, {}}));
    BOOST_TEST(t.result.message == dir.path() + "/missing does not exist");

    // A heartbeat file touched two minutes ago is too old for max_age 30s, fine for 5m.
    timespec times[2];
    times[0].tv_nsec = UTIME_OMIT;
    times[1].tv_sec = ::time(nullptr) - 120;
    times[1].tv_nsec = 0;
    BOOST_TEST_REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
    t = run(file({path, file_spec::kind::any, 30s, {}}));
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message.find("more than max_age 30s") != std::string::npos,
               t.result.message);
    t = run(file({path, file_spec::kind::any, 5min, {}}));
    BOOST_TEST(t.result.ok);
}

BOOST_AUTO_TEST_CASE(an_exec_check_leaves_the_other_children_of_its_process_to_their_owner) {
    // Here the process is no subreaper: a child of its own that has exited waits for its owner,
    // not for the reaper that exec checks use (which would take its exit status).
    child own({HEARTBEAT_HELPER, "exit", "7"});
    BOOST_TEST_REQUIRE(poll_until([&] { return zombie_children() >= 1; }));
    exec_spec spec;
    spec.argv = {HEARTBEAT_HELPER, "exit", "0"};
    auto t = run(make_check(std::move(spec)));
    BOOST_TEST(t.result.ok, t.result.message);
    BOOST_TEST(own.wait_exit(5000).value_or(-1) == 7);
}
