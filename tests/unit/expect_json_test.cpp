#define BOOST_TEST_MODULE expect_json
// expect_json without I/O: the path grammar, the comparison grammar, every evaluation message,
// the messages of `validate` with their places, and the judges of http and exec checks.
#include <boost/test/unit_test.hpp>

#include <boost/json/parse.hpp>

#include "heartbeat/checks/exec/run.hpp"
#include "heartbeat/checks/http/run.hpp"
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/config.hpp"
#include "heartbeat/redact.hpp"

using namespace heartbeat;

namespace {

json_path path(std::string_view text) {
    std::string why;
    auto p = parse_json_path(text, why);
    BOOST_TEST_REQUIRE(p.has_value(), text << ": " << why);
    return *p;
}

/** Why `text` is not a path ("" when it is one). */
std::string path_error(std::string_view text) {
    std::string why;
    auto p = parse_json_path(text, why);
    return p ? "" : why;
}

json_expectation expectation(std::string_view text, bool plain = true) {
    std::string why;
    auto e = parse_json_expectation(text, plain, why);
    BOOST_TEST_REQUIRE(e.has_value(), text << ": " << why);
    return *e;
}

std::string expectation_error(std::string_view text, bool plain = true) {
    std::string why;
    auto e = parse_json_expectation(text, plain, why);
    return e ? "" : why;
}

json_assertion assertion(std::string_view p, std::string_view e, bool plain = true) {
    return {path(p), expectation(e, plain)};
}

/** The failures of one assertion on `doc` (JSON text). */
std::vector<std::string> failures(std::string_view p, std::string_view e, std::string_view doc,
                                  bool plain = true) {
    return evaluate_json({assertion(p, e, plain)}, json::parse(doc));
}

/** The one failure of one assertion, or "" when it holds. */
std::string failure(std::string_view p, std::string_view e, std::string_view doc,
                    bool plain = true) {
    auto f = failures(p, e, doc, plain);
    BOOST_TEST_REQUIRE(f.size() <= 1u);
    return f.empty() ? "" : f[0];
}

using kind = json_step::kind;

load_result parse(const std::string& text) {
    return parse_config(text, "test.yaml");
}

/** What `validate` prints, one diagnostic per line. */
std::string printed(const load_result& r) {
    std::string out;
    for (auto& d : r.diagnostics) out += d.format("test.yaml") + "\n";
    return out;
}

const std::string http_check =
    "checks:\n  - name: h\n    type: http\n    url: http://127.0.0.1:1/\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(paths)

BOOST_AUTO_TEST_CASE(the_document_members_elements_and_lengths) {
    BOOST_TEST(path("$").steps.empty());
    auto p = path("$.nodes[10].state");
    BOOST_TEST_REQUIRE(p.steps.size() == 3u);
    BOOST_TEST((p.steps[0].what == kind::member && p.steps[0].name == "nodes"));
    BOOST_TEST((p.steps[1].what == kind::index && p.steps[1].index == 10u));
    BOOST_TEST((p.steps[2].what == kind::member && p.steps[2].name == "state"));
    // Each step's end: the text up to there names what that step reaches.
    BOOST_TEST(p.text.substr(0, p.steps[0].end) == "$.nodes");
    BOOST_TEST(p.text.substr(0, p.steps[1].end) == "$.nodes[10]");
    BOOST_TEST(p.steps[2].end == p.text.size());

    p = path(R"($["name with.dots"]["a \"quoted\" \u00e9"])");
    BOOST_TEST_REQUIRE(p.steps.size() == 2u);
    BOOST_TEST(p.steps[0].name == "name with.dots");
    BOOST_TEST(p.steps[1].name == "a \"quoted\" \xc3\xa9");
    BOOST_TEST(path("$.cluster-name_2.über").steps[1].name == "über");
    BOOST_TEST(path("$[0][1]").steps[1].index == 1u);
}

BOOST_AUTO_TEST_CASE(length_is_the_length_only_last_and_after_a_dot) {
    auto p = path("$.items.length");
    BOOST_TEST_REQUIRE(p.steps.size() == 2u);
    BOOST_TEST((p.steps[1].what == kind::length));
    p = path(R"($.items["length"])");
    BOOST_TEST((p.steps[1].what == kind::member && p.steps[1].name == "length"));
    p = path("$.length.size");
    BOOST_TEST((p.steps[0].what == kind::member && p.steps[0].name == "length"));
    BOOST_TEST((path("$.length").steps[0].what == kind::length));
}

BOOST_AUTO_TEST_CASE(an_index_too_large_to_count_is_never_there) {
    auto p = path("$[99999999999999999999999]");
    BOOST_TEST(p.steps[0].index == std::numeric_limits<std::size_t>::max());
    BOOST_TEST(failure("$[99999999999999999999999]", "1", "[1]") ==
               "expect_json $[99999999999999999999999]: no such element (the array has 1)");
}

BOOST_AUTO_TEST_CASE(each_bad_path_says_where_and_what_to_write) {
    BOOST_TEST(path_error("") == "a path starts with $, such as $.status");
    BOOST_TEST(path_error("status") == "a path starts with $ (did you mean '$.status'?)");
    BOOST_TEST(path_error(".status") == "a path starts with $ (did you mean '$.status'?)");
    BOOST_TEST(path_error("[0]") == "a path starts with $ (did you mean '$[0]'?)");
    BOOST_TEST(path_error("a b") == "a path starts with $");
    BOOST_TEST(path_error("$.") == "the path ends with '.': write a name after it");
    BOOST_TEST(path_error("$..a") ==
               "'..' at character 2: recursive descent is not supported, name each step");
    BOOST_TEST(path_error("$.[0]") == "'.[' at character 2: write either .name or [...]");
    BOOST_TEST(path_error("$.a b") ==
               "' ' at character 4 cannot be in a name after '.': write such a name in "
               "brackets and double quotes, [\"...\"]");
    BOOST_TEST(path_error("$.a\tb") ==
               "\\x09 at character 4 cannot be in a name after '.': write such a name in "
               "brackets and double quotes, [\"...\"]");
    BOOST_TEST(path_error("$.*") ==
               "wildcards (*) are not supported (character 3): name each member or index");
    BOOST_TEST(path_error("$[*]") ==
               "wildcards (*) are not supported (character 3): name each member or index");
    BOOST_TEST(path_error("$.a]") ==
               "']' at character 4 cannot be in a name after '.': write such a name in brackets "
               "and double quotes, [\"...\"]");
    BOOST_TEST(path_error("$a") ==
               "unexpected 'a' at character 2: each step starts with '.' or '['");
    BOOST_TEST(path_error("$[") == "the '[' at character 2 is not closed by ']'");
    BOOST_TEST(path_error("$[12") == "the '[' at character 2 is not closed by ']'");
    BOOST_TEST(path_error("$[1 ]") ==
               "the '[' at character 2 must hold an index (0, 1, ...) alone, or a name in double "
               "quotes");
    BOOST_TEST(path_error("$[-1]") ==
               "indexes count from 0 (character 3): negative ones, from the end, are not "
               "supported");
    BOOST_TEST(path_error("$['a']") ==
               "write the name at character 3 in double quotes: [\"name\"]");
    BOOST_TEST(path_error("$[?(@.a)]") == "filters ([?...]) are not supported (character 3)");
    BOOST_TEST(path_error("$[a]") ==
               "the '[' at character 2 must hold an index (0, 1, ...) or a name in double quotes, "
               "[\"name\"]");
    BOOST_TEST(path_error("$[\"a") == "the name at character 3 has no closing '\"'");
    BOOST_TEST(path_error("$[\"a\"") == "the '[' at character 2 is not closed by ']'");
    BOOST_TEST(path_error("$[\"a\\q\"]") ==
               "the name at character 3 is not a JSON string (inside the quotes, write \\\" for a "
               "quote and \\\\ for a backslash)");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(expectations)

BOOST_AUTO_TEST_CASE(a_plain_scalar_is_read_as_yaml_core_schema_reads_it) {
    BOOST_TEST(expectation("green").value == json::value("green"));
    BOOST_TEST(expectation("3").value.as_int64() == 3);
    BOOST_TEST(expectation("-3").value.as_int64() == -3);
    BOOST_TEST(expectation("+3").value.as_int64() == 3);
    BOOST_TEST(expectation("18446744073709551615").value.as_uint64() == 18446744073709551615u);
    BOOST_TEST(expectation("1.5").value.as_double() == 1.5);
    BOOST_TEST(expectation(".5").value.as_double() == 0.5);
    BOOST_TEST(expectation("2.").value.as_double() == 2.0);
    BOOST_TEST(expectation("1e3").value.as_double() == 1000.0);
    for (auto t : {"true", "True", "TRUE"}) BOOST_TEST(expectation(t).value == json::value(true));
    for (auto t : {"false", "False", "FALSE"})
        BOOST_TEST(expectation(t).value == json::value(false));
    for (auto t : {"null", "Null", "NULL", "~", ""}) BOOST_TEST(expectation(t).value.is_null());
    // YAML 1.1's booleans and numbers in other bases are words here.
    BOOST_TEST(expectation("yes").value == json::value("yes"));
    BOOST_TEST(expectation("0x1F").value == json::value("0x1F"));
    BOOST_TEST(expectation("1.2.3").value == json::value("1.2.3"));
    BOOST_TEST((expectation("3").op == json_op::equal));
}

BOOST_AUTO_TEST_CASE(a_quoted_scalar_is_the_string_as_written) {
    BOOST_TEST(expectation("3", false).value == json::value("3"));
    BOOST_TEST(expectation("true", false).value == json::value("true"));
    BOOST_TEST(expectation("", false).value == json::value(""));
    BOOST_TEST(expectation(" >= 3", false).value == json::value(" >= 3"));
}

BOOST_AUTO_TEST_CASE(an_operator_compares_with_the_value_after_it) {
    auto e = expectation(">= 3");
    BOOST_TEST((e.op == json_op::at_least));
    BOOST_TEST(e.value.as_int64() == 3);
    BOOST_TEST((expectation("<=2.5").op == json_op::at_most));
    BOOST_TEST((expectation("> -1").op == json_op::greater));
    BOOST_TEST((expectation("<1e3").op == json_op::less));
    e = expectation("!= red", false);
    BOOST_TEST((e.op == json_op::not_equal));
    BOOST_TEST(e.value == json::value("red"));
    BOOST_TEST(expectation("== 1").value.as_int64() == 1);
    BOOST_TEST(expectation("== true").value == json::value(true));
    BOOST_TEST(expectation("!= null").value.is_null());
    BOOST_TEST(expectation("== \"1\"").value == json::value("1"));
    BOOST_TEST(expectation("== \" padded \"  ").value == json::value(" padded "));
    BOOST_TEST(expectation("== \"\"").value == json::value(""));
    BOOST_TEST(expectation("==   two words  ").value == json::value("two words"));
    // The literal string ">= 3": equality, then the text.
    e = expectation("== >= 3", false);
    BOOST_TEST((e.op == json_op::equal));
    BOOST_TEST(e.value == json::value(">= 3"));
    BOOST_TEST(expectation("== \">= 3\"").value == json::value(">= 3"));
    // Not an operator: compared as written.
    BOOST_TEST(expectation("= 3").value == json::value("= 3"));
}

BOOST_AUTO_TEST_CASE(each_bad_comparison_says_what_to_write) {
    BOOST_TEST(expectation_error(">= x") ==
               "'>=' compares numbers: write a number after it, not 'x'");
    BOOST_TEST(expectation_error("< \"3\"") ==
               "'<' compares numbers: write a number after it, not '\"3\"'");
    BOOST_TEST(expectation_error("> true") ==
               "'>' compares numbers: write a number after it, not 'true'");
    BOOST_TEST(expectation_error("==") ==
               "'==' needs a value after it (for the empty string, write '== \"\"')");
    BOOST_TEST(expectation_error("!=   ", false) ==
               "'!=' needs a value after it (for the empty string, write '!= \"\"')");
    BOOST_TEST(expectation_error("== \"a") ==
               "after '==', '\"a' is not one JSON string: a value that starts with '\"' must end "
               "with the closing '\"' (write \\\" for a quote inside)");
    BOOST_TEST(expectation_error("== \"a\" b") ==
               "after '==', '\"a\" b' is not one JSON string: a value that starts with '\"' must "
               "end with the closing '\"' (write \\\" for a quote inside)");
    BOOST_TEST(expectation_error("1e999") == "1e999 is outside the range of numbers");
    BOOST_TEST(expectation_error(">= 1e999") == "1e999 is outside the range of numbers");
}

BOOST_AUTO_TEST_CASE(an_expectation_in_words) {
    BOOST_TEST(describe(expectation("green")) == "\"green\"");
    BOOST_TEST(describe(expectation("!= red")) == "anything but \"red\"");
    BOOST_TEST(describe(expectation(">= 3")) == ">= 3");
    BOOST_TEST(describe(expectation("< 0.5")) == "< 0.5");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(evaluation)

BOOST_AUTO_TEST_CASE(values_that_hold) {
    const std::string doc =
        R"({"status": "green", "n": 3, "ratio": 0.5, "ok": true, "none": null, "s": "héllo",
            "nodes": [{"state": "up"}, {"state": "down"}], "o": {"a": 1, "b": 2},
            "big": 18446744073709551615, "neg": -9223372036854775808, "length": 7})";
    for (auto [p, e] : std::vector<std::pair<std::string, std::string>>{
             {"$.status", "green"},
             {"$.status", "== green"},
             {"$.status", "!= red"},
             {"$.n", "3"},
             {"$.n", "3.0"},
             {"$.n", "== 3e0"},
             {"$.n", ">= 3"},
             {"$.n", "<= 3"},
             {"$.n", "> 2.5"},
             {"$.n", "< 4"},
             {"$.ratio", ".5"},
             {"$.ok", "true"},
             {"$.ok", "!= false"},
             {"$.none", "null"},
             {"$.none", "~"},
             {"$.nodes[1].state", "down"},
             {"$.nodes.length", "2"},
             {"$.o.length", "2"},
             {"$.s.length", "5"},
             {"$.status.length", ">= 5"},
             {"$[\"length\"]", "7"},
             {"$.length", "11"},
             {"$.big", "18446744073709551615"},
             {"$.big", "> 9223372036854775807"},
             {"$.big", "> 1e19"},
             {"$.neg", "< -9223372036854775807"},
             {"$.neg", "< 0"},
             {"$.n", "!= \"3\""},
         }) {
        BOOST_TEST(failure(p, e, doc).empty(), p << ": " << e << " -> " << failure(p, e, doc));
    }
    BOOST_TEST(failure("$", "== 2", "2.0").empty());
    BOOST_TEST(failure("$.n", "3", R"({"n": 3})", false) ==
               R"(expect_json $.n: expected "3", got 3)");
}

BOOST_AUTO_TEST_CASE(every_failure_says_what_was_expected_and_what_was_there) {
    const std::string doc = R"({"status": "red", "n": 2, "nodes": [{"state": "up"}, {}],
        "o": {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7}, "empty": {}, "list": []})";
    BOOST_TEST(failure("$.status", "green", doc) ==
               R"(expect_json $.status: expected "green", got "red")");
    BOOST_TEST(failure("$.status", "!= red", doc) ==
               R"(expect_json $.status: expected anything but "red", got "red")");
    BOOST_TEST(failure("$.n", ">= 3", doc) == "expect_json $.n: expected >= 3, got 2");
    BOOST_TEST(failure("$.n", "> 2", doc) == "expect_json $.n: expected > 2, got 2");
    BOOST_TEST(failure("$.n", "< 1.5", doc) == "expect_json $.n: expected < 1.5, got 2");
    BOOST_TEST(failure("$.n", "<= 1", doc) == "expect_json $.n: expected <= 1, got 2");
    BOOST_TEST(
        failure("$.status", ">= 3", doc) ==
        R"(expect_json $.status: expected a number >= 3, got a string ("red"): >=, <=, > and < compare numbers only)");
    BOOST_TEST(failure("$.nodes", "< 3", doc) ==
               "expect_json $.nodes: expected a number < 3, got an array: >=, <=, > and < "
               "compare numbers only");
    BOOST_TEST(failure("$.nodes[3]", "up", doc) ==
               "expect_json $.nodes[3]: no such element (the array has 2)");
    BOOST_TEST(failure("$.list[0]", "up", doc) ==
               "expect_json $.list[0]: no such element (the array is empty)");
    BOOST_TEST(failure("$.nodes[1].state", "up", doc) ==
               "expect_json $.nodes[1].state: no such member (the object is empty)");
    BOOST_TEST(
        failure("$.o.z", "1", doc) ==
        R"(expect_json $.o.z: no such member (the object has "a", "b", "c", "d", "e", and 2 more))");
    BOOST_TEST(failure("$.status.x", "1", doc) ==
               R"(expect_json $.status.x: $.status is a string ("red"), not an object)");
    BOOST_TEST(failure("$.o[0]", "1", doc) == "expect_json $.o[0]: $.o is an object, not an array");
    BOOST_TEST(failure("$.n.length", "1", doc) ==
               "expect_json $.n.length: $.n is a number (2), which has no length");
    BOOST_TEST(failure("$.nodes[0].state.length", "1", doc) ==
               "expect_json $.nodes[0].state.length: expected 1, got 2");
    BOOST_TEST(failure("$[0]", "1", doc) == "expect_json $[0]: $ is an object, not an array");
    BOOST_TEST(failure("$.o", "1", doc) ==
               R"(expect_json $.o: expected 1, got {"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7})");
    BOOST_TEST(failure("$.x", "1", "true") ==
               "expect_json $.x: $ is a boolean (true), not an object");
    BOOST_TEST(failure("$.x", "1", "null") == "expect_json $.x: $ is null, not an object");
    BOOST_TEST(failure("$.status", "null", doc) ==
               R"(expect_json $.status: expected null, got "red")");
}

BOOST_AUTO_TEST_CASE(every_assertion_is_evaluated_and_every_failure_told) {
    json_assertions all = {assertion("$.a", "1"), assertion("$.b", "2"), assertion("$.c", "3"),
                           assertion("$.d", "!= 4")};
    auto f = evaluate_json(all, json::parse(R"({"a": 0, "b": 2, "c": "x", "d": 4})"));
    BOOST_TEST_REQUIRE(f.size() == 3u);
    BOOST_TEST(f[0] == "expect_json $.a: expected 1, got 0");
    BOOST_TEST(f[1] == R"(expect_json $.c: expected 3, got "x")");
    BOOST_TEST(f[2] == "expect_json $.d: expected anything but 4, got 4");
}

BOOST_AUTO_TEST_CASE(long_values_are_shortened_on_a_character_boundary) {
    std::string long_text(200, 'x');
    auto f = failure("$.a", "y", R"({"a": ")" + long_text + R"("})");
    BOOST_TEST(f == R"(expect_json $.a: expected "y", got ")" + std::string(59, 'x') + "...");
    // "é" is two bytes: a cut never splits it.
    std::string accents;
    for (int i = 0; i < 100; ++i) accents += "\xc3\xa9";
    f = failure("$.a", "y", R"({"a": ")" + accents + R"("})");
    auto shown = f.substr(f.find("got ") + 4);
    BOOST_TEST(shown.size() == 1u + 58u + 3u);  // the quote, 29 characters, "..."
    BOOST_TEST(shown.ends_with("\xc3\xa9..."));
    // A long key among the members listed.
    f = failure("$.b", "1", R"({")" + long_text + R"(": 1})");
    BOOST_TEST(f == R"(expect_json $.b: no such member (the object has ")" + std::string(29, 'x') +
                        "...)");
}

BOOST_AUTO_TEST_CASE(values_never_break_the_line_of_a_message) {
    auto f = failure("$.a", "y", R"({"a": "two\nlines\u0000"})");
    BOOST_TEST(f == R"(expect_json $.a: expected "y", got "two\nlines\u0000")");
}

BOOST_AUTO_TEST_CASE(secrets_are_replaced_before_a_value_is_cut) {
    // A secret that a cut at 60 characters would halve: replaced whole first, so not even its
    // start is shown.
    const std::string secret = "s3cr3t-" + std::string(70, 'k');
    json_assertions a = {assertion("$.token", "expected-value"), assertion("$.o.x", "1")};
    auto doc =
        json::parse(R"({"token": "Bearer )" + secret + R"(", "o": {")" + secret + R"(": 1}})");
    auto f = evaluate_json(a, doc, {secret});
    BOOST_TEST_REQUIRE(f.size() == 2u);
    BOOST_TEST(f[0] ==
               R"(expect_json $.token: expected "expected-value", got "Bearer [redacted]")");
    BOOST_TEST(f[1] == R"(expect_json $.o.x: no such member (the object has "[redacted]"))");
    // As JSON writes it (a quote escaped), too.
    const std::string quoted_secret = "pa\"ss-word";
    f = evaluate_json({assertion("$.p", "x")}, json::parse(R"({"p": "pa\"ss-word"})"),
                      {quoted_secret});
    BOOST_TEST_REQUIRE(f.size() == 1u);
    BOOST_TEST(f[0] == R"(expect_json $.p: expected "x", got "[redacted]")");
    // Not JSON: the start shown is redacted as well.
    f = judge_json_text(a, "<html>" + secret + "</html>", "the body", false, {secret});
    BOOST_TEST_REQUIRE(f.size() == 1u);
    BOOST_TEST(f[0].find("s3cr3t") == std::string::npos, f[0]);
    BOOST_TEST(f[0].find("[redacted]") != std::string::npos, f[0]);
}

BOOST_AUTO_TEST_CASE(a_text_that_cannot_be_judged_gets_one_message) {
    json_assertions a = {assertion("$.a", "1"), assertion("$.b", "2")};
    BOOST_TEST(judge_json_text(a, R"({"a": 1, "b": 2})", "the body", false).empty());
    auto f = judge_json_text(a, std::string(65536, ' '), "the body", true);
    BOOST_TEST_REQUIRE(f.size() == 1u);
    BOOST_TEST(
        f[0] ==
        "the body was cut at 64 KiB (no more is read): expect_json needs the whole document");
    f = judge_json_text(a, " \r\n", "stdout", false);
    BOOST_TEST_REQUIRE(f.size() == 1u);
    BOOST_TEST(f[0] == "stdout is not JSON: it is empty");
    f = judge_json_text(a, "<html>Bad Gateway</html>", "the body", false);
    BOOST_TEST_REQUIRE(f.size() == 1u);
    BOOST_TEST(f[0] == "the body is not JSON (syntax error at byte 0): '<html>Bad Gateway</html>'");
    f = judge_json_text(a, "{\"a\": 1,\n\"b\":", "the body", false);
    BOOST_TEST_REQUIRE(f.size() == 1u);
    BOOST_TEST(f[0] == "the body is not JSON (incomplete JSON at byte 13): '{\"a\": 1,\\n\"b\":'");
    f = judge_json_text(a, "{} {}", "the body", false);
    BOOST_TEST_REQUIRE(f.size() == 1u);
    BOOST_TEST(f[0].starts_with("the body is not JSON (extra data at byte 3)"), f[0]);
    BOOST_TEST(judge_json_text({}, "not json", "the body", false).empty());
    // Nesting past 64 levels is refused, not followed.
    f = judge_json_text(a, std::string(100, '[') + std::string(100, ']'), "the body", false);
    BOOST_TEST_REQUIRE(f.size() == 1u);
    BOOST_TEST(f[0].starts_with("the body is not JSON (too deep at byte 64): '[[[["), f[0]);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(judges)

http_spec json_http(json_assertions a) {
    http_spec s;
    s.url = "http://127.0.0.1:8080/health";
    s.expect_json = std::move(a);
    return s;
}

BOOST_AUTO_TEST_CASE(an_http_check_judges_the_body_after_its_status) {
    auto spec = json_http({assertion("$.status", "green"), assertion("$.nodes", ">= 3")});
    auto r = judge_http(spec, {200, R"({"status": "green", "nodes": 3})", false});
    BOOST_TEST(r.ok);
    BOOST_TEST(r.message == "ok");
    r = judge_http(spec, {200, R"({"status": "red", "nodes": 2})", false});
    BOOST_TEST(!r.ok);
    BOOST_TEST(
        r.message ==
        R"(GET http://127.0.0.1:8080/health: status 200 but expect_json $.status: expected "green", got "red"; expect_json $.nodes: expected >= 3, got 2)");
    BOOST_TEST(r.facts.at("status_code").as_int64() == 200);
    // The status first: a 503's body is not judged.
    r = judge_http(spec, {503, "<html>down</html>", false});
    BOOST_TEST(r.message == "GET http://127.0.0.1:8080/health: status 503, expected 200-399");
    r = judge_http(spec, {200, std::string(65536, '['), true});
    BOOST_TEST(r.message ==
               "GET http://127.0.0.1:8080/health: status 200 but the body was cut at 64 KiB (no "
               "more is read): expect_json needs the whole document");
}

BOOST_AUTO_TEST_CASE(an_http_checks_secrets_never_show_in_its_message) {
    // The existing redaction, as a run applies it, plus the cut-safe one of the values.
    const std::string token = "tok-" + std::string(80, 'z');
    auto spec = json_http({assertion("$.echo", "nothing")});
    spec.url = "http://user:hunter22@127.0.0.1:8080/health";
    spec.headers = {{"Authorization", "Bearer " + token}};
    check_config c;
    c.spec = spec;
    auto r = judge_http(spec, {200, R"({"echo": "Bearer )" + token + R"( hunter22"})", false},
                        secret_values(c));
    redact(r, secret_values(c));
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.message.find("tok-") == std::string::npos, r.message);
    BOOST_TEST(r.message.find("hunter22") == std::string::npos, r.message);
    BOOST_TEST(
        r.message ==
        R"(GET http://127.0.0.1:8080/health: status 200 but expect_json $.echo: expected "nothing", got "[redacted] [redacted]")");
}

BOOST_AUTO_TEST_CASE(an_exec_check_judges_stdout_when_its_exit_code_passes) {
    exec_spec spec;
    spec.argv = {"check"};
    spec.expect_json = {assertion("$.state", "ready")};
    auto r = judge_exec(spec, 0, R"({"state": "ready", "queue": 1})", "");
    BOOST_TEST(r.ok);
    BOOST_TEST(r.message == "ok");
    BOOST_TEST(r.data.at("queue").as_int64() == 1);  // still merged into the entry
    r = judge_exec(spec, 0, R"({"state": "starting"})", "");
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.message ==
               R"(exit code 0, but expect_json $.state: expected "ready", got "starting")");
    r = judge_exec(spec, 0, "[1, 2]", "");
    BOOST_TEST(r.message == "exit code 0, but expect_json $.state: $ is an array, not an object");
    r = judge_exec(spec, 0, "ready\n", "");
    BOOST_TEST(r.message ==
               "exit code 0, but stdout is not JSON (syntax error at byte 0): 'ready\\n'");
    r = judge_exec(spec, 0, std::string(64 * 1024, ' '), "");
    BOOST_TEST(r.message ==
               "exit code 0, but stdout was cut at 64 KiB (no more is read): expect_json needs "
               "the whole document");
    // A failing exit code is told as before; stdout is not judged.
    r = judge_exec(spec, 3 << 8, R"({"state": "starting"})", "boom");
    BOOST_TEST(r.message == "exit code 3, expected exit code 0: boom");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(expect_json_loads_on_http_and_exec_checks) {
    auto r = parse(http_check + R"(    expect_json:
      $.status: green
      $.number_of_nodes: ">= 3"
      $["name.with.dots"]: "!= red"
      $.items.length: 0
      $.flag: "true"
      $.none:
  - name: e
    type: exec
    command: [cat, /x.json]
    expect_json: {$.state: ready}
)");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    const auto& h = std::get<http_spec>(r.cfg->checks.at(0).spec);
    BOOST_TEST_REQUIRE(h.expect_json.size() == 6u);
    BOOST_TEST(h.expect_json[0].path.text == "$.status");
    BOOST_TEST(h.expect_json[0].expect.value == json::value("green"));
    BOOST_TEST((h.expect_json[1].expect.op == json_op::at_least));
    BOOST_TEST(h.expect_json[2].path.steps.at(0).name == "name.with.dots");
    BOOST_TEST((h.expect_json[2].expect.op == json_op::not_equal));
    BOOST_TEST(h.expect_json[3].expect.value.as_int64() == 0);
    BOOST_TEST(h.expect_json[4].expect.value == json::value("true"));  // quoted: a string
    BOOST_TEST(h.expect_json[5].expect.value.is_null());
    const auto& e = std::get<exec_spec>(r.cfg->checks.at(1).spec);
    BOOST_TEST_REQUIRE(e.expect_json.size() == 1u);
    BOOST_TEST(e.expect_json[0].expect.value == json::value("ready"));
}

BOOST_AUTO_TEST_CASE(a_changed_expect_json_is_a_changed_check) {
    auto a = parse(http_check + "    expect_json: {$.a: 1}\n");
    auto b = parse(http_check + "    expect_json: {$.a: 2}\n");
    auto c = parse(http_check + "    expect_json: {$.a: 1}\n");
    BOOST_TEST_REQUIRE((a.ok() && b.ok() && c.ok()));
    const auto& unit = http_spec::unit();
    BOOST_TEST(!unit.same(a.cfg->checks[0].spec, b.cfg->checks[0].spec));
    BOOST_TEST(unit.same(a.cfg->checks[0].spec, c.cfg->checks[0].spec));
}

BOOST_AUTO_TEST_CASE(every_bad_path_and_comparison_is_reported_at_its_place) {
    auto r = parse(http_check + R"(    expect_json:
      status: green
      $.a b: 1
      $.n: ">= x"
      $.m: != red
      $.k: [1]
      $.q: '== "x'
      $.t: !!int 3
      $.status: red
      $.status: blue
)");
    BOOST_TEST(!r.ok());
    const std::string expected =
        "test.yaml:6:7: bad path 'status' in 'expect_json': a path starts with $ (did you mean "
        "'$.status'?)\n"
        "test.yaml:7:7: bad path '$.a b' in 'expect_json': ' ' at character 4 cannot be in a "
        "name after '.': write such a name in brackets and double quotes, [\"...\"]\n"
        "test.yaml:8:12: bad expectation '>= x' for '$.n' in 'expect_json': '>=' compares "
        "numbers: write a number after it, not 'x'\n"
        "test.yaml:9:12: the expectation of '$.m' starts with '!', which YAML reads as a tag: "
        "quote the comparison, \"!= red\"\n"
        "test.yaml:10:12: the expectation of '$.k' in 'expect_json' must be a single value: a "
        "value to equal, or a comparison such as \">= 3\"\n"
        "test.yaml:11:12: bad expectation '== \"x' for '$.q' in 'expect_json': after '==', "
        "'\"x' is not one JSON string: a value that starts with '\"' must end with the closing "
        "'\"' (write \\\" for a quote inside)\n"
        "test.yaml:12:12: the expectation of '$.t' has the YAML tag 'tag:yaml.org,2002:int': "
        "write the value alone\n"
        "test.yaml:14:7: duplicate path '$.status' in 'expect_json'\n";
    BOOST_TEST(printed(r) == expected);
}

BOOST_AUTO_TEST_CASE(a_wrong_expect_json_as_a_whole) {
    auto r = parse(http_check + "    expect_json: [$.a]\n");
    BOOST_TEST(printed(r) ==
               "test.yaml:5:18: 'expect_json' must be a mapping of paths to expected values, "
               "such as {$.status: green}\n");
    r = parse(http_check + "    expect_json: {}\n");
    BOOST_TEST(printed(r) ==
               "test.yaml:5:18: 'expect_json' is empty: give at least one path and its expected "
               "value\n");
    r = parse(http_check + "    expect_json:\n");
    BOOST_TEST(printed(r) ==
               "test.yaml:6:1: 'expect_json' must be a mapping of paths to expected values, "
               "such as {$.status: green}\n");
    r = parse(http_check + "    method: head\n    expect_json: {$.a: 1}\n");
    BOOST_TEST(printed(r) ==
               "test.yaml:6:18: 'expect_json' needs a body to read: a HEAD request gets none\n");
    r = parse(http_check + "    expect_jsn: {$.a: 1}\n");
    BOOST_TEST(printed(r) ==
               "test.yaml:5:5: unknown key 'expect_jsn' in check 'h' (did you mean "
               "'expect_json'?)\n");
    r = parse("checks:\n  - {name: f, type: file, path: /x, expect_json: {$.a: 1}}\n");
    BOOST_TEST(printed(r) ==
               "test.yaml:2:37: key 'expect_json' does not apply to a file check (check 'f')\n");
}

BOOST_AUTO_TEST_SUITE_END()
