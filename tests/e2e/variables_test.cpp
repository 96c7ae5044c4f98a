#define BOOST_TEST_MODULE e2e_variables
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <unistd.h>

#include <fstream>

#include "heartbeatd.hpp"
#include "loopback.hpp"

using namespace heartbeat::test;

namespace {

// Values given to the daemon through its environment, each distinctive enough that finding it
// anywhere is a leak.
const std::string path_secret = "path-secret-6d2f0a";
const std::string echo_secret = "echo-secret-93b7c1";
const std::string base_secret = "/base-secret-4e81";

/** A target that answers 500 quoting the request line, as some error pages do. */
void echo_request_line(int fd) {
    std::string head = read_until(fd, "\r\n\r\n", 2000);
    std::string line = head.substr(0, head.find("\r\n"));
    write_all(fd, "HTTP/1.1 500 Echo\r\nContent-Length: " + std::to_string(line.size()) +
                      "\r\nConnection: close\r\n\r\n" + line);
    ::close(fd);
}

std::string config() {
    return "server:\n"
           "  base_path: ${HB_BASE}\n"
           "checks:\n"
           "  - name: target\n"
           "    type: http\n"
           "    url: http://127.0.0.1:${HB_TARGET_PORT}/${HB_PATH_SECRET}\n"
           "    interval: 200ms\n"
           "    timeout: 500ms\n"
           "  - name: echo\n"
           "    type: exec\n"
           "    command: [/bin/echo, 'said ${HB_ECHO_SECRET}']\n"
           "    interval: 200ms\n"
           "    probes: [readiness, liveliness]\n"
           "  - name: literal\n"
           "    type: exec\n"
           "    command: [/bin/echo, '${HB_UNSET:-default-word} $$HOME ^ok$']\n"
           "    interval: 200ms\n";
}

void expect_no_secret(const std::string& where, const std::string& text) {
    for (const auto& s : {path_secret, echo_secret, base_secret})
        BOOST_TEST(text.find(s) == std::string::npos, where << " shows '" << s << "': " << text);
}

std::map<std::string, std::string> environment(std::uint16_t target_port) {
    return {{"HB_BASE", base_secret},
            {"HB_TARGET_PORT", std::to_string(target_port)},
            {"HB_PATH_SECRET", path_secret},
            {"HB_ECHO_SECRET", echo_secret}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(variables_fill_the_config_and_their_values_never_show) {
    scripted_server target(echo_request_line);
    heartbeatd d(config(), {"--log-level", "trace"}, environment(target.port()));
    // The base path came from the environment: the probes answer there.
    BOOST_TEST_REQUIRE(poll_until([&] {
        auto r = d.get(base_secret + "/readiness");
        return r.status == 500 && r.body.find("status 500") != std::string::npos &&
               r.body.find("said") != std::string::npos;
    }));
    BOOST_TEST(target.accepted() > 0);  // the port came from the environment too
    auto body = d.get(base_secret + "/readiness").body;
    // Redacted where the values would have been; defaults and `$$` as written.
    BOOST_TEST(body.find("said [redacted]") != std::string::npos, body);
    BOOST_TEST(body.find("[redacted]: status 500") != std::string::npos, body);
    BOOST_TEST(body.find("default-word $HOME ^ok$") != std::string::npos, body);
    std::vector<std::string> answers = {body};
    for (const std::string p : {"/readiness?verbose", "/liveliness", "/readiness/target",
                                "/readiness/echo?verbose", "/environ", "/startup"})
        answers.push_back(d.get(base_secret + p).body);
    answers.push_back(d.get("/metrics").body);
    answers.push_back(d.get("/nope").body);
    for (std::size_t i = 0; i < answers.size(); ++i)
        expect_no_secret("answer " + std::to_string(i), answers[i]);

    // A reload expands again: the file now names other variables.
    {
        std::ofstream out(d.config_path, std::ios::trunc);
        out << "server: {base_path: '${HB_BASE}'}\n"
               "checks:\n"
               "  - {name: echo2, type: exec, command: [/bin/echo, '${HB_PATH_SECRET}'], "
               "interval: 200ms}\n";
    }
    BOOST_TEST_REQUIRE(d.proc->wait_for_line(std::regex("reloaded \\(")).has_value(),
                       d.proc->stderr_text());
    BOOST_TEST_REQUIRE(poll_until([&] {
        auto r = d.get(base_secret + "/readiness/echo2");
        return r.status == 200 && r.body.find("[redacted]") != std::string::npos;
    }));
    expect_no_secret("answer after reload", d.get(base_secret + "/readiness").body);
    d.proc->signal(SIGTERM);
    BOOST_TEST_REQUIRE(d.proc->wait_exit().has_value());
    const auto& log = d.proc->stderr_text();
    BOOST_TEST(log.find("listening on 127.0.0.1:") != std::string::npos, log);
    BOOST_TEST(log.find("probes under [redacted]") != std::string::npos, log);
    expect_no_secret("log", log);
}

BOOST_AUTO_TEST_CASE(check_prints_results_without_the_values) {
    scripted_server target(echo_request_line);
    temp_dir dir;
    auto file = dir.write("h.yaml", config());
    auto r = run({HEARTBEAT_BINARY, "check", "--config", file, "--log-level", "trace"},
                 environment(target.port()));
    BOOST_TEST(r.code == 1, r.out << r.err);  // the target answers 500
    BOOST_TEST(r.out.find("said [redacted]") != std::string::npos, r.out);
    expect_no_secret("check output", r.out);
    expect_no_secret("check log", r.err);
}

BOOST_AUTO_TEST_CASE(validate_names_the_variable_and_quotes_what_the_file_says) {
    temp_dir dir;
    auto file = dir.write("h.yaml",
                          "checks:\n"
                          "  - name: a\n"
                          "    type: tcp\n"
                          "    host: h\n"
                          "    port: ${HB_PORT}\n"
                          "  - name: b\n"
                          "    type: http\n"
                          "    url: '${HB_URL}'\n"
                          "  - name: c\n"
                          "    type: file\n"
                          "    path: ${HB_MISSING}\n"
                          "  - name: d\n"
                          "    type: http\n"
                          "    url: 'http://${HB_HOST}:80/'\n"
                          "    probes: [liveliness]\n");
    auto r = run({HEARTBEAT_BINARY, "validate", "--config", file},
                 {{"HB_PORT", "65599"},
                  {"HB_URL", "gopher://" + path_secret + "/"},
                  {"HB_HOST", echo_secret}});
    BOOST_TEST(r.code == 1);
    auto out = r.out + r.err;
    BOOST_TEST(out.find(file + ":5:11: 'port' must be a whole number from 1 to 65535, got "
                               "'${HB_PORT}'") != std::string::npos,
               out);
    BOOST_TEST(
        out.find(file + ":8:10: 'url' must start with http:// or https://") != std::string::npos,
        out);
    // Part of a value: the message names the variable.
    BOOST_TEST(out.find(file + ":12:5: warning: check 'd' is a liveliness check that reaches "
                               "another host (${HB_HOST})") != std::string::npos,
               out);
    BOOST_TEST(out.find(file + ":11:11: variable HB_MISSING is not set") != std::string::npos, out);
    BOOST_TEST(out.find("65599") == std::string::npos, out);
    expect_no_secret("validate", out);
    // serve refuses the same file with the same lines, and no value either.
    auto s = run({HEARTBEAT_BINARY, "serve", "--config", file, "--listen", "127.0.0.1:0"},
                 {{"HB_PORT", "65599"},
                  {"HB_URL", "gopher://" + path_secret + "/"},
                  {"HB_HOST", echo_secret}});
    BOOST_TEST(s.code == 1);
    BOOST_TEST(s.err.find("HB_MISSING is not set") != std::string::npos, s.err);
    BOOST_TEST(s.err.find("65599") == std::string::npos, s.err);
    expect_no_secret("serve", s.out + s.err);
}

BOOST_AUTO_TEST_CASE(probe_asks_where_the_variables_say_and_prints_no_value) {
    temp_dir dir;
    auto file = dir.write("h.yaml",
                          "server: {listen: '127.0.0.1:${HB_PORT}', base_path: "
                          "'${HB_BASE}'}\n");
    // Nothing listens there: the one line it prints on failure names the URL it asked.
    auto port = refused_port();
    auto r = run({HEARTBEAT_BINARY, "probe", "--config", file, "--timeout", "2s"},
                 {{"HB_PORT", std::to_string(port)}, {"HB_BASE", base_secret}});
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.err.find("heartbeatd probe: ") != std::string::npos, r.err);
    BOOST_TEST(r.err.find("[redacted]") != std::string::npos, r.err);
    expect_no_secret("probe", r.out + r.err);
    // A daemon listening where the variables say answers it.
    heartbeatd d("server: {base_path: '${HB_BASE}'}\n", {}, {{"HB_BASE", base_secret}});
    auto ok = run({HEARTBEAT_BINARY, "probe", "--config", file, "--timeout", "2s"},
                  {{"HB_PORT", std::to_string(d.port)}, {"HB_BASE", base_secret}});
    BOOST_TEST(ok.code == 0, ok.out << ok.err);
}
