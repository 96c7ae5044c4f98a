#define BOOST_TEST_MODULE e2e_operations
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "heartbeatd.hpp"
#include "loopback.hpp"
#include "procfs.hpp"
#include "skip.hpp"
#include "tls.hpp"

using namespace heartbeat::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::string file_check(const std::string& name, const std::string& path,
                       const std::string& extra = "") {
    return "  - {name: " + name + ", type: file, path: " + path +
           ", interval: 50ms, timeout: 40ms" + extra + "}\n";
}

/** The names of the checks readiness reports now. */
std::set<std::string> ready_checks(heartbeatd& d) {
    std::set<std::string> out;
    auto body =
        body_of(d.get(base + "/readiness"));  // a named object: the loop must not outlive it
    for (const auto& [k, v] : body.at("checks").as_object()) out.emplace(k);
    return out;
}

/** The value of one metric line (exact name and labels), or -1. */
double metric(heartbeatd& d, const std::string& series) {
    std::istringstream lines(d.get("/metrics").body);
    std::string line;
    while (std::getline(lines, line))
        if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
    return -1;
}

void write_atomically(const std::string& path, const std::string& text) {
    // What editors and config tools do: write a new file, rename it over the old one.
    std::ofstream(path + ".tmp") << text;
    fs::rename(path + ".tmp", path);
}

}  // namespace

BOOST_AUTO_TEST_CASE(in_place_writes_and_renames_are_picked_up_and_state_is_kept) {
    heartbeatd d("checks:\n" + file_check("root", "/") + file_check("tmp", "/tmp"));
    BOOST_TEST((ready_checks(d) == std::set<std::string>{"root", "tmp"}));
    auto since = body_of(d.get(base + "/readiness")).at("checks").at("root").at("since");

    // An in-place write: one check changed, one added, one removed.
    {
        std::ofstream(d.config_path, std::ios::trunc)
            << "checks:\n" + file_check("root", "/") + file_check("etc", "/etc");
    }
    BOOST_TEST(poll_until(
        [&] {
            return ready_checks(d) == std::set<std::string>{"root", "etc"};
        },
        5000));
    BOOST_TEST(d.proc
                   ->wait_for_line(std::regex("reloaded \\(file changed\\): 2 checks \\(1 added, 1 "
                                              "removed, 0 changed, 1 unchanged\\)"))
                   .has_value(),
               d.proc->stderr_text());
    // The unchanged check kept its history.
    BOOST_TEST(body_of(d.get(base + "/readiness")).at("checks").at("root").at("since") == since);

    // An editor's rename-over.
    write_atomically(d.config_path,
                     "checks:\n" + file_check("root", "/") + file_check("renamed", "/usr"));
    BOOST_TEST(poll_until(
        [&] {
            return ready_checks(d) == std::set<std::string>{"root", "renamed"};
        },
        5000));
    BOOST_TEST(metric(d, "heartbeat_config_last_reload_successful") == 1);
}

BOOST_AUTO_TEST_CASE(a_bad_file_is_refused_and_the_old_checks_go_on) {
    heartbeatd d("checks:\n" + file_check("root", "/"));
    write_atomically(d.config_path, "checks:\n  - name: root\n    type: file\n    pathh: /\n");
    BOOST_TEST(d.proc
                   ->wait_for_line(std::regex(
                       ":4:5: unknown key 'pathh' in check 'root' \\(did you mean 'path'\\?\\)"))
                   .has_value(),
               d.proc->stderr_text());
    BOOST_TEST(d.proc->wait_for_line(std::regex("reload \\(file changed\\) refused")).has_value());
    BOOST_TEST(metric(d, "heartbeat_config_last_reload_successful") == 0);
    BOOST_TEST(metric(d, "heartbeat_config_reload_failures_total") == 1);
    BOOST_TEST(d.get(base + "/readiness").status == 200);
    BOOST_TEST((ready_checks(d) == std::set<std::string>{"root"}));
    // Fixing the file recovers.
    write_atomically(d.config_path, "checks:\n" + file_check("fixed", "/"));
    BOOST_TEST(poll_until([&] { return ready_checks(d) == std::set<std::string>{"fixed"}; }, 5000));
    BOOST_TEST(metric(d, "heartbeat_config_last_reload_successful") == 1);
}

BOOST_AUTO_TEST_CASE(a_configmap_update_swaps_the_data_symlink) {
    // The layout the kubelet makes for a mounted ConfigMap:
    //   heartbeat.yaml -> ..data/heartbeat.yaml, ..data -> ..2026_01_01_v1
    temp_dir mount;
    fs::path m(mount.path());
    fs::create_directory(m / "..v1");
    std::ofstream(m / "..v1" / "heartbeat.yaml") << "checks:\n" + file_check("v1", "/");
    fs::create_directory_symlink("..v1", m / "..data");
    fs::create_symlink("..data/heartbeat.yaml", m / "heartbeat.yaml");
    heartbeatd d;
    d.config_path = (m / "heartbeat.yaml").string();
    d.start();
    BOOST_TEST((ready_checks(d) == std::set<std::string>{"v1"}));
    // The update: a new timestamped folder, a temporary symlink renamed over ..data, the old folder
    // removed.
    fs::create_directory(m / "..v2");
    std::ofstream(m / "..v2" / "heartbeat.yaml") << "checks:\n" + file_check("v2", "/");
    fs::create_directory_symlink("..v2", m / "..data_tmp");
    fs::rename(m / "..data_tmp", m / "..data");
    fs::remove_all(m / "..v1");
    BOOST_TEST(poll_until([&] { return ready_checks(d) == std::set<std::string>{"v2"}; }, 5000));
}

BOOST_AUTO_TEST_CASE(sighup_reloads_and_removed_exec_checks_take_their_processes_along) {
    temp_dir work;
    std::string pidfile = work.path() + "/pid";
    // `$$$$`: the config's `$$` is one `$` (see README, Variables), so the shell gets `$$`.
    heartbeatd d(
        "checks:\n  - name: long\n    type: exec\n    command: 'echo $$$$ > " + pidfile +
        "; exec sleep 60'\n    timeout: 60s\n    interval: 1h\n    probes: [liveliness]\n" +
        file_check("root", "/"));
    BOOST_TEST_REQUIRE(
        poll_until([&] { return fs::exists(pidfile) && fs::file_size(pidfile) > 0; }, 5000));
    pid_t pid = std::stoi([&] {
        std::ifstream in(pidfile);
        std::string s;
        in >> s;
        return s;
    }());
    BOOST_TEST(::kill(pid, 0) == 0);
    { std::ofstream(d.config_path, std::ios::trunc) << "checks:\n" + file_check("root", "/"); }
    d.proc->signal(SIGHUP);
    BOOST_TEST(
        d.proc->wait_for_line(std::regex("reloaded \\((SIGHUP|file changed)\\)")).has_value());
    // The removed check's command is killed and reaped: the pid disappears.
    BOOST_TEST(poll_until([&] { return ::kill(pid, 0) != 0; }, 5000));
    BOOST_TEST((ready_checks(d) == std::set<std::string>{"root"}));
}

BOOST_AUTO_TEST_CASE(metrics_pass_promtool) {
    heartbeatd d("checks:\n" + file_check("root", "/") + file_check("missing", "/nonexistent"));
    d.get(base + "/readiness");
    d.get(base + "/readiness/root");
    d.get("/nope");
    auto m = d.get("/metrics");
    BOOST_TEST(m.status == 200);
    BOOST_TEST(m.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
    for (auto series :
         {"heartbeat_check_up{check=\"root\",type=\"file\"} 1",
          "heartbeat_check_up{check=\"missing\",type=\"file\"} 0",
          "heartbeat_probe_up{probe=\"readiness\"} 0", "heartbeat_config_last_reload_successful 1",
          "heartbeat_build_info{version=",
          "heartbeat_check_runs_total{check=\"root\",result=\"success\"}",
          "heartbeat_check_duration_seconds{check=\"root\"}",
          "heartbeat_http_requests_total{handler=\"readiness\",code=\"500\"} 1",
          "heartbeat_http_requests_total{handler=\"check\",code=\"200\"} 1",
          "heartbeat_http_requests_total{handler=\"other\",code=\"404\"} 1", "process_open_fds "})
        BOOST_TEST(m.body.find(series) != std::string::npos, series);
    temp_dir dir;
    auto file = dir.write("metrics.txt", m.body);
    auto r = run({"/bin/sh", "-c", "promtool check metrics < " + file});
    BOOST_TEST(r.code == 0, r.out << r.err);
    BOOST_TEST(r.out.empty(), r.out);  // no lint complaint either
}

BOOST_AUTO_TEST_CASE(five_hundred_slow_clients_do_not_keep_a_probe_waiting) {
    heartbeatd d("checks:\n" + file_check("root", "/"));
    std::vector<int> slow;
    for (int i = 0; i < 500; ++i) {
        int fd = connect_loopback(d.port);
        if (fd < 0) break;
        write_all(
            fd,
            "GET /.well-known/heartbeat/readiness HTTP/1.1\r\nHost: x\r\nX-Slow: ");  // never
                                                                                      // finished
        slow.push_back(fd);
    }
    BOOST_TEST(slow.size() == 500u);
    for (int i = 0; i < 5; ++i) {
        auto start = std::chrono::steady_clock::now();
        auto r = d.get(base + "/readiness");
        auto took = std::chrono::steady_clock::now() - start;
        BOOST_TEST(r.status == 200);
        BOOST_TEST(took < 300ms);
    }
    for (int fd : slow) ::close(fd);
    BOOST_TEST(metric(d, "heartbeat_http_connections") <= 256);
}

namespace {
std::string pid_namespace_impossible() {
    if (run({"/usr/bin/unshare", "-p", "-f", "--mount-proc", "/bin/true"}).code != 0)
        return "cannot unshare a PID namespace here (needs root and util-linux's unshare)";
    return "";
}
}  // namespace

// A PID namespace of its own makes heartbeatd PID 1, as in a container. Needs root; skipped
// otherwise.
BOOST_AUTO_TEST_CASE(as_pid_1_it_reaps_orphans_and_sigterm_takes_exec_children_along,
                     *skip_if(pid_namespace_impossible)) {
    const std::string helper = HEARTBEAT_HELPER;
    temp_dir dir;
    auto cfg = dir.write("h.yaml",
                         "checks:\n"
                         // Every 20 ms a command leaves an orphan behind (setsid: outside its
                         // group), which exits 50 ms later and is handed to PID 1.
                         "  - name: orphans\n    type: exec\n    command: 'setsid " +
                             helper +
                             " sleep 0.05 & echo ok'\n"
                             "    interval: 20ms\n    timeout: 1s\n"
                             "  - name: long\n    type: exec\n    command: ['" +
                             helper +
                             "', stubborn, '60']\n"
                             "    timeout: 60s\n    interval: 1h\n    probes: [liveliness]\n");
    child ns({"/usr/bin/unshare", "-p", "-f", "--mount-proc", HEARTBEAT_BINARY, "serve", "--config",
              cfg, "--listen", "127.0.0.1:0"});
    BOOST_TEST_REQUIRE(ns.wait_for_line(std::regex("running as PID 1")).has_value(),
                       ns.stderr_text());
    auto m = ns.wait_for_line(std::regex("listening on 127\\.0\\.0\\.1:(\\d+)"));
    BOOST_TEST_REQUIRE(m.has_value());
    // heartbeatd's pid as seen from here: the child of unshare.
    pid_t daemon_pid = 0;
    BOOST_TEST_REQUIRE(poll_until(
        [&] {
            std::ifstream children("/proc/" + std::to_string(ns.pid()) + "/task/" +
                                   std::to_string(ns.pid()) + "/children");
            return static_cast<bool>(children >> daemon_pid);
        },
        5000));
    std::uint16_t port = static_cast<std::uint16_t>(std::stoi((*m)[1]));
    auto orphan_runs = [&] {
        std::istringstream lines(request(port, "/metrics").body);
        std::string line;
        while (std::getline(lines, line))
            if (line.starts_with(
                    "heartbeat_check_runs_total{check=\"orphans\",result=\"success\"} "))
                return std::stod(line.substr(line.rfind(' ') + 1));
        return 0.0;
    };
    BOOST_TEST(poll_until([&] { return orphan_runs() >= 100; }, 30000));
    // Orphans come and go; at no quiet moment do zombies pile up.
    int zombies = zombie_children(daemon_pid);
    for (int i = 0; i < 30 && zombies > 0; ++i) {
        ::poll(nullptr, 0, 10);
        zombies = std::min(zombies, zombie_children(daemon_pid));
    }
    BOOST_TEST(zombies == 0);
    auto reaped = [&] {
        std::istringstream lines(request(port, "/metrics").body);
        std::string line;
        while (std::getline(lines, line))
            if (line.starts_with("heartbeat_orphans_reaped_total "))
                return std::stod(line.substr(line.rfind(' ') + 1));
        return 0.0;
    };
    BOOST_TEST(poll_until([&] { return reaped() >= 50; }, 10000), reaped());  // PID 1 did reap them
    // SIGTERM: the long command (which ignores TERM) is killed and reaped, and the daemon exits 0
    // at once.
    auto start = std::chrono::steady_clock::now();
    ::kill(daemon_pid, SIGTERM);  // to heartbeatd itself: unshare does not forward signals
    BOOST_TEST(ns.wait_exit(10000).value_or(-1) == 0);
    BOOST_TEST((std::chrono::steady_clock::now() - start) < 3s);
}

BOOST_AUTO_TEST_CASE(credentials_appear_in_no_answer_and_no_log_line) {
    auto port = refused_port();
    for (std::string format : {"text", "json"}) {
        heartbeatd d(
            "environ: {variables: [HOME]}\nchecks:\n"
            "  - name: api\n    type: http\n    url: 'http://admin:s3cr3t-pw@127.0.0.1:" +
                std::to_string(port) +
                "/x'\n    headers: {X-Api-Key: k3y-value}\n    probes: [readiness, liveliness, "
                "environ]\n",
            {"--log-format", format, "--log-level", "debug"}, {{"SOME_TOKEN", "t0ken-value"}});
        std::string seen;
        for (auto path : {base + "/readiness", base + "/readiness?verbose", base + "/liveliness",
                          base + "/environ", base + "/readiness/api", std::string("/metrics")})
            seen += d.get(path).body;
        d.proc->signal(SIGTERM);
        BOOST_TEST(d.proc->wait_exit().value_or(-1) == 0);
        seen += d.proc->stderr_text();
        BOOST_TEST(seen.find("connection refused") !=
                   std::string::npos);  // the failure itself is told
        for (auto secret : {"s3cr3t-pw", "admin:", "k3y-value", "t0ken-value", "SOME_TOKEN"})
            BOOST_TEST(seen.find(secret) == std::string::npos, format << ": " << secret);
    }
}

BOOST_AUTO_TEST_CASE(a_ca_file_replaced_on_disk_is_read_at_the_next_reload) {
    temp_dir certs;
    fs::create_directories(certs.path() + "/server");
    fs::create_directories(certs.path() + "/other");
    self_signed server_cert(certs.path() + "/server", {"127.0.0.1"});
    self_signed other_cert(certs.path() + "/other", {"127.0.0.1"});
    tls_server server(server_cert,
                      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    auto ca = certs.path() + "/ca.pem";
    fs::copy_file(other_cert.cert_file, ca);  // trusts a CA that did not sign the server's
    heartbeatd d("checks:\n  - {name: api, type: http, url: 'https://127.0.0.1:" +
                 std::to_string(server.port()) + "/', ca_file: " + ca +
                 ", interval: 100ms, timeout: 1s}\n");
    auto runs = [&] {
        std::istringstream lines(d.get("/metrics").body);
        double sum = 0;  // successes and failures
        for (std::string line; std::getline(lines, line);)
            if (line.starts_with("heartbeat_check_runs_total{check=\"api\""))
                sum += std::stod(line.substr(line.rfind(' ') + 1));
        return sum;
    };
    BOOST_TEST_REQUIRE(poll_until([&] { return runs() >= 1; }));
    BOOST_TEST(d.get(base + "/readiness").status == 500);
    // The bundle is rotated: the runs go on with the one read at load...
    fs::copy_file(server_cert.cert_file, ca + ".new");
    fs::rename(ca + ".new", ca);
    double before = runs();
    BOOST_TEST_REQUIRE(poll_until([&] { return runs() >= before + 3; }));
    BOOST_TEST(d.get(base + "/readiness").status == 500);
    // ...until a reload reads it again.
    d.proc->signal(SIGHUP);
    BOOST_TEST_REQUIRE(d.proc->wait_for_line(std::regex("reloaded \\(SIGHUP\\)")).has_value());
    http_reply r;
    BOOST_TEST(poll_until([&] { return (r = d.get(base + "/readiness")).status == 200; }), r.body);
}
