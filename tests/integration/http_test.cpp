#define BOOST_TEST_MODULE http
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <mutex>

#include "child.hpp"
#include "heartbeat/checks/http/run.hpp"
#include "loopback.hpp"
#include "run_check.hpp"
#include "tls.hpp"

using namespace heartbeat;
using namespace heartbeat::test;
using namespace std::chrono_literals;

namespace {

using timed = timed_result;
timed run(http_spec spec, duration timeout = 2s) {
    return run_once(make_check(std::move(spec), timeout));
}

http_spec get(std::string url) {
    http_spec s;
    s.url = std::move(url);
    return s;
}

/** An HTTP peer that records each request head and answers with a fixed reply. */
struct http_peer {
    std::mutex mutex;
    std::string last;
    std::string reply;
    scripted_server server{[this](int fd) {
        auto head = read_until(fd, "\r\n\r\n", 3000);
        {
            std::lock_guard lock(mutex);
            last = head;
        }
        write_all(fd, reply);
    }};
    explicit http_peer(std::string r) : reply(std::move(r)) {}
    std::string url(const std::string& path = "/health") const {
        return "http://127.0.0.1:" + std::to_string(server.port()) + path;
    }
    std::string request() {
        std::lock_guard lock(mutex);
        return last;
    }
};

std::string response(int status, const std::string& body, const std::string& extra = "") {
    return "HTTP/1.1 " + std::to_string(status) +
           " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_200_passes_and_carries_its_status_code) {
    http_peer peer(response(200, R"({"status":"green"})"));
    auto spec = get(peer.url());
    spec.expect_body = R"("status":"green")";
    auto t = run(spec);
    BOOST_TEST(t.result.ok, t.result.message);
    BOOST_TEST(t.result.message == "ok");
    BOOST_TEST(t.result.facts.at("status_code").as_int64() == 200);
    auto req = peer.request();
    BOOST_TEST(req.starts_with("GET /health HTTP/1.1\r\n"));
    BOOST_TEST(req.find("Host: 127.0.0.1:" + std::to_string(peer.server.port()) + "\r\n") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_503_fails_with_a_readable_message) {
    http_peer peer(response(503, "down"));
    auto t = run(get(peer.url()));
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message == "GET " + peer.url() + ": status 503, expected 200-399");
    BOOST_TEST(t.result.facts.at("status_code").as_int64() == 503);
}

BOOST_AUTO_TEST_CASE(redirects_pass_by_default_and_are_not_followed) {
    http_peer peer(response(302, "", "Location: http://127.0.0.1:1/elsewhere\r\n"));
    auto t = run(get(peer.url()));
    BOOST_TEST(t.result.ok, t.result.message);
    BOOST_TEST(peer.server.accepted() == 1);
    auto strict = get(peer.url());
    strict.expect_status = {status_match{0, 2}};
    auto s = run(strict);
    BOOST_TEST(!s.result.ok);
    BOOST_TEST(s.result.message.ends_with("status 302, expected 2xx"));
}

BOOST_AUTO_TEST_CASE(expect_status_codes_and_classes) {
    http_peer peer(response(404, ""));
    auto spec = get(peer.url());
    spec.expect_status = {status_match{404, 0}, status_match{0, 2}};
    BOOST_TEST(run(spec).result.ok);
    spec.expect_status = {status_match{200, 0}};
    BOOST_TEST(run(spec).result.message.ends_with("status 404, expected 200"));
}

BOOST_AUTO_TEST_CASE(expect_body_mismatch_shows_what_came) {
    http_peer peer(response(200, R"({"status":"red"})"));
    auto spec = get(peer.url());
    spec.expect_body = R"("status":"green")";
    auto t = run(spec);
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message.find(
                   "does not contain '\"status\":\"green\"': got '{\"status\":\"red\"}'") !=
                   std::string::npos,
               t.result.message);
}

BOOST_AUTO_TEST_CASE(head_method_and_headers_are_sent) {
    http_peer peer("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");  // HEAD: no body follows
    auto spec = get(peer.url());
    spec.method = "HEAD";
    spec.headers = {{"X-Token", "s3cret-value"}};
    auto t = run(spec);
    BOOST_TEST(t.result.ok, t.result.message);
    BOOST_TEST(peer.request().starts_with("HEAD /health HTTP/1.1\r\n"));
    BOOST_TEST(peer.request().find("X-Token: s3cret-value\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(credentials_are_sent_but_never_shown) {
    http_peer peer(response(401, ""));
    auto spec = get("http://admin:p%40ss@127.0.0.1:" + std::to_string(peer.server.port()) + "/x");
    spec.headers = {{"Authorization-Extra", "topsecret"}};
    auto t = run(spec);
    BOOST_TEST(!t.result.ok);
    // "admin:p@ss" in base64.
    BOOST_TEST(
        peer.request().find("Authorization: Basic YWRtaW46cEBzcw==\r\n") != std::string::npos,
        peer.request());
    BOOST_TEST(t.result.message.find("admin") == std::string::npos);
    BOOST_TEST(t.result.message.find("p%40ss") == std::string::npos);
    BOOST_TEST(t.result.message.find("topsecret") == std::string::npos);
    BOOST_TEST(t.result.message == "GET http://127.0.0.1:" + std::to_string(peer.server.port()) +
                                       "/x: status 401, expected 200-399");
}

BOOST_AUTO_TEST_CASE(refused) {
    auto port = refused_port();
    auto t = run(get("http://127.0.0.1:" + std::to_string(port) + "/"));
    BOOST_TEST(t.result.message ==
               "connect http://127.0.0.1:" + std::to_string(port) + "/: connection refused");
}

BOOST_AUTO_TEST_CASE(a_server_that_never_answers_times_out_on_time) {
    silent_listener silent;
    auto t = run(get("http://127.0.0.1:" + std::to_string(silent.port()) + "/"), 300ms);
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message.starts_with("timed out after 300ms waiting for the response"),
               t.result.message);
    BOOST_TEST(t.took < 600ms);
}

BOOST_AUTO_TEST_CASE(one_byte_at_a_time_is_cut_at_the_deadline) {
    std::atomic<bool> stop{false};
    scripted_server drip([&](int fd) {
        read_until(fd, "\r\n\r\n", 2000);
        std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
        for (char c : head + std::string(100, 'z')) {
            if (stop || !write_all(fd, std::string(1, c))) return;
            read_until(fd, "never", 100);  // a byte every 100 ms
        }
    });
    auto t = run(get("http://127.0.0.1:" + std::to_string(drip.port()) + "/"), 500ms);
    stop = true;
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message.starts_with("timed out after 500ms"), t.result.message);
    BOOST_TEST(t.took < 800ms);
}

BOOST_AUTO_TEST_CASE(an_endless_body_is_read_to_64_kib_only) {
    std::atomic<bool> stop{false};
    scripted_server endless([&](int fd) {
        read_until(fd, "\r\n\r\n", 2000);
        write_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\n");
        std::string chunk(65536, 'e');
        while (!stop && write_all(fd, chunk)) {
        }
    });
    auto spec = get("http://127.0.0.1:" + std::to_string(endless.port()) + "/");
    auto t = run(spec, 2s);
    BOOST_TEST(t.result.ok, t.result.message);
    BOOST_TEST(t.took < 1s);
    spec.expect_body = "needle";
    t = run(spec, 2s);
    stop = true;
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message.find("the body (first 64 KiB) does not contain 'needle'") !=
                   std::string::npos,
               t.result.message);
}

BOOST_AUTO_TEST_CASE(a_close_in_the_middle_of_the_head) {
    scripted_server rude([](int fd) {
        read_until(fd, "\r\n\r\n", 2000);
        write_all(fd, "HTTP/1.1 200 OK\r\nContent-Le");
    });
    auto t = run(get("http://127.0.0.1:" + std::to_string(rude.port()) + "/"));
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message.starts_with("reading the response of http://127.0.0.1:"),
               t.result.message);
}

BOOST_AUTO_TEST_CASE(https_with_a_trusted_ca_file_and_sni) {
    temp_dir dir;
    self_signed cert(dir.path(), {"localhost", "127.0.0.1"});
    tls_server tls(cert, response(200, "secure"));
    auto spec = get("https://localhost:" + std::to_string(tls.port()) + "/tls");
    spec.tls.ca_file = cert.cert_file;
    spec.expect_body = "secure";
    auto t = run(spec);
    BOOST_TEST(t.result.ok, t.result.message);
    BOOST_TEST(tls.last_sni() == "localhost");
    BOOST_TEST(tls.last_request().starts_with("GET /tls HTTP/1.1\r\n"));
    // An IP literal is verified against the certificate's IP names, and sends no SNI.
    auto by_ip = get("https://127.0.0.1:" + std::to_string(tls.port()) + "/");
    by_ip.tls.ca_file = cert.cert_file;
    BOOST_TEST(run(by_ip).result.ok);
    BOOST_TEST(tls.last_sni().empty());
}

BOOST_AUTO_TEST_CASE(https_verification_failures_and_tls_verify_false) {
    temp_dir dir;
    self_signed cert(dir.path(), {"other.example"});
    tls_server tls(cert, response(200, "x"));
    std::string url = "https://localhost:" + std::to_string(tls.port()) + "/";
    auto untrusted = run(get(url));
    BOOST_TEST(!untrusted.result.ok);
    BOOST_TEST(untrusted.result.message.find(
                   "certificate verify failed: self-signed certificate") != std::string::npos,
               untrusted.result.message);
    auto spec = get(url);
    spec.tls.ca_file = cert.cert_file;
    auto wrong_name = run(spec);
    BOOST_TEST(!wrong_name.result.ok);
    BOOST_TEST(wrong_name.result.message.find("certificate verify failed: hostname mismatch") !=
                   std::string::npos,
               wrong_name.result.message);
    auto relaxed = get(url);
    relaxed.tls.verify = false;
    BOOST_TEST(run(relaxed).result.ok);
}

BOOST_AUTO_TEST_CASE(a_tls_peer_that_never_handshakes_times_out) {
    silent_listener silent;
    auto t = run(get("https://127.0.0.1:" + std::to_string(silent.port()) + "/"), 300ms);
    BOOST_TEST(t.result.message.starts_with("timed out after 300ms in the TLS handshake"),
               t.result.message);
    BOOST_TEST(t.took < 600ms);
}

BOOST_AUTO_TEST_CASE(a_ca_file_that_cannot_be_loaded_fails_the_run_with_why) {
    temp_dir dir;
    self_signed cert(dir.path(), {"localhost"});
    tls_server tls(cert, response(200, "x"));
    auto spec = get("https://localhost:" + std::to_string(tls.port()) + "/");
    spec.tls.ca_file = dir.path() + "/missing.pem";
    auto t = run(spec);
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message.starts_with("cannot load CA certificates from " + dir.path() +
                                            "/missing.pem: "),
               t.result.message);
}

BOOST_AUTO_TEST_CASE(the_ca_file_is_read_once_per_definition_not_at_every_run) {
    temp_dir dir;
    self_signed cert(dir.path(), {"localhost"});
    tls_server tls(cert, response(200, "x"));
    auto spec = get("https://localhost:" + std::to_string(tls.port()) + "/");
    spec.tls.ca_file = cert.cert_file;
    auto check = make_check(spec);
    BOOST_TEST_REQUIRE(run_once(check).result.ok);
    std::filesystem::remove(cert.cert_file);
    // The same definition runs with the context it built; a new one must read the file.
    auto again = run_once(check);
    BOOST_TEST(again.result.ok, again.result.message);
    auto fresh = get(spec.url);
    fresh.tls.ca_file = cert.cert_file;
    BOOST_TEST(run(fresh).result.message.starts_with("cannot load CA certificates from "));
}
