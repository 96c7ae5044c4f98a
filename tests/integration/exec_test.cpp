#define BOOST_TEST_MODULE exec
#include <boost/test/unit_test.hpp>

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "child.hpp"
#include "heartbeat/checks/exec/run.hpp"
#include "heartbeat/dispatch.hpp"
#include "heartbeat/probes.hpp"
#include "heartbeat/process/reaper.hpp"
#include "heartbeat/runtime.hpp"
#include "heartbeat/scheduler.hpp"
#include "procfs.hpp"

using namespace heartbeat;
using namespace heartbeat::test;
using namespace std::chrono_literals;

namespace {

const std::string helper = HEARTBEAT_HELPER;

/** One io_context with a reaper, like the daemon's; runs checks to completion. */
struct runner {
    net::io_context ioc;
    check_runtime runtime{ioc.get_executor()};
    process_reaper& reaper = runtime.reaper();

    check_result run(exec_spec spec, duration timeout = 2s) {
        check_config c;
        c.name = "x";
        c.timeout = timeout;
        c.spec = std::move(spec);
        std::optional<check_result> out;
        net::co_spawn(ioc, run_check(c, runtime.context()),
                      [&](std::exception_ptr, check_result r) { out = std::move(r); });
        while (!out && ioc.run_one_for(10s)) {
        }
        BOOST_TEST_REQUIRE(out.has_value());
        return *out;
    }
    /** Lets the reaper collect what is pending, at most `cap`, until no watched child runs. */
    void settle(duration cap = 5s) {
        auto deadline = steady_clock::now() + cap;
        while ((reaper.running() > 0) && steady_clock::now() < deadline) ioc.run_one_for(50ms);
        ioc.poll();
    }
};

exec_spec argv(std::vector<std::string> a) {
    exec_spec s;
    s.argv = std::move(a);
    return s;
}

exec_spec shell(std::string cmd) {
    return argv({"/bin/sh", "-c", std::move(cmd)});
}

}  // namespace

BOOST_AUTO_TEST_CASE(argv_runs_without_a_shell) {
    runner r;
    auto res = r.run(argv({helper, "print", "all; good $HOME"}));
    BOOST_TEST(res.ok);
    BOOST_TEST(res.message == "all; good $HOME");  // no shell: nothing expanded
    BOOST_TEST(res.facts.at("exit_code").as_int64() == 0);
}

BOOST_AUTO_TEST_CASE(a_string_runs_through_sh) {
    runner r;
    auto res = r.run(shell("echo one; echo two >&2; exit 3"));
    BOOST_TEST(!res.ok);
    BOOST_TEST(res.message == "exit code 3, expected exit code 0: two");
    BOOST_TEST(res.facts.at("exit_code").as_int64() == 3);
}

BOOST_AUTO_TEST_CASE(env_cwd_and_expected_exit) {
    runner r;
    temp_dir dir;
    auto s = argv({helper, "env", "CHECK_VAR"});
    s.env["CHECK_VAR"] = "from-config";
    BOOST_TEST(r.run(s).message == "from-config");
    auto p = argv({helper, "pwd"});
    p.cwd = dir.path();
    BOOST_TEST(r.run(p).message == dir.path());
    auto e = argv({helper, "exit", "2"});
    e.expect_exit = 2;
    BOOST_TEST(r.run(e).ok);
    e.expect_exit = 0;
    BOOST_TEST(r.run(e).message == "exit code 2, expected exit code 0");
}

BOOST_AUTO_TEST_CASE(stdin_is_empty) {
    runner r;
    auto res = r.run(shell("cat; echo done"), 2s);  // would hang on an inherited stdin
    BOOST_TEST(res.ok);
    BOOST_TEST(res.message == "done");
}

BOOST_AUTO_TEST_CASE(json_stdout_is_merged_as_data) {
    runner r;
    auto res =
        r.run(argv({helper, "json", R"({"version": "2.2.2", "workers": 4, "status": "ignored"})"}));
    BOOST_TEST(res.ok);
    BOOST_TEST(res.message == "ok");
    BOOST_TEST(res.data.at("version").as_string() == "2.2.2");
    BOOST_TEST(res.data.at("workers").as_int64() == 4);
    auto not_json = r.run(argv({helper, "json", "{not json"}));
    BOOST_TEST(not_json.data.empty());
    BOOST_TEST(not_json.message == "{not json");
}

BOOST_AUTO_TEST_CASE(flooded_output_is_capped_and_drained) {
    runner r;
    auto start = steady_clock::now();
    auto res = r.run(argv({helper, "flood", std::to_string(20 << 20)}), 10s);
    BOOST_TEST(res.ok, res.message);
    BOOST_TEST(res.message.size() <= 200u);
    BOOST_TEST((steady_clock::now() - start) < 5s);
}

BOOST_AUTO_TEST_CASE(missing_program_is_a_failure_not_a_crash) {
    runner r;
    auto res = r.run(argv({"/nonexistent/bin/check"}));
    BOOST_TEST(!res.ok);
    BOOST_TEST(res.message.starts_with("cannot run /nonexistent/bin/check: /nonexistent/bin/check "
                                       "does not exist here; an application's own commands cannot "
                                       "run in a sidecar's container"),
               res.message);
}

BOOST_AUTO_TEST_CASE(a_program_missing_from_path_is_named_with_the_path_and_the_images) {
    // The commonest mistake in a container: a client program the default image does not hold.
    runner r;
    auto res = r.run(argv({"heartbeat-no-such-program", "-q"}));
    BOOST_TEST(!res.ok);
    BOOST_TEST(res.message.starts_with("cannot run heartbeat-no-such-program: no "
                                       "heartbeat-no-such-program in PATH ("),
               res.message);
    BOOST_TEST(res.message.find("the tools image adds pg_isready") != std::string::npos,
               res.message);
}

namespace {
/** An executable script in `dir`. */
std::string script(const temp_dir& dir, const std::string& name, const std::string& text) {
    auto path = dir.write(name, text);
    ::chmod(path.c_str(), 0755);
    return path;
}
}  // namespace

// An application's virtualenv script run in the sidecar: the kernel's ENOENT names the script,
// the message must name what is missing, and say that such a command cannot run here.
BOOST_AUTO_TEST_CASE(a_script_whose_interpreter_is_missing_names_the_interpreter) {
    runner r;
    temp_dir dir;
    auto flask = script(dir, "flask", "#!/nonexistent/.venv/bin/python\nimport sys\n");
    auto res = r.run(argv({flask, "health"}));
    BOOST_TEST(!res.ok);
    BOOST_TEST(res.message.starts_with("cannot run " + flask +
                                       ": its interpreter /nonexistent/.venv/bin/python (from its "
                                       "#! line) does not exist here; an application's own "
                                       "commands cannot run in a sidecar's container"),
               res.message);
    BOOST_TEST(res.message.find("No such file") == std::string::npos, res.message);

    // A virtualenv's python is a link to an interpreter elsewhere: name where it points.
    ::symlink("/nonexistent/usr/bin/python3.11", (dir.path() + "/python").c_str());
    auto linked = script(dir, "linked", "#! " + dir.path() + "/python -u\n");
    res = r.run(argv({linked}));
    BOOST_TEST(res.message.find("its interpreter " + dir.path() +
                                "/python (from its #! line) does not exist here (it is a link to "
                                "/nonexistent/usr/bin/python3.11, which does not exist here)") !=
                   std::string::npos,
               res.message);

    // Windows line endings put a carriage return into the interpreter's name.
    auto crlf = script(dir, "crlf", "#!/bin/sh\r\necho hi\r\n");
    res = r.run(argv({crlf}));
    BOOST_TEST(
        res.message.find("its interpreter /bin/sh\\r (from its #! line) does not exist "
                         "here: the script has Windows line endings (CRLF)") != std::string::npos,
        res.message);

    // An interpreter that is there but may not be executed.
    auto not_exec = dir.write("not-exec", "");
    auto blocked = script(dir, "blocked", "#!" + not_exec + "\n");
    res = r.run(argv({blocked}));
    BOOST_TEST(res.message == "cannot run " + blocked + ": its interpreter " + not_exec +
                                  " (from its #! line) cannot be executed: Permission denied",
               res.message);
}

BOOST_AUTO_TEST_CASE(a_script_whose_interpreter_exists_runs) {
    runner r;
    temp_dir dir;
    auto ok = script(dir, "ok", "#!/bin/sh\necho \"ran with $0\"\n");
    auto res = r.run(argv({ok}));
    BOOST_TEST(res.ok, res.message);
    BOOST_TEST(res.message == "ran with " + ok);
    // A script that may not be executed itself is still its own fault.
    auto plain = dir.write("plain", "#!/nonexistent/python\n");
    res = r.run(argv({plain}));
    BOOST_TEST(res.message == "cannot run " + plain + ": Permission denied");
}

BOOST_AUTO_TEST_CASE(a_missing_working_directory_is_named) {
    runner r;
    auto spec = argv({helper, "exit", "0"});
    spec.cwd = "/nonexistent/dir";
    auto res = r.run(spec);
    BOOST_TEST(!res.ok);
    BOOST_TEST(res.message == "cannot run " + helper +
                                  ": its working directory /nonexistent/dir (cwd): No such file "
                                  "or directory",
               res.message);
}

BOOST_AUTO_TEST_CASE(timeout_kills_the_group_and_reaps_it) {
    runner r;
    auto start = steady_clock::now();
    auto res = r.run(argv({helper, "sleep", "30"}), 300ms);
    auto took = steady_clock::now() - start;
    BOOST_TEST(!res.ok);
    BOOST_TEST(res.message.starts_with(
                   "timed out after 300ms; the process group was sent TERM, then KILL"),
               res.message);
    BOOST_TEST(took < 600ms);
    r.settle();
    BOOST_TEST(r.reaper.running() == 0u);
    BOOST_TEST(zombie_children() == 0);
}

BOOST_AUTO_TEST_CASE(a_command_that_ignores_term_gets_kill) {
    runner r;
    auto res = r.run(argv({helper, "stubborn", "30"}), 300ms);
    BOOST_TEST(!res.ok);
    r.settle();
    BOOST_TEST(r.reaper.running() == 0u);
    BOOST_TEST(zombie_children() == 0);
}

BOOST_AUTO_TEST_CASE(grandchildren_left_behind_are_killed_with_the_group) {
    runner r;
    // The shell starts a grandchild that ignores TERM, prints its pid and exits at once.
    auto res = r.run(shell("'" + helper + "' stubborn 30 & echo $!"), 2s);
    BOOST_TEST(res.ok, res.message);
    pid_t grandchild = std::stoi(res.message);
    bool gone = poll_until(
        [&] {
            r.ioc.poll();
            return ::kill(grandchild, 0) != 0;
        },
        5000);
    BOOST_TEST(gone);
}

BOOST_AUTO_TEST_CASE(orphans_are_reaped_by_the_subreaper) {
    BOOST_TEST_REQUIRE(process_reaper::become_subreaper());
    runner r;
    // setsid: the grandchild leaves our process group, is orphaned, and is handed to us on exit.
    auto before = r.reaper.orphans_reaped();
    auto res = r.run(shell("setsid '" + helper + "' sleep 0.2 >/dev/null 2>&1 & echo started"), 2s);
    BOOST_TEST(res.ok);
    bool reaped = poll_until(
        [&] {
            r.ioc.poll();
            return r.reaper.orphans_reaped() > before;
        },
        5000);
    BOOST_TEST(reaped);
    BOOST_TEST(zombie_children() == 0);
}

BOOST_AUTO_TEST_CASE(thousands_of_runs_leave_no_zombie_and_no_descriptor) {
    BOOST_TEST_REQUIRE(process_reaper::become_subreaper());
    runner r;
    r.run(argv({helper, "exit", "0"}));  // first use opens what stays open (the signal pipe)
    r.settle();
    int fds_before = open_fds();
    const std::vector<std::pair<exec_spec, duration>> mix = {
        {argv({helper, "exit", "0"}), 2s},
        {argv({helper, "exit", "1"}), 2s},
        {argv({helper, "sleep", "5"}), 20ms},                    // timing out
        {argv({helper, "flood", std::to_string(1 << 20)}), 2s},  // flooding output
        {argv({helper, "grandchild", "5"}), 2s},                 // a grandchild that ignores TERM
        {argv({helper, "stubborn", "5"}), 20ms},                 // ignores TERM, times out
        {argv({"/nonexistent"}), 2s},
    };
    int runs = 0;
    for (int i = 0; i < 300; ++i)
        for (const auto& [spec, timeout] : mix) {
            r.run(spec, timeout);
            ++runs;
        }
    r.settle(10s);
    BOOST_TEST(runs == 2100);
    BOOST_TEST(r.reaper.running() == 0u);
    bool clean = poll_until(
        [&] {
            r.ioc.poll();
            return zombie_children() == 0;
        },
        5000);
    BOOST_TEST(clean);
    BOOST_TEST(open_fds() == fds_before);
}

BOOST_AUTO_TEST_CASE(two_hundred_commands_in_one_probe_take_the_time_of_one) {
    runner r;
    scheduler sched(r.ioc.get_executor(), r.runtime.runner());
    std::vector<check_config> cs;
    for (int i = 0; i < 200; ++i) {
        check_config c;
        c.name = "e" + std::to_string(i);
        c.interval = 0s;
        c.timeout = 5s;
        c.spec = argv({helper, "sleep", "0.2"});
        cs.push_back(c);
    }
    sched.apply(cs);
    bool done = false;
    auto start = steady_clock::now();
    net::co_spawn(r.ioc, sched.prepare(scheduler::every), [&](std::exception_ptr) { done = true; });
    while (!done && r.ioc.run_one_for(10s)) {
    }
    auto took = steady_clock::now() - start;
    BOOST_TEST(done);
    auto answer = render_probe(probe::readiness, sched.statuses(), moment::now(), {});
    BOOST_TEST(answer.ok);
    BOOST_TEST(took >= 200ms);
    // Serially it would be 40 s; concurrently 0.2 s, and up to 2 s on a loaded machine under
    // sanitizers. The serial margin tells one from the other.
    BOOST_TEST(took < 15s);
    sched.stop();
    r.settle();
}
