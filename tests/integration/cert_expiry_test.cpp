#define BOOST_TEST_MODULE cert_expiry
// TLS on tcp checks, `cert_not_after` and `min_cert_validity` on https and tcp checks, against a
// TLS server on loopback whose certificate the test makes: valid for 2 days, or expired.
#include <boost/test/unit_test.hpp>

#include "child.hpp"
#include "heartbeat/checks/http/run.hpp"
#include "heartbeat/checks/tcp/run.hpp"
#include "heartbeat/net/tls.hpp"
#include "loopback.hpp"
#include "run_check.hpp"
#include "tls.hpp"

using namespace heartbeat;
using namespace heartbeat::test;
using namespace std::chrono_literals;

namespace {

constexpr std::chrono::seconds two_days = std::chrono::hours(48);

const std::string ok_reply = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n+OK\n";

/** The certificate of a server that must be renewed within 2 days, for localhost and 127.0.0.1.
 */
struct expiring_soon {
    temp_dir dir;
    self_signed cert{dir.path(), {"localhost", "127.0.0.1"}, -1h, two_days};
};

/** A certificate that expired a day ago, after 2 days of validity. */
struct expired {
    temp_dir dir;
    self_signed cert{dir.path(), {"localhost", "127.0.0.1"}, -std::chrono::hours(72), -24h};
};

http_spec https(const tls_server& server, const self_signed& cert,
                std::optional<duration> min = std::nullopt) {
    http_spec s;
    s.url = "https://localhost:" + std::to_string(server.port()) + "/health";
    s.tls.ca_file = cert.cert_file;
    s.min_cert_validity = min;
    return s;
}

/** A tcp check with TLS that sends a request head and expects the reply of tls_server. */
tcp_spec tcp_tls(const tls_server& server, const self_signed& cert,
                 std::optional<duration> min = std::nullopt) {
    tcp_spec s;
    s.host = "localhost";
    s.port = server.port();
    s.use_tls = true;
    s.tls.ca_file = cert.cert_file;
    s.send = "PING\r\n\r\n";
    s.expect = "+OK";
    s.min_cert_validity = min;
    return s;
}

template <class Spec>
check_result run(Spec spec, duration timeout = 2s) {
    return run_once(make_check(std::move(spec), timeout)).result;
}

std::string peer(const tls_server& server) {
    return "localhost:" + std::to_string(server.port());
}

/** The `cert_not_after` of a result, or "" when it has none. */
std::string not_after_of(const check_result& r) {
    auto* v = r.facts.if_contains("cert_not_after");
    return v && v->is_string() ? std::string(v->as_string()) : "";
}

/**
 * Whether `message` ends as min_cert_validity 3d tells of `cert`, made to expire in 2 days: "2d 0h"
 * left within the second it was made, "1d 23h" after that.
 */
bool ends_telling_2_days_left(const std::string& message, const tls_server& server,
                              const self_signed& cert) {
    for (std::string left : {"2d 0h", "1d 23h"})
        if (message.ends_with("certificate of " + peer(server) + " expires in " + left + " (" +
                              rfc3339_seconds(cert.not_after()) +
                              "), less than min_cert_validity 3d"))
            return true;
    return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(https_passes_with_1d_left_to_spare_and_reports_cert_not_after) {
    expiring_soon s;
    tls_server server(s.cert, ok_reply);
    auto r = run(https(server, s.cert, 24h));
    BOOST_TEST(r.ok, r.message);
    BOOST_TEST(r.message == "ok");
    BOOST_TEST(not_after_of(r) == rfc3339_seconds(s.cert.not_after()));
    // Without a minimum it is reported all the same.
    BOOST_TEST(not_after_of(run(https(server, s.cert))) == rfc3339_seconds(s.cert.not_after()));
}

BOOST_AUTO_TEST_CASE(https_fails_when_3d_are_asked_of_a_certificate_with_2_left) {
    expiring_soon s;
    tls_server server(s.cert, ok_reply);
    auto r = run(https(server, s.cert, 72h));
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.message.starts_with("certificate of "), r.message);
    BOOST_TEST(ends_telling_2_days_left(r.message, server, s.cert), r.message);
    BOOST_TEST(not_after_of(r) == rfc3339_seconds(s.cert.not_after()));
    BOOST_TEST(r.facts.at("status_code").as_int64() == 200);
}

BOOST_AUTO_TEST_CASE(a_failing_status_and_a_short_certificate_are_both_told) {
    expiring_soon s;
    tls_server server(s.cert, "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n");
    auto r = run(https(server, s.cert, 72h));
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.message.starts_with("GET https://localhost:" + std::to_string(server.port()) +
                                     "/health: status 503, expected 200-399; certificate of "),
               r.message);
    BOOST_TEST(ends_telling_2_days_left(r.message, server, s.cert), r.message);
    // The handshake completed: the date is there though the check fails on its status.
    auto status_only = run(https(server, s.cert));
    BOOST_TEST(!status_only.ok);
    BOOST_TEST(not_after_of(status_only) == rfc3339_seconds(s.cert.not_after()));
}

BOOST_AUTO_TEST_CASE(tcp_with_tls_talks_over_tls_and_sends_sni) {
    expiring_soon s;
    tls_server server(s.cert, ok_reply);
    auto r = run(tcp_tls(server, s.cert));
    BOOST_TEST(r.ok, r.message);
    BOOST_TEST(server.last_sni() == "localhost");
    BOOST_TEST(server.last_request() == "PING\r\n\r\n");
    BOOST_TEST(not_after_of(r) == rfc3339_seconds(s.cert.not_after()));
    // An IP literal is verified against the certificate's IP names, and sends no SNI.
    auto by_ip = tcp_tls(server, s.cert);
    by_ip.host = "127.0.0.1";
    BOOST_TEST(run(by_ip).ok);
    BOOST_TEST(server.last_sni().empty());
}

BOOST_AUTO_TEST_CASE(tcp_with_tls_passes_with_1d_and_fails_with_3d) {
    expiring_soon s;
    tls_server server(s.cert, ok_reply);
    auto pass = run(tcp_tls(server, s.cert, 24h));
    BOOST_TEST(pass.ok, pass.message);
    auto fail = run(tcp_tls(server, s.cert, 72h));
    BOOST_TEST(!fail.ok);
    BOOST_TEST(fail.message.starts_with("certificate of "), fail.message);
    BOOST_TEST(ends_telling_2_days_left(fail.message, server, s.cert), fail.message);
    BOOST_TEST(not_after_of(fail) == rfc3339_seconds(s.cert.not_after()));
    // Just a handshake, nothing sent: the certificate is all there is to judge.
    auto bare = tcp_tls(server, s.cert, 72h);
    bare.send.reset();
    bare.expect.reset();
    auto handshake_only = run(bare);
    BOOST_TEST(handshake_only.message.starts_with("certificate of "), handshake_only.message);
    BOOST_TEST(ends_telling_2_days_left(handshake_only.message, server, s.cert),
               handshake_only.message);
}

BOOST_AUTO_TEST_CASE(tcp_with_tls_reports_the_certificate_when_the_reply_is_wrong) {
    expiring_soon s;
    tls_server server(s.cert, "-ERR\r\n");
    auto r = run(tcp_tls(server, s.cert));
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.message == peer(server) +
                                " closed the connection before sending '+OK'; got "
                                "'-ERR\\r\\n'",
               r.message);
    BOOST_TEST(not_after_of(r) == rfc3339_seconds(s.cert.not_after()));
}

BOOST_AUTO_TEST_CASE(tcp_with_tls_verifies_as_https_does) {
    temp_dir dir;
    self_signed other(dir.path(), {"other.example"});
    tls_server server(other, ok_reply);
    auto spec = tcp_tls(server, other);
    auto wrong_name = run(spec);
    BOOST_TEST(!wrong_name.ok);
    BOOST_TEST(wrong_name.message == "TLS handshake with " + peer(server) +
                                         ": certificate verify failed: hostname mismatch",
               wrong_name.message);
    // The handshake failed over the certificate the peer sent: its date is still told.
    BOOST_TEST(not_after_of(wrong_name) == rfc3339_seconds(other.not_after()));
    spec.tls.ca_file.reset();
    auto untrusted = run(spec);
    BOOST_TEST(untrusted.message.find("certificate verify failed: self-signed certificate") !=
                   std::string::npos,
               untrusted.message);
    spec.tls.verify = false;
    BOOST_TEST(run(spec).ok);
}

BOOST_AUTO_TEST_CASE(an_expired_certificate_fails_verification_first) {
    expired s;
    tls_server server(s.cert, ok_reply);
    for (auto r : {run(https(server, s.cert, 0s)), run(tcp_tls(server, s.cert, 0s))}) {
        BOOST_TEST(!r.ok);
        BOOST_TEST(r.message.ends_with("certificate verify failed: certificate has expired"),
                   r.message);
        // The entry says when it expired, as it says when a valid one will.
        BOOST_TEST(not_after_of(r) == rfc3339_seconds(s.cert.not_after()));
    }
}

BOOST_AUTO_TEST_CASE(with_tls_verify_false_an_expired_certificate_fails_on_its_expiry) {
    expired s;
    tls_server server(s.cert, ok_reply);
    auto h = https(server, s.cert, 14 * 24h);
    h.tls.verify = false;
    auto t = tcp_tls(server, s.cert, 0s);
    t.tls.verify = false;
    for (auto r : {run(h), run(t)}) {
        BOOST_TEST(!r.ok);
        BOOST_TEST(r.message == "certificate of " + peer(server) + " expired 1d 0h ago (" +
                                    rfc3339_seconds(s.cert.not_after()) + ")",
                   r.message);
        BOOST_TEST(not_after_of(r) == rfc3339_seconds(s.cert.not_after()));
    }
    // Without min_cert_validity, tls_verify false asks for no judgement of the certificate.
    t.min_cert_validity.reset();
    auto relaxed = run(t);
    BOOST_TEST(relaxed.ok, relaxed.message);
    BOOST_TEST(not_after_of(relaxed) == rfc3339_seconds(s.cert.not_after()));
}

BOOST_AUTO_TEST_CASE(a_tcp_tls_peer_that_never_handshakes_times_out) {
    silent_listener silent;
    tcp_spec spec;
    spec.host = "127.0.0.1";
    spec.port = silent.port();
    spec.use_tls = true;
    spec.tls.verify = false;
    auto t = run_once(make_check(spec, 300ms));
    BOOST_TEST(t.result.message == "timed out after 300ms in the TLS handshake with 127.0.0.1:" +
                                       std::to_string(silent.port()),
               t.result.message);
    // A run that waited for the peer would take until run_once's cap of 20 s.
    BOOST_TEST(t.took < 5s);
}

BOOST_AUTO_TEST_CASE(a_plain_tcp_check_reports_no_certificate) {
    expiring_soon s;
    tls_server server(s.cert, ok_reply);
    tcp_spec plain;
    plain.host = "127.0.0.1";
    plain.port = server.port();
    auto r = run(plain);
    BOOST_TEST(r.ok, r.message);
    BOOST_TEST(!r.facts.contains("cert_not_after"));
}
