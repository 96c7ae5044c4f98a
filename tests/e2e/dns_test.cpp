#define BOOST_TEST_MODULE e2e_dns
// dns checks through the built daemon, asking the test's dnsmasq on loopback.
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "dnsmasq.hpp"
#include "heartbeatd.hpp"
#include "skip.hpp"

using namespace heartbeat::test;
namespace json = boost::json;

BOOST_AUTO_TEST_CASE(
    a_dns_check_answers_readiness_with_its_answers_and_fails_liveliness_on_nxdomain,
    *skip_if(no_dnsmasq)) {
    dnsmasq dns({"--host-record=web.test,127.0.0.5", "--host-record=web.test,127.0.0.6",
                 "--mx-host=mx.test,mail.test,10"});
    auto server = "127.0.0.1:" + std::to_string(dns.port());
    heartbeatd d(
        "checks:\n"
        "  - name: web\n    type: dns\n    query: web.test\n    server: " +
        server +
        "\n    expect: [127.0.0.6]\n"
        "  - name: mail\n    type: dns\n    query: mx.test\n    record: mx\n"
        "    server: " +
        server +
        "\n    expect: [mail.test]\n"
        "  - name: gone\n    type: dns\n    query: gone.test\n    server: " +
        server + "\n    probes: [liveliness]\n");

    auto ready = d.get(base + "/readiness");
    BOOST_TEST(ready.status == 200, ready.body);
    auto checks = body_of(ready).at("checks").as_object();
    BOOST_TEST(checks.at("web").at("status").as_bool());
    // In the server's order, which dnsmasq varies.
    auto web = checks.at("web").at("answers").as_array();
    BOOST_TEST(web.size() == 2u);
    for (const char* address : {"127.0.0.5", "127.0.0.6"})
        BOOST_TEST((std::find(web.begin(), web.end(), json::value(address)) != web.end()), address);
    BOOST_TEST(checks.at("mail").at("answers") == json::array{"10 mail.test"});

    auto live = d.get(base + "/liveliness");
    BOOST_TEST(live.status == 500, live.body);
    auto gone = body_of(live).at("checks").at("gone").as_object();
    BOOST_TEST(gone.at("message").as_string() == "no such name: gone.test");
    BOOST_TEST(!gone.contains("answers"));
}
