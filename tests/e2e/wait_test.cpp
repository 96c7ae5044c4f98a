#define BOOST_TEST_MODULE e2e_wait
#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "child.hpp"
#include "loopback.hpp"

// `heartbeatd wait` as an init container runs it: the built binary, a config on disk, its exit code
// and its stderr.

using namespace heartbeat::test;

namespace {

/** Listens on 127.0.0.1:port (a port known in advance, as a dependency's is); never accepts: the
 * kernel completes the handshake a tcp check needs. */
class listener_at {
  public:
    explicit listener_at(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(fd_, 16) == 0;
    }
    ~listener_at() { ::close(fd_); }
    listener_at(const listener_at&) = delete;
    listener_at& operator=(const listener_at&) = delete;
    bool ok() const { return ok_; }

  private:
    int fd_ = -1;
    bool ok_ = false;
};

std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

std::size_t lines_in(const std::string& path) {
    std::ifstream in(path);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
}

std::unique_ptr<child> wait_for(const std::string& config_path, std::vector<std::string> extra) {
    std::vector<std::string> argv = {HEARTBEAT_BINARY, "wait", "--config", config_path};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<child>(argv);
}

}  // namespace

BOOST_AUTO_TEST_CASE(exits_0_once_a_dependency_appears_printing_only_changes) {
    temp_dir dir;
    auto port = refused_port();
    auto ticks = dir.path() + "/ticks";
    auto config = dir.write("heartbeat.yaml",
                            "checks:\n"
                            "  - {name: db, type: tcp, host: 127.0.0.1, port: " +
                                std::to_string(port) +
                                ", interval: 200ms, timeout: 150ms}\n"
                                "  - name: ticker\n"
                                "    type: exec\n"
                                "    command: \"echo x >> '" +
                                ticks +
                                "'\"\n"
                                "    interval: 200ms\n"
                                "    timeout: 150ms\n");
    auto w = wait_for(config, {"--timeout", "60s"});
    BOOST_TEST_REQUIRE(
        w->wait_for_line(std::regex("wait: db failing \\(\\d/2\\): .*refused")).has_value(),
        w->stderr_text());
    // Several runs of each check go by while db fails: still one line for each change only.
    BOOST_TEST_REQUIRE(poll_until([&] { return lines_in(ticks) >= 4; }, 20000));
    BOOST_TEST(!w->wait_exit(0).has_value(), w->stderr_text());
    listener_at db(port);
    BOOST_TEST_REQUIRE(db.ok(), "cannot bind 127.0.0.1:" << port);
    auto code = w->wait_exit(20000);
    BOOST_TEST_REQUIRE(code.has_value(), w->stderr_text());
    BOOST_TEST(*code == 0, w->stderr_text());
    const auto& err = w->stderr_text();
    BOOST_TEST(count(err, "wait: db failing") == 1u, err);
    BOOST_TEST(count(err, "wait: ticker passing") == 1u, err);
    BOOST_TEST(count(err, "wait: db passing (2/2)") == 1u, err);
    BOOST_TEST(count(err, "wait: all 2 readiness checks pass") == 1u, err);
    BOOST_TEST(count(err, "\n") == 4u, err);
}

BOOST_AUTO_TEST_CASE(exits_1_at_the_timeout_listing_each_failing_check_and_no_secret) {
    temp_dir dir;
    const std::string password = "pw-4d2b9e1c";
    const std::string token = "tok-71f0c3aa";
    auto port = refused_port();
    auto config = dir.write(
        "heartbeat.yaml",
        "checks:\n"
        "  - {name: db, type: tcp, host: 127.0.0.1, port: " +
            std::to_string(port) +
            ", interval: 200ms, timeout: 150ms}\n"
            "  - name: api\n"
            "    type: http\n"
            "    url: http://user:" +
            password + "@127.0.0.1:" + std::to_string(port) +
            "/health\n"
            "    headers: {X-Auth-Token: Bearer " +
            token +
            "}\n"
            "    interval: 200ms\n"
            "    timeout: 150ms\n"
            "  - {name: fine, type: exec, command: 'true', interval: 200ms, timeout: 150ms}\n"
            "  - {name: elsewhere, type: tcp, host: 127.0.0.1, port: " +
            std::to_string(port) + ", probes: [liveliness]}\n");
    auto w = wait_for(config, {"--timeout", "1s"});
    auto code = w->wait_exit(20000);
    BOOST_TEST_REQUIRE(code.has_value(), w->stderr_text());
    BOOST_TEST(*code == 1, w->stderr_text());
    const auto& err = w->stderr_text();
    BOOST_TEST(count(err, "wait: timed out after 1s: 2 of 3 readiness checks not passing") == 1u,
               err);
    BOOST_TEST(std::regex_search(err, std::regex("\n  db \\(tcp\\): .*refused")), err);
    BOOST_TEST(std::regex_search(err, std::regex("\n  api \\(http\\): .*refused")), err);
    BOOST_TEST(count(err, "  fine (") == 0u, err);
    BOOST_TEST(count(err, "elsewhere") == 0u, err);
    BOOST_TEST(count(err + w->stdout_text(), password) == 0u, err);
    BOOST_TEST(count(err + w->stdout_text(), token) == 0u, err);
}

BOOST_AUTO_TEST_CASE(exits_2_on_a_bad_config_with_its_place) {
    temp_dir dir;
    auto config =
        dir.write("heartbeat.yaml", "checks:\n  - {name: db, type: tcp, host: h, prot: 5432}\n");
    auto r = run({HEARTBEAT_BINARY, "wait", "--config", config, "--timeout", "5s"});
    BOOST_TEST(r.code == 2, r.err);
    BOOST_TEST(r.err.find(config + ":2:") != std::string::npos, r.err);
    auto missing = run({HEARTBEAT_BINARY, "wait", "--config", dir.path() + "/nothing.yaml"});
    BOOST_TEST(missing.code == 2, missing.err);
}

BOOST_AUTO_TEST_CASE(refuses_a_probe_with_a_push_check) {
    temp_dir dir;
    auto config = dir.write("heartbeat.yaml",
                            "checks:\n  - {name: job, type: push, ttl: 1m, probes: [startup]}\n");
    auto r = run({HEARTBEAT_BINARY, "wait", "--config", config, "--probe", "startup"});
    BOOST_TEST(r.code == 2, r.err);
    BOOST_TEST(r.err.find("check 'job' of probe startup is a push check: wait opens no listener") !=
                   std::string::npos,
               r.err);
    // The same config has nothing to wait for in readiness.
    auto ready = run({HEARTBEAT_BINARY, "wait", "--config", config});
    BOOST_TEST(ready.code == 0, ready.err);
    BOOST_TEST(ready.err.find("probe readiness has no checks") != std::string::npos, ready.err);
}

BOOST_AUTO_TEST_CASE(waits_for_the_probe_it_is_given) {
    temp_dir dir;
    auto config = dir.write(
        "heartbeat.yaml",
        "checks:\n"
        "  - {name: postgres_main, type: tcp, host: 127.0.0.1, port: " +
            std::to_string(refused_port()) +
            ", timeout: 150ms}\n"
            "  - {name: migrated, type: exec, command: 'true', probes: [startup], interval: 0}\n");
    auto r = run(
        {HEARTBEAT_BINARY, "wait", "--config", config, "--probe", "startup", "--timeout", "30s"});
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(r.err.find("wait: migrated passing (1/1)") != std::string::npos, r.err);
    BOOST_TEST(r.err.find("postgres_main") == std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(sigterm_stops_it_at_once_with_its_own_code) {
    temp_dir dir;
    auto config = dir.write("heartbeat.yaml",
                            "checks:\n  - {name: db, type: tcp, host: 127.0.0.1, port: " +
                                std::to_string(refused_port()) +
                                ", interval: 200ms, timeout: 150ms}\n"
                                "  - {name: slow, type: exec, command: 'sleep 30', timeout: 60s, "
                                "interval: 1m}\n");
    auto w = wait_for(config, {"--timeout", "5m"});
    BOOST_TEST_REQUIRE(w->wait_for_line(std::regex("wait: db failing")).has_value(),
                       w->stderr_text());
    w->signal(SIGTERM);
    auto code = w->wait_exit(10000);
    BOOST_TEST_REQUIRE(code.has_value(), w->stderr_text());
    BOOST_TEST(*code == 128 + SIGTERM, w->stderr_text());
    BOOST_TEST(w->stderr_text().find("wait: SIGTERM received: stopping") != std::string::npos,
               w->stderr_text());
}
