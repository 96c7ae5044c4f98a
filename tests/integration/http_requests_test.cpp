#define BOOST_TEST_MODULE http_requests_integration
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "child.hpp"
#include "grpc_server.hpp"
#include "heartbeat/config.hpp"
#include "heartbeat/redact.hpp"
#include "loopback.hpp"
#include "nginx_server.hpp"
#include "postgres_server.hpp"
#include "run_check.hpp"
#include "skip.hpp"
#include "tls.hpp"

// Secret files, client certificates, POST/PUT bodies and response assertions against real servers
// on loopback: nginx (auth_basic, a bearer token, ssl_verify_client), a gRPC health server that
// wants a token, PostgreSQL with a SCRAM password, and a recording server for request bodies.

using namespace heartbeat;
using namespace heartbeat::test;

namespace {

const std::string password = "Sw0rdfish-basic-7731";
const std::string token = "tok-9f2c1e55ab";
const std::string api_key = "key-41d0c6e2";

/** The first check of a config written in `dir`, loaded as the daemon loads it; or the printed
 * diagnostics. */
struct loaded {
    std::optional<check_config> check;
    std::string diagnostics;
};

loaded load_in(const temp_dir& dir, const std::string& checks) {
    auto r = load_config(dir.write("heartbeat.yaml", "checks:\n" + checks));
    loaded out;
    for (auto& d : r.diagnostics) out.diagnostics += d.format("heartbeat.yaml") + "\n";
    if (r.cfg && !r.cfg->checks.empty()) out.check = r.cfg->checks.front();
    return out;
}

check_result run_loaded(const temp_dir& dir, const std::string& checks) {
    auto l = load_in(dir, checks);
    BOOST_TEST_REQUIRE(l.check.has_value(), l.diagnostics);
    auto r = run_once(*l.check).result;
    // Nothing read from a file is ever shown.
    for (const auto& secret : {password, token, api_key})
        BOOST_TEST(r.message.find(secret) == std::string::npos, r.message);
    return r;
}

/** nginx with basic auth, a bearer token, an API key header, response headers, and mTLS. */
struct nginx_fixture {
    temp_dir dir;
    std::unique_ptr<self_signed> server_cert, client_cert, other_cert;
    std::unique_ptr<nginx_server> nginx;

    nginx_fixture() {
        for (auto sub : {"server", "client", "other"})
            std::filesystem::create_directories(dir.path() + "/" + sub);
        server_cert = std::make_unique<self_signed>(dir.path() + "/server",
                                                    std::vector<std::string>{"127.0.0.1"});
        client_cert = std::make_unique<self_signed>(dir.path() + "/client",
                                                    std::vector<std::string>{"client"});
        other_cert =
            std::make_unique<self_signed>(dir.path() + "/other", std::vector<std::string>{"other"});
        auto hash = run({"/usr/bin/openssl", "passwd", "-apr1", password});
        BOOST_TEST_REQUIRE(hash.code == 0, hash.out);
        dir.write("htpasswd", "monitor:" + hash.out);
        dir.write("password", password + "\n");
        dir.write("token", token + "\r\n");
        dir.write("api-key", api_key);
        std::filesystem::create_directories(dir.path() + "/www");
        dir.write("www/basic", "basic ok\n");
        const std::string servers =
            "server {\n  listen 127.0.0.1:{port0};\n"
            // A file, not `return`: that would answer before auth_basic has its say.
            "  location = /basic { auth_basic hb; auth_basic_user_file " +
            dir.path() + "/htpasswd; root " + dir.path() +
            "/www; }\n"
            "  location = /token { if ($http_authorization != \"Bearer " +
            token +
            "\") { return 401; } return 200 \"token ok\\n\"; }\n"
            "  location = /key { if ($http_x_api_key != \"" +
            api_key +
            "\") { return 403; } return 200 \"key ok\\n\"; }\n"
            "  location = /health { add_header X-Version \"2.4.1\" always; default_type "
            "application/json; return 200 '{\"status\": \"green\", \"nodes\": 3}'; }\n"
            "}\n"
            "server {\n  listen 127.0.0.1:{port1} ssl;\n"
            "  ssl_certificate " +
            server_cert->cert_file +
            ";\n"
            "  ssl_certificate_key " +
            server_cert->key_file +
            ";\n"
            "  ssl_client_certificate " +
            client_cert->cert_file +
            ";\n"
            "  ssl_verify_client on;\n"
            "  location / { return 200 \"mtls ok\\n\"; }\n}\n";
        nginx = std::make_unique<nginx_server>(dir.path(), servers, 2);
        BOOST_TEST_REQUIRE(nginx->error().empty(), nginx->error());
    }
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(nginx->port(0)) + path;
    }
    std::string tls_url() const {
        return "https://127.0.0.1:" + std::to_string(nginx->port(1)) + "/";
    }
};

std::string nginx_missing() {
    return nginx_server::missing();
}

}  // namespace

BOOST_AUTO_TEST_CASE(basic_auth_from_password_file_passes_and_a_wrong_one_fails,
                     *skip_if(nginx_missing)) {
    nginx_fixture f;
    auto ok = run_loaded(f.dir, "  - {name: b, type: http, url: '" + f.url("/basic") +
                                    "', username: monitor, password_file: password}\n");
    BOOST_TEST(ok.ok, ok.message);
    f.dir.write("wrong", "not-the-password\n");
    auto bad = run_loaded(f.dir, "  - {name: b, type: http, url: '" + f.url("/basic") +
                                     "', username: monitor, password_file: wrong}\n");
    BOOST_TEST(!bad.ok);
    BOOST_TEST(bad.message.find("status 401") != std::string::npos, bad.message);
}

BOOST_AUTO_TEST_CASE(token_file_and_headers_from_files_are_sent, *skip_if(nginx_missing)) {
    nginx_fixture f;
    // The token file ends in \r\n: dropped.
    auto t = run_loaded(
        f.dir, "  - {name: t, type: http, url: '" + f.url("/token") + "', token_file: token}\n");
    BOOST_TEST(t.ok, t.message);
    auto k = run_loaded(f.dir, "  - {name: k, type: http, url: '" + f.url("/key") +
                                   "', headers_from_files: {X-Api-Key: api-key}}\n");
    BOOST_TEST(k.ok, k.message);
    auto none = run_loaded(f.dir, "  - {name: k, type: http, url: '" + f.url("/key") + "'}\n");
    BOOST_TEST(!none.ok);
    BOOST_TEST(none.message.find("status 403") != std::string::npos, none.message);
}

BOOST_AUTO_TEST_CASE(response_headers_and_regex_are_judged_on_nginx_answers,
                     *skip_if(nginx_missing)) {
    nginx_fixture f;
    auto ok = run_loaded(f.dir, "  - {name: h, type: http, url: '" + f.url("/health") +
                                    "', expect_headers: {x-version: '2.4', CONTENT-TYPE: json}, "
                                    "expect_body_regex: '\"nodes\":\\s*[1-9]'}\n");
    BOOST_TEST(ok.ok, ok.message);
    auto header = run_loaded(f.dir, "  - {name: h, type: http, url: '" + f.url("/health") +
                                        "', expect_headers: {X-Version: '3.'}}\n");
    BOOST_TEST(header.message.ends_with("but header 'X-Version' is '2.4.1', which does not "
                                        "contain '3.'"),
               header.message);
    auto regex = run_loaded(f.dir, "  - {name: h, type: http, url: '" + f.url("/health") +
                                       "', expect_body_regex: 'red|yellow'}\n");
    BOOST_TEST(!regex.ok);
    BOOST_TEST(
        regex.message.find("does not match expect_body_regex 'red|yellow'") != std::string::npos,
        regex.message);
}

BOOST_AUTO_TEST_CASE(mtls_passes_with_the_client_certificate_and_fails_without,
                     *skip_if(nginx_missing)) {
    nginx_fixture f;
    const std::string common = "  - {name: m, type: http, url: '" + f.tls_url() + "', ca_file: '" +
                               f.server_cert->cert_file + "'";
    auto with = run_loaded(f.dir, common + ", cert_file: '" + f.client_cert->cert_file +
                                      "', key_file: '" + f.client_cert->key_file + "'}\n");
    BOOST_TEST(with.ok, with.message);
    auto without = run_loaded(f.dir, common + "}\n");
    BOOST_TEST(!without.ok);
    BOOST_TEST(without.message.find("status 400") != std::string::npos, without.message);
    // A certificate nginx does not trust: refused as well.
    auto other = run_loaded(f.dir, common + ", cert_file: '" + f.other_cert->cert_file +
                                       "', key_file: '" + f.other_cert->key_file + "'}\n");
    BOOST_TEST(!other.ok, other.message);
}

/** A server certificate, the client's, and one the server does not trust, each in its folder. */
struct mtls_certificates {
    temp_dir dir;
    std::unique_ptr<self_signed> server, client, other;
    mtls_certificates() {
        for (auto sub : {"server", "client", "other"})
            std::filesystem::create_directories(dir.path() + "/" + sub);
        server = std::make_unique<self_signed>(dir.path() + "/server",
                                               std::vector<std::string>{"127.0.0.1"});
        client = std::make_unique<self_signed>(dir.path() + "/client",
                                               std::vector<std::string>{"client"});
        other = std::make_unique<self_signed>(dir.path() + "/other",
                                              std::vector<std::string>{"other"});
    }
    /** `, cert_file: …, key_file: …}` of `c`, closing a check's line. */
    static std::string identity(const self_signed& c) {
        return ", cert_file: '" + c.cert_file + "', key_file: '" + c.key_file + "'}\n";
    }
};

// A server that asks for a client certificate: a tcp check with tls: true shows its own and
// passes; without one, or with one the server does not trust, the server refuses it.
BOOST_AUTO_TEST_CASE(mtls_on_a_tcp_check_with_tls) {
    mtls_certificates m;
    tls_server server(*m.server, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n+OK\n",
                      m.client->cert_file);
    const std::string common = "  - {name: t, type: tcp, host: 127.0.0.1, port: " +
                               std::to_string(server.port()) + ", tls: true, ca_file: '" +
                               m.server->cert_file + "', send: \"PING\\r\\n\\r\\n\", expect: '+OK'";
    auto with = run_loaded(m.dir, common + mtls_certificates::identity(*m.client));
    BOOST_TEST(with.ok, with.message);
    auto without = run_loaded(m.dir, common + "}\n");
    BOOST_TEST(!without.ok, without.message);
    auto other = run_loaded(m.dir, common + mtls_certificates::identity(*m.other));
    BOOST_TEST(!other.ok, other.message);
}

// The same on a grpc check, against a gRPC server that requires a client certificate.
BOOST_AUTO_TEST_CASE(mtls_on_a_grpc_check, *skip_if(grpc_server_missing)) {
    mtls_certificates m;
    grpc_health_server server({"=SERVING"}, m.server->cert_file, m.server->key_file, "",
                              m.client->cert_file);
    const std::string common = "  - {name: g, type: grpc, host: 127.0.0.1, port: " +
                               std::to_string(server.port) + ", tls: true, ca_file: '" +
                               m.server->cert_file + "'";
    auto with = run_loaded(m.dir, common + mtls_certificates::identity(*m.client));
    BOOST_TEST(with.ok, with.message);
    auto without = run_loaded(m.dir, common + "}\n");
    BOOST_TEST(!without.ok, without.message);
    auto other = run_loaded(m.dir, common + mtls_certificates::identity(*m.other));
    BOOST_TEST(!other.ok, other.message);
}

BOOST_AUTO_TEST_CASE(a_key_of_another_certificate_is_a_validate_error) {
    temp_dir dir;
    for (auto sub : {"a", "b"}) std::filesystem::create_directories(dir.path() + "/" + sub);
    self_signed a(dir.path() + "/a", {"a"}), b(dir.path() + "/b", {"b"});
    auto l = load_in(dir,
                     "  - {name: m, type: http, url: 'https://127.0.0.1:1/', cert_file: "
                     "a/cert.pem, key_file: b/key.pem}\n");
    BOOST_TEST(!l.check.has_value());
    BOOST_TEST(l.diagnostics ==
               "heartbeat.yaml:2:89: 'cert_file' 'a/cert.pem' and 'key_file' "
               "'b/key.pem' cannot be used: the key does not belong to the "
               "certificate\n");
    auto garbage = load_in(dir,
                           "  - {name: m, type: tcp, host: 127.0.0.1, port: 1, tls: true, "
                           "cert_file: a/cert.pem, key_file: heartbeat.yaml}\n");
    BOOST_TEST(garbage.diagnostics.find("the key cannot be read") != std::string::npos,
               garbage.diagnostics);
    auto fine = load_in(dir,
                        "  - {name: m, type: grpc, host: 127.0.0.1, port: 1, tls: true, "
                        "cert_file: a/cert.pem, key_file: a/key.pem}\n");
    BOOST_TEST(fine.check.has_value(), fine.diagnostics);
}

BOOST_AUTO_TEST_CASE(secret_files_that_cannot_be_used_are_named_never_shown) {
    temp_dir dir;
    std::filesystem::create_directories(dir.path() + "/folder");
    dir.write("empty", "\n");
    dir.write("two-lines", token + "\nsecond-line-of-it\n");
    const std::string url = "url: 'http://127.0.0.1:1/'";
    auto folder = load_in(dir, "  - {name: a, type: http, " + url + ", token_file: folder}\n");
    BOOST_TEST(folder.diagnostics == "heartbeat.yaml:2:67: cannot use 'token_file' file '" +
                                         dir.path() + "/folder': it is a folder\n");
    auto empty = load_in(dir, "  - {name: a, type: http, " + url + ", token_file: empty}\n");
    BOOST_TEST(empty.diagnostics == "heartbeat.yaml:2:67: cannot use 'token_file' file '" +
                                        dir.path() + "/empty': it is empty\n");
    auto lines = load_in(dir, "  - {name: a, type: http, " + url + ", token_file: two-lines}\n");
    BOOST_TEST(lines.diagnostics.find("it must hold one line") != std::string::npos);
    BOOST_TEST(lines.diagnostics.find(token) == std::string::npos, lines.diagnostics);
    if (::geteuid() != 0) {
        dir.write("locked", token);
        ::chmod((dir.path() + "/locked").c_str(), 0);
        auto locked = load_in(dir, "  - {name: a, type: http, " + url + ", token_file: locked}\n");
        BOOST_TEST(locked.diagnostics == "heartbeat.yaml:2:67: cannot use 'token_file' file '" +
                                             dir.path() + "/locked': permission denied\n");
    }
}

BOOST_AUTO_TEST_CASE(post_and_put_send_their_body_with_its_length_and_type) {
    std::string got;
    std::mutex m;
    scripted_server server([&](int fd) {
        auto request = read_until(fd, "END", 5000);
        {
            std::lock_guard lock(m);
            got = request;
        }
        write_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    });
    temp_dir dir;
    const std::string url = "url: 'http://127.0.0.1:" + std::to_string(server.port()) + "/submit'";
    auto post = run_loaded(
        dir, "  - {name: p, type: http, " + url + ", method: POST, body: '{\"q\": \"END\"}'}\n");
    BOOST_TEST(post.ok, post.message);
    {
        std::lock_guard lock(m);
        BOOST_TEST(got.starts_with("POST /submit HTTP/1.1\r\n"), got);
        BOOST_TEST(got.find("\r\nContent-Type: application/json\r\n") != std::string::npos, got);
        BOOST_TEST(got.find("\r\nContent-Length: 12\r\n") != std::string::npos, got);
        BOOST_TEST(got.ends_with("\r\n\r\n{\"q\": \"END\"}"), got);
    }
    auto put = run_loaded(dir, "  - {name: p, type: http, " + url +
                                   ", method: put, body: 'x=END', headers: {Content-Type: "
                                   "application/x-www-form-urlencoded}}\n");
    BOOST_TEST(put.ok, put.message);
    {
        std::lock_guard lock(m);
        BOOST_TEST(got.starts_with("PUT /submit HTTP/1.1\r\n"), got);
        BOOST_TEST(got.find("\r\nContent-Type: application/x-www-form-urlencoded\r\n") !=
                       std::string::npos,
                   got);
        BOOST_TEST(got.find("application/json") == std::string::npos, got);
        BOOST_TEST(got.find("\r\nContent-Length: 5\r\n") != std::string::npos, got);
    }
}

BOOST_AUTO_TEST_CASE(grpc_sends_the_token_of_token_file, *skip_if(grpc_server_missing)) {
    grpc_health_server server({"=SERVING"}, "", "", token);
    temp_dir dir;
    dir.write("token", token + "\n");
    const std::string check =
        "  - {name: g, type: grpc, host: 127.0.0.1, port: " + std::to_string(server.port);
    auto with = run_loaded(dir, check + ", token_file: token}\n");
    BOOST_TEST(with.ok, with.message);
    auto without = run_loaded(dir, check + "}\n");
    BOOST_TEST(!without.ok);
    BOOST_TEST(without.message.find("UNAUTHENTICATED") != std::string::npos, without.message);
}

BOOST_AUTO_TEST_CASE(postgres_logs_in_with_password_file, *skip_if(postgres_servers::missing)) {
    postgres_servers pg;
    BOOST_TEST_REQUIRE(pg.error().empty(), pg.error());
    BOOST_TEST_REQUIRE(pg.set_password("scram_user", password).empty());
    temp_dir dir;
    dir.write("pg-password", password + "\n");
    dir.write("wrong", "not-" + password + "\n");
    const std::string check = "  - {name: db, type: postgres, host: 127.0.0.1, port: " +
                              std::to_string(pg.primary_port()) + ", user: scram_user";
    auto with = run_loaded(dir, check + ", password_file: pg-password}\n");
    BOOST_TEST(with.ok, with.message);
    auto wrong = run_loaded(dir, check + ", password_file: wrong}\n");
    BOOST_TEST(!wrong.ok);
    BOOST_TEST(wrong.message.find("refused the login with the password of password_file "
                                  "(SQLSTATE 28P01)") != std::string::npos,
               wrong.message);
    BOOST_TEST(wrong.message.find("not-" + password) == std::string::npos);
    // Without a password the check asks pg_isready's question only: the server answered.
    auto without = run_loaded(dir, check + "}\n");
    BOOST_TEST(without.ok, without.message);
}
