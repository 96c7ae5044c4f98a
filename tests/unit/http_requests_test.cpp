#define BOOST_TEST_MODULE http_requests
#include <boost/test/unit_test.hpp>

#include "heartbeat/checks/http/assertions.hpp"
#include "heartbeat/checks/http/run.hpp"
#include "heartbeat/config.hpp"
#include "heartbeat/redact.hpp"

using namespace heartbeat;

// The http keys of requests and assertions (method, body, expect_body_regex, expect_headers) and
// the messages of the secret-file keys that need no file: parsing, positions and judges.

namespace {

load_result parse(const std::string& check) {
    return parse_config(
        "checks:\n  - name: h\n    type: http\n    url: http://127.0.0.1:8/\n" + check,
        "test.yaml");
}

std::string printed(const load_result& r) {
    std::string out;
    for (auto& d : r.diagnostics) out += d.format("test.yaml") + "\n";
    return out;
}

const http_spec& spec_of(const load_result& r) {
    return std::get<http_spec>(r.cfg->checks.at(0).spec);
}

http_exchange reply(std::string body,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    http_exchange got;
    got.status = 200;
    got.body = std::move(body);
    got.headers = std::move(headers);
    return got;
}

}  // namespace

BOOST_AUTO_TEST_CASE(post_and_put_take_a_body_in_any_case) {
    auto r = parse("    method: post\n    body: '{\"q\": 1}'\n");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST(spec_of(r).method == "POST");
    BOOST_TEST(spec_of(r).body.value() == "{\"q\": 1}");
    auto put = parse("    method: PUT\n");
    BOOST_TEST_REQUIRE(put.ok(), printed(put));
    BOOST_TEST(!spec_of(put).body.has_value());
}

BOOST_AUTO_TEST_CASE(a_body_without_post_or_put_is_an_error_at_its_place) {
    BOOST_TEST(printed(parse("    body: x\n")) ==
               "test.yaml:5:11: 'body' needs method POST or PUT in check 'h': a GET request "
               "carries none\n");
    BOOST_TEST(printed(parse("    method: HEAD\n    body: x\n")) ==
               "test.yaml:6:11: 'body' needs method POST or PUT in check 'h': a HEAD request "
               "carries none\n");
}

BOOST_AUTO_TEST_CASE(an_unknown_method_is_named_with_a_suggestion) {
    BOOST_TEST(printed(parse("    method: PSOT\n")) ==
               "test.yaml:5:13: 'method' must be GET, HEAD, POST or PUT, got 'PSOT' (did you "
               "mean 'POST'?)\n");
    BOOST_TEST(printed(parse("    method: DELETE\n")) ==
               "test.yaml:5:13: 'method' must be GET, HEAD, POST or PUT, got 'DELETE'\n");
}

BOOST_AUTO_TEST_CASE(a_bad_regex_is_an_error_with_the_librarys_reason) {
    auto out = printed(parse("    expect_body_regex: 'status\"(:'\n"));
    BOOST_TEST(out.starts_with("test.yaml:5:24: 'expect_body_regex' is not a valid regular "
                               "expression: "),
               out);
    BOOST_TEST(out.find("(at character") != std::string::npos, out);
    BOOST_TEST(printed(parse("    expect_body_regex: ''\n")) ==
               "test.yaml:5:24: 'expect_body_regex' must not be empty\n");
}

BOOST_AUTO_TEST_CASE(expect_headers_takes_names_and_substrings) {
    auto r = parse("    expect_headers: {Content-Type: json, X-Node: a}\n");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    BOOST_TEST(spec_of(r).expect_headers.size() == 2u);
    BOOST_TEST(printed(parse("    expect_headers: {'Bad Name': x}\n")) ==
               "test.yaml:5:21: 'expect_headers' names 'Bad Name', which is not a header name (no "
               "spaces, ':' or line breaks)\n");
    BOOST_TEST(printed(parse("    expect_headers: [a]\n")) ==
               "test.yaml:5:21: 'expect_headers' must be a mapping of names to values\n");
}

BOOST_AUTO_TEST_CASE(the_regex_is_searched_anywhere_in_the_body) {
    std::string why;
    auto p = compile_body_pattern("\"status\":\\s*\"(green|yellow)\"", why);
    BOOST_TEST_REQUIRE(p != nullptr, why);
    BOOST_TEST(body_regex_failure(*p, "{\"a\":1, \"status\": \"green\"}", false).empty());
    BOOST_TEST(body_regex_failure(*p, "{\"status\":\"red\"}", false) ==
               "the body does not match expect_body_regex '\"status\":\\s*\"(green|yellow)\"': "
               "got '{\"status\":\"red\"}'");
}

BOOST_AUTO_TEST_CASE(a_pattern_too_complex_for_the_body_fails_saying_so) {
    // Nested quantifiers on a 64 KiB body that almost matches: exponential backtracking, which
    // std::regex would run until the stack overflows.
    std::string why;
    auto p = compile_body_pattern("(a+)+b", why);
    BOOST_TEST_REQUIRE(p != nullptr, why);
    std::string body(64 * 1024, 'a');
    auto out = body_regex_failure(*p, body, true);
    BOOST_TEST(out ==
               "expect_body_regex '(a+)+b' is too complex to search the body (first 64 "
               "KiB) of 65536 bytes with: simplify it");
}

BOOST_AUTO_TEST_CASE(headers_are_matched_by_name_in_any_case) {
    std::vector<std::pair<std::string, std::string>> got = {
        {"content-type", "application/json; charset=utf-8"}, {"X-Node", "a"}, {"X-Node", "b"}};
    BOOST_TEST(header_failure({{"Content-Type", "json"}, {"x-node", "b"}}, got).empty());
    BOOST_TEST(header_failure({{"Content-Type", "text/html"}}, got) ==
               "header 'Content-Type' is 'application/json; charset=utf-8', which does not "
               "contain 'text/html'");
    BOOST_TEST(header_failure({{"X-Missing", "x"}}, got) ==
               "the response has no header 'X-Missing'");
}

BOOST_AUTO_TEST_CASE(the_judge_names_the_failed_assertion) {
    auto r = parse("    expect_body_regex: 'ok$'\n    expect_headers: {X-Version: '2.'}\n");
    BOOST_TEST_REQUIRE(r.ok(), printed(r));
    const auto& spec = spec_of(r);
    BOOST_TEST(judge_http(spec, reply("all ok", {{"x-version", "2.4"}})).ok);
    BOOST_TEST(judge_http(spec, reply("not yet", {{"x-version", "2.4"}})).message ==
               "GET http://127.0.0.1:8/: status 200 but the body does not match "
               "expect_body_regex 'ok$': got 'not yet'");
    BOOST_TEST(judge_http(spec, reply("all ok", {{"x-version", "1.9"}})).message ==
               "GET http://127.0.0.1:8/: status 200 but header 'X-Version' is '1.9', which does "
               "not contain '2.'");
    BOOST_TEST(judge_http(spec, reply("all ok")).message ==
               "GET http://127.0.0.1:8/: status 200 but the response has no header 'X-Version'");
}

BOOST_AUTO_TEST_CASE(a_missing_secret_file_is_named_at_its_key_never_read) {
    BOOST_TEST(printed(parse("    token_file: /nonexistent/token\n")) ==
               "test.yaml:5:17: cannot use 'token_file' file '/nonexistent/token': no such file "
               "or directory\n");
    BOOST_TEST(printed(parse("    username: u\n    password_file: /nonexistent/pw\n")) ==
               "test.yaml:6:20: cannot use 'password_file' file '/nonexistent/pw': no such file "
               "or directory\n");
    BOOST_TEST(printed(parse("    headers_from_files: {X-Key: /nonexistent/key}\n")) ==
               "test.yaml:5:33: cannot use 'headers_from_files' file '/nonexistent/key': no such "
               "file or directory\n");
    // Relative to the config file's folder.
    auto r = parse_config(
        "checks:\n  - {name: h, type: http, url: 'http://127.0.0.1:8/', token_file: t}\n",
        "/nonexistent/conf/heartbeat.yaml");
    BOOST_TEST(printed(r) ==
               "test.yaml:2:67: cannot use 'token_file' file "
               "'/nonexistent/conf/t': no such file or directory\n");
}

BOOST_AUTO_TEST_CASE(credentials_go_together_and_one_way_each) {
    BOOST_TEST(printed(parse("    username: u\n")) ==
               "test.yaml:5:15: 'username' needs 'password_file' in check 'h': Basic auth takes "
               "both\n");
    BOOST_TEST(printed(parse("    password_file: /x\n")) ==
               "test.yaml:5:20: 'password_file' needs 'username' in check 'h': Basic auth takes "
               "both\n");
    auto userinfo = parse_config(
        "checks:\n  - name: h\n    type: http\n    url: "
        "http://a:b@127.0.0.1:8/\n    username: u\n    password_file: "
        "/x\n",
        "test.yaml");
    BOOST_TEST(printed(userinfo) ==
               "test.yaml:5:15: 'username' and 'password_file' in check 'h' clash with the "
               "user-info of its url: give the credentials one way\n");
    auto token = printed(parse("    headers: {authorization: x}\n    token_file: /x\n"));
    BOOST_TEST(token.find("test.yaml:6:17: 'token_file' sets the Authorization header, which "
                          "check 'h' sets another way too") != std::string::npos,
               token);
    auto both = printed(parse("    headers: {X-Key: a}\n    headers_from_files: {x-key: /x}\n"));
    BOOST_TEST(both.find("test.yaml:6:33: header 'x-key' of 'headers_from_files' is set by "
                         "'headers' too in check 'h': keep one") != std::string::npos,
               both);
    // User-info in the url is an Authorization header too.
    const std::string with_userinfo =
        "checks:\n  - name: h\n    type: http\n    url: http://a:b@127.0.0.1:8/\n";
    auto header = printed(parse_config(with_userinfo + "    headers: {Authorization: x}\n",
                                       "test.yaml"));
    BOOST_TEST(header == "test.yaml:5:14: 'headers' of check 'h' sets the Authorization header, "
                         "which the url's user-info sets too: keep one\n",
               header);
    auto file = printed(parse_config(
        with_userinfo + "    headers_from_files: {authorization: /nonexistent/x}\n", "test.yaml"));
    BOOST_TEST(file.find("header 'authorization' of 'headers_from_files' is set by the url's "
                         "user-info too in check 'h': keep one") != std::string::npos,
               file);
}

BOOST_AUTO_TEST_CASE(client_certificate_keys_go_together_and_need_tls) {
    BOOST_TEST(printed(parse_config("checks:\n  - name: h\n    type: http\n    url: "
                                    "https://127.0.0.1:8/\n    cert_file: /c\n",
                                    "test.yaml")) ==
               "test.yaml:5:16: 'cert_file' needs 'key_file' in check 'h': a client certificate "
               "takes both\n");
    BOOST_TEST(printed(parse("    key_file: /k\n"))
                   .find("test.yaml:5:15: 'key_file' in check 'h' needs an https:// url") !=
               std::string::npos);
    auto tcp = parse_config(
        "checks:\n  - {name: t, type: tcp, host: h, port: 1, cert_file: /c, "
        "key_file: /k}\n",
        "test.yaml");
    BOOST_TEST(printed(tcp).find("'cert_file' in check 't' needs tls: true") != std::string::npos,
               printed(tcp));
}

BOOST_AUTO_TEST_CASE(basic_credentials_are_base64_of_user_and_password) {
    http_spec h;
    h.credentials.username = "monitor";
    h.credentials.password = "pa%3Ass";  // sent as written: no percent-decoding
    check_config c;
    c.spec = h;
    auto secrets = secret_values(c);
    // base64("monitor:pa%3Ass")
    BOOST_TEST(std::count(secrets.begin(), secrets.end(), "bW9uaXRvcjpwYSUzQXNz") == 1);
    BOOST_TEST(std::count(secrets.begin(), secrets.end(), "pa%3Ass") == 1);
}
