#define BOOST_TEST_MODULE e2e_http_requests
// POST and PUT with a body, expect_body_regex and expect_headers through the built daemon, against
// an HTTP server on loopback that records each request it is sent.
#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <mutex>
#include <vector>

#include "heartbeatd.hpp"
#include "loopback.hpp"

using namespace heartbeat::test;

namespace {

/** Answers every request with `200`, `X-Version: 2.4.1` and a JSON body; keeps each request. */
struct recording_server {
    std::mutex mutex;
    std::vector<std::string> requests;
    std::unique_ptr<scripted_server> server;

    recording_server() {
        server = std::make_unique<scripted_server>([this](int fd) {
            std::string got = read_until(fd, "\r\n\r\n");
            auto head_end = got.find("\r\n\r\n");
            if (head_end == std::string::npos) return;
            // The body, by its Content-Length.
            std::size_t length = 0;
            if (auto at = got.find("Content-Length: "); at != std::string::npos && at < head_end)
                length = std::stoul(got.substr(at + 16));
            timeval tv{5, 0};
            ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            while (got.size() < head_end + 4 + length) {
                char buf[4096];
                auto n = ::recv(fd, buf, sizeof buf, 0);
                if (n <= 0) break;
                got.append(buf, static_cast<std::size_t>(n));
            }
            {
                std::lock_guard lock(mutex);
                requests.push_back(got);
            }
            // A slow endpoint, for max_duration: it answers late on purpose.
            if (got.starts_with("GET /slow ")) ::poll(nullptr, 0, 300);
            const std::string body = R"({"status": "green", "nodes": 3})";
            write_all(fd, "HTTP/1.1 200 OK\r\nX-Version: 2.4.1\r\nContent-Type: application/json\r\n"
                          "Content-Length: " +
                              std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
        });
    }
    std::uint16_t port() const { return server->port(); }
    /** The first request that starts with `start`, or "". */
    std::string first(const std::string& start) {
        std::lock_guard lock(mutex);
        for (const auto& r : requests)
            if (r.starts_with(start)) return r;
        return "";
    }
};

std::string message_of(const boost::json::object& body, const std::string& check) {
    return std::string(body.at("checks").at(check).at("message").as_string());
}

}  // namespace

BOOST_AUTO_TEST_CASE(post_put_body_regex_and_headers_through_the_daemon) {
    recording_server target;
    const std::string url = "http://127.0.0.1:" + std::to_string(target.port());
    heartbeatd d("checks:\n"
                 "  - name: submit\n"
                 "    type: http\n"
                 "    url: " + url + "/submit\n"
                 "    method: POST\n"
                 "    body: '{\"ping\": true}'\n"
                 "    headers: {Content-Type: application/json}\n"
                 "    expect_body_regex: '\"status\": *\"green\"'\n"
                 "    expect_headers: {x-version: '2.'}\n"
                 "    interval: 200ms\n"
                 "  - name: replace\n"
                 "    type: http\n"
                 "    url: " + url + "/replace\n"
                 "    method: put\n"
                 "    body: state=1\n"
                 "    expect_headers: {X-Version: '3.'}\n"
                 "    interval: 200ms\n"
                 "  - name: colour\n"
                 "    type: http\n"
                 "    url: " + url + "/colour\n"
                 "    expect_body_regex: 'red|yellow'\n"
                 "    interval: 200ms\n"
                 "  - name: slow\n"
                 "    type: http\n"
                 "    url: " + url + "/slow\n"
                 "    timeout: 2s\n"
                 "    max_duration: 100ms\n"
                 "    interval: 1s\n"
                 "  - name: quick\n"
                 "    type: http\n"
                 "    url: " + url + "/quick\n"
                 "    timeout: 2s\n"
                 "    max_duration: 1500ms\n"
                 "    interval: 1s\n");
    auto r = d.get(base + "/readiness");
    BOOST_TEST(r.status == 500, r.body);
    auto body = body_of(r);
    BOOST_TEST(body.at("checks").at("submit").at("status").as_bool(), r.body);
    BOOST_TEST(message_of(body, "submit") == "ok");
    BOOST_TEST(message_of(body, "replace") ==
                   "PUT " + url + "/replace: status 200 but header 'X-Version' is '2.4.1', "
                                  "which does not contain '3.'",
               r.body);
    BOOST_TEST(message_of(body, "colour") ==
                   "GET " + url + "/colour: status 200 but the body does not match "
                                  "expect_body_regex 'red|yellow': got '{\"status\": \"green\", "
                                  "\"nodes\": 3}'",
               r.body);
    // What the server was sent: the method, the headers and the body as configured.
    auto post = target.first("POST /submit HTTP/1.1\r\n");
    BOOST_TEST_REQUIRE(!post.empty());
    BOOST_TEST(post.find("\r\nContent-Type: application/json\r\n") != std::string::npos, post);
    BOOST_TEST(post.ends_with("\r\n\r\n{\"ping\": true}"), post);
    auto put = target.first("PUT /replace HTTP/1.1\r\n");
    BOOST_TEST(put.ends_with("\r\n\r\nstate=1"), put);
    BOOST_TEST(!target.first("GET /colour HTTP/1.1\r\n").empty());
    // max_duration: the slow endpoint's 300 ms fail a 100 ms bound, a quick one passes 1.5 s.
    auto slow = message_of(body, "slow");
    BOOST_TEST(slow.starts_with("slow: took "), slow);
    BOOST_TEST(slow.ends_with("ms, allowed 100ms"), slow);
    BOOST_TEST(std::stoi(slow.substr(std::string("slow: took ").size())) >= 300, slow);
    BOOST_TEST(body.at("checks").at("slow").at("status_code").as_int64() == 200, r.body);
    BOOST_TEST(body.at("checks").at("quick").at("status").as_bool(), r.body);
}
