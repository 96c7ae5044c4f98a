#define BOOST_TEST_MODULE e2e_secret_files
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "grpc_server.hpp"
#include "heartbeatd.hpp"
#include "loopback.hpp"
#include "postgres_server.hpp"
#include "skip.hpp"
#include "tls.hpp"

// The built daemon with a config that reads every kind of secret file (password_file of http and
// postgres, headers_from_files, token_file of http and grpc, a client key): none of their contents
// appears in any answer or log line, even from a target that echoes the request back; a reload
// reads the files again.

using namespace heartbeat::test;

namespace {

const std::string basic_password = "basic-pw-5e1f0a77";
const std::string http_token = "http-tok-3c9d42e1";
const std::string api_key = "api-key-b7a19f06";
const std::string grpc_token = "grpc-tok-0d6e2b95";
const std::string pg_password = "pg-pw-81c4fa2d";

/** A target that answers 500 with the whole request it got, as some error pages do. */
void echo_request(int fd) {
    std::string head = read_until(fd, "\r\n\r\n", 2000);
    std::string body;
    for (const std::string name : {"Authorization: ", "X-Api-Key: "})
        if (auto at = head.find(name); at != std::string::npos)
            body += head.substr(at, head.find("\r\n", at) - at) + " ";
    body += head;
    write_all(fd, "HTTP/1.1 500 Echo\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\nConnection: close\r\n\r\n" + body);
    ::close(fd);
}

/** The private key's base64 lines: none of them may be shown either. */
std::vector<std::string> key_lines(const std::string& key_file) {
    std::ifstream in(key_file);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);)
        if (!line.starts_with("-----") && line.size() > 16) out.push_back(line);
    return out;
}

/** Every secret and the forms it travels in. */
std::vector<std::string> forms(const std::vector<std::string>& key) {
    std::vector<std::string> out = {basic_password, http_token, api_key, grpc_token, pg_password,
                                    // base64 of "monitor:basic-pw-5e1f0a77"
                                    "bW9uaXRvcjpiYXNpYy1wdy01ZTFmMGE3Nw=="};
    out.insert(out.end(), key.begin(), key.end());
    return out;
}

std::vector<std::string> every_answer(heartbeatd& d) {
    std::vector<std::string> out;
    for (const std::string probe : {"readiness", "liveliness", "startup", "environ"})
        for (const std::string suffix :
             {"", "?verbose", "/basic", "/token", "/key", "/mtls", "/grpc", "/db"})
            out.push_back(d.get(base + "/" + probe + suffix).body);
    out.push_back(d.get("/metrics").body);
    return out;
}

void expect_none(const std::vector<std::string>& secrets, const std::string& where,
                 const std::string& text) {
    for (const auto& s : secrets)
        BOOST_TEST(text.find(s) == std::string::npos, where << " shows '" << s << "'");
}

}  // namespace

BOOST_AUTO_TEST_CASE(no_secret_file_content_appears_in_answers_or_logs) {
    scripted_server target(echo_request);
    temp_dir files;
    std::filesystem::create_directories(files.path() + "/server");
    std::filesystem::create_directories(files.path() + "/client");
    self_signed server_cert(files.path() + "/server", {"127.0.0.1"});
    self_signed client_cert(files.path() + "/client", {"client"});
    // It refuses a client without the client certificate: [+]mtls below means it was shown.
    tls_server tls(server_cert, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                   client_cert.cert_file);
    files.write("password", basic_password + "\n");
    files.write("token", http_token + "\r\n");
    files.write("api-key", api_key);
    files.write("grpc-token", "wrong-" + grpc_token + "\n");  // right after the reload below
    files.write("pg-password", pg_password + "\n");

    std::unique_ptr<grpc_health_server> grpc;
    if (grpc_server_missing().empty())
        grpc = std::make_unique<grpc_health_server>(std::vector<std::string>{"=SERVING"}, "", "",
                                                    grpc_token);
    else
        print_skip("grpc part", grpc_server_missing());
    std::unique_ptr<postgres_servers> pg;
    if (postgres_servers::missing().empty()) {
        pg = std::make_unique<postgres_servers>();
        BOOST_TEST_REQUIRE(pg->error().empty(), pg->error());
        BOOST_TEST_REQUIRE(pg->set_password("scram_user", pg_password).empty());
    } else {
        print_skip("postgres part", postgres_servers::missing());
    }

    const std::string echo = "http://127.0.0.1:" + std::to_string(target.port());
    const std::string f = files.path() + "/";
    std::string checks =
        "  - {name: basic, type: http, url: '" + echo +
        "/b', username: monitor, password_file: " + f +
        "password, interval: 200ms, timeout: 500ms, probes: [readiness, liveliness, startup, "
        "environ]}\n"
        "  - {name: token, type: http, url: '" +
        echo + "/t', token_file: " + f +
        "token, interval: 200ms, timeout: 500ms, expect_status: [5xx], expect_body: nothing}\n"
        "  - {name: key, type: http, url: '" +
        echo + "/k', headers_from_files: {X-Api-Key: " + f +
        "api-key}, interval: 200ms, timeout: 500ms, expect_status: [5xx], expect_body: nothing}\n"
        "  - {name: mtls, type: http, url: 'https://127.0.0.1:" +
        std::to_string(tls.port()) + "/', ca_file: " + server_cert.cert_file +
        ", cert_file: " + client_cert.cert_file + ", key_file: " + client_cert.key_file +
        ", interval: 200ms, timeout: 500ms}\n";
    if (grpc)
        checks +=
            "  - {name: grpc, type: grpc, host: 127.0.0.1, port: " + std::to_string(grpc->port) +
            ", token_file: " + f + "grpc-token, interval: 200ms, timeout: 2s}\n";
    if (pg)
        checks += "  - {name: db, type: postgres, host: 127.0.0.1, port: " +
                  std::to_string(pg->primary_port()) +
                  ", user: scram_user, dbname: postgres, password_file: " + f +
                  "pg-password, interval: 200ms, timeout: 2s}\n";
    heartbeatd d("environ:\n  variables: [HOME]\nchecks:\n" + checks, {"--log-level", "trace"});
    // Every check has a result, and the echoing ones failed with the request in hand.
    BOOST_TEST_REQUIRE(poll_until(
        [&] {
            auto r = d.get(base + "/readiness?verbose");
            return r.body.find("[-]token") != std::string::npos &&
                   r.body.find("[-]key") != std::string::npos &&
                   r.body.find("[+]mtls") != std::string::npos &&
                   (!pg || r.body.find("[+]db") != std::string::npos) &&
                   (!grpc || r.body.find("[-]grpc") != std::string::npos);
        },
        30000));
    const auto secrets = forms(key_lines(client_cert.key_file));
    auto answers = every_answer(d);
    for (std::size_t i = 0; i < answers.size(); ++i)
        expect_none(secrets, "answer " + std::to_string(i), answers[i]);
    auto ready = d.get(base + "/readiness").body;
    BOOST_TEST(ready.find("[redacted]") != std::string::npos, ready);

    if (grpc) {
        // Read again at a reload, which the change of the file makes by itself (no SIGHUP): the
        // right token now.
        files.write("grpc-token", grpc_token + "\n");
        BOOST_TEST(poll_until(
            [&] {
                return d.get(base + "/readiness?verbose").body.find("[+]grpc") != std::string::npos;
            },
            20000));
    }
    d.proc->signal(SIGTERM);
    BOOST_TEST_REQUIRE(d.proc->wait_exit().has_value());
    const auto& log = d.proc->stderr_text();
    BOOST_TEST(log.find("token") != std::string::npos);  // the log did speak of the checks
    expect_none(secrets, "log", log);
}

BOOST_AUTO_TEST_CASE(validate_names_a_bad_secret_file_never_its_content) {
    temp_dir dir;
    dir.write("token", http_token + "\nsecond line " + api_key + "\n");
    auto config = dir.write("heartbeat.yaml",
                            "checks:\n  - {name: t, type: http, url: 'http://127.0.0.1:1/', "
                            "token_file: token}\n  - {name: g, type: grpc, host: 127.0.0.1, "
                            "port: 1, token_file: missing}\n");
    auto r = run({HEARTBEAT_BINARY, "validate", "--config", config});
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.out.find(config + ":2:67: cannot use 'token_file' file '" + dir.path() +
                          "/token': it must hold one line") != std::string::npos,
               r.out);
    BOOST_TEST(r.out.find(config + ":3:65: cannot use 'token_file' file '" + dir.path() +
                          "/missing': no such file or directory") != std::string::npos,
               r.out);
    expect_none({http_token, api_key}, "validate", r.out);
}
