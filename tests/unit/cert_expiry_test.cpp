#define BOOST_TEST_MODULE cert_expiry
// The `d` unit of durations, the TLS keys of tcp checks and `min_cert_validity` as the loader reads
// them, and the pure functions behind `cert_not_after` and the certificate expiry verdict.
#include <boost/test/unit_test.hpp>

#include <openssl/asn1.h>

#include "heartbeat/check.hpp"
#include "heartbeat/checks/tls_keys.hpp"
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/config.hpp"
#include "heartbeat/net/tls.hpp"

using namespace heartbeat;
using namespace std::chrono;
using namespace std::chrono_literals;

namespace {

load_result parse(const std::string& text) {
    return parse_config(text, "test.yaml");
}

/** Every diagnostic as `validate` prints it, one per line. */
std::string printed(const load_result& r) {
    std::string out;
    for (const auto& d : r.diagnostics) out += d.format("test.yaml") + "\n";
    return out;
}

const tcp_spec& tcp_of(const load_result& r) {
    return std::get<tcp_spec>(r.cfg->checks.at(0).spec);
}

/** An ASN.1 time as a certificate writes it: UTCTime (`YYMMDDhhmmssZ`) or GeneralizedTime. */
std::optional<sys_seconds> asn1(const char* text) {
    ASN1_TIME* t = ASN1_TIME_new();
    std::optional<sys_seconds> out;
    if (ASN1_TIME_set_string(t, text) == 1) out = asn1_time_point(t);
    ASN1_TIME_free(t);
    return out;
}

/** 2026-12-01T10:00:00Z, the notAfter of the examples below. */
const sys_seconds not_after = sys_days(2026y / December / 1) + 10h;

}  // namespace

BOOST_AUTO_TEST_CASE(durations_take_days) {
    BOOST_TEST(parse_duration("14d").value() == days(14));
    BOOST_TEST(parse_duration("1.5d").value() == 36h);
    BOOST_TEST(parse_duration(" 2d ").value() == days(2));
    BOOST_TEST(parse_duration("366d").value() == days(366));
    BOOST_TEST(!parse_duration("367d"), "past a year is a typo");
    BOOST_TEST(!parse_duration("1 d"));
    BOOST_TEST(!parse_duration("1dd"));
    BOOST_TEST(!parse_duration("-1d"));
    BOOST_TEST(format_duration(days(14)) == "14d");
    BOOST_TEST(format_duration(24h) == "1d");
    BOOST_TEST(format_duration(36h) == "36h");
    BOOST_TEST(format_duration(90min) == "90m");
}

BOOST_AUTO_TEST_CASE(a_span_is_shown_in_its_two_largest_units) {
    BOOST_TEST(format_span(days(1) + 23h + 59min + 59s) == "1d 23h");
    BOOST_TEST(format_span(days(14)) == "14d 0h");
    BOOST_TEST(format_span(5h + 3min + 20s) == "5h 3m");
    BOOST_TEST(format_span(3min) == "3m 0s");
    BOOST_TEST(format_span(42s) == "42s");
    BOOST_TEST(format_span(0s) == "0s");
    BOOST_TEST(format_span(-(days(2) + 1h)) == "2d 1h");
    // Far past what nanoseconds count: a certificate that "never" expires.
    BOOST_TEST(format_span(days(2'900'000)) == "2900000d 0h");
}

BOOST_AUTO_TEST_CASE(a_bad_duration_names_the_units_with_days) {
    auto r = parse("checks:\n  - {name: db, type: tcp, host: h, port: 1, timeout: 2w}\n");
    BOOST_TEST(printed(r) ==
                   "test.yaml:2:54: bad duration '2w' for 'timeout': write a number with a unit "
                   "ms, s, m, h or d, such as 500ms, 1.5s, 2m or 14d, at most 366d\n",
               printed(r));
    r = parse("checks:\n  - {name: db, type: tcp, host: h, port: 1, interval: 1d}\n");
    BOOST_TEST_REQUIRE(r.cfg.has_value(), printed(r));
    BOOST_TEST(r.cfg->checks.at(0).interval == days(1));
}

BOOST_AUTO_TEST_CASE(a_tcp_check_speaks_plain_tcp_unless_told) {
    auto r = parse("checks:\n  - {name: db, type: tcp, host: h, port: 1}\n");
    BOOST_TEST_REQUIRE(r.cfg.has_value(), printed(r));
    const auto& t = tcp_of(r);
    BOOST_TEST(!t.use_tls);
    BOOST_TEST(t.tls.verify);
    BOOST_TEST(!t.tls.ca_file);
    BOOST_TEST(!t.min_cert_validity);
}

BOOST_AUTO_TEST_CASE(a_tcp_check_with_tls_takes_the_tls_keys) {
    auto r = parse(
        "checks:\n"
        "  - name: db\n"
        "    type: tcp\n"
        "    host: db.example\n"
        "    port: 5432\n"
        "    tls: true\n"
        "    tls_verify: false\n"
        "    ca_file: /etc/ca.pem\n"
        "    min_cert_validity: 14d\n");
    BOOST_TEST_REQUIRE(r.cfg.has_value(), printed(r));
    const auto& t = tcp_of(r);
    BOOST_TEST(t.use_tls);
    BOOST_TEST(!t.tls.verify);
    BOOST_TEST(t.tls.ca_file.value() == "/etc/ca.pem");
    BOOST_TEST(t.min_cert_validity.value() == days(14));
    // 0 is a setting of its own: fail only an expired certificate.
    r = parse(
        "checks:\n  - {name: db, type: tcp, host: h, port: 1, tls: true, "
        "min_cert_validity: 0}\n");
    BOOST_TEST_REQUIRE(r.cfg.has_value(), printed(r));
    BOOST_TEST(tcp_of(r).min_cert_validity.value() == 0s);
}

BOOST_AUTO_TEST_CASE(tls_keys_without_tls_on_tcp_are_refused_where_they_stand) {
    auto r = parse(
        "checks:\n"
        "  - name: db\n"
        "    type: tcp\n"
        "    host: h\n"
        "    port: 1\n"
        "    tls_verify: false\n"
        "    ca_file: /etc/ca.pem\n"
        "    min_cert_validity: 14d\n");
    BOOST_TEST(!r.cfg);
    BOOST_TEST(printed(r) ==
                   "test.yaml:6:17: 'tls_verify' in check 'db' needs tls: true: without TLS there "
                   "is no certificate to check\n"
                   "test.yaml:7:14: 'ca_file' in check 'db' needs tls: true: without TLS there is "
                   "no certificate to check\n"
                   "test.yaml:8:24: 'min_cert_validity' in check 'db' needs tls: true: without "
                   "TLS there is no certificate to check\n",
               printed(r));
    r = parse("checks:\n  - {name: db, type: tcp, host: h, port: 1, tls: false, ca_file: x}\n");
    BOOST_TEST(printed(r) ==
                   "test.yaml:2:66: 'ca_file' in check 'db' needs tls: true: without TLS there is "
                   "no certificate to check\n",
               printed(r));
}

BOOST_AUTO_TEST_CASE(a_tls_that_is_no_boolean_is_told_once) {
    auto r = parse(
        "checks:\n  - {name: db, type: tcp, host: h, port: 1, tls: maybe, "
        "tls_verify: false}\n");
    BOOST_TEST(printed(r) == "test.yaml:2:50: 'tls' must be true or false, got 'maybe'\n",
               printed(r));
}

BOOST_AUTO_TEST_CASE(min_cert_validity_is_a_duration_and_close_misspellings_are_named) {
    auto r = parse(
        "checks:\n  - {name: db, type: tcp, host: h, port: 1, tls: true, "
        "min_cert_validity: 2 weeks}\n");
    BOOST_TEST(printed(r).starts_with("test.yaml:2:75: bad duration '2 weeks' for "
                                      "'min_cert_validity': "),
               printed(r));
    r = parse(
        "checks:\n  - {name: db, type: tcp, host: h, port: 1, tls: true, "
        "min_cert_valdity: 14d}\n");
    BOOST_TEST(printed(r).find("unknown key 'min_cert_valdity' in check 'db' (did you mean "
                               "'min_cert_validity'?)") != std::string::npos,
               printed(r));
    // `tls` is a tcp key: an http check says https:// instead.
    r = parse("checks:\n  - {name: web, type: http, url: 'https://h/', tls: true}\n");
    BOOST_TEST(!r.cfg);
    BOOST_TEST(printed(r).find("'tls'") != std::string::npos, printed(r));
}

BOOST_AUTO_TEST_CASE(min_cert_validity_on_http_needs_an_https_url) {
    auto r = parse(
        "checks:\n  - {name: web, type: http, url: 'https://h/', min_cert_validity: "
        "1.5d}\n");
    BOOST_TEST_REQUIRE(r.cfg.has_value(), printed(r));
    BOOST_TEST(std::get<http_spec>(r.cfg->checks.at(0).spec).min_cert_validity.value() == 36h);
    r = parse("checks:\n  - {name: web, type: http, url: 'http://h/', min_cert_validity: 14d}\n");
    BOOST_TEST(!r.cfg);
    BOOST_TEST(printed(r) ==
                   "test.yaml:2:66: 'min_cert_validity' in check 'web' needs an "
                   "https:// url: without TLS there is no certificate to check\n",
               printed(r));
    // A url that is no url is told alone.
    r = parse("checks:\n  - {name: web, type: http, url: 'ftp://h/', min_cert_validity: 14d}\n");
    BOOST_TEST(printed(r).find("min_cert_validity") == std::string::npos, printed(r));
}

BOOST_AUTO_TEST_CASE(a_changed_tls_key_makes_another_tcp_check) {
    auto a = parse("checks:\n  - {name: db, type: tcp, host: h, port: 1, tls: true}\n");
    auto b = parse(
        "checks:\n  - {name: db, type: tcp, host: h, port: 1, tls: true, "
        "min_cert_validity: 1d}\n");
    auto c = parse("checks:\n  - {name: db, type: tcp, host: h, port: 1}\n");
    BOOST_TEST_REQUIRE((a.cfg && b.cfg && c.cfg));
    const auto& unit = tcp_spec::unit();
    BOOST_TEST(unit.same(a.cfg->checks[0].spec, a.cfg->checks[0].spec));
    BOOST_TEST(!unit.same(a.cfg->checks[0].spec, b.cfg->checks[0].spec));
    BOOST_TEST(!unit.same(a.cfg->checks[0].spec, c.cfg->checks[0].spec));
}

BOOST_AUTO_TEST_CASE(an_asn1_time_becomes_a_wall_clock_time_and_its_text) {
    BOOST_TEST((asn1("261201100000Z").value() == not_after));  // UTCTime
    BOOST_TEST((asn1("20261201100000Z").value() == not_after));
    BOOST_TEST(rfc3339_seconds(not_after) == "2026-12-01T10:00:00Z");
    BOOST_TEST(rfc3339_seconds(sys_seconds{}) == "1970-01-01T00:00:00Z");
    BOOST_TEST(rfc3339_seconds(asn1("20500101000000Z").value()) == "2050-01-01T00:00:00Z");
    // RFC 5280's "no well-defined expiration date", past what nanoseconds since 1970 can count.
    BOOST_TEST(rfc3339_seconds(asn1("99991231235959Z").value()) == "9999-12-31T23:59:59Z");
    BOOST_TEST(!asn1("20261301100000Z"), "month 13");
    BOOST_TEST(!asn1_time_point(nullptr), "null is not now");
}

BOOST_AUTO_TEST_CASE(the_expiry_verdict_says_when_and_how_long_is_left) {
    const auto now = system_clock::time_point(not_after - (days(1) + 23h + 30min));
    BOOST_TEST(cert_validity_failure("db.example:5432", not_after, now, days(14)) ==
               "certificate of db.example:5432 expires in 1d 23h (2026-12-01T10:00:00Z), less than "
               "min_cert_validity 14d");
    BOOST_TEST(cert_validity_failure("db.example:5432", not_after, now, days(1)) == "");
    // Exactly as long as asked is long enough; a second less is not.
    const auto two_days_before = system_clock::time_point(not_after - days(2));
    BOOST_TEST(cert_validity_failure("h:1", not_after, two_days_before, days(2)) == "");
    BOOST_TEST(cert_validity_failure("h:1", not_after, two_days_before + 1s, days(2)) != "");
    // Expired: said as such, whatever the minimum, 0 too.
    const auto later = system_clock::time_point(not_after + days(2) + 1h);
    BOOST_TEST(cert_validity_failure("h:1", not_after, later, 0s) ==
               "certificate of h:1 expired 2d 1h ago (2026-12-01T10:00:00Z)");
    BOOST_TEST(cert_validity_failure("h:1", not_after, system_clock::time_point(not_after), 0s) ==
               "certificate of h:1 expired 0s ago (2026-12-01T10:00:00Z)");
    BOOST_TEST(cert_validity_failure("h:1", not_after, two_days_before, 0s) == "");
}

BOOST_AUTO_TEST_CASE(a_handshake_reports_cert_not_after_and_joins_its_verdict) {
    const auto now = system_clock::time_point(not_after - days(2));
    auto passed = success();
    report_peer_certificate(passed, "h:1", not_after, std::nullopt, now);
    BOOST_TEST(passed.ok);
    BOOST_TEST(passed.message == "ok");
    BOOST_TEST(passed.facts.at("cert_not_after").as_string() == "2026-12-01T10:00:00Z");
    auto enough = success();
    report_peer_certificate(enough, "h:1", not_after, days(1), now);
    BOOST_TEST(enough.ok);
    auto too_short = success();
    report_peer_certificate(too_short, "h:1", not_after, days(3), now);
    BOOST_TEST(!too_short.ok);
    BOOST_TEST(too_short.message ==
               "certificate of h:1 expires in 2d 0h (2026-12-01T10:00:00Z), "
               "less than min_cert_validity 3d");
    BOOST_TEST(too_short.facts.at("cert_not_after").as_string() == "2026-12-01T10:00:00Z");
    // A check that failed already keeps its reason, and tells the certificate's after it.
    auto failed = failure("GET https://h/: status 503, expected 200-399");
    report_peer_certificate(failed, "h:1", not_after, days(3), now);
    BOOST_TEST(failed.message ==
               "GET https://h/: status 503, expected 200-399; certificate of h:1 "
               "expires in 2d 0h (2026-12-01T10:00:00Z), less than "
               "min_cert_validity 3d");
    // No readable date: nothing to show, and a minimum cannot be met.
    auto unknown = success();
    report_peer_certificate(unknown, "h:1", std::nullopt, std::nullopt, now);
    BOOST_TEST(unknown.ok);
    BOOST_TEST(!unknown.facts.contains("cert_not_after"));
    report_peer_certificate(unknown, "h:1", std::nullopt, days(1), now);
    BOOST_TEST(!unknown.ok);
    BOOST_TEST(unknown.message == "certificate of h:1 has no expiry date that can be read");
}
