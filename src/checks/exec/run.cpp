#include "heartbeat/checks/exec/run.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/json/parse.hpp>

#include "heartbeat/process/reaper.hpp"
#include "heartbeat/redact.hpp"
#include "heartbeat/process/spawn.hpp"
#include "heartbeat/process/spawn_failure.hpp"

namespace heartbeat {

namespace {

using namespace boost::asio::experimental::awaitable_operators;

constexpr std::size_t capture_cap = 64 * 1024;
constexpr auto term_grace = std::chrono::milliseconds(200);

/** Reads a pipe to its end, keeping the first 64 KiB and draining the rest. */
net::awaitable<void> read_capped(std::shared_ptr<net::posix::stream_descriptor> pipe,
                                 std::shared_ptr<std::string> into) {
    char buf[16384];
    for (;;) {
        auto [ec, n] = co_await pipe->async_read_some(net::buffer(buf), use_nothrow);
        if (into->size() < capture_cap) into->append(buf, std::min(n, capture_cap - into->size()));
        if (ec) co_return;  // EOF, or cancelled at the deadline
    }
}

/** Waits for the command to exit, then kills what it left behind; the wait status. */
net::awaitable<std::optional<int>> exit_and_sweep(process_reaper* reaper, pid_t pid,
                                                  std::string run_id) {
    auto status = co_await reaper->wait_exit(pid);
    if (!status) co_return status;  // cancelled at the deadline: the caller terminates the group
    // Whatever the command left running, in its group or escaped from it (setsid, a double fork),
    // would hold our pipes open and outlive the check: a check's processes end with it.
    reaper->sweep(pid, std::move(run_id));
    co_return status;
}

/** After a timeout: TERM to the group, a short grace, KILL, the wait for the exit, and the sweep of
 * what escaped the group. Detached. */
net::awaitable<void> terminate_group(process_reaper* reaper, pid_t pid, std::string run_id) {
    auto ex = co_await net::this_coro::executor;
    ::kill(-pid, SIGTERM);
    net::steady_timer grace(ex, term_grace);
    auto done = co_await (reaper->wait_exit(pid) || grace.async_wait(use_nothrow));
    ::kill(-pid, SIGKILL);
    if (done.index() != 0) co_await reaper->wait_exit(pid);
    reaper->forget(pid);
    reaper->sweep(pid, std::move(run_id));
}

std::string last_line(std::string_view text) {
    while (!text.empty()) {
        auto end = text.find_last_not_of(" \t\r\n");
        if (end == std::string_view::npos) return {};
        text = text.substr(0, end + 1);
        auto start = text.find_last_of('\n');
        auto line = text.substr(start == std::string_view::npos ? 0 : start + 1);
        auto first = line.find_first_not_of(" \t\r");
        if (first != std::string_view::npos) return std::string(line.substr(first, 200));
        text = text.substr(0, start == std::string_view::npos ? 0 : start);
    }
    return {};
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) return fmt::format("exit code {}", WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return fmt::format("killed by signal {} ({})", WTERMSIG(status),
                           ::strsignal(WTERMSIG(status)));
    return "ended abnormally";
}

/** "cannot run PROGRAM: why". A string command runs through /bin/sh: where there is none (a
 * minimal image), say how to do without it. */
std::string spawn_failure_message(const exec_spec& spec, int error) {
    auto why = describe_spawn_failure({spec.argv, {}, spec.cwd}, error);
    bool through_shell = spec.argv.size() == 3 && spec.argv[0] == "/bin/sh" && spec.argv[1] == "-c";
    if (through_shell && error == ENOENT && ::access("/bin/sh", F_OK) != 0)
        why =
            "a command written as a string runs through /bin/sh, and there is none here (as in "
            "heartbeatd's default image): write it as a list, run as argv";
    return fmt::format("cannot run {}: {}", spec.argv[0], why);
}

/** A run cut at its deadline, with the last line it wrote (stderr's first). */
check_result timed_out(duration timeout, std::string_view out, std::string_view err,
                       const std::vector<std::string>& secrets) {
    auto r = failure(fmt::format("timed out after {}; the process group was sent TERM, then KILL",
                                 format_duration(timeout)));
    auto line = last_line(redact(std::string(err), secrets));
    if (line.empty()) line = last_line(redact(std::string(out), secrets));
    if (!line.empty()) r.message += "; last output: " + line;
    return r;
}

/** A JSON object on stdout, whose keys are data for the answer; nullopt for any other output. */
std::optional<json::object> json_object_of(std::string_view out) {
    auto first = out.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || out[first] != '{') return std::nullopt;
    boost::system::error_code ec;
    auto v = json::parse(out, ec);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.as_object());
}

}  // namespace

check_result judge_exec(const exec_spec& spec, int status, std::string_view out,
                        std::string_view err, const std::vector<std::string>& secrets) {
    check_result r;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.ok = code == spec.expect_exit;
    r.facts["exit_code"] = WIFEXITED(status) ? json::value(code) : json::value(nullptr);

    // A JSON object on stdout is data for the answer; any other output is text for the message.
    auto data = json_object_of(out);
    if (data) r.data = std::move(*data);
    std::string out_line = data ? std::string() : last_line(redact(std::string(out), secrets));
    std::string err_line = last_line(redact(std::string(err), secrets));
    std::string line = r.ok ? (!out_line.empty() ? out_line : err_line)
                            : (!err_line.empty() ? err_line : out_line);
    auto json_failed =
        r.ok ? judge_json_text(spec.expect_json, out, "stdout", out.size() >= capture_cap, secrets)
             : std::vector<std::string>{};
    if (!json_failed.empty()) {
        r.ok = false;
        r.message = fmt::format("exit code {}, but {}", code, fmt::join(json_failed, "; "));
    } else if (r.ok) {
        r.message = line.empty() ? "ok" : line;
    } else {
        r.message =
            fmt::format("{}, expected exit code {}", describe_status(status), spec.expect_exit);
        if (!line.empty()) r.message += ": " + line;
    }
    return r;
}

net::awaitable<check_result> run_exec(exec_spec spec, duration timeout,
                                      steady_clock::time_point deadline, run_context ctx,
                                      std::vector<std::string> secrets) {
    auto ex = co_await net::this_coro::executor;
    if (!ctx.reaper) co_return failure("exec checks need the process reaper (internal error)");
    process_reaper* reaper = ctx.reaper;

    // Start: its own process group, output to pipes, and a marker in its environment that every
    // process it starts inherits, so that what escapes the group can still be found and ended.
    auto run_id = reaper->next_run_id();
    auto env = spec.env;
    env[std::string(run_marker_variable)] = run_id;
    auto started = spawn_process({spec.argv, std::move(env), spec.cwd});
    if (auto* err = std::get_if<int>(&started))
        co_return failure(spawn_failure_message(spec, *err));
    auto child = std::get<spawned>(started);
    reaper->watch(child.pid);
    auto out = std::make_shared<net::posix::stream_descriptor>(ex, child.out_fd);
    auto err = std::make_shared<net::posix::stream_descriptor>(ex, child.err_fd);
    auto out_text = std::make_shared<std::string>();
    auto err_text = std::make_shared<std::string>();

    // Wait for the exit and both pipes' end, or the deadline, whichever comes first.
    net::steady_timer timer(ex, deadline);
    struct group_guard {
        // If this run is abandoned (its frame destroyed with the io_context at exit), its group
        // must not outlive it. Only a system call here: the reaper may already be gone at that
        // point.
        pid_t pid;
        bool armed = true;
        ~group_guard() {
            if (armed) ::kill(-pid, SIGKILL);
        }
    } guard{child.pid};
    auto outcome = co_await ((exit_and_sweep(reaper, child.pid, run_id) &&
                              read_capped(out, out_text) && read_capped(err, err_text)) ||
                             timer.async_wait(use_nothrow));
    boost::system::error_code ignored;
    out->close(ignored);
    err->close(ignored);

    std::optional<int> status = outcome.index() == 0 ? std::get<0>(outcome) : std::nullopt;
    guard.armed = false;
    if (!status) {
        // The deadline came, or the run was cancelled (its check removed on reload, the daemon
        // stopping): either way the group is terminated and reaped, without holding up the answer.
        net::co_spawn(ex, terminate_group(reaper, child.pid, run_id), net::detached);
        if (outcome.index() == 0) co_return failure("run cancelled");
        co_return timed_out(timeout, *out_text, *err_text, secrets);
    }
    reaper->forget(child.pid);

    co_return judge_exec(spec, *status, *out_text, *err_text, secrets);
}

}  // namespace heartbeat
