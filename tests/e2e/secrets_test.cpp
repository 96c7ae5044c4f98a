#define BOOST_TEST_MODULE e2e_secrets
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <unistd.h>

#include "heartbeatd.hpp"
#include "loopback.hpp"

using namespace heartbeat::test;

namespace {

// Secret-looking values, each unique enough that finding it anywhere is a leak.
const std::string user = "alice-user-7f3a";
const std::string password = "pa55-word-9c1e";
const std::string token = "tok-bearer-51d0be";
const std::string header_value = "hdr-value-c4a2e9";
const std::string env_secret = "env-secret-8b7d22";

/** The secrets and the forms they may travel in: percent-encoded, Basic credentials. */
std::vector<std::string> forms() {
    return {user, password, token, header_value, env_secret,
            // base64 of "alice-user-7f3a:pa55-word-9c1e", as the Authorization header carries it
            "YWxpY2UtdXNlci03ZjNhOnBhNTUtd29yZC05YzFl"};
}

/** A target that answers 500 with the whole request it got, headers included, as some error pages
 * do. */
void echo_request(int fd) {
    std::string head = read_until(fd, "\r\n\r\n", 2000);
    // The credentials first: what a check quotes of a body is its beginning.
    std::string body;
    for (const std::string name : {"Authorization: ", "X-Auth-Token: ", "X-Api-Key: "})
        if (auto at = head.find(name); at != std::string::npos)
            body += head.substr(at, head.find("\r\n", at) - at) + " ";
    body += head;
    write_all(fd, "HTTP/1.1 500 Echo\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\nConnection: close\r\n\r\n" + body);
    ::close(fd);
}

std::string config(std::uint16_t port) {
    std::string url = "http://" + user + ":" + password + "@127.0.0.1:" + std::to_string(port);
    return "environ:\n  variables: [HOME]\n"
           "checks:\n"
           "  - {name: echo-status, type: http, url: '" +
           url + "/s', interval: 200ms, timeout: 150ms, headers: {X-Auth-Token: 'Bearer " + token +
           "', X-Api-Key: " + header_value +
           "}, probes: [readiness, liveliness, startup, environ]}\n"
           "  - {name: echo-body, type: http, url: '" +
           url +
           "/b', interval: 200ms, timeout: 150ms, expect_status: [5xx], expect_body: nothing, "
           "headers: {X-Auth-Token: 'Bearer " +
           token + "'}}\n";
}

/** Every answer the daemon gives, in every format it has. */
std::vector<std::string> every_answer(heartbeatd& d) {
    std::vector<std::string> out;
    for (const std::string probe : {"readiness", "liveliness", "liveness", "startup", "environ"}) {
        for (const std::string suffix : {"", "?verbose", "?verbose=1", "/echo-status", "/echo-body",
                                         "/echo-status?verbose", "?exclude=echo-body", "/nope"})
            out.push_back(d.get(base + "/" + probe + suffix).body);
        out.push_back(raw_exchange(
            d.port,
            "HEAD " + base + "/" + probe + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    }
    out.push_back(d.get("/metrics").body);
    out.push_back(d.get("/").body);
    out.push_back(d.get(base + "/readiness", "POST").body);
    out.push_back(raw_exchange(d.port, "garbage\r\n\r\n"));
    return out;
}

void expect_no_secret(const std::string& where, const std::string& text) {
    for (const auto& s : forms())
        BOOST_TEST(text.find(s) == std::string::npos, where << " shows '" << s << "': " << text);
}

}  // namespace

BOOST_AUTO_TEST_CASE(no_secret_appears_in_any_answer_or_any_log_line) {
    scripted_server target(echo_request);
    for (const std::string format : {"text", "json"}) {
        heartbeatd d(config(target.port()), {"--log-level", "trace", "--log-format", format},
                     {{"HEARTBEAT_TEST_SECRET", env_secret}});
        // Both checks have failed with the echo in hand: the bait is in their messages' reach.
        BOOST_TEST_REQUIRE(poll_until([&] {
            auto r = d.get(base + "/readiness");
            return r.status == 500 && r.body.find("status 500") != std::string::npos &&
                   r.body.find("does not contain") != std::string::npos;
        }));
        auto answers = every_answer(d);
        for (std::size_t i = 0; i < answers.size(); ++i)
            expect_no_secret(format + " answer " + std::to_string(i), answers[i]);
        // The messages still say what happened, with the secrets blanked out.
        auto body = d.get(base + "/readiness").body;
        BOOST_TEST(body.find("[redacted]") != std::string::npos, body);
        d.proc->signal(SIGTERM);
        BOOST_TEST_REQUIRE(d.proc->wait_exit().has_value());
        const auto& log = d.proc->stderr_text();
        BOOST_TEST(log.find("echo-body") != std::string::npos);  // the log did say something
        expect_no_secret(format + " log", log);
    }
}
