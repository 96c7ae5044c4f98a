#define BOOST_TEST_MODULE e2e_pidns
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>

#include "child.hpp"
#include "http_client.hpp"
#include "procfs.hpp"
#include "skip.hpp"

using namespace heartbeat::test;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

const std::string helper = HEARTBEAT_HELPER;
const std::string unshare_tool = "/usr/bin/unshare";

std::string exec_check(const std::string& name, const std::string& command) {
    return "  - {name: " + name + ", type: exec, command: " + command +
           ", interval: 500ms, timeout: 300ms}\n";
}

double runs_total(std::uint16_t port) {
    std::istringstream lines(request(port, "/metrics").body);
    double sum = 0;
    for (std::string line; std::getline(lines, line);)
        if (line.starts_with("heartbeat_check_runs_total{"))
            sum += std::stod(line.substr(line.rfind(' ') + 1));
    return sum;
}

std::string pid_namespace_impossible() {
    if (::access(unshare_tool.c_str(), X_OK) != 0 ||
        run({unshare_tool, "--pid", "--fork", "--mount-proc", "/bin/true"}).code != 0)
        return "cannot unshare a PID namespace here (needs root and util-linux's unshare)";
    return "";
}

}  // namespace

// A PID namespace of its own makes heartbeatd PID 1, as in a container. Needs root.
BOOST_AUTO_TEST_CASE(sigterm_to_pid_1_leaves_nothing_of_it_running,
                     *skip_if(pid_namespace_impossible)) {
    // Everything heartbeatd starts inherits the token; what runs with a cleared environment is
    // found by its unique argv.
    auto token = "pidns-" + std::to_string(::getpid()) + "-" +
                 std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
    auto seconds = "3600." + std::to_string(::getpid());
    kill_at_exit cleanup{token}, cleanup_cleared{seconds};
    temp_dir dir;
    auto ready = dir.path() + "/ready";
    auto argv = [](std::string args) { return "['" + helper + "', " + args + "]"; };
    auto cfg = dir.write(
        "h.yaml",
        "checks:\n" +
            exec_check("issue", "'(setsid sh -c \"sleep " + seconds +
                                    "\" </dev/null >/dev/null 2>&1 &); exit 0'") +
            exec_check("daemonise", argv("daemonise, '" + seconds + "'")) +
            exec_check("close-stdout", argv("close-stdout, '" + seconds + "'")) +
            exec_check("flood", argv("flood, '-1'")) +
            exec_check("stubborn", argv("stubborn, '" + seconds + "'")) +
            exec_check("forks-stay", argv("forks, '100', '" + seconds + "', stay")) +
            exec_check("forks-escape", argv("forks, '100', '" + seconds + "', escape")) +
            // Out of the runs' reach: a cleared environment, and a run still going at SIGTERM.
            "  - name: cleared\n    type: exec\n    interval: 1h\n    timeout: 5s\n"
            "    command: '(env -i setsid sh -c \"echo > " +
            ready + "; exec sleep " + seconds + "\" </dev/null >/dev/null 2>&1 &); until [ -s " +
            ready +
            " ]; do sleep 0.01; done'\n"
            "  - name: in-flight\n    type: exec\n    interval: 1h\n    timeout: 1h\n"
            "    command: '(setsid sleep " +
            seconds + " </dev/null >/dev/null 2>&1 &); exec sleep " + seconds + "'\n");
    child ns({unshare_tool, "--pid", "--fork", "--mount-proc", HEARTBEAT_BINARY, "serve",
              "--config", cfg, "--listen", "127.0.0.1:0"},
             {{"HEARTBEAT_PIDNS_TOKEN", token}});
    BOOST_TEST_REQUIRE(ns.wait_for_line(std::regex("running as PID 1")).has_value(),
                       ns.stderr_text());
    auto m = ns.wait_for_line(std::regex("listening on 127\\.0\\.0\\.1:(\\d+)"));
    BOOST_TEST_REQUIRE(m.has_value(), ns.stderr_text());
    auto port = static_cast<std::uint16_t>(std::stoi((*m)[1]));
    // heartbeatd's pid as seen from here: the only child of unshare.
    pid_t daemon = 0;
    BOOST_TEST_REQUIRE(poll_until([&] {
        std::ifstream children("/proc/" + std::to_string(ns.pid()) + "/task/" +
                               std::to_string(ns.pid()) + "/children");
        return static_cast<bool>(children >> daemon);
    }));

    // Every check has run a few times, and the two leftovers out of the runs' reach are there.
    BOOST_TEST(poll_until([&] { return runs_total(port) >= 30; }, 30000), runs_total(port));
    auto adopted = [&] {
        int n = 0;
        for (const auto& p : process_table())
            n += p.ppid == daemon && proc_file(p.pid, "cmdline") == "sleep\0"s + seconds + '\0' &&
                 ::getsid(p.pid) == p.pid;
        return n;
    };
    BOOST_TEST_REQUIRE(poll_until([&] { return adopted() == 2; }), adopted());
    auto before = descendants(process_table(), daemon).size();

    auto start = std::chrono::steady_clock::now();
    ::kill(daemon, SIGTERM);  // to heartbeatd itself: unshare does not forward signals
    BOOST_TEST(ns.wait_exit(10000).value_or(-1) == 0);
    auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(took < 3s);
    // It killed them itself, before the kernel would have at PID 1's exit.
    auto killed = ns.wait_for_line(std::regex("killed (\\d+) processes that exec checks had left"));
    BOOST_TEST_REQUIRE(killed.has_value(), ns.stderr_text());
    BOOST_TEST(std::stoi((*killed)[1]) >= 2);
    bool gone = poll_until(
        [&] { return processes_with(token).empty() && processes_with(seconds).empty(); }, 5000);
    BOOST_TEST(gone, processes_with(token).size() + processes_with(seconds).size()
                         << " processes left");
    BOOST_TEST_MESSAGE("pidns: " << before << " processes below heartbeatd at SIGTERM, "
                                 << (*killed)[1] << " of them adopted; exit 0 in " << took
                                 << ", nothing left");
}
