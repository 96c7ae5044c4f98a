#define BOOST_TEST_MODULE process_stress
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "child.hpp"
#include "heartbeat/dispatch.hpp"
#include "heartbeat/process/children.hpp"
#include "heartbeat/process/reaper.hpp"
#include "heartbeat/runtime.hpp"
#include "heartbeatd.hpp"
#include "procfs.hpp"

using namespace heartbeat::test;
using namespace std::chrono_literals;
using namespace std::string_literals;
namespace hb = heartbeat;
using steady = std::chrono::steady_clock;

namespace {

const std::string helper = HEARTBEAT_HELPER;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr auto stress_duration = 15s;  // a sanitized daemon is several times slower
#else
constexpr auto stress_duration = 60s;
#endif

/** A string no other process on the machine has in its argv or environment. */
std::string unique_token(const std::string& what) {
    return what + "-" + std::to_string(::getpid()) + "-" +
           std::to_string(steady::now().time_since_epoch().count());
}

std::string exec_check(const std::string& name, const std::string& command,
                       const std::string& interval) {
    return "  - {name: " + name + ", type: exec, command: " + command + ", interval: " + interval +
           ", timeout: 300ms}\n";
}

/** Exec checks that each misbehave one way; no command runs longer than its 300 ms timeout. */
std::string hostile_checks() {
    auto argv = [](std::string args) { return "['" + helper + "', " + args + "]"; };
    return "checks:\n" +
           // The reported defect, as written: a shell daemonises a sleep out of its group.
           exec_check("issue", "'(setsid sh -c \"sleep 30\" </dev/null >/dev/null 2>&1 &); exit 0'",
                      "500ms") +
           exec_check("daemonise", argv("daemonise, '30'"), "500ms") +
           exec_check("daemonise-stdout", argv("daemonise, '30', keep-stdout"), "500ms") +
           exec_check("close-stdout", argv("close-stdout, '30'"), "500ms") +
           exec_check("flood", argv("flood, '-1'"), "500ms") +
           exec_check("stubborn", argv("stubborn, '30'"), "500ms") +
           exec_check("forks-stay", argv("forks, '200', '30', stay"), "1s") +
           exec_check("forks-escape", argv("forks, '300', '30', escape"), "1s");
}

/** What one look at the daemon's process tree found. */
struct sample {
    std::size_t processes = 0;
    std::set<pid_t> zombies;  // its children that exited and are not reaped
    std::map<std::string, std::vector<pid_t>> by_run;  // live descendants by HEARTBEAT_RUN
};

sample look_at(pid_t daemon) {
    sample s;
    for (const auto& p : descendants(process_table(), daemon)) {
        ++s.processes;
        if (p.state == 'Z') {
            if (p.ppid == daemon) s.zombies.insert(p.pid);
            continue;
        }
        auto run = environ_value(p.pid, "HEARTBEAT_RUN");
        if (!run.empty()) s.by_run[run].push_back(p.pid);
    }
    return s;
}

/** "pid (state, parent) argv" for each, to tell which command left them. */
std::string describe(const std::vector<pid_t>& pids) {
    std::string out;
    for (pid_t pid : pids) {
        auto argv = proc_file(pid, "cmdline");
        std::replace(argv.begin(), argv.end(), '\0', ' ');
        auto stat = proc_file(pid, "stat");
        auto fields = stat.rfind(')') < stat.size() ? stat.substr(stat.rfind(')') + 1, 10) : "gone";
        out += "\n  " + std::to_string(pid) + " [" + fields + "] " + argv;
    }
    return out;
}

double runs_total(heartbeatd& d) {
    std::istringstream lines(d.get("/metrics").body);
    double sum = 0;
    for (std::string line; std::getline(lines, line);)
        if (line.starts_with("heartbeat_check_runs_total{"))
            sum += std::stod(line.substr(line.rfind(' ') + 1));
    return sum;
}

void reload(heartbeatd& d, const std::string& config, std::size_t checks) {
    std::ofstream(d.config_path + ".tmp") << config;
    std::filesystem::rename(d.config_path + ".tmp", d.config_path);
    d.proc->signal(SIGHUP);
    auto done =
        d.proc->wait_for_line(std::regex("reloaded .*: " + std::to_string(checks) + " checks"));
    BOOST_TEST_REQUIRE(done.has_value(), d.proc->stderr_text());
}

}  // namespace

BOOST_AUTO_TEST_CASE(hostile_exec_checks_for_a_minute_leave_no_zombie_process_or_descriptor) {
    auto token = unique_token("stress");
    kill_at_exit cleanup{token};
    heartbeatd d("checks: []\n", {}, {{"HEARTBEAT_STRESS_TOKEN", token}});
    pid_t daemon = d.proc->pid();
    // Idle and never asked anything yet: no connection is open.
    const int fds_before = open_fds(daemon);

    reload(d, hostile_checks(), 8);
    // A run ends within its 300 ms timeout, its group 200 ms after that (TERM, grace, KILL); a
    // process of a run seen 2.5 s after the first of that run was left behind.
    constexpr auto leftover_age = 2500ms;
    std::map<std::string, steady::time_point> run_first_seen;
    std::map<pid_t, steady::time_point> zombie_first_seen;
    std::size_t samples = 0, most_processes = 0, most_runs_alive = 0;
    int most_fds = 0;
    auto start = steady::now();
    while (steady::now() - start < stress_duration) {
        auto at = steady::now();
        auto s = look_at(daemon);
        ++samples;
        most_processes = std::max(most_processes, s.processes);
        most_runs_alive = std::max(most_runs_alive, s.by_run.size());
        most_fds = std::max(most_fds, open_fds(daemon));
        BOOST_TEST_REQUIRE(s.processes < 1200u);  // two runs' worth of every check, with room
        for (const auto& [run, pids] : s.by_run) {
            auto first = run_first_seen.emplace(run, at).first->second;
            if (at - first >= leftover_age)  // (a failure message is built even when it passes)
                BOOST_FAIL("run " << run << " left " << describe(pids) << "\nafter "
                                  << (at - first));
        }
        // A zombie is normal for the moment between an exit and its SIGCHLD; one that stays is
        // a process nobody reaps.
        std::erase_if(zombie_first_seen, [&](auto& z) { return !s.zombies.count(z.first); });
        for (pid_t z : s.zombies) {
            auto first = zombie_first_seen.emplace(z, at).first->second;
            BOOST_TEST_REQUIRE((at - first < 1s),
                               "zombie " << z << " unreaped for " << (at - first));
        }
        d.proc->stderr_text();  // keep its log pipe from filling up
        // Pacing the sampler, not waiting for anything: each look reads all of /proc.
        poll_until([&] { return steady::now() - at >= 200ms; }, 1000);
    }
    double runs = runs_total(d);

    // No checks any more: the runs in flight are cancelled, and everything ends with them.
    auto emptied = steady::now();
    reload(d, "checks: []\n", 0);
    bool none_left = poll_until([&] { return descendants(process_table(), daemon).empty(); }, 5000);
    auto took = steady::now() - emptied;
    BOOST_TEST(none_left, look_at(daemon).processes << " processes left");
    BOOST_TEST(zombie_children(daemon) == 0);
    bool fds_back = poll_until([&] { return open_fds(daemon) == fds_before; }, 5000);
    BOOST_TEST(fds_back, open_fds(daemon) << " descriptors, " << fds_before << " before");

    BOOST_TEST_MESSAGE("stress: " << runs << " runs in " << (steady::now() - start) << ", "
                                  << samples << " samples; at most " << most_processes
                                  << " processes below the daemon from " << most_runs_alive
                                  << " runs, at most " << most_fds << " descriptors (" << fds_before
                                  << " idle); none left " << took
                                  << " after the reload to no checks");
    BOOST_TEST(runs >= 8 * (stress_duration / 1s) / 2);  // they did run, all along

    d.proc->signal(SIGTERM);
    BOOST_TEST(d.proc->wait_exit(10000).value_or(-1) == 0);
    BOOST_TEST(processes_with(token).empty());
}

BOOST_AUTO_TEST_CASE(sigterm_kills_the_orphans_the_daemon_adopted) {
    // The reported defect: a command that daemonises leaves its sleep running after heartbeatd
    // exits. Here one command daemonises a sleep with `env -i`, which takes the run's marker away,
    // and waits until it runs: only the shutdown can find that one. The other is still running
    // when SIGTERM comes, the sleep it daemonised already adopted by heartbeatd.
    auto token = unique_token("adopted");
    auto seconds = "3600." + std::to_string(::getpid());  // a unique argv to find them by
    kill_at_exit cleanup{token}, cleanup_cleared{seconds};
    temp_dir dir;
    auto ready = dir.path() + "/ready";
    heartbeatd d(
        "checks:\n"
        "  - name: cleared\n    type: exec\n    interval: 1h\n    timeout: 5s\n"
        "    command: '(env -i setsid sh -c \"echo > " +
            ready + "; exec sleep " + seconds + "\" </dev/null >/dev/null 2>&1 &); until [ -s " +
            ready +
            " ]; do sleep 0.01; done'\n"
            "  - name: in-flight\n    type: exec\n    interval: 1h\n    timeout: 1h\n"
            "    command: '(setsid sleep " +
            seconds + " </dev/null >/dev/null 2>&1 &); exec sleep " + seconds + "'\n",
        {}, {{"HEARTBEAT_STRESS_TOKEN", token}});
    pid_t daemon = d.proc->pid();
    auto adopted = [&] {
        std::vector<pid_t> out;  // children of the daemon that lead a session of their own
        for (const auto& p : process_table())
            if (p.ppid == daemon && proc_file(p.pid, "cmdline") == "sleep\0"s + seconds + '\0' &&
                ::getsid(p.pid) == p.pid)
                out.push_back(p.pid);
        return out;
    };
    BOOST_TEST_REQUIRE(poll_until([&] { return adopted().size() == 2; }), describe(adopted()));
    // The run of `cleared` is over, and what it left runs on, out of the sweep's sight.
    BOOST_TEST(d.get(base + "/readiness/cleared").status == 200);
    auto left = adopted();
    BOOST_TEST(environ_value(left[0], "HEARTBEAT_RUN").empty() !=
               environ_value(left[1], "HEARTBEAT_RUN").empty());

    d.proc->signal(SIGTERM);
    BOOST_TEST(d.proc->wait_exit(10000).value_or(-1) == 0);
    BOOST_TEST(d.proc->stderr_text().find("killed 2 processes that exec checks had left running") !=
                   std::string::npos,
               d.proc->stderr_text());
    BOOST_TEST(processes_with(seconds).empty());
    BOOST_TEST(processes_with(token).empty());
}

BOOST_AUTO_TEST_CASE(a_run_ends_what_it_daemonised_and_what_escaped_its_group) {
    BOOST_TEST_REQUIRE(hb::process_reaper::become_subreaper());
    hb::net::io_context ioc;
    hb::check_runtime runtime(ioc.get_executor());
    auto& reaper = runtime.reaper();
    auto run = [&](std::vector<std::string> argv) {
        hb::check_config c;
        c.name = "x";
        c.timeout = 5s;
        hb::exec_spec spec;
        spec.argv = std::move(argv);
        c.spec = spec;
        std::optional<hb::check_result> out;
        hb::net::co_spawn(ioc, hb::run_check(c, runtime.context()),
                          [&](std::exception_ptr, hb::check_result r) { out = std::move(r); });
        while (!out && ioc.run_one_for(10s)) {
        }
        BOOST_TEST_REQUIRE(out.has_value());
        return *out;
    };
    auto settled = [&] {
        return poll_until(
            [&] {
                ioc.poll();
                return reaper.sweeping() == 0 && zombie_children() == 0;
            },
            5000);
    };

    // The daemon keeps our stdout: without the sweep, the run would wait for it to its timeout.
    auto res = run({helper, "daemonise", "30", "keep-stdout"});
    BOOST_TEST(res.ok, res.message);
    BOOST_TEST(res.elapsed < 2s);
    pid_t daemonised = std::stoi(res.message);
    BOOST_TEST(settled());
    BOOST_TEST(::kill(daemonised, 0) != 0);

    // Three hundred children that each left the group.
    auto before = reaper.leftovers_killed();
    res = run({helper, "forks", "300", "30", "escape"});
    BOOST_TEST(res.ok, res.message);
    BOOST_TEST(settled());
    BOOST_TEST(reaper.leftovers_killed() - before == 300u);
    BOOST_TEST(hb::child_pids().empty());
}
