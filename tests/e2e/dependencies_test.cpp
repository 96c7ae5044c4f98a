#define BOOST_TEST_MODULE e2e_dependencies
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <boost/json/parse.hpp>

#include "child.hpp"
#include "heartbeatd.hpp"
#include "http_client.hpp"
#include "loopback.hpp"
#include "procfs.hpp"
#include "skip.hpp"

// Real PostgreSQL, Redis and nginx on loopback, and heartbeatd checking them: each is killed
// (SIGKILL) and hung (SIGSTOP) in turn; readiness must name what broke and come back, in bounded
// time, while liveliness never moves. Killed, a server refuses connections: every check on it
// fails. Hung, it keeps its listening socket and the kernel still completes handshakes into the
// backlog: its plain tcp check goes on passing, and only the checks that wait for an answer (Redis
// PING, the http GET, pg_isready) fail, on their timeout.

extern char** environ;

using namespace heartbeat::test;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

// The bound a background check must meet: it notices a change within interval + timeout + jitter
// (a tenth of the interval), with both thresholds at 1. The slack covers polling every 20 ms and
// scheduling on a loaded machine.
constexpr auto interval = 1000ms;
constexpr auto timeout = 500ms;
constexpr auto jitter = interval / 10;
constexpr auto slack = 300ms;
constexpr auto bound = interval + timeout + jitter + slack;
// Over a hanging target an answer reads the latest results; waiting for the run in flight would
// hold it up to the whole timeout (500 ms). On a machine busy with other work one answer here took
// 67 ms under ASan, so this uses the margin for concurrent work rather than 50 ms: it still
// separates reading state (a few ms) from waiting for the run.
constexpr auto answer_bound = 300ms;

std::string secs(steady::duration d) {
    return fmt::format("{:.3f} s", std::chrono::duration<double>(d).count());
}

/** Every pid a server of this test ever ran, for the check that nothing is left at the end. */
std::set<pid_t>& server_pids() {
    static std::set<pid_t> pids;
    return pids;
}

/** Waits (capped) for our child `pid` to exit and reaps it; false when it is still running. */
bool reap(pid_t pid, int timeout_ms) {
    return poll_until(
        [pid] {
            int status = 0;
            pid_t r = ::waitpid(pid, &status, WNOHANG);
            return r == pid || (r < 0 && errno == ECHILD);
        },
        timeout_ms);
}

/** Waits (capped) until none of `pids` runs, reaping those that were handed to us. */
bool wait_gone(const std::set<pid_t>& pids, int timeout_ms) {
    return poll_until(
        [&pids] {
            bool any = false;
            for (pid_t p : pids) {
                int status = 0;
                ::waitpid(p, &status, WNOHANG);
                any = any || running(p);
            }
            return !any;
        },
        timeout_ms);
}

/**
 * One server process in a process group of its own, its output appended to a log file (a pipe
 * nobody drains would fill up and block it). The destructor stops it: the server's orderly stop
 * signal, SIGKILL after a capped wait, and everything it started waited for and reaped.
 */
class server_process {
  public:
    server_process(const std::vector<std::string>& argv, const std::string& log, int stop_signal)
        : stop_signal_(stop_signal) {
        // Its folder as working directory: the test's may not be open to an unprivileged user.
        auto cwd = std::filesystem::path(log).parent_path().string();
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) throw std::runtime_error("open " + log);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, fd, 1);
        posix_spawn_file_actions_adddup2(&fa, fd, 2);
        posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        sigset_t none;
        sigemptyset(&none);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setpgroup(&attr, 0);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
        std::vector<std::string> args = argv;
        std::vector<char*> ptrs;
        for (auto& a : args) ptrs.push_back(a.data());
        ptrs.push_back(nullptr);
        int rc = ::posix_spawn(&pid_, ptrs[0], &fa, &attr, ptrs.data(), environ);
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&fa);
        ::close(fd);
        if (rc != 0) throw std::runtime_error("posix_spawn " + argv[0]);
        server_pids().insert(pid_);
    }
    ~server_process() { stop(); }
    server_process(const server_process&) = delete;
    server_process& operator=(const server_process&) = delete;

    /** Sends `sig` to the server's main process only. */
    void signal(int sig) const { ::kill(pid_, sig); }

    /**
     * SIGKILL, as a crash: the main process only. What it started finds out by itself (postgres's
     * children watch the postmaster); `reap_all()` waits for them.
     */
    void crash() {
        // Stopped for the moment it takes to list its children, so that none is forked unseen.
        ::kill(pid_, SIGSTOP);
        poll_until([this] {
            siginfo_t info{};
            return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WSTOPPED | WNOHANG) == 0 &&
                   info.si_pid == pid_;
        });
        remember_descendants();
        ::kill(pid_, SIGKILL);
    }

    /** After `crash()`: reaps it and waits until what it started has exited (capped). */
    bool reap_all() {
        if (!exited_) exited_ = reap(pid_, 10000);
        // As a subreaper we inherit its orphans: they are reaped here.
        return exited_ && wait_gone(started_, 10000);
    }

    /** The orderly stop, then SIGKILL for whatever is left after a capped wait; always reaps. */
    void stop() {
        if (!exited_) {
            remember_descendants();
            ::kill(pid_, stop_signal_);
            ::kill(pid_, SIGCONT);  // a failed assertion may have left it stopped
            exited_ = reap(pid_, 10000);
            if (!exited_) {
                ::kill(pid_, SIGKILL);
                exited_ = reap(pid_, 10000);
            }
        }
        if (!wait_gone(started_, 5000)) {
            for (pid_t p : started_)
                if (running(p)) ::kill(p, SIGKILL);
            wait_gone(started_, 5000);
        }
    }

  private:
    void remember_descendants() {
        for (pid_t p : descendants(pid_)) {
            started_.insert(p);
            server_pids().insert(p);
        }
    }

    pid_t pid_ = -1;
    int stop_signal_;
    bool exited_ = false;
    std::set<pid_t> started_;
};

/** A real server the checks depend on, and heartbeatd's checks on it. */
struct dependency {
    std::string name;
    /** Starts the server (again). */
    std::function<std::unique_ptr<server_process>()> launch;
    /** Whether the server answers now, seen by the test itself. */
    std::function<bool()> answers;
    /** Its checks, as YAML list items. */
    std::string checks_yaml;
    /** Every check on it. */
    std::vector<std::string> checks;
    /**
     * The checks that need the server to answer. A hung (SIGSTOPped) server still has its
     * listening socket: the kernel completes handshakes into the backlog, so a plain tcp check
     * passes, and only these fail, on their timeout.
     */
    std::vector<std::string> need_answer;
    /** What the message of each check says when the server is gone. */
    std::map<std::string, std::string> refused_words;
    std::unique_ptr<server_process> proc;
};

/** No dependency, and why. */
std::optional<dependency> cannot_run(std::string& why, std::string reason) {
    why = std::move(reason);
    return std::nullopt;
}

/** The server starts and answers within 30 s, or the reason it cannot run here. */
std::string start_first(dependency& dep, const std::string& log) {
    try {
        dep.proc = dep.launch();
    } catch (const std::exception& e) {
        return e.what();
    }
    if (poll_until(dep.answers, 30000)) return {};
    dep.proc.reset();
    return "it did not answer within 30 s; " + log + ":\n" + run({"/usr/bin/tail", "-5", log}).out;
}

/** The newest PostgreSQL server binaries Debian installed, or empty. */
std::string postgres_bin() {
    std::vector<std::string> found;
    std::error_code ec;
    for (auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
        auto bin = e.path() / "bin";
        if (::access((bin / "initdb").c_str(), X_OK) == 0 &&
            ::access((bin / "postgres").c_str(), X_OK) == 0 &&
            ::access((bin / "pg_isready").c_str(), X_OK) == 0)
            found.push_back(bin.string());
    }
    if (found.empty()) return {};
    // "15" sorts before "9" as text: the newest is the longest, then the greatest.
    return *std::max_element(found.begin(), found.end(), [](auto& a, auto& b) {
        return a.size() != b.size() ? a.size() < b.size() : a < b;
    });
}

/** PostgreSQL: initdb into `dir`, then the postmaster in the foreground, so its pid is ours. */
std::optional<dependency> postgres(const std::string& dir, std::string& why) {
    auto bin = postgres_bin();
    if (bin.empty())
        return cannot_run(why, "no /usr/lib/postgresql/*/bin with initdb, postgres, pg_isready");
    // postgres refuses to run as root: as root, run its binaries as nobody.
    std::vector<std::string> as_user;
    std::string data_parent = dir + "/pg";
    ::mkdir(data_parent.c_str(), 0700);
    if (::geteuid() == 0) {
        passwd* pw = ::getpwnam("nobody");
        if (!pw || ::access("/usr/bin/setpriv", X_OK) != 0)
            return cannot_run(
                why, "running as root, and no user nobody or no /usr/bin/setpriv to drop to it");
        ::chmod(dir.c_str(), 0711);  // nobody must traverse the test's folder
        if (::chown(data_parent.c_str(), pw->pw_uid, pw->pw_gid) != 0)
            return cannot_run(why, "cannot chown the data folder to nobody");
        as_user = {"/usr/bin/setpriv", "--reuid=" + std::to_string(pw->pw_uid),
                   "--regid=" + std::to_string(pw->pw_gid), "--clear-groups", "--"};
    }
    auto with_user = [as_user](std::vector<std::string> argv) {
        argv.insert(argv.begin(), as_user.begin(), as_user.end());
        return argv;
    };
    auto data = data_parent + "/data";
    child init(with_user({bin + "/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync",
                          "--no-locale", "-E", "UTF8"}),
               {}, dir);
    if (init.wait_exit(120000) != 0)
        return cannot_run(why, "initdb failed: " + init.stdout_text() + init.stderr_text());

    dependency dep;
    dep.name = "postgres";
    auto port = std::to_string(refused_port());
    auto log = dir + "/postgres.log";
    // fsync off: a throwaway cluster; a restart after SIGKILL then skips syncing the whole data
    // folder before crash recovery, which takes seconds on a busy disk.
    dep.launch = [=] {
        return std::make_unique<server_process>(
            with_user({bin + "/postgres", "-D", data, "-p", port, "-k", data_parent, "-c",
                       "listen_addresses=127.0.0.1", "-c", "fsync=off"}),
            log, SIGINT);
    };
    std::vector<std::string> isready = {
        bin + "/pg_isready", "-h", "127.0.0.1", "-p", port, "-t", "1", "-U", "postgres"};
    dep.answers = [isready] { return run(isready, {}, 5000).code == 0; };
    std::string command;
    for (auto& a : isready) command += (command.empty() ? "'" : ", '") + a + "'";
    dep.checks_yaml = "  - {name: postgres-tcp, type: tcp, host: 127.0.0.1, port: " + port +
                      "}\n"
                      "  - {name: postgres-ready, type: exec, command: [" +
                      command + "]}\n";
    dep.checks = {"postgres-tcp", "postgres-ready"};
    dep.need_answer = {"postgres-ready"};
    dep.refused_words = {{"postgres-tcp", "connection refused"}, {"postgres-ready", "no response"}};
    if (auto failed = start_first(dep, log); !failed.empty())
        return cannot_run(why, "postgres: " + failed);
    return dep;
}

/** Redis, without persistence. */
std::optional<dependency> redis(const std::string& dir, std::string& why) {
    const std::string binary = "/usr/bin/redis-server";
    if (::access(binary.c_str(), X_OK) != 0) return cannot_run(why, "no " + binary);
    dependency dep;
    dep.name = "redis";
    auto port = refused_port();
    auto log = dir + "/redis.log";
    dep.launch = [=] {
        return std::make_unique<server_process>(
            std::vector<std::string>{binary, "--port", std::to_string(port), "--bind", "127.0.0.1",
                                     "--save", "", "--appendonly", "no", "--daemonize", "no",
                                     "--dir", dir},
            log, SIGTERM);
    };
    dep.answers = [port] {
        int fd = connect_loopback(port);
        if (fd < 0) return false;
        bool pong = write_all(fd, "PING\r\n") &&
                    read_until(fd, "+PONG", 500).find("+PONG") != std::string::npos;
        ::close(fd);
        return pong;
    };
    auto p = std::to_string(port);
    dep.checks_yaml = "  - {name: redis-tcp, type: tcp, host: 127.0.0.1, port: " + p +
                      "}\n"
                      "  - {name: redis-ping, type: tcp, host: 127.0.0.1, port: " +
                      p + ", send: \"PING\\r\\n\", expect: \"+PONG\"}\n";
    dep.checks = {"redis-tcp", "redis-ping"};
    dep.need_answer = {"redis-ping"};
    dep.refused_words = {{"redis-tcp", "connection refused"}, {"redis-ping", "connection refused"}};
    if (auto failed = start_first(dep, log); !failed.empty())
        return cannot_run(why, "redis: " + failed);
    return dep;
}

/**
 * nginx in one process (`master_process off`): SIGKILL then takes the server down for good rather
 * than leaving a worker serving, and SIGSTOP hangs the process that answers.
 */
std::optional<dependency> nginx(const std::string& dir, std::string& why) {
    const std::string binary = "/usr/sbin/nginx";
    if (::access(binary.c_str(), X_OK) != 0) return cannot_run(why, "no " + binary);
    dependency dep;
    dep.name = "nginx";
    auto port = std::to_string(refused_port());
    auto root = dir + "/nginx";
    std::filesystem::create_directories(root);
    std::string conf = root + "/nginx.conf";
    {
        std::ofstream(conf) << "daemon off;\nmaster_process off;\nworker_processes 1;\n"
                            << "pid " << root << "/nginx.pid;\nerror_log stderr;\n"
                            << "events { worker_connections 64; }\nhttp {\n  access_log off;\n"
                            << "  client_body_temp_path " << root << "/body;\n"
                            << "  proxy_temp_path " << root << "/proxy;\n"
                            << "  fastcgi_temp_path " << root << "/fastcgi;\n"
                            << "  uwsgi_temp_path " << root << "/uwsgi;\n"
                            << "  scgi_temp_path " << root << "/scgi;\n"
                            << "  server {\n    listen 127.0.0.1:" << port << ";\n"
                            << "    location / { return 200 \"ok\\n\"; }\n  }\n}\n";
    }
    auto log = dir + "/nginx.log";
    dep.launch = [=] {
        return std::make_unique<server_process>(
            std::vector<std::string>{binary, "-p", root + "/", "-c", conf, "-e", "stderr"}, log,
            SIGTERM);
    };
    dep.answers = [p = static_cast<std::uint16_t>(std::stoi(port))] {
        return request(p, "/", "GET", 500).status == 200;
    };
    dep.checks_yaml = "  - {name: nginx-tcp, type: tcp, host: 127.0.0.1, port: " + port +
                      "}\n"
                      "  - {name: nginx-http, type: http, url: 'http://127.0.0.1:" +
                      port + "/'}\n";
    dep.checks = {"nginx-tcp", "nginx-http"};
    dep.need_answer = {"nginx-http"};
    dep.refused_words = {{"nginx-tcp", "connection refused"}, {"nginx-http", "connection refused"}};
    if (auto failed = start_first(dep, log); !failed.empty())
        return cannot_run(why, "nginx: " + failed);
    return dep;
}

/** One look at both probes. */
struct sample {
    steady::time_point at;  // when the readiness answer arrived
    steady::duration took{};
    int ready = 0;
    int live = 0;
    std::map<std::string, bool> ok;
    std::map<std::string, std::string> message;
};

sample take(std::uint16_t port) {
    sample s;
    auto asked = steady::now();
    auto r = request(port, base + "/readiness", "GET", 5000);
    s.at = steady::now();
    s.took = s.at - asked;
    s.ready = r.status;
    boost::system::error_code ec;
    auto v = boost::json::parse(r.body, ec);
    if (!ec && v.is_object() && v.as_object().contains("checks"))
        for (auto& [name, entry] : v.as_object().at("checks").as_object()) {
            s.ok[name] = entry.as_object().at("status").as_bool();
            s.message[name] = entry.as_object().at("message").as_string().c_str();
        }
    s.live = request(port, base + "/liveliness", "GET", 5000).status;
    return s;
}

/** Runs of `check` so far, from /metrics. */
long runs_of(std::uint16_t port, const std::string& check) {
    auto text = request(port, "/metrics", "GET", 5000).body;
    std::regex re("heartbeat_check_runs_total\\{check=\"" + check + "\",result=\"\\w+\"\\} (\\d+)");
    long total = 0;
    for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it)
        total += std::stol((*it)[1]);
    return total;
}

/** What one transition showed. */
struct watched {
    std::map<std::string, steady::time_point> changed;  // when each check first showed its target
    std::map<std::string, std::string> message;         // its message then
    std::optional<steady::time_point> probe;            // when readiness first answered the target
    std::vector<std::string> problems;                  // anything that must not happen
    steady::duration slowest{};                         // slowest readiness answer
    int samples = 0;
};

/**
 * Asks readiness and liveliness every ~20 ms until every check in `moving` has shown `target`
 * (and `until()`, if given, holds), at most until `cap`. Meanwhile every other check must pass,
 * liveliness must answer 200, and a check that has reached its target must stay there.
 */
watched watch(std::uint16_t port, const std::vector<std::string>& all,
              const std::vector<std::string>& moving, bool target, steady::time_point cap,
              const std::function<bool()>& until = {}) {
    watched w;
    bool until_held = !until;
    for (;;) {
        auto s = take(port);
        ++w.samples;
        w.slowest = std::max(w.slowest, s.took);
        if (s.live != 200) w.problems.push_back(fmt::format("liveliness answered {}", s.live));
        bool all_ok = true;
        for (auto& c : all) {
            bool ok = s.ok.count(c) && s.ok[c];
            all_ok = all_ok && ok;
            bool moves = std::find(moving.begin(), moving.end(), c) != moving.end();
            if (!moves && !ok)
                w.problems.push_back(c + " failed, and it should not: " + s.message[c]);
            if (!moves) continue;
            if (w.changed.count(c) && ok != target)
                w.problems.push_back(c + " went back: " + s.message[c]);
            if (!w.changed.count(c) && ok == target) {
                w.changed[c] = s.at;
                w.message[c] = s.message[c];
            }
        }
        if ((s.ready == 200) != all_ok)
            w.problems.push_back(fmt::format("readiness answered {} for these checks", s.ready));
        if (!w.probe && s.ready == (target ? 200 : 500)) w.probe = s.at;
        until_held = until_held || until();
        bool done = until_held && w.changed.size() == moving.size() && w.probe;
        if (done || steady::now() >= cap) return w;
        ::poll(nullptr, 0, 20);  // pacing the samples, not waiting for anything
    }
}

/** The figures of one phase, for the report. */
std::string figures(const watched& w, steady::time_point from) {
    std::string out = w.probe ? secs(*w.probe - from) : std::string("never");
    for (auto& [c, at] : w.changed) out += fmt::format("; {} {}", c, secs(at - from));
    return out + fmt::format("; slowest readiness answer {} of {}", secs(w.slowest), w.samples);
}

/** The messages the failing checks showed first. */
std::string messages(const watched& w) {
    std::string out;
    for (auto& [c, m] : w.message) out += (out.empty() ? "" : "; ") + c + ": '" + m + "'";
    return out;
}

/** Asserts one watched transition against the bound, measured from `from`. */
void require_within_bound(const watched& w, const std::vector<std::string>& moving,
                          steady::time_point from, const std::string& what) {
    BOOST_TEST(w.problems.empty(), what << ": " << w.problems.size() << " problems, first: "
                                        << (w.problems.empty() ? "" : w.problems.front()));
    BOOST_TEST_REQUIRE(w.probe.has_value(), what << ": readiness never turned");
    BOOST_TEST((*w.probe - from <= bound),
               what << ": readiness after " << secs(*w.probe - from) << ", bound " << secs(bound));
    for (auto& c : moving) {
        BOOST_TEST_REQUIRE(w.changed.count(c) == 1u, what << ": " << c << " never turned");
        auto took = w.changed.at(c) - from;
        BOOST_TEST((took <= bound),
                   what << ": " << c << " after " << secs(took) << ", bound " << secs(bound));
    }
}

/** Waits until every check passes. */
void require_all_pass(std::uint16_t port) {
    BOOST_TEST_REQUIRE(poll_until(
        [port] {
            auto s = take(port);
            return s.ready == 200 &&
                   std::all_of(s.ok.begin(), s.ok.end(), [](auto& kv) { return kv.second; });
        },
        15000));
}

/** SIGKILL: every check on the server fails, with words that say so; a restart brings it back. */
void kill_and_restart(heartbeatd& d, dependency& dep, const std::vector<std::string>& all) {
    require_all_pass(d.port);
    auto killed = steady::now();
    dep.proc->crash();
    auto down = watch(d.port, all, dep.checks, false, killed + bound + 3s);
    require_within_bound(down, dep.checks, killed, dep.name + " SIGKILL, down");
    for (auto& [c, words] : dep.refused_words)
        BOOST_TEST(down.message[c].find(words) != std::string::npos,
                   c << " says: " << down.message[c]);
    auto verbose = d.get(base + "/readiness?verbose").body;
    for (auto& c : dep.checks)
        BOOST_TEST(verbose.find("[-]" + c + " failed: ") != std::string::npos, verbose);
    BOOST_TEST_MESSAGE(dep.name << " SIGKILL: readiness 500 after " << figures(down, killed));
    BOOST_TEST_MESSAGE(dep.name << " SIGKILL: " << messages(down));

    BOOST_TEST_REQUIRE(dep.proc->reap_all(), dep.name << " left processes running");
    auto restarted = steady::now();
    dep.proc = dep.launch();
    // Measured from the moment the server answers again: how long it takes to start (postgres
    // replays its WAL after a crash) is not heartbeatd's to bound.
    std::optional<steady::time_point> answering;
    auto up = watch(d.port, all, dep.checks, true, restarted + 30s, [&] {
        if (!answering && dep.answers()) answering = steady::now();
        return answering.has_value();
    });
    BOOST_TEST_REQUIRE(answering.has_value(), dep.name << " did not answer after its restart");
    require_within_bound(up, dep.checks, *answering, dep.name + " SIGKILL, back");
    BOOST_TEST_MESSAGE(dep.name << " SIGKILL: answering " << secs(*answering - restarted)
                                << " after the restart; readiness 200 after "
                                << figures(up, *answering));
}

/**
 * SIGSTOP: the server hangs. Its plain tcp check keeps passing (the kernel still accepts into the
 * listen backlog); the checks that need an answer fail on their timeout. SIGCONT brings it back.
 */
void stop_and_continue(heartbeatd& d, dependency& dep, const std::vector<std::string>& all) {
    require_all_pass(d.port);
    std::vector<std::string> tcp_only;
    for (auto& c : dep.checks)
        if (std::find(dep.need_answer.begin(), dep.need_answer.end(), c) == dep.need_answer.end())
            tcp_only.push_back(c);
    std::map<std::string, long> runs_before;
    for (auto& c : tcp_only) runs_before[c] = runs_of(d.port, c);
    auto stopped = steady::now();
    dep.proc->signal(SIGSTOP);
    // Two more runs of each tcp-only check: at least one of them started after the stop, so its
    // passing is the hung server's doing, not a leftover.
    auto down = watch(d.port, all, dep.need_answer, false, stopped + bound + 3s, [&] {
        return std::all_of(tcp_only.begin(), tcp_only.end(),
                           [&](auto& c) { return runs_of(d.port, c) >= runs_before[c] + 2; });
    });
    require_within_bound(down, dep.need_answer, stopped, dep.name + " SIGSTOP, down");
    BOOST_TEST((down.slowest <= answer_bound),
               dep.name << " SIGSTOP: a readiness answer took " << secs(down.slowest));
    for (auto& c : dep.need_answer)
        BOOST_TEST(down.message[c].find("timed out after 500ms") != std::string::npos,
                   c << " says: " << down.message[c]);
    BOOST_TEST_MESSAGE(dep.name << " SIGSTOP: readiness 500 after " << figures(down, stopped));
    BOOST_TEST_MESSAGE(dep.name << " SIGSTOP: " << messages(down));

    auto continued = steady::now();
    dep.proc->signal(SIGCONT);
    auto up = watch(d.port, all, dep.need_answer, true, continued + bound + 3s);
    require_within_bound(up, dep.need_answer, continued, dep.name + " SIGCONT, back");
    BOOST_TEST_MESSAGE(dep.name << " SIGCONT: readiness 200 after " << figures(up, continued));
}

}  // namespace

BOOST_AUTO_TEST_CASE(real_dependencies_fail_and_come_back, *boost::unit_test::timeout(240)) {
    // Orphans of the servers (postgres's children when the postmaster is killed) come back to us
    // to be reaped: on a machine whose PID 1 reaps nothing they would stay zombies, and a zombie
    // postmaster keeps its pid file valid, so postgres would refuse to start again.
    BOOST_TEST_REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    {
        temp_dir dir;
        std::vector<dependency> deps;
        for (auto make : {postgres, redis, nginx}) {
            std::string why;
            if (auto dep = make(dir.path(), why))
                deps.push_back(std::move(*dep));
            else
                BOOST_TEST_MESSAGE("skipped a dependency that cannot run here: " << why);
        }
        // Known only once each has been started.
        if (deps.empty()) return skip("none of postgres, redis, nginx can run here");

        auto alive = dir.write("alive", "x");
        std::string config = fmt::format(
            "defaults:\n  interval: {}ms\n  timeout: {}ms\n  failure_threshold: 1\n"
            "  success_threshold: 1\nchecks:\n"
            "  - {{name: alive, type: file, path: '{}', probes: [liveliness]}}\n",
            interval.count(), timeout.count(), alive);
        std::vector<std::string> all;
        for (auto& dep : deps) {
            config += dep.checks_yaml;
            all.insert(all.end(), dep.checks.begin(), dep.checks.end());
        }
        heartbeatd d(config);
        for (auto& dep : deps) {
            kill_and_restart(d, dep, all);
            stop_and_continue(d, dep, all);
        }
        // Stopped as a user stops it, so that it reaps its own exec checks: killed, it would hand
        // a pg_isready in flight to us.
        d.proc->signal(SIGTERM);
        BOOST_TEST(d.proc->wait_exit(10000).value_or(-1) == 0);
    }
    // Nothing any server ran is left running, and nothing waits to be reaped: every orphan came
    // back to us (subreaper) and was reaped where it was expected.
    for (pid_t p : server_pids()) BOOST_TEST(!running(p), "left running: " << p);
    BOOST_TEST(descendants(::getpid()).empty());
    BOOST_TEST(zombie_children() == 0);
}
