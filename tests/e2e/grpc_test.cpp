#define BOOST_TEST_MODULE e2e_grpc
#include <boost/test/unit_test.hpp>

#include "grpc_server.hpp"
#include "heartbeatd.hpp"
#include "skip.hpp"
#include "tls.hpp"

using namespace heartbeat::test;

BOOST_AUTO_TEST_CASE(grpc_checks_answer_probes_with_their_entries, *skip_if(grpc_server_missing)) {
    temp_dir dir;
    self_signed cert(dir.path(), {"localhost"});
    grpc_health_server plain({"=SERVING", "down=NOT_SERVING"});
    grpc_health_server secure({"=SERVING"}, cert.cert_file, cert.key_file);
    heartbeatd d(
        "checks:\n"
        "  - {name: api, type: grpc, host: 127.0.0.1, port: " +
        std::to_string(plain.port) +
        ", probes: [readiness]}\n"
        "  - {name: api-tls, type: grpc, host: localhost, tls: true, ca_file: " +
        cert.cert_file + ", port: " + std::to_string(secure.port) +
        ", probes: [readiness]}\n"
        "  - {name: down, type: grpc, host: 127.0.0.1, service: down, port: " +
        std::to_string(plain.port) + ", probes: [startup]}\n");

    auto ready = d.get(base + "/readiness");
    BOOST_TEST(ready.status == 200, ready.body);
    auto checks = body_of(ready).at("checks").as_object();
    BOOST_TEST(checks.at("api").at("message").as_string() == "ok");
    BOOST_TEST(checks.at("api").at("serving_status").as_string() == "SERVING");
    BOOST_TEST(checks.at("api").at("grpc_status").as_int64() == 0);
    BOOST_TEST(checks.at("api-tls").at("status").as_bool(), ready.body);

    auto startup = d.get(base + "/startup");
    BOOST_TEST(startup.status == 500, startup.body);
    auto down = body_of(startup).at("checks").at("down");
    BOOST_TEST(down.at("status").as_bool() == false);
    BOOST_TEST(down.at("serving_status").as_string() == "NOT_SERVING");
    BOOST_TEST(down.at("message").as_string() ==
               "127.0.0.1:" + std::to_string(plain.port) + " service 'down': NOT_SERVING");
}
