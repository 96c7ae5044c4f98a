#define BOOST_TEST_MODULE response_time
// max_duration: the keys of the types that take it, its messages and their places, and the words
// of a slow run.
#include <boost/test/unit_test.hpp>

#include "heartbeat/checks/response_time.hpp"
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/config.hpp"

using namespace heartbeat;
using namespace std::chrono_literals;

namespace {

load_result parse(const std::string& check) {
    return parse_config("checks:\n  - " + check + "\n", "test.yaml");
}

std::string printed(const load_result& r) {
    std::string out;
    for (auto& d : r.diagnostics) out += d.format("test.yaml") + "\n";
    return out;
}

std::optional<duration> max_of(const load_result& r) {
    const auto& c = r.cfg->checks.at(0);
    return unit_of(c.spec).max_duration(c.spec);
}

}  // namespace

BOOST_AUTO_TEST_CASE(tcp_http_grpc_and_postgres_take_max_duration) {
    for (std::string check : {"{name: a, type: tcp, host: h, port: 1",
                              "{name: a, type: http, url: 'http://h/'",
                              "{name: a, type: grpc, host: h, port: 1",
                              "{name: a, type: postgres, host: h"}) {
        auto r = parse(check + ", max_duration: 250ms}");
        BOOST_TEST_REQUIRE(r.ok(), printed(r));
        BOOST_TEST((max_of(r) == std::optional<duration>(250ms)), check);
        // A change of it is a change of the check: a reload applies it.
        auto other = parse(check + ", max_duration: 300ms}");
        BOOST_TEST(!r.cfg->checks[0].same_definition(other.cfg->checks[0]), check);
        auto none = parse(check + "}");
        BOOST_TEST(!max_of(none).has_value(), check);
    }
}

BOOST_AUTO_TEST_CASE(the_other_types_refuse_it_at_its_place) {
    auto r = parse("{name: e, type: exec, command: 'true', max_duration: 1s}");
    BOOST_TEST(!r.ok());
    BOOST_TEST(printed(r) == "test.yaml:2:44: key 'max_duration' does not apply to an exec check "
                             "(check 'e')\n",
               printed(r));
    for (std::string check : {"{name: f, type: file, path: /, max_duration: 1s}",
                              "{name: d, type: dns, query: x, max_duration: 1s}",
                              "{name: p, type: push, ttl: 1m, max_duration: 1s}"})
        BOOST_TEST(!parse(check).ok(), check);
}

BOOST_AUTO_TEST_CASE(it_must_be_shorter_than_the_timeout) {
    BOOST_TEST(printed(parse("{name: a, type: tcp, host: h, port: 1, timeout: 500ms, "
                             "max_duration: 500ms}")) ==
               "test.yaml:2:74: 'max_duration' (500ms) of check 'a' must be shorter than its "
               "timeout (500ms): a run is cut at its timeout\n");
    // Against the default timeout (1s) too.
    BOOST_TEST(!parse("{name: a, type: tcp, host: h, port: 1, max_duration: 2s}").ok());
    BOOST_TEST(parse("{name: a, type: tcp, host: h, port: 1, max_duration: 999ms}").ok());
    BOOST_TEST(printed(parse("{name: a, type: tcp, host: h, port: 1, max_duration: 0}"))
                   .find("'max_duration' must be longer than 0") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_slow_run_says_how_long_it_took_rounded_up) {
    BOOST_TEST(slow_message(812ms, 500ms) == "slow: took 812ms, allowed 500ms");
    BOOST_TEST(slow_message(500ms + 400us, 500ms) == "slow: took 501ms, allowed 500ms");
    BOOST_TEST(slow_message(1500ms, 1s) == "slow: took 1.5s, allowed 1s");
}
