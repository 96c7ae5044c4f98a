#define BOOST_TEST_MODULE tls
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>

#include "child.hpp"
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/net/tls.hpp"
#include "heartbeat/scheduler.hpp"
#include "tls.hpp"

using namespace heartbeat;
using namespace heartbeat::test;

namespace {

const http_spec& http_of(const entry_ptr& e) {
    return std::get<http_spec>(e->cfg.spec);
}

std::string https_checks(const std::string& ca_file, const std::string& changed_body) {
    return "checks:\n"
           "  - name: kept\n"
           "    type: http\n"
           "    url: https://localhost:8443/\n"
           "    ca_file: " +
           ca_file +
           "\n"
           "  - name: changed\n"
           "    type: http\n"
           "    url: https://localhost:8444/\n"
           "    expect_body: " +
           changed_body +
           "\n"
           "    ca_file: " +
           ca_file + "\n";
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_definition_builds_its_context_once) {
    temp_dir dir;
    self_signed cert(dir.path(), {"localhost"});
    tls_slot slot;
    auto first = slot.get(true, cert.cert_file);
    BOOST_TEST_REQUIRE(first.context != nullptr, first.error);
    // The CA file is not read again: gone, it still makes no difference.
    std::filesystem::remove(cert.cert_file);
    auto second = slot.get(true, cert.cert_file);
    BOOST_TEST(second.error.empty());
    BOOST_TEST(second.context == first.context);
}

BOOST_AUTO_TEST_CASE(an_unloadable_ca_file_fails_each_time_until_it_can_be_read) {
    temp_dir dir;
    std::string ca = dir.path() + "/ca.pem";
    tls_slot slot;
    auto missing = slot.get(true, ca);
    BOOST_TEST(!missing.context);
    BOOST_TEST(missing.error.starts_with("cannot load CA certificates from " + ca + ": "),
               missing.error);
    BOOST_TEST(slot.get(true, ca).error == missing.error);
    // A failure is not kept: once the file is there, the next run reads it.
    self_signed cert(dir.path(), {"localhost"});
    std::filesystem::rename(cert.cert_file, ca);
    auto found = slot.get(true, ca);
    BOOST_TEST(found.context != nullptr, found.error);
    auto not_a_certificate = make_tls_client(true, dir.write("junk.pem", "not a certificate\n"));
    BOOST_TEST(!not_a_certificate.context);
    BOOST_TEST(not_a_certificate.error.starts_with("cannot load CA certificates from " +
                                                   dir.path() + "/junk.pem: "),
               not_a_certificate.error);
}

BOOST_AUTO_TEST_CASE(other_settings_get_another_context) {
    temp_dir dir;
    self_signed cert(dir.path(), {"localhost"});
    tls_slot slot;
    auto verified = slot.get(true, cert.cert_file);
    auto system_cas = slot.get(true, std::nullopt);
    auto unverified = slot.get(false, std::string("/nonexistent/ca.pem"));
    BOOST_TEST_REQUIRE(verified.context != nullptr);
    BOOST_TEST_REQUIRE(unverified.context != nullptr, unverified.error);
    BOOST_TEST(system_cas.context != verified.context);
    BOOST_TEST(unverified.context != verified.context);
    // Without verification the CA file is never read.
    BOOST_TEST(unverified.error.empty());
}

BOOST_AUTO_TEST_CASE(copies_share_the_context_and_each_parse_makes_a_new_one) {
    auto loaded = parse_config(https_checks("/etc/ca.pem", "a"), "/etc/heartbeat.yaml");
    BOOST_TEST_REQUIRE(loaded.ok());
    const auto& spec = std::get<http_spec>(loaded.cfg->checks[0].spec);
    BOOST_TEST_REQUIRE(spec.tls.slot != nullptr);
    auto copy = loaded.cfg->checks[0];
    BOOST_TEST(std::get<http_spec>(copy.spec).tls.slot == spec.tls.slot);
    auto again = parse_config(https_checks("/etc/ca.pem", "a"), "/etc/heartbeat.yaml");
    BOOST_TEST(std::get<http_spec>(again.cfg->checks[0].spec).tls.slot != spec.tls.slot);
    BOOST_TEST(std::get<http_spec>(loaded.cfg->checks[1].spec).tls.slot != spec.tls.slot);
}

BOOST_AUTO_TEST_CASE(a_reload_gives_every_check_the_context_its_load_made) {
    // So a CA file replaced on disk (a rotated bundle) is read at the next reload; an unchanged
    // check keeps its state all the same.
    net::io_context ioc;  // never run: apply() only plans which entries stay
    scheduler sched(
        ioc.get_executor(),
        [](check_config) -> net::awaitable<check_result> { co_return success(); },
        schedule::mode::on_demand);
    auto before = parse_config(https_checks("/etc/ca.pem", "a"), "/etc/heartbeat.yaml");
    BOOST_TEST_REQUIRE(before.ok());
    sched.apply(before.cfg->checks);
    auto kept = sched.find("kept");
    auto changed = sched.find("changed");
    auto after = parse_config(https_checks("/etc/ca.pem", "b"), "/etc/heartbeat.yaml");
    BOOST_TEST_REQUIRE(after.ok());
    sched.apply(after.cfg->checks);
    BOOST_TEST(sched.find("kept") == kept);  // the same entry: state and history kept
    BOOST_TEST(sched.find("changed") != changed);
    for (std::size_t i = 0; i < 2; ++i) {
        const auto& name = after.cfg->checks[i].name;
        BOOST_TEST(http_of(sched.find(name)).tls.slot ==
                       std::get<http_spec>(after.cfg->checks[i].spec).tls.slot,
                   name);
    }
}

BOOST_AUTO_TEST_CASE(the_loader_builds_every_https_context_before_any_run) {
    temp_dir dir;
    self_signed cert(dir.path(), {"localhost"});
    auto r = parse_config(https_checks(cert.cert_file, "a"), dir.path() + "/heartbeat.yaml");
    BOOST_TEST_REQUIRE(r.ok());
    prepare_checks(*r.cfg);
    // The CA file is gone before the first run: the contexts were made from it at load.
    std::filesystem::remove(cert.cert_file);
    for (const auto& c : r.cfg->checks) {
        const auto& h = std::get<http_spec>(c.spec);
        auto got = h.tls.client();
        BOOST_TEST(got.context != nullptr, c.name << ": " << got.error);
    }
}
