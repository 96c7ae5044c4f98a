#define BOOST_TEST_MODULE e2e_operations
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "heartbeatd.hpp"
#include "loopback.hpp"

using namespace heartbeat::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::string file_check(const std::string& name, const std::string& path, const std::string& extra = "") {
    return "  - {name: " + name + ", type: file, path: " + path + ", interval: 50ms, timeout: 40ms" + extra + "}\n";
}

/** The names of the checks readiness reports now. */
std::set<std::string> ready_checks(heartbeatd& d) {
    std::set<std::string> out;
    auto body = body_of(d.get(base + "/readiness"));  // a named object: the loop must not outlive it
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
    { std::ofstream(d.config_path, std::ios::trunc) << "checks:\n" + file_check("root", "/") + file_check("etc", "/etc"); }
    BOOST_TEST(poll_until([&] { return ready_checks(d) == std::set<std::string>{"root", "etc"}; }, 5000));
    BOOST_TEST(d.proc->wait_for_line(std::regex("reloaded \\(file changed\\): 2 checks \\(1 added, 1 removed, 0 changed, 1 unchanged\\)")).has_value(),
               d.proc->stderr_text());
    // The unchanged check kept its history.
    BOOST_TEST(body_of(d.get(base + "/readiness")).at("checks").at("root").at("since") == since);

    // An editor's rename-over.
    write_atomically(d.config_path, "checks:\n" + file_check("root", "/") + file_check("renamed", "/usr"));
    BOOST_TEST(poll_until([&] { return ready_checks(d) == std::set<std::string>{"root", "renamed"}; }, 5000));
    BOOST_TEST(metric(d, "heartbeat_config_last_reload_successful") == 1);
}

BOOST_AUTO_TEST_CASE(a_bad_file_is_refused_and_the_old_checks_go_on) {
    heartbeatd d("checks:\n" + file_check("root", "/"));
    write_atomically(d.config_path, "checks:\n  - name: root\n    type: file\n    pathh: /\n");
    BOOST_TEST(d.proc->wait_for_line(std::regex(":4:5: unknown key 'pathh' in check 'root' \\(did you mean 'path'\\?\\)")).has_value(),
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
    // The update: a new timestamped folder, a temporary symlink renamed over ..data, the old folder removed.
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
    heartbeatd d("checks:\n  - name: long\n    type: exec\n    command: 'echo $$ > " + pidfile +
                 "; exec sleep 60'\n    timeout: 60s\n    interval: 1h\n    probes: [liveliness]\n" + file_check("root", "/"));
    BOOST_TEST_REQUIRE(poll_until([&] { return fs::exists(pidfile) && fs::file_size(pidfile) > 0; }, 5000));
    pid_t pid = std::stoi([&] { std::ifstream in(pidfile); std::string s; in >> s; return s; }());
    BOOST_TEST(::kill(pid, 0) == 0);
    { std::ofstream(d.config_path, std::ios::trunc) << "checks:\n" + file_check("root", "/"); }
    d.proc->signal(SIGHUP);
    BOOST_TEST(d.proc->wait_for_line(std::regex("reloaded \\((SIGHUP|file changed)\\)")).has_value());
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
    for (auto series : {"heartbeat_check_up{check=\"root\",type=\"file\"} 1", "heartbeat_check_up{check=\"missing\",type=\"file\"} 0",
                        "heartbeat_probe_up{probe=\"readiness\"} 0", "heartbeat_config_last_reload_successful 1",
                        "heartbeat_build_info{version=", "heartbeat_check_runs_total{check=\"root\",result=\"success\"}",
                        "heartbeat_check_duration_seconds{check=\"root\"}", "heartbeat_http_requests_total{handler=\"readiness\",code=\"500\"} 1",
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
        write_all(fd, "GET /.well-known/heartbeat/readiness HTTP/1.1\r\nHost: x\r\nX-Slow: ");  // never finished
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
