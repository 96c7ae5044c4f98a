#include "heartbeat/app.hpp"

#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/signal_set.hpp>

#include "heartbeat/checks/http.hpp"
#include "heartbeat/config_watch.hpp"
#include "heartbeat/deadline.hpp"
#include "heartbeat/dispatch.hpp"
#include "heartbeat/environ.hpp"
#include "heartbeat/http/routes.hpp"
#include "heartbeat/http/server.hpp"
#include "heartbeat/metrics.hpp"
#include "heartbeat/probes.hpp"
#include "heartbeat/process.hpp"
#include "heartbeat/reload_plan.hpp"
#include "heartbeat/runtime.hpp"
#include "heartbeat/scheduler.hpp"
#include "heartbeat/url.hpp"

namespace heartbeat {

namespace {

constexpr const char* default_config_path = "/etc/heartbeat/heartbeat.yaml";

/** Where the config comes from: --config, then $HEARTBEAT_CONFIG, then the default path if it
 * exists. */
struct config_source {
    std::optional<std::string> path;  // none: run with no checks
    bool named = false;               // named by the user: a missing file is an error
};

config_source find_config(const cli_options& o) {
    if (o.config_path) return {o.config_path, true};
    if (const char* env = std::getenv("HEARTBEAT_CONFIG"); env && *env)
        return {std::string(env), true};
    std::error_code ec;
    if (std::filesystem::exists(default_config_path, ec))
        return {std::string(default_config_path), false};
    return {};
}

/** Logs a load's problems: the first few, then how many more (`validate` prints them all). */
void log_diagnostics(const load_result& r, const std::string& path) {
    constexpr std::size_t shown = 20;
    for (std::size_t i = 0; i < r.diagnostics.size() && i < shown; ++i) {
        const auto& d = r.diagnostics[i];
        if (d.warning)
            spdlog::warn("{}", d.format(path));
        else
            spdlog::error("{}", d.format(path));
    }
    if (r.diagnostics.size() > shown)
        spdlog::error("{}: {} more problems; `heartbeatd validate --config {}` lists them all",
                      path, r.diagnostics.size() - shown, path);
}

/** Loads the config a command needs, logging its problems; nullopt when it must not go on. */
std::optional<config> load_or_report(const config_source& src, std::string* text = nullptr) {
    if (!src.path) {
        spdlog::warn(
            "no config file: neither --config, $HEARTBEAT_CONFIG nor {} names one; running with no "
            "checks "
            "(every probe answers 200)",
            default_config_path);
        return config{};
    }
    auto r = load_config(*src.path);
    log_diagnostics(r, *src.path);
    if (!r.ok()) {
        spdlog::error("{}: the configuration has errors; not starting", *src.path);
        return std::nullopt;
    }
    if (text) *text = std::move(r.text);
    build_tls_contexts(*r.cfg);
    return std::move(r.cfg);
}

/** The running daemon: scheduler, server and the state the answers are rendered from. */
class daemon final : public http::state_view {
  public:
    daemon(net::io_context& ioc, config cfg, std::optional<std::string> path)
        : ioc_(ioc),
          cfg_(std::move(cfg)),
          path_(std::move(path)),
          runtime_(ioc.get_executor()),
          sched_(ioc.get_executor(), runtime_.runner()),
          environ_(cfg_.environ),
          server_(
              ioc.get_executor(),
              [this](http::bhttp::request<http::bhttp::string_body> req) {
                  return handle(std::move(req));
              },
              http::server_limits{.max_connections = cfg_.server.max_connections}),
          signals_(ioc, SIGTERM, SIGINT, SIGHUP) {
        sched_.on_transition = [](const check_status& e, const transition& t) {
            log_transition(e, t);
        };
        if (path_)
            watcher_ = std::make_unique<config_watcher>(ioc.get_executor(), *path_,
                                                        [this] { reload("file changed"); });
    }

    ~daemon() override {
        runtime_.join();
        loader_.stop();
        loader_.join();
    }

    /** Binds, starts checks, the config watch and signal handling. False when the address cannot be
     * bound. */
    bool start(const std::string& host, std::uint16_t port, std::string loaded_text) {
        // Watch before anything is announced: a change made right after "listening" must be seen.
        if (watcher_) watcher_->start(std::move(loaded_text));
        try {
            auto ep = server_.listen(host, port);
            bool v6 = ep.address().is_v6();
            spdlog::info("listening on {}{}{}:{} (probes under {}, metrics at {})", v6 ? "[" : "",
                         ep.address().to_string(), v6 ? "]" : "", ep.port(), cfg_.server.base_path,
                         cfg_.server.metrics_path);
        } catch (const std::exception& e) {
            bool v6 = host.find(':') != std::string::npos;
            spdlog::error("cannot listen on {}{}{}:{}: {}", v6 ? "[" : "", host, v6 ? "]" : "",
                          port, e.what());
            return false;
        }
        std::string names;
        for (const auto& c : cfg_.checks)
            if (c.enabled)
                names +=
                    fmt::format("{}{} ({}, every {})", names.empty() ? "" : ", ", c.name, c.type(),
                                c.interval.count() ? format_duration(c.interval) : "request");
        spdlog::info("started with {} checks from {}{}{}", enabled_count(cfg_),
                     path_ ? *path_ : "(no config file)", names.empty() ? "" : ": ", names);
        sched_.apply(cfg_.checks);
        server_.start();
        net::co_spawn(ioc_, handle_signals(), net::detached);
        return true;
    }

    // state_view
    bool has_check(probe p, const std::string& name) const override {
        auto e = sched_.find(name);
        return e && e->cfg.probes.count(p);
    }
    probe_answer answer(const http::route& r) const override {
        auto at = moment::now();
        if (!r.select.only && r.select.exclude.empty() && !r.verbose)
            return cache_.get(sched_.statuses(), sched_.version(), r.which, draining_, at);
        return render_probe(r.which, select_checks(sched_.statuses(), r.which, r.select), at,
                            draining_, r.verbose);
    }
    std::string environ() const override {
        return environ_.render(select_checks(sched_.statuses(), probe::environ, {}), moment::now())
            .body;
    }
    std::string metrics() const override {
        auto at = moment::now();
        std::array<bool, 3> up{
            cache_.get(sched_.statuses(), sched_.version(), probe::readiness, draining_, at).ok,
            cache_.get(sched_.statuses(), sched_.version(), probe::liveliness, draining_, at).ok,
            cache_.get(sched_.statuses(), sched_.version(), probe::startup, draining_, at).ok};
        return metrics_.get({sched_.statuses(), sched_.version(), up, reload_, requests_, at,
                             server_.connections(), runtime_.reaper().orphans_reaped()});
    }

  private:
    static void log_transition(const check_status& e, const transition& t) {
        if (!t.from) {
            if (t.to)
                spdlog::info("check {} ({}) passing: {}", e.cfg.name, e.cfg.type(), e.last.message);
            else
                spdlog::warn("check {} ({}) failing: {}", e.cfg.name, e.cfg.type(), e.last.message);
        } else if (t.to) {
            spdlog::info("check {} ({}) recovered after {} consecutive successes: {}", e.cfg.name,
                         e.cfg.type(), e.state.consecutive_successes(), e.last.message);
        } else {
            spdlog::warn("check {} ({}) now failing after {} consecutive failures: {}", e.cfg.name,
                         e.cfg.type(), e.state.consecutive_failures(), e.last.message);
        }
    }

    net::awaitable<http::response> handle(http::bhttp::request<http::bhttp::string_body> req) {
        auto started = steady_clock::now();
        auto r = http::parse_route(req.method(), req.target(), cfg_.server);
        if (r.what == http::route::kind::environ)
            co_await environ_.refresh_in(loader_, moment::now());
        if (r.what == http::route::kind::probe || r.what == http::route::kind::environ) {
            // The only wait an answer may have: first results, and on-demand checks.
            co_await sched_.prepare(
                [&r](const check_status& c) { return selected(c, r.which, r.select); });
        }
        auto res = http::respond(r, *this, req.version(), req.keep_alive());
        requests_.observe(handler_label(r), res.result_int(), steady_clock::now() - started);
        co_return res;
    }

    /** A label from a fixed set, whatever the path: metrics cardinality stays bounded. */
    static std::string_view handler_label(const http::route& r) {
        switch (r.what) {
            case http::route::kind::metrics:
                return "metrics";
            case http::route::kind::environ:
                return "environ";
            case http::route::kind::probe:
                return r.select.only ? "check" : probe_name(r.which);
            default:
                return "other";
        }
    }

    net::awaitable<void> handle_signals() {
        for (;;) {
            auto [ec, sig] = co_await signals_.async_wait(use_nothrow);
            if (ec) co_return;
            if (sig == SIGHUP) {
                reload("SIGHUP");
                continue;
            }
            if (draining_) {
                spdlog::warn("second {} while draining: stopping now",
                             sig == SIGTERM ? "SIGTERM" : "SIGINT");
                shutdown();
                co_return;
            }
            draining_ = true;
            spdlog::info("{} received: readiness now fails; answering for {} more, then stopping",
                         sig == SIGTERM ? "SIGTERM" : "SIGINT",
                         format_duration(cfg_.server.shutdown_delay));
            net::co_spawn(ioc_, drain_then_stop(), net::detached);
        }
    }

    net::awaitable<void> drain_then_stop() {
        net::steady_timer t(ioc_, cfg_.server.shutdown_delay);
        co_await t.async_wait(use_nothrow);
        shutdown();
    }

    void shutdown() {
        if (stopping_) return;
        stopping_ = true;
        server_.stop();
        sched_.stop();
        signals_.cancel();
        if (watcher_) watcher_->stop();
        // Exec checks still running end with the daemon: killed, and reaped before we exit, and
        // so does every orphan they left that was handed to us.
        auto leftovers = runtime_.shutdown(std::chrono::seconds(5));
        if (leftovers > 0)
            spdlog::info("killed {} processes that exec checks had left running", leftovers);
        spdlog::info("stopped");
        ioc_.stop();
    }

    /** Reloads the config. Reading and parsing happen in a thread of their own (a large file takes
     * a while); the result is applied here. A reload asked for meanwhile runs right after. */
    void reload(std::string_view why) {
        if (!path_) {
            spdlog::info("{}: no config file to reload", why);
            return;
        }
        if (reloading_) {
            reload_again_ = std::string(why);
            return;
        }
        reloading_ = true;
        net::co_spawn(ioc_, reload_loop(std::string(why)), net::detached);
    }

    net::awaitable<void> reload_loop(std::string why) {
        for (;;) {
            // The runs of removed checks end within their timeout.
            duration longest{0};
            for (const auto& c : cfg_.checks) longest = std::max(longest, c.timeout);
            auto load = [path = *path_] {
                auto r = load_config(path);
                if (r.ok()) build_tls_contexts(*r.cfg);  // on this thread: it reads CA files
                return r;
            };
            auto r = co_await offload_until<load_result>(loader_, steady_clock::time_point::max(),
                                                         std::move(load));
            if (stopping_) break;
            if (r) apply_reload(why, std::move(*r));
            net::co_spawn(ioc_, trim_memory_after(longest + std::chrono::milliseconds(250)),
                          net::detached);
            if (!reload_again_) break;
            why = std::move(*reload_again_);
            reload_again_.reset();
        }
        reloading_ = false;
    }

    /** A large config, accepted or refused, and the checks it replaced leave freed memory behind:
     * give it back rather than keep the peak for the daemon's lifetime, once the removed checks'
     * runs have ended. */
    net::awaitable<void> trim_memory_after(duration wait) {
        net::steady_timer t(ioc_, wait);
        co_await t.async_wait(use_nothrow);
        ::malloc_trim(0);
    }

    void apply_reload(const std::string& why, load_result r) {
        if (watcher_) watcher_->mark_seen(r.text);
        log_diagnostics(r, *path_);
        if (!r.ok()) {
            reload_.last_successful = false;
            ++reload_.failures;
            spdlog::error("reload ({}) refused: {} has errors; the previous checks go on", why,
                          *path_);
            return;
        }
        reload_.last_successful = true;
        reload_.last_success = std::chrono::system_clock::now();
        auto plan = plan_reload(cfg_, *r.cfg);
        cfg_ = std::move(plan.next);
        environ_.configure(cfg_.environ);
        sched_.apply(cfg_.checks);
        if (!plan.wait_for_restart.empty())
            spdlog::warn(
                "reload ({}): server.listen and server.max_connections take effect at the next "
                "start",
                why);
        spdlog::info("reloaded ({}): {} checks ({})", why, plan.enabled, plan.checks.summary());
    }

    net::io_context& ioc_;
    config cfg_;
    std::optional<std::string> path_;
    check_runtime runtime_;
    net::thread_pool loader_{1};  // reads and parses configs on reload, off the answering thread
    scheduler sched_;
    mutable environ_reporter environ_;  // caches the virtualenv it read
    mutable probe_cache cache_;
    mutable metrics_cache metrics_;
    http::server server_;
    net::signal_set signals_;
    std::unique_ptr<config_watcher> watcher_;
    request_metrics requests_;
    reload_status reload_;
    bool draining_ = false;
    bool stopping_ = false;
    bool reloading_ = false;
    std::optional<std::string> reload_again_;
};

/**
 * Where `heartbeatd probe` asks without a URL: the probe at the config's server.listen and
 * base_path (found as `serve` finds it). A file that does not load still gives what can be read of
 * them, and the defaults for the rest; stderr says so, as the answer may then come from elsewhere.
 */
std::string url_from_config(const cli_options& o) {
    server_config server;
    std::string note;
    if (auto src = find_config(o); src.path) {
        auto r = load_config(*src.path);
        if (r.ok()) {
            server = r.cfg->server;
        } else {
            auto section = read_server_section(r.text);
            server = section.server;
            auto errors = std::count_if(r.diagnostics.begin(), r.diagnostics.end(),
                                        [](const diagnostic& d) { return !d.warning; });
            auto first = std::find_if(r.diagnostics.begin(), r.diagnostics.end(),
                                      [](const diagnostic& d) { return !d.warning; });
            note = fmt::format(
                "the config does not load ({}{})",
                first == r.diagnostics.end() ? *src.path : first->format(*src.path),
                errors > 1 ? fmt::format("; {} more problem{}", errors - 1, errors > 2 ? "s" : "")
                           : "");
            for (std::size_t i = 0; i < section.unread.size(); ++i)
                note += fmt::format("{}server.{}", i == 0 ? "; using the default " : " and ",
                                    section.unread[i]);
        }
    }
    if (o.listen) std::tie(server.host, server.port) = *parse_listen(*o.listen);
    std::string path = server.base_path == "/" ? std::string() : server.base_path;
    path += '/';
    path += probe_name(parse_probe(o.probe).value_or(probe::readiness));
    auto url = local_url(server.host, server.port, path, ipv6_loopback_works());
    if (!note.empty()) std::cerr << "heartbeatd probe: " << note << ", asking " << url << '\n';
    return url;
}

}  // namespace

/** True when this kernel has IPv6: a daemon on `[::]` then listens on IPv6 (and IPv4) and `[::1]`
 * reaches it; without, the daemon falls back to `0.0.0.0`, reached at `127.0.0.1`. */
bool ipv6_loopback_works() {
    int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

int run_serve(const cli_options& options) {
    auto src = find_config(options);
    std::string text;
    auto cfg = load_or_report(src, &text);
    if (!cfg) return 1;
    std::string host = cfg->server.host;
    std::uint16_t port = cfg->server.port;
    if (options.listen) std::tie(host, port) = *parse_listen(*options.listen);

    // Orphaned grandchildren of exec checks come back to us to be reaped (as they do to PID 1).
    if (!process_reaper::become_subreaper())
        spdlog::warn("cannot become a child subreaper: {}", std::strerror(errno));
    if (::getpid() == 1) spdlog::info("running as PID 1: reaping every orphan");
    net::io_context ioc(1);
    std::optional<daemon> d;
    {
        signals_blocked in_workers;  // the daemon's threads start here; signals go to this one
        d.emplace(ioc, std::move(*cfg), src.path);
    }
    if (!d->start(host, port, std::move(text))) return 1;
    ioc.run();
    return 0;
}

int run_validate(const cli_options& options) {
    auto r = load_config(*options.config_path);
    for (const auto& d : r.diagnostics) std::cout << d.format(*options.config_path) << '\n';
    if (!r.ok()) return 1;
    std::cout << "ok: " << r.cfg->checks.size() << " checks\n";
    return 0;
}

int run_check_once(const cli_options& options) {
    auto src = find_config(options);
    auto cfg = load_or_report(src);
    if (!cfg) return 1;
    probe p = *parse_probe(options.probe);

    // As in serve: what a command leaves behind comes back to us, to be ended with its run.
    process_reaper::become_subreaper();
    net::io_context ioc(1);
    check_runtime runtime(ioc.get_executor());
    scheduler sched(ioc.get_executor(), runtime.runner(), schedule::mode::on_demand);
    sched.apply(cfg->checks);
    auto checks = select_checks(sched.statuses(), p, {});
    bool ok = false;
    std::string body;
    auto wanted = [p](const check_status& c) { return selected(c, p, {}); };
    net::co_spawn(ioc, sched.prepare(wanted), [&](std::exception_ptr) {
        auto at = moment::now();
        environ_reporter environ(cfg->environ);
        if (p == probe::environ) environ.refresh(at);
        auto a = p == probe::environ ? environ.render(checks, at)
                                     : render_probe(p, checks, at, false, false);
        ok = a.ok;
        body = std::move(a.body);
        ioc.stop();  // the SIGCHLD watch would keep run() going forever
    });
    ioc.run();
    sched.stop();
    runtime.shutdown(std::chrono::seconds(5));
    std::cout << body << '\n';
    return ok ? 0 : 1;
}

int run_probe(const cli_options& options) {
    std::string target = options.url ? *options.url : url_from_config(options);
    std::string why;
    if (!parse_url(target, &why)) {
        std::cerr << "heartbeatd probe: the URL " << why << '\n';
        return 1;
    }
    http_spec spec;
    spec.url = target;
    net::io_context ioc(1);
    std::optional<check_result> result;
    net::co_spawn(ioc, run_http(spec, options.timeout, steady_clock::now() + options.timeout),
                  [&](std::exception_ptr e, check_result r) {
                      if (!e) result = std::move(r);
                  });
    // The check ends within its timeout; the cap here only guards against the impossible.
    ioc.run_for(options.timeout + std::chrono::seconds(5));
    if (!result) {
        std::cerr << "heartbeatd probe: no answer\n";
        return 1;
    }
    if (!result->ok) std::cerr << "heartbeatd probe: " << result->message << '\n';
    return result->ok ? 0 : 1;
}

}  // namespace heartbeat
