#define BOOST_TEST_MODULE dns
// The dns check type's pure parts: its keys and their messages, the texts of answers and of
// `expect` items, and the verdict on a reply.
#include <boost/test/unit_test.hpp>

#include "heartbeat/checks/dns/run.hpp"
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/config.hpp"

using namespace heartbeat;
using namespace std::chrono_literals;

namespace {

load_result parse(const std::string& check_keys) {
    return parse_config("checks:\n  - name: d\n    type: dns\n" + check_keys, "test.yaml");
}

std::string printed(const load_result& r) {
    std::string out;
    for (auto& d : r.diagnostics) out += d.format("test.yaml") + "\n";
    return out;
}

dns_spec spec_of(const load_result& r) {
    BOOST_TEST_REQUIRE(r.cfg.has_value(), printed(r));
    return std::get<dns_spec>(r.cfg->checks.at(0).spec);
}

dns_reply reply(dns_status status, std::vector<std::string> servers = {"127.0.0.1:5353"}) {
    dns_reply r;
    r.status = status;
    r.servers = std::move(servers);
    return r;
}

dns_decoded decoded(std::vector<dns_answer> answers) {
    dns_decoded d;
    d.answers = std::move(answers);
    return d;
}

dns_spec spec(std::string query, dns_record record, std::vector<std::string> expect = {}) {
    dns_spec s;
    s.query = std::move(query);
    s.record = record;
    s.expect = std::move(expect);
    return s;
}

std::vector<std::string> answers_fact(const check_result& r) {
    std::vector<std::string> out;
    if (auto* a = r.facts.if_contains("answers"))
        for (const auto& v : a->as_array()) out.emplace_back(v.as_string());
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(keys)

BOOST_AUTO_TEST_CASE(defaults_are_an_a_record_from_the_systems_servers_with_no_expectation) {
    auto s = spec_of(parse("    query: db.svc.cluster.local\n"));
    BOOST_TEST(s.query == "db.svc.cluster.local");
    BOOST_TEST((s.record == dns_record::a));
    BOOST_TEST(!s.server.has_value());
    BOOST_TEST(s.expect.empty());
}

BOOST_AUTO_TEST_CASE(every_key_read_record_in_any_case) {
    auto s =
        spec_of(parse("    query: example.com.\n    record: mx\n    server: 10.0.0.2\n"
                      "    expect: ['10 mail.example.com', mx2.example.com]\n"));
    BOOST_TEST((s.record == dns_record::mx));
    BOOST_TEST_REQUIRE(s.server.has_value());
    BOOST_TEST(s.server->host == "10.0.0.2");
    BOOST_TEST(s.server->port == 53);
    BOOST_TEST(s.expect == (std::vector<std::string>{"10 mail.example.com", "mx2.example.com"}));
    BOOST_TEST(
        (spec_of(parse("    query: x.test\n    record: Aaaa\n")).record == dns_record::aaaa));
    // One item alone is a list of one.
    BOOST_TEST(spec_of(parse("    query: x.test\n    expect: 10.0.0.1\n")).expect.size() == 1u);
}

BOOST_AUTO_TEST_CASE(server_takes_host_port_and_ipv6_in_brackets) {
    std::string why;
    auto named = parse_dns_server("dns.internal:5353", why);
    BOOST_TEST_REQUIRE(named.has_value());
    BOOST_TEST(named->host == "dns.internal");
    BOOST_TEST(named->port == 5353);
    auto v6 = parse_dns_server("[::1]:5353", why);
    BOOST_TEST_REQUIRE(v6.has_value());
    BOOST_TEST(v6->host == "::1");
    BOOST_TEST(v6->port == 5353);
    auto bare6 = parse_dns_server("fd00::53", why);
    BOOST_TEST_REQUIRE(bare6.has_value());
    BOOST_TEST(bare6->host == "fd00::53");
    BOOST_TEST(bare6->port == 53);
    BOOST_TEST(parse_dns_server("[::1]", why)->port == 53);
    for (auto bad : {"::1:99999", "[::1", "[::1]x", "[dns]:53", ":53", "host:0", "host:65536",
                     "host:", "a..b:53", "[::1]:x"}) {
        std::string reason;
        BOOST_TEST(!parse_dns_server(bad, reason).has_value(), bad);
        BOOST_TEST(!reason.empty(), bad);
    }
}

BOOST_AUTO_TEST_CASE(each_problem_is_reported_at_its_place) {
    auto r = parse(
        "    query: a..b\n    record: MXX\n    server: '[::1]53'\n"
        "    expect: []\n");
    BOOST_TEST(printed(r) ==
               "test.yaml:4:12: 'query' 'a..b' is not a DNS name: it has an empty label (two "
               "dots in a row, or a leading dot)\n"
               "test.yaml:5:13: 'record' must be A, AAAA, CNAME, SRV, TXT or MX, got 'MXX' (did "
               "you mean 'MX'?)\n"
               "test.yaml:6:13: 'server' must be host[:port] ([::1]:53 for IPv6): '[::1]53' has "
               "something other than ':PORT' after ']'\n"
               "test.yaml:7:13: 'expect' is empty: list the answers that must be given, or "
               "leave it out to accept any\n");
    r = parse("    record: txt\n");
    BOOST_TEST(printed(r) ==
               "test.yaml:2:5: missing required key 'query' in check 'd' (dns check)\n");
    r = parse("    query: x.test\n    record: srv\n    server: 'h:70000'\n");
    BOOST_TEST(printed(r) ==
               "test.yaml:6:13: 'server' must be host[:port] ([::1]:53 for IPv6): "
               "'h:70000' has a port outside 1-65535\n");
    r = parse("    query: x.test\n    record: SVR\n");
    BOOST_TEST(printed(r).find("(did you mean 'SRV'?)") != std::string::npos, printed(r));
    r = parse("    query: x.test\n    port: 53\n");
    BOOST_TEST(printed(r).find("test.yaml:5:5: ") == 0u, printed(r));
}

BOOST_AUTO_TEST_CASE(expect_items_are_checked_against_the_record_type_at_their_place) {
    auto r = parse(
        "    query: x.test\n    expect:\n      - 10.0.0.1\n      - 10.0.0.300\n"
        "      - '::1'\n");
    BOOST_TEST(printed(r) ==
               "test.yaml:7:9: 'expect' item '10.0.0.300' is not an IPv4 address (record A)\n"
               "test.yaml:8:9: 'expect' item '::1' is not an IPv4 address (record A)\n");
    r = parse("    query: x.test\n    record: AAAA\n    expect: [10.0.0.1]\n");
    BOOST_TEST(printed(r) ==
               "test.yaml:6:14: 'expect' item '10.0.0.1' is not an IPv6 address (record AAAA)\n");
    r = parse(
        "    query: x.test\n    record: MX\n    expect: ['mail', '10 mail', 'x mail', "
        "'10 a b']\n");
    BOOST_TEST(printed(r) ==
               "test.yaml:6:33: 'expect' item 'x mail' is neither 'PREFERENCE EXCHANGE' nor "
               "'EXCHANGE' (as in '10 mail.example.com') (record MX)\n"
               "test.yaml:6:43: 'expect' item '10 a b' is neither 'PREFERENCE EXCHANGE' nor "
               "'EXCHANGE' (as in '10 mail.example.com') (record MX)\n");
    r = parse(
        "    query: _sip._tcp.x.test\n    record: SRV\n    expect: ['0 5 5060 sip.x.test', "
        "'sip.x.test:5060', 'sip.x.test', '1 2 sip.x.test']\n");
    BOOST_TEST(r.diagnostics.size() == 2u, printed(r));
    r = parse("    query: x.test\n    record: CNAME\n    expect: ['a b']\n");
    BOOST_TEST(printed(r) ==
               "test.yaml:6:14: 'expect' item 'a b' is not a DNS name: it has a "
               "space or a control character (record CNAME)\n");
    // Any text is a TXT answer; with an unknown record there is nothing to check items against.
    BOOST_TEST(parse("    query: x.test\n    record: TXT\n    expect: ['v=spf1 -all', '']\n")
                   .diagnostics.empty());
    BOOST_TEST(
        parse("    query: x.test\n    record: B\n    expect: [anything]\n").diagnostics.size() ==
        1u);
}

BOOST_AUTO_TEST_CASE(names_over_the_dns_limits_are_refused) {
    BOOST_TEST(dns_name_problem("db").empty());
    BOOST_TEST(dns_name_problem("_sip._tcp.example.com.").empty());
    BOOST_TEST(dns_name_problem(std::string(63, 'a') + ".test").empty());
    BOOST_TEST(dns_name_problem(std::string(64, 'a') + ".test") ==
               "has a label longer than 63 characters");
    BOOST_TEST(dns_name_problem(std::string(254, 'a')) == "is longer than 253 characters");
    BOOST_TEST(dns_name_problem(".x") ==
               "has an empty label (two dots in a row, or a leading dot)");
    BOOST_TEST(dns_name_problem("") == "is empty");
    BOOST_TEST(dns_name_problem("a\tb") == "has a space or a control character");
}

BOOST_AUTO_TEST_CASE(the_liveliness_pitfall_names_the_server_else_the_name) {
    auto r =
        parse("    query: db.example.com\n    server: 10.0.0.2:53\n    probes: [liveliness]\n");
    BOOST_TEST(printed(r).find("reaches another host (10.0.0.2)") != std::string::npos, printed(r));
    r = parse("    query: db.example.com\n    probes: [liveliness]\n");
    BOOST_TEST(printed(r).find("reaches another host (db.example.com)") != std::string::npos,
               printed(r));
    const auto& unit = dns_spec::unit();
    BOOST_TEST(unit.same(spec("a.test", dns_record::a), spec("a.test", dns_record::a)));
    BOOST_TEST(!unit.same(spec("a.test", dns_record::a), spec("a.test", dns_record::aaaa)));
    BOOST_TEST(
        !unit.same(spec("a.test", dns_record::a, {"10.0.0.1"}), spec("a.test", dns_record::a)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(answers)

BOOST_AUTO_TEST_CASE(each_record_type_has_its_text_and_the_forms_that_match_it) {
    BOOST_TEST(record_name(dns_record::srv) == "SRV");
    BOOST_TEST(record_number(dns_record::aaaa) == 28);
    BOOST_TEST(record_number(dns_record::mx) == 15);
    BOOST_TEST(address_answer(boost::asio::ip::make_address("10.0.0.5")).text == "10.0.0.5");
    BOOST_TEST(address_answer(boost::asio::ip::make_address("fd00:0::1")).text == "fd00::1");
    BOOST_TEST(cname_answer("Target.Example.").text == "Target.Example");
    auto mx = mx_answer(10, "Mail.Example.com");
    BOOST_TEST(mx.text == "10 Mail.Example.com");
    BOOST_TEST(mx.forms == (std::vector<std::string>{"10 mail.example.com", "mail.example.com"}));
    auto srv = srv_answer(0, 5, 5060, "sip.example.com");
    BOOST_TEST(srv.text == "0 5 5060 sip.example.com");
    BOOST_TEST(srv.forms ==
               (std::vector<std::string>{"0 5 5060 sip.example.com", "sip.example.com:5060"}));
    BOOST_TEST(txt_answer("v=spf1 -all").text == "v=spf1 -all");
}

BOOST_AUTO_TEST_CASE(expect_items_match_in_any_of_their_forms) {
    std::vector<dns_answer> mx{mx_answer(10, "mail.example.com"), mx_answer(20, "mx2.example.com")};
    BOOST_TEST(unmet_expectations(dns_record::mx,
                                  {"10 MAIL.example.com.", "mx2.example.com", "20 mx2.example.com"},
                                  mx)
                   .empty());
    BOOST_TEST(unmet_expectations(dns_record::mx, {"20 mail.example.com", "mx3.example.com"}, mx) ==
               (std::vector<std::string>{"20 mail.example.com", "mx3.example.com"}));
    std::vector<dns_answer> srv{srv_answer(0, 5, 5060, "sip.example.com")};
    BOOST_TEST(unmet_expectations(dns_record::srv,
                                  {"sip.example.com.:5060", "0 5 5060 SIP.example.com"}, srv)
                   .empty());
    BOOST_TEST(unmet_expectations(dns_record::srv, {"sip.example.com:5061"}, srv).size() == 1u);
    std::vector<dns_answer> v6{address_answer(boost::asio::ip::make_address("fd00::1"))};
    BOOST_TEST(unmet_expectations(dns_record::aaaa, {"fd00:0:0::1"}, v6).empty());
    std::vector<dns_answer> txt{txt_answer("v=spf1 -all")};
    BOOST_TEST(unmet_expectations(dns_record::txt, {"v=spf1 -all"}, txt).empty());
    BOOST_TEST(unmet_expectations(dns_record::txt, {"V=spf1 -all"}, txt).size() == 1u);
    std::vector<dns_answer> cname{cname_answer("a.test")};
    BOOST_TEST(unmet_expectations(dns_record::cname, {"A.Test."}, cname).empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(verdict)

BOOST_AUTO_TEST_CASE(answers_that_hold_every_item_pass_and_are_in_the_facts) {
    auto r = judge_dns(spec("db.test", dns_record::a, {"10.0.0.6"}), reply(dns_status::answered),
                       decoded({address_answer(boost::asio::ip::make_address("10.0.0.5")),
                                address_answer(boost::asio::ip::make_address("10.0.0.6"))}),
                       1s);
    BOOST_TEST(r.ok);
    BOOST_TEST(r.message == "ok");
    BOOST_TEST(answers_fact(r) == (std::vector<std::string>{"10.0.0.5", "10.0.0.6"}));
}

BOOST_AUTO_TEST_CASE(an_unmet_item_fails_naming_it_and_the_answers) {
    auto r = judge_dns(spec("db.test", dns_record::a, {"10.0.0.9", "10.0.0.5"}),
                       reply(dns_status::answered),
                       decoded({address_answer(boost::asio::ip::make_address("10.0.0.5")),
                                address_answer(boost::asio::ip::make_address("10.0.0.6"))}),
                       1s);
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.message == "expected 10.0.0.9 among the answers; got 10.0.0.5 and 10.0.0.6");
    BOOST_TEST(answers_fact(r).size() == 2u);
    auto txt =
        judge_dns(spec("t.test", dns_record::txt, {"a, b", "c"}), reply(dns_status::answered),
                  decoded({txt_answer("x y"), txt_answer("z")}), 1s);
    BOOST_TEST(txt.message == R"(expected "a, b" and "c" among the answers; got "x y" and "z")");
}

BOOST_AUTO_TEST_CASE(each_failure_has_words_of_its_own) {
    auto words = [](dns_status s, std::vector<std::string> servers = {"127.0.0.1:5353"}) {
        auto r = judge_dns(spec("x.example.", dns_record::mx), reply(s, std::move(servers)),
                           dns_decoded{}, 1s);
        BOOST_TEST(!r.ok);
        BOOST_TEST(!r.facts.contains("answers"));
        return r.message;
    };
    BOOST_TEST(words(dns_status::no_such_name) == "no such name: x.example");
    BOOST_TEST(words(dns_status::no_data) == "x.example has no MX records");
    BOOST_TEST(words(dns_status::server_failure) == "the server failed: SERVFAIL (127.0.0.1:5353)");
    BOOST_TEST(words(dns_status::refused) == "the server failed: REFUSED (127.0.0.1:5353)");
    BOOST_TEST(words(dns_status::timed_out) == "no answer from 127.0.0.1:5353 within 1s");
    BOOST_TEST(words(dns_status::timed_out, {"10.0.0.1:53", "[fd00::1]:53"}) ==
               "no answer from 10.0.0.1:53 and [fd00::1]:53 within 1s");
    BOOST_TEST(words(dns_status::no_answer) ==
               "no answer from 127.0.0.1:5353: every try timed out");
    BOOST_TEST(words(dns_status::unreachable) ==
               "nothing answers DNS at 127.0.0.1:5353 (connection refused)");
    BOOST_TEST(words(dns_status::every_server_failed, {"10.0.0.1:53", "10.0.0.2:53"}) ==
               "the servers failed: 10.0.0.1:53 and 10.0.0.2:53 each answered SERVFAIL or "
               "REFUSED, or refused the connection");
    // Answered, but with no record of the type asked: an alias whose target has none.
    dns_decoded alias;
    alias.alias_of = "elsewhere.example";
    auto r = judge_dns(spec("x.example", dns_record::a), reply(dns_status::answered), alias, 1s);
    BOOST_TEST(r.message == "x.example has no A records (it is an alias of elsewhere.example)");
    dns_decoded bad;
    bad.malformed = true;
    r = judge_dns(spec("x.example", dns_record::a), reply(dns_status::answered), bad, 1s);
    BOOST_TEST(r.message == "malformed answer from 127.0.0.1:5353");
}

BOOST_AUTO_TEST_CASE(a_message_that_is_no_dns_answer_decodes_as_malformed) {
    std::vector<unsigned char> junk{1, 2, 3};
    for (auto record : {dns_record::a, dns_record::aaaa, dns_record::cname, dns_record::srv,
                        dns_record::txt, dns_record::mx})
        BOOST_TEST(decode_answers(record, junk).malformed, record_name(record));
}

BOOST_AUTO_TEST_SUITE_END()
