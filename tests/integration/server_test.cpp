#define BOOST_TEST_MODULE server
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "heartbeat/http/server.hpp"
#include "http_client.hpp"
#include "loopback.hpp"

using namespace heartbeat;
using namespace heartbeat::test;
using namespace std::chrono_literals;
namespace bhttp = boost::beast::http;

namespace {

/** A server on 127.0.0.1:0 whose handler answers 200 "hello" (after `delay`), in a thread of its
 * own. */
struct running_server {
    net::io_context ioc;
    duration delay{0};
    std::unique_ptr<http::server> srv;
    std::uint16_t port = 0;
    std::thread thread;

    explicit running_server(http::server_limits limits = {}) {
        srv = std::make_unique<http::server>(
            ioc.get_executor(),
            [this](bhttp::request<bhttp::string_body> req) { return handle(std::move(req)); },
            limits);
        port = srv->listen("127.0.0.1", 0).port();
        srv->start();
        thread = std::thread([this] { ioc.run_for(60s); });
    }
    ~running_server() {
        net::post(ioc, [this] {
            srv->stop();
            ioc.stop();
        });
        thread.join();
    }
    std::mutex mutex;
    std::condition_variable cv;
    int handling = 0;  // requests inside the handler now

    net::awaitable<http::reply> handle(bhttp::request<bhttp::string_body> req) {
        {
            std::lock_guard lock(mutex);
            ++handling;
        }
        cv.notify_all();
        if (delay.count()) {
            net::steady_timer t(ioc, delay);
            co_await t.async_wait(use_nothrow);
        }
        {
            std::lock_guard lock(mutex);
            --handling;
        }
        bhttp::response<bhttp::string_body> res{bhttp::status::ok, req.version()};
        res.keep_alive(req.keep_alive());
        res.body() = "hello";
        res.prepare_payload();
        co_return res;
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(keep_alive_serves_several_requests_on_one_connection) {
    running_server s;
    std::string req =
        "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    auto raw = raw_exchange(s.port, req);
    std::size_t used = 0;
    auto first = parse_reply(raw, false, &used);
    auto second = parse_reply(raw.substr(used));
    BOOST_TEST(first.status == 200);
    BOOST_TEST(first.body == "hello");
    BOOST_TEST(second.status == 200);
    BOOST_TEST(second.header("connection") == "close");
}

BOOST_AUTO_TEST_CASE(http_10_client_gets_an_http_10_answer_and_a_close) {
    running_server s;
    auto r = parse_reply(raw_exchange(s.port, "GET / HTTP/1.0\r\n\r\n", 3000));
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.version == "HTTP/1.0");
    BOOST_TEST(r.body == "hello");
}

BOOST_AUTO_TEST_CASE(oversized_head_gets_431) {
    running_server s;
    std::string req = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n";
    auto r = parse_reply(raw_exchange(s.port, req));
    BOOST_TEST(r.status == 431);
}

BOOST_AUTO_TEST_CASE(oversized_body_gets_413) {
    running_server s;
    std::string req =
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + std::string(2000, 'b');
    auto r = parse_reply(raw_exchange(s.port, req));
    BOOST_TEST(r.status == 413);
}

BOOST_AUTO_TEST_CASE(garbage_is_dropped_without_harm) {
    running_server s;
    auto raw = raw_exchange(
        s.port, std::string("\x16\x03\x01\x02") + std::string(1, '\0') + "garbage\r\n\r\n", 3000);
    BOOST_TEST(raw.find("200") == std::string::npos);
    BOOST_TEST(request(s.port, "/").status == 200);  // still serving
}

BOOST_AUTO_TEST_CASE(a_client_that_sends_nothing_complete_is_dropped) {
    http::server_limits limits;
    limits.request_timeout = 300ms;
    running_server s(limits);
    int fd = connect_loopback(s.port);
    BOOST_TEST_REQUIRE(fd >= 0);
    write_all(fd, "GET / HTTP/1.1\r\nHost:");
    auto start = steady_clock::now();
    auto got = read_until(fd, "", 5000);  // returns at EOF
    auto took = steady_clock::now() - start;
    ::close(fd);
    BOOST_TEST(got.empty());
    BOOST_TEST(took >= 250ms);
    BOOST_TEST(took < 600ms);
}

BOOST_AUTO_TEST_CASE(at_the_cap_the_oldest_idle_connection_makes_room) {
    http::server_limits limits;
    limits.max_connections = 2;
    running_server s(limits);
    int a = connect_loopback(s.port), b = connect_loopback(s.port);
    // Both become registered keep-alive sessions: each answers a request, then waits for the next.
    write_all(a, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    BOOST_TEST(read_until(a, "hello").find("hello") != std::string::npos);
    write_all(b, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    BOOST_TEST(read_until(b, "hello").find("hello") != std::string::npos);
    // A third client is served; the oldest idle one (a) is closed for it.
    BOOST_TEST(request(s.port, "/").status == 200);
    BOOST_TEST(read_until(a, "", 2000).empty());
    write_all(b, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    BOOST_TEST(read_until(b, "hello").find("hello") != std::string::npos);
    ::close(a);
    ::close(b);
}

BOOST_AUTO_TEST_CASE(at_the_cap_a_client_slow_to_write_is_not_evicted_by_newer_ones) {
    // A probe whose thread is descheduled between connect() and send() while a flood of
    // connections fills the cap: it must still be answered once it writes.
    http::server_limits limits;
    limits.max_connections = 2;
    running_server s(limits);
    int late = connect_loopback(s.port);
    BOOST_TEST_REQUIRE(late >= 0);
    std::vector<int> flood;
    for (int i = 0; i < 4; ++i) {
        flood.push_back(connect_loopback(s.port));
        write_all(flood.back(), "GET / HTTP/1.1\r\nHost:");  // a head that never ends
    }
    // Each newer client evicts an older one: the first two are closed (capped wait).
    auto closed = [](int fd) {
        pollfd p{fd, POLLIN, 0};
        char c;
        return ::poll(&p, 1, 2000) == 1 && ::read(fd, &c, 1) <= 0;
    };
    BOOST_TEST_REQUIRE(closed(flood[0]));
    BOOST_TEST_REQUIRE(closed(flood[1]));
    write_all(late, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    BOOST_TEST(read_until(late, "hello", 2000).find("hello") != std::string::npos);
    ::close(late);
    for (int fd : flood) ::close(fd);
}

BOOST_AUTO_TEST_CASE(at_the_cap_with_every_connection_busy_new_clients_are_turned_away) {
    http::server_limits limits;
    limits.max_connections = 2;
    running_server s(limits);
    s.delay = 1s;
    int a = connect_loopback(s.port), b = connect_loopback(s.port);
    write_all(a, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    write_all(b, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    // Wait (capped) until the server is handling both requests.
    {
        std::unique_lock lock(s.mutex);
        BOOST_TEST_REQUIRE(s.cv.wait_for(lock, 5s, [&] { return s.handling == 2; }));
    }
    auto turned_away =
        raw_exchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 500);
    BOOST_TEST(turned_away.empty());
    BOOST_TEST(read_until(a, "hello").find("hello") != std::string::npos);  // the busy ones finish
    ::close(a);
    ::close(b);
}

BOOST_AUTO_TEST_CASE(slow_clients_do_not_delay_a_probe) {
    running_server s;
    std::vector<int> slow;
    for (int i = 0; i < 200; ++i) {
        int fd = connect_loopback(s.port);
        if (fd < 0) break;
        write_all(fd, "GET / HTTP/1.1\r\n");  // and nothing more
        slow.push_back(fd);
    }
    BOOST_TEST(slow.size() == 200u);
    auto start = steady_clock::now();
    auto r = request(s.port, "/");
    BOOST_TEST(r.status == 200);
    BOOST_TEST((steady_clock::now() - start) < 300ms);
    for (int fd : slow) ::close(fd);
}

BOOST_AUTO_TEST_CASE(concurrent_requests_wait_concurrently) {
    running_server s;
    s.delay = 300ms;
    std::vector<std::thread> clients;
    std::atomic<int> ok{0};
    auto start = steady_clock::now();
    for (int i = 0; i < 20; ++i)
        clients.emplace_back([&] {
            if (request(s.port, "/").status == 200) ++ok;
        });
    for (auto& t : clients) t.join();
    BOOST_TEST(ok == 20);
    BOOST_TEST((steady_clock::now() - start) < 600ms);
}
