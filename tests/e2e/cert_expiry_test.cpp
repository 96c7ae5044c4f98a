#define BOOST_TEST_MODULE e2e_cert_expiry
// Through the built daemon: a tcp check with TLS and an https check against a TLS server whose
// certificate expires in 2 days; their entries carry cert_not_after and the expiry verdict.
#include <boost/test/unit_test.hpp>

#include "heartbeat/net/tls.hpp"
#include "heartbeatd.hpp"
#include "tls.hpp"

using namespace heartbeat;
using namespace heartbeat::test;
using namespace std::chrono_literals;

namespace {

std::string config(std::uint16_t port, const std::string& ca_file) {
    const std::string p = std::to_string(port);
    return "checks:\n"
           "  - name: db-tls\n"
           "    type: tcp\n"
           "    host: localhost\n"
           "    port: " +
           p +
           "\n"
           "    tls: true\n"
           "    ca_file: " +
           ca_file +
           "\n"
           "    min_cert_validity: 1d\n"
           "    interval: 0\n"
           "  - name: api\n"
           "    type: http\n"
           "    url: https://localhost:" +
           p +
           "/health\n"
           "    ca_file: " +
           ca_file +
           "\n"
           "    min_cert_validity: 3d\n"
           "    interval: 0\n";
}

}  // namespace

BOOST_AUTO_TEST_CASE(entries_carry_cert_not_after_and_a_short_certificate_fails_readiness) {
    temp_dir certs;
    self_signed cert(certs.path(), {"localhost"}, -1h, std::chrono::hours(48));
    tls_server server(cert, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    const std::string expected = rfc3339_seconds(cert.not_after());

    heartbeatd d(config(server.port(), cert.cert_file));
    auto valid = run({HEARTBEAT_BINARY, "validate", "--config", d.config_path});
    BOOST_TEST(valid.code == 0, valid.out << valid.err);
    BOOST_TEST(valid.out == "ok: 2 checks\n", valid.out);

    // On-demand checks: the answer waits for their first runs.
    auto r = d.get(base + "/readiness");
    BOOST_TEST(r.status == 500, r.body);
    auto checks = body_of(r).at("checks").as_object();
    const auto& db = checks.at("db-tls").as_object();
    BOOST_TEST(db.at("status").as_bool(), r.body);
    BOOST_TEST(db.at("cert_not_after").as_string() == expected, r.body);
    const auto& api = checks.at("api").as_object();
    BOOST_TEST(!api.at("status").as_bool(), r.body);
    BOOST_TEST(api.at("cert_not_after").as_string() == expected, r.body);
    BOOST_TEST(api.at("status_code").as_int64() == 200, r.body);
    std::string message(api.at("message").as_string());
    BOOST_TEST(message.starts_with("certificate of localhost:" + std::to_string(server.port()) +
                                   " expires in "),
               message);
    BOOST_TEST(message.ends_with(" (" + expected + "), less than min_cert_validity 3d"), message);

    auto one = d.get(base + "/readiness/db-tls");
    BOOST_TEST(one.status == 200, one.body);
}
