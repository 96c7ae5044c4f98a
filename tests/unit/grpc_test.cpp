#define BOOST_TEST_MODULE unit_grpc
#include <boost/test/unit_test.hpp>

#include "heartbeat/checks/grpc/run.hpp"
#include "heartbeat/checks/grpc/wire.hpp"
#include "heartbeat/config.hpp"

using namespace heartbeat;
namespace wire = heartbeat::grpc_wire;

namespace {

load_result parse(const std::string& text) {
    return parse_config(text, "test.yaml");
}

/** All diagnostics, formatted, one per line: what `validate` prints. */
std::string printed(const load_result& r) {
    std::string out;
    for (auto& d : r.diagnostics) out += d.format("test.yaml") + "\n";
    return out;
}

const grpc_spec& only_grpc(const load_result& r) {
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    return std::get<grpc_spec>(r.cfg->checks.at(0).spec);
}

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (int v : values) out += static_cast<char>(v);
    return out;
}

grpc_reply reply(int http, std::optional<int> grpc, std::string body, std::string message = "") {
    grpc_reply r;
    r.http_status = http;
    r.grpc_status = grpc;
    r.body = std::move(body);
    r.grpc_message = std::move(message);
    return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(defaults_and_every_key) {
    auto r = parse("checks:\n  - {name: g, type: grpc, host: localhost, port: 50051}\n");
    const auto& g = only_grpc(r);
    BOOST_TEST(g.host == "localhost");
    BOOST_TEST(g.port == 50051);
    BOOST_TEST(g.service == "");
    BOOST_TEST(!g.tls);
    BOOST_TEST(g.tls_options.verify);
    BOOST_TEST(!g.tls_options.ca_file);
    BOOST_TEST(printed(r) == "");

    auto full = parse(
        "checks:\n  - {name: g, type: grpc, host: api, port: 443, service: pkg.Api, tls: true,\n"
        "     tls_verify: false, ca_file: /etc/ca.pem}\n");
    const auto& f = only_grpc(full);
    BOOST_TEST(f.service == "pkg.Api");
    BOOST_TEST(f.tls);
    BOOST_TEST(!f.tls_options.verify);
    BOOST_TEST(f.tls_options.ca_file.value() == "/etc/ca.pem");
    BOOST_TEST(printed(full) == "");
    // An explicit "" is the server's overall health, as the default is.
    auto empty = parse("checks:\n  - {name: g, type: grpc, host: a, port: 1, service: ''}\n");
    BOOST_TEST(only_grpc(empty).service == "");
}

BOOST_AUTO_TEST_CASE(validation_messages_with_their_positions) {
    auto r = parse(
        "checks:\n"
        "  - name: g\n"
        "    type: grpc\n"
        "    port: 70000\n"
        "    tls: maybe\n"
        "    servce: x\n");
    BOOST_TEST(!r.ok());
    BOOST_TEST(printed(r) ==
                   "test.yaml:2:5: missing required key 'host' in check 'g' (grpc check)\n"
                   "test.yaml:4:11: 'port' must be a whole number from 1 to 65535, got '70000'\n"
                   "test.yaml:5:10: 'tls' must be true or false, got 'maybe'\n"
                   "test.yaml:6:5: unknown key 'servce' in check 'g' (did you mean 'service'?)\n",
               printed(r));
}

BOOST_AUTO_TEST_CASE(tls_keys_without_tls_are_errors_at_their_place) {
    auto r = parse(
        "checks:\n"
        "  - name: g\n"
        "    type: grpc\n"
        "    host: 127.0.0.1\n"
        "    port: 50051\n"
        "    tls_verify: false\n"
        "    ca_file: /etc/ca.pem\n"
        "    min_cert_validity: 14d\n");
    BOOST_TEST(!r.cfg);
    BOOST_TEST(printed(r) ==
                   "test.yaml:6:17: 'tls_verify' in check 'g' needs tls: true: without TLS there "
                   "is no certificate to check\n"
                   "test.yaml:7:14: 'ca_file' in check 'g' needs tls: true: without TLS there is "
                   "no certificate to check\n"
                   "test.yaml:8:24: 'min_cert_validity' in check 'g' needs tls: true: without "
                   "TLS there is no certificate to check\n",
               printed(r));
    auto ok = parse(
        "checks:\n  - {name: g, type: grpc, host: a, port: 1, tls: true, min_cert_validity: "
        "14d}\n");
    BOOST_TEST_REQUIRE(ok.ok(), printed(ok));
    BOOST_TEST((std::get<grpc_spec>(ok.cfg->checks[0].spec).min_cert_validity ==
                std::optional<duration>(std::chrono::days(14))));
    auto bad = parse(
        "checks:\n  - {name: g, type: grpc, host: a, port: 1, tls: true, tls_verify: sure}\n");
    BOOST_TEST(printed(bad) == "test.yaml:2:68: 'tls_verify' must be true or false, got 'sure'\n",
               printed(bad));
}

BOOST_AUTO_TEST_CASE(varints_round_trip_and_reject_what_is_cut_short) {
    for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 300ull, 16384ull, ~0ull}) {
        std::string out;
        wire::put_varint(out, v);
        std::string_view in = out;
        BOOST_TEST(wire::take_varint(in).value() == v);
        BOOST_TEST(in.empty());
    }
    std::string three;
    wire::put_varint(three, 300);
    BOOST_TEST(three == bytes({0xac, 0x02}));
    std::string_view cut = "\x80";
    BOOST_TEST(!wire::take_varint(cut));
    std::string eleven(10, '\x80');
    eleven += '\x01';
    std::string_view too_long = eleven;
    BOOST_TEST(!wire::take_varint(too_long));
}

BOOST_AUTO_TEST_CASE(the_request_message_and_its_frame) {
    BOOST_TEST(wire::health_request("") == "");
    BOOST_TEST(wire::health_request("db") == bytes({0x0a, 2, 'd', 'b'}));
    std::string long_name(200, 's');
    BOOST_TEST(wire::health_request(long_name) == bytes({0x0a, 0xc8, 0x01}) + long_name);
    BOOST_TEST(wire::frame("") == bytes({0, 0, 0, 0, 0}));
    BOOST_TEST(wire::frame(std::string(258, 'x')) ==
               bytes({0, 0, 0, 1, 2}) + std::string(258, 'x'));
}

BOOST_AUTO_TEST_CASE(the_response_status_skipping_unknown_fields) {
    BOOST_TEST(wire::health_status("").value() == 0);  // proto3 leaves UNKNOWN (0) out
    BOOST_TEST(wire::health_status(bytes({0x08, 1})).value() == 1);
    BOOST_TEST(wire::health_status(bytes({0x08, 2})).value() == 2);
    // Unknown fields of every wire type before it: a varint, 64 bits, bytes, 32 bits.
    auto with_others = bytes({0x10, 0x96, 0x01, 0x19, 1,    2, 3, 4, 5, 6,    7, 8,
                              0x22, 2,    'h',  'i',  0x2d, 1, 2, 3, 4, 0x08, 3});
    BOOST_TEST(wire::health_status(with_others).value() == 3);
    BOOST_TEST(!wire::health_status(bytes({0x08})));          // the value is missing
    BOOST_TEST(!wire::health_status(bytes({0x22, 5, 'a'})));  // bytes cut short
    BOOST_TEST(!wire::health_status(bytes({0x0b})));          // a group: not in this message
    BOOST_TEST(!wire::health_status(bytes({0x00, 1})));       // field 0 does not exist
}

BOOST_AUTO_TEST_CASE(unframing_the_response) {
    std::string why;
    BOOST_TEST(wire::unframe(wire::frame(bytes({0x08, 1})), why).value() == bytes({0x08, 1}));
    BOOST_TEST(!wire::unframe("", why));
    BOOST_TEST(why == "no response message");
    BOOST_TEST(!wire::unframe(bytes({0, 0, 0, 0, 5, 0x08}), why));
    BOOST_TEST(why == "a response message cut short");
    BOOST_TEST(!wire::unframe(bytes({1, 0, 0, 0, 0}), why));
    BOOST_TEST(why == "a compressed response message, which was not asked for");
    BOOST_TEST(!wire::unframe(bytes({0, 0x7f, 0, 0, 0}), why));
    BOOST_TEST(why == "a response message of 2130706432 bytes");
}

BOOST_AUTO_TEST_CASE(status_names) {
    BOOST_TEST(wire::serving_status_name(0) == "UNKNOWN");
    BOOST_TEST(wire::serving_status_name(1) == "SERVING");
    BOOST_TEST(wire::serving_status_name(2) == "NOT_SERVING");
    BOOST_TEST(wire::serving_status_name(3) == "SERVICE_UNKNOWN");
    BOOST_TEST(wire::serving_status_name(9) == "status 9");
    BOOST_TEST(wire::grpc_status_name(0) == "OK");
    BOOST_TEST(wire::grpc_status_name(5) == "NOT_FOUND");
    BOOST_TEST(wire::grpc_status_name(12) == "UNIMPLEMENTED");
    BOOST_TEST(wire::grpc_status_name(16) == "UNAUTHENTICATED");
    BOOST_TEST(wire::grpc_status_name(17) == "");
    BOOST_TEST(wire::grpc_status_name(-1) == "");
}

BOOST_AUTO_TEST_CASE(grpc_message_is_percent_decoded_leniently) {
    BOOST_TEST(wire::decode_grpc_message("plain text") == "plain text");
    BOOST_TEST(wire::decode_grpc_message("a%20b%25c") == "a b%c");
    BOOST_TEST(wire::decode_grpc_message("caf%C3%A9") == "caf\xc3\xa9");
    // A malformed escape is kept as it came, not dropped.
    BOOST_TEST(wire::decode_grpc_message("100%") == "100%");
    BOOST_TEST(wire::decode_grpc_message("%zz%4") == "%zz%4");
}

BOOST_AUTO_TEST_CASE(the_verdicts) {
    const std::string t = "db:50051 service 'x'";
    auto serving = judge_grpc(reply(200, 0, wire::frame(bytes({0x08, 1}))), t);
    BOOST_TEST(serving.ok);
    BOOST_TEST(serving.message == "ok");
    BOOST_TEST(serving.facts.at("serving_status").as_string() == "SERVING");
    BOOST_TEST(serving.facts.at("grpc_status").as_int64() == 0);

    auto not_serving = judge_grpc(reply(200, 0, wire::frame(bytes({0x08, 2}))), t);
    BOOST_TEST(!not_serving.ok);
    BOOST_TEST(not_serving.message == t + ": NOT_SERVING");
    auto unknown = judge_grpc(reply(200, 0, wire::frame("")), t);
    BOOST_TEST(unknown.message == t + ": UNKNOWN");

    auto unimplemented =
        judge_grpc(reply(200, 12, "", "Method%20not%20found: grpc.health.v1.Health/Check"), t);
    BOOST_TEST(!unimplemented.ok);
    BOOST_TEST(unimplemented.message ==
               t + ": grpc-status 12 UNIMPLEMENTED: Method not found: grpc.health.v1.Health/Check");
    BOOST_TEST(unimplemented.facts.at("grpc_status").as_int64() == 12);
    BOOST_TEST(judge_grpc(reply(200, 42, ""), t).message == t + ": grpc-status 42");

    BOOST_TEST(judge_grpc(reply(404, std::nullopt, ""), t).message ==
               t + ": HTTP status 404, expected 200");
    BOOST_TEST(judge_grpc(reply(200, std::nullopt, ""), t).message ==
               t + ": the answer has no grpc-status");
    BOOST_TEST(judge_grpc(reply(200, 0, ""), t).message == t + ": no response message");
    BOOST_TEST(judge_grpc(reply(200, 0, wire::frame(bytes({0x08}))), t).message ==
               t + ": a malformed HealthCheckResponse");
}
