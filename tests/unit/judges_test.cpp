#define BOOST_TEST_MODULE judges
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include "heartbeat/checks/exec/run.hpp"
#include "heartbeat/checks/http/assertions.hpp"
#include "heartbeat/checks/http/run.hpp"
#include "heartbeat/redact.hpp"

using namespace heartbeat;

namespace {

http_spec get(std::string url) {
    http_spec s;
    s.url = std::move(url);
    return s;
}

http_exchange response(int status, std::string body = "", bool truncated = false) {
    return {status, std::move(body), truncated};
}

// Wait statuses as the kernel reports them (what waitpid hands the reaper): the exit code in the
// second byte, or the number of the signal that ended the process.
int exited(int code) {
    return code << 8;
}
int killed_by(int signal) {
    return signal;
}

exec_spec expecting(int code) {
    exec_spec s;
    s.argv = {"check"};
    s.expect_exit = code;
    return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(http_status_200_to_399_passes_by_default) {
    auto spec = get("http://127.0.0.1:8080/health");
    for (int status : {200, 204, 301, 399}) {
        auto r = judge_http(spec, response(status));
        BOOST_TEST(r.ok, status);
        BOOST_TEST(r.message == "ok");
        BOOST_TEST(r.facts.at("status_code").as_int64() == status);
    }
    for (int status : {101, 199, 400, 503}) BOOST_TEST(!judge_http(spec, response(status)).ok);
    BOOST_TEST(judge_http(spec, response(503)).message ==
               "GET http://127.0.0.1:8080/health: status 503, expected 200-399");
    BOOST_TEST(judge_http(spec, response(503)).facts.at("status_code").as_int64() == 503);
}

BOOST_AUTO_TEST_CASE(http_expected_codes_and_classes) {
    auto spec = get("http://localhost/");
    spec.method = "HEAD";
    spec.expect_status = {{503, 0}, {0, 2}};
    BOOST_TEST(judge_http(spec, response(503)).ok);
    BOOST_TEST(judge_http(spec, response(204)).ok);
    BOOST_TEST(judge_http(spec, response(299)).ok);
    auto r = judge_http(spec, response(301));
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.message == "HEAD http://localhost:80/: status 301, expected 503, 2xx");
}

BOOST_AUTO_TEST_CASE(http_body_expectation_shows_what_came) {
    auto spec = get("https://localhost/status");
    spec.expect_body = "green";
    BOOST_TEST(judge_http(spec, response(200, R"({"status":"green"})")).ok);
    auto r = judge_http(spec, response(200, "red\r\n"));
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.message ==
               "GET https://localhost:443/status: status 200 but the body does not "
               "contain 'green': got 'red\\r\\n'");
    auto cut = judge_http(spec, response(200, std::string(64 * 1024, 'r'), true));
    BOOST_TEST(
        cut.message.find("the body (first 64 KiB) does not contain 'green'") != std::string::npos,
        cut.message);
    // What was shown of the body is capped: 80 bytes and an ellipsis.
    BOOST_TEST(cut.message.ends_with("got '" + std::string(80, 'r') + "...'"), cut.message);
}

BOOST_AUTO_TEST_CASE(http_status_is_judged_before_the_body) {
    auto spec = get("http://localhost:9000/");
    spec.expect_body = "green";
    auto r = judge_http(spec, response(500, "green"));
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.message == "GET http://localhost:9000/: status 500, expected 200-399");
}

BOOST_AUTO_TEST_CASE(http_messages_never_show_user_info) {
    auto spec = get("http://admin:s3cret@127.0.0.1:8080/x");
    auto r = judge_http(spec, response(401));
    BOOST_TEST(r.message == "GET http://127.0.0.1:8080/x: status 401, expected 200-399");
    BOOST_TEST(r.message.find("s3cret") == std::string::npos);
    BOOST_TEST(judge_http(get("ftp://x/"), response(200)).message == "bad url");
}

// What a peer sent is cut short for a message (80 characters of a body, 200 of a line): a secret
// echoed across the cut is taken out before it, so not even its start is shown.
BOOST_AUTO_TEST_CASE(a_secret_cut_short_in_a_message_is_taken_out_before_the_cut) {
    const std::string token = "tok-0123456789abcdef0123456789abcdef";
    const std::vector<std::string> secrets = {token};
    const std::string start = token.substr(0, 6);
    auto echoed = std::string(70, 'x') + token + " was refused";

    auto spec = get("http://127.0.0.1:8080/x");
    spec.expect_body = "green";
    auto body = judge_http(spec, response(200, echoed), secrets);
    BOOST_TEST(!body.ok);
    BOOST_TEST(body.message.find(start) == std::string::npos, body.message);
    BOOST_TEST(body.message.find("[redacted]") != std::string::npos, body.message);
    // Without the secrets, the same message shows the token's start: the cut is where it was.
    BOOST_TEST(judge_http(spec, response(200, echoed)).message.find(start) != std::string::npos);

    std::string why;
    auto pattern = compile_body_pattern("^green$", why);
    BOOST_TEST_REQUIRE(pattern != nullptr, why);
    auto regex = body_regex_failure(*pattern, echoed, false, secrets);
    BOOST_TEST(regex.find(start) == std::string::npos, regex);
    auto header = header_failure({{"X-Node", "green"}}, {{"X-Node", echoed}}, secrets);
    BOOST_TEST(header.find(start) == std::string::npos, header);
    BOOST_TEST(printable_redacted(echoed, secrets) ==
               std::string(70, 'x') + "[redacted]...");

    auto line = std::string(180, 'y') + token;
    auto exec = judge_exec(expecting(0), exited(1), "", line, secrets);
    BOOST_TEST(exec.message.find(start) == std::string::npos, exec.message);
    BOOST_TEST(exec.message.find("[redacted]") != std::string::npos, exec.message);
}

BOOST_AUTO_TEST_CASE(exec_exit_code_against_expect_exit) {
    auto ok = judge_exec(expecting(0), exited(0), "", "");
    BOOST_TEST(ok.ok);
    BOOST_TEST(ok.message == "ok");
    BOOST_TEST(ok.facts.at("exit_code").as_int64() == 0);
    auto two = judge_exec(expecting(2), exited(2), "", "");
    BOOST_TEST(two.ok);
    auto wrong = judge_exec(expecting(2), exited(0), "", "");
    BOOST_TEST(!wrong.ok);
    BOOST_TEST(wrong.message == "exit code 0, expected exit code 2");
    BOOST_TEST(wrong.facts.at("exit_code").as_int64() == 0);
}

BOOST_AUTO_TEST_CASE(exec_killed_by_a_signal_has_no_exit_code) {
    auto r = judge_exec(expecting(0), killed_by(SIGKILL), "", "dying\n");
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.facts.at("exit_code").is_null());
    BOOST_TEST(r.message == "killed by signal 9 (Killed), expected exit code 0: dying");
}

BOOST_AUTO_TEST_CASE(exec_message_takes_the_last_line_that_says_something) {
    // Passing: stdout first; failing: stderr first.
    BOOST_TEST(judge_exec(expecting(0), exited(0), "one\ntwo\n  \n\n", "warn").message == "two");
    BOOST_TEST(judge_exec(expecting(0), exited(0), " \n", "  warn  \n").message == "warn");
    BOOST_TEST(judge_exec(expecting(0), exited(1), "out\n", "boom\n").message ==
               "exit code 1, expected exit code 0: boom");
    BOOST_TEST(judge_exec(expecting(0), exited(1), "out\n", "").message ==
               "exit code 1, expected exit code 0: out");
    // A line is cut at 200 characters.
    auto r = judge_exec(expecting(0), exited(0), std::string(300, 'x'), "");
    BOOST_TEST(r.message == std::string(200, 'x'));
}

BOOST_AUTO_TEST_CASE(exec_json_object_on_stdout_is_data_not_text) {
    auto r = judge_exec(expecting(0), exited(0), R"(  {"version": "2.2.2", "workers": 4})", "");
    BOOST_TEST(r.ok);
    BOOST_TEST(r.message == "ok");
    BOOST_TEST(r.data.at("version").as_string() == "2.2.2");
    BOOST_TEST(r.data.at("workers").as_int64() == 4);
    BOOST_TEST(judge_exec(expecting(0), exited(0), R"({"a": 1})", "note\n").message == "note");
    auto failed = judge_exec(expecting(0), exited(3), R"({"a": 1})", "");
    BOOST_TEST(failed.message == "exit code 3, expected exit code 0");
    BOOST_TEST(failed.data.at("a").as_int64() == 1);
    // Anything else is text: broken JSON, an array, an object followed by more.
    for (std::string out : {"{not json", "[1, 2]", R"({"a": 1} tail)"}) {
        auto text = judge_exec(expecting(0), exited(0), out, "");
        BOOST_TEST(text.data.empty(), out);
        BOOST_TEST(text.message == out);
    }
}
