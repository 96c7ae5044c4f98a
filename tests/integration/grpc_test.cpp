#define BOOST_TEST_MODULE grpc
#include <boost/test/unit_test.hpp>

#include "child.hpp"
#include "grpc_server.hpp"
#include "heartbeat/checks/grpc/run.hpp"
#include "loopback.hpp"
#include "procfs.hpp"
#include "run_check.hpp"
#include "skip.hpp"
#include "tls.hpp"

using namespace heartbeat;
using namespace heartbeat::test;
using namespace std::chrono_literals;

namespace {

timed_result run(grpc_spec spec, duration timeout = 2s) {
    return run_once(make_check(std::move(spec), timeout));
}

grpc_spec call(std::string host, std::uint16_t port, std::string service = "") {
    grpc_spec s;
    s.host = std::move(host);
    s.port = port;
    s.service = std::move(service);
    return s;
}

std::string at(std::uint16_t port) {
    return "127.0.0.1:" + std::to_string(port);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(against_python_grpcio, *skip_if(grpc_server_missing))

BOOST_AUTO_TEST_CASE(serving_passes_and_not_serving_fails_with_its_name) {
    grpc_health_server server({"=SERVING", "up=SERVING", "down=NOT_SERVING"});
    auto overall = run(call("127.0.0.1", server.port));
    BOOST_TEST(overall.result.ok, overall.result.message);
    BOOST_TEST(overall.result.message == "ok");
    BOOST_TEST(overall.result.facts.at("serving_status").as_string() == "SERVING");
    BOOST_TEST(overall.result.facts.at("grpc_status").as_int64() == 0);
    auto up = run(call("localhost", server.port, "up"));
    BOOST_TEST(up.result.ok, up.result.message);

    auto down = run(call("127.0.0.1", server.port, "down"));
    BOOST_TEST(!down.result.ok);
    BOOST_TEST(down.result.message == at(server.port) + " service 'down': NOT_SERVING");
    BOOST_TEST(down.result.facts.at("serving_status").as_string() == "NOT_SERVING");
}

BOOST_AUTO_TEST_CASE(an_unknown_service_fails_with_the_grpc_status_and_message) {
    grpc_health_server server({"=SERVING"});
    auto t = run(call("127.0.0.1", server.port, "nope"));
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message ==
               at(server.port) + " service 'nope': grpc-status 5 NOT_FOUND: unknown service nope");
    BOOST_TEST(t.result.facts.at("grpc_status").as_int64() == 5);
    BOOST_TEST(!t.result.facts.contains("serving_status"));
}

BOOST_AUTO_TEST_CASE(over_tls_with_a_ca_file_and_when_verification_fails) {
    temp_dir dir;
    self_signed cert(dir.path(), {"localhost", "127.0.0.1"});
    grpc_health_server server({"=SERVING"}, cert.cert_file, cert.key_file);
    auto spec = call("localhost", server.port);
    spec.tls = true;
    spec.tls_options.ca_file = cert.cert_file;
    auto trusted = run(spec);
    BOOST_TEST(trusted.result.ok, trusted.result.message);
    BOOST_TEST(trusted.result.facts.at("serving_status").as_string() == "SERVING");

    auto untrusted = call("localhost", server.port);
    untrusted.tls = true;
    auto t = run(untrusted);
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message.starts_with(
                   "TLS handshake with localhost:" + std::to_string(server.port) + ": "),
               t.result.message);
    BOOST_TEST(t.result.message.find("certificate verify failed: self-signed certificate") !=
                   std::string::npos,
               t.result.message);
    untrusted.tls_options.verify = false;
    auto relaxed = run(untrusted);
    BOOST_TEST(relaxed.result.ok, relaxed.result.message);
}

// A TLS call reports when the server's certificate expires, and min_cert_validity judges it.
BOOST_AUTO_TEST_CASE(a_certificate_that_expires_in_2_days_is_reported_and_judged) {
    temp_dir dir;
    self_signed cert(dir.path(), {"localhost"}, std::chrono::hours(-1), std::chrono::hours(48));
    grpc_health_server server({"=SERVING"}, cert.cert_file, cert.key_file);
    auto spec = call("localhost", server.port);
    spec.tls = true;
    spec.tls_options.ca_file = cert.cert_file;
    spec.min_cert_validity = std::chrono::days(1);
    auto enough = run(spec);
    BOOST_TEST(enough.result.ok, enough.result.message);
    BOOST_TEST_REQUIRE(enough.result.facts.contains("cert_not_after"));
    BOOST_TEST(enough.result.facts.at("cert_not_after").as_string().ends_with("Z"));

    spec.min_cert_validity = std::chrono::days(3);
    auto soon = run(spec);
    BOOST_TEST(!soon.result.ok);
    BOOST_TEST(soon.result.message.starts_with(
                   "certificate of localhost:" + std::to_string(server.port) + " expires in "),
               soon.result.message);
    BOOST_TEST(soon.result.message.ends_with("less than min_cert_validity 3d"),
               soon.result.message);
    BOOST_TEST(soon.result.facts.contains("cert_not_after"));
}

BOOST_AUTO_TEST_CASE(a_certificate_for_another_name_fails_verification) {
    temp_dir dir;
    self_signed cert(dir.path(), {"other.example"});
    grpc_health_server server({"=SERVING"}, cert.cert_file, cert.key_file);
    auto spec = call("localhost", server.port);
    spec.tls = true;
    spec.tls_options.ca_file = cert.cert_file;
    auto t = run(spec);
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(
        t.result.message.find("certificate verify failed: hostname mismatch") != std::string::npos,
        t.result.message);
}

BOOST_AUTO_TEST_CASE(plaintext_to_a_tls_server_fails_without_waiting_for_the_timeout) {
    temp_dir dir;
    self_signed cert(dir.path(), {"localhost"});
    grpc_health_server server({"=SERVING"}, cert.cert_file, cert.key_file);
    auto t = run(call("127.0.0.1", server.port), 5s);
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(!t.result.message.starts_with("timed out"), t.result.message);
    BOOST_TEST(t.took < 4s);
}

BOOST_AUTO_TEST_CASE(runs_give_back_every_descriptor) {
    grpc_health_server server({"=SERVING"});
    auto spec = call("127.0.0.1", server.port);
    BOOST_TEST_REQUIRE(run(spec).result.ok);  // the first run's one-time allocations are done
    int before = open_fds();
    for (int i = 0; i < 5; ++i) BOOST_TEST(run(spec).result.ok);
    auto missing = call("127.0.0.1", server.port, "nope");
    BOOST_TEST(!run(missing).result.ok);
    BOOST_TEST(open_fds() == before);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(a_port_that_refuses) {
    auto port = refused_port();
    auto t = run(call("127.0.0.1", port));
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message == "connect " + at(port) + ": connection refused");
}

BOOST_AUTO_TEST_CASE(a_listener_that_never_answers_fails_at_the_timeout) {
    silent_listener silent;
    auto t = run(call("127.0.0.1", silent.port(), "db"), 300ms);
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message == "timed out after 300ms waiting for the answer of " +
                                       at(silent.port()) + " service 'db'");
    BOOST_TEST(t.took < 600ms);
    auto tls = call("127.0.0.1", silent.port());
    tls.tls = true;
    tls.tls_options.verify = false;
    t = run(tls, 300ms);
    BOOST_TEST(t.result.message ==
               "timed out after 300ms in the TLS handshake with " + at(silent.port()));
    BOOST_TEST(t.took < 600ms);
}

BOOST_AUTO_TEST_CASE(an_http_1_server_is_an_http_2_error) {
    scripted_server http1([](int fd) {
        read_until(fd, "\r\n\r\n", 2000);
        write_all(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    auto t = run(call("127.0.0.1", http1.port()));
    BOOST_TEST(!t.result.ok);
    BOOST_TEST(t.result.message.starts_with("HTTP/2 with " + at(http1.port())), t.result.message);
}
