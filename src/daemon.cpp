#include "heartbeat/daemon.hpp"

#include <malloc.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "heartbeat/checks/unit.hpp"
#include "heartbeat/deadline.hpp"
#include "heartbeat/redact.hpp"
#include "heartbeat/reload_plan.hpp"

namespace heartbeat {

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

namespace {

void log_transition(const check_status& e, const transition& t) {
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

const char* signal_name(int sig) {
    return sig == SIGTERM ? "SIGTERM" : "SIGINT";
}

}  // namespace

daemon::daemon(net::io_context& ioc, config cfg, std::optional<std::string> path)
    : ioc_(ioc),
      cfg_(std::move(cfg)),
      path_(std::move(path)),
      runtime_(ioc.get_executor()),
      sched_(ioc.get_executor(), runtime_.runner()),
      answers_(sched_, runtime_, loader_, cfg_),
      server_(
          ioc.get_executor(),
          [this](http::bhttp::request<http::bhttp::string_body> req) {
              return answer_main(std::move(req));
          },
          http::server_limits{.max_connections = cfg_.server.max_connections}),
      signals_(ioc, SIGTERM, SIGINT, SIGHUP) {
    signals_.add(SIGUSR1);
    sched_.on_transition = log_transition;
    answers_.open_connections = [this] { return server_.connections(); };
    if (path_)
        watcher_ = std::make_unique<config_watcher>(ioc.get_executor(), *path_,
                                                    [this] { reload("file changed"); });
}

daemon::~daemon() {
    // The threads post their results to the io_context: they end before what they would touch.
    runtime_.join();
    loader_.stop();
    loader_.join();
}

bool daemon::start(const std::string& host, std::uint16_t port, config_sources loaded) {
    // Watch before anything is announced: a change made right after "listening" must be seen.
    if (watcher_) watcher_->start(std::move(loaded));
    if (!listen(host, port)) return false;
    if (!open_push_listener()) return false;
    log_started();
    sched_.apply(cfg_.checks);
    server_.start();
    net::co_spawn(ioc_, handle_signals(), net::detached);
    return true;
}

bool daemon::listen(const std::string& host, std::uint16_t port) {
    try {
        auto ep = server_.listen(host, port);
        bool v6 = ep.address().is_v6();
        // Values from environment variables are secrets, the address and paths included.
        spdlog::info("{}",
                     redact(fmt::format("listening on {}{}{}:{} (probes under {}, metrics "
                                        "at {})",
                                        v6 ? "[" : "", ep.address().to_string(), v6 ? "]" : "",
                                        ep.port(), cfg_.server.base_path, cfg_.server.metrics_path),
                            cfg_.variable_secrets));
        return true;
    } catch (const std::exception& e) {
        bool v6 = host.find(':') != std::string::npos;
        spdlog::error("{}", redact(fmt::format("cannot listen on {}{}{}:{}: {}", v6 ? "[" : "",
                                               host, v6 ? "]" : "", port, e.what()),
                                   cfg_.variable_secrets));
        return false;
    }
}

// Opened only for a config with push checks or the maintenance switch: a sidecar that opened a
// second port unasked could take one the application in its pod means to use.
bool daemon::open_push_listener() {
    const auto& s = cfg_.server;
    bool wanted = s.maintenance_switch ||
                  std::any_of(cfg_.checks.begin(), cfg_.checks.end(),
                              [](const check_config& c) { return c.enabled && reported_ttl(c); });
    if (push_ || !s.push_enabled || !wanted) return true;
    auto listener = std::make_unique<push_listener>(
        ioc_.get_executor(), scheduler_sink(sched_),
        maintenance_switch{[this] { return answers_.maintenance(); },
                           [this](bool on, std::string_view by) { set_maintenance(on, by); }},
        [this] {
            return push_settings{cfg_.server.base_path, cfg_.server.push_token};
        },
        s.max_connections);
    bool v6 = s.push_host.find(':') != std::string::npos;
    try {
        auto ep = listener->listen(s.push_host, s.push_port);
        v6 = ep.address().is_v6();
        push_port_ = ep.port();
        spdlog::info("{}",
                     redact(fmt::format("taking push reports on {}{}{}:{} (PUT or POST "
                                        "{}/push/{{check}}, maintenance at {}/maintenance{})",
                                        v6 ? "[" : "", ep.address().to_string(), v6 ? "]" : "",
                                        ep.port(), s.base_path == "/" ? "" : s.base_path,
                                        s.base_path == "/" ? "" : s.base_path,
                                        s.push_token_file.empty() ? "" : ", with the bearer token"),
                            cfg_.variable_secrets));
    } catch (const std::exception& e) {
        spdlog::error("{}", redact(fmt::format("cannot listen for push reports on {}{}{}:{} "
                                               "(server.push_listen): {}",
                                               v6 ? "[" : "", s.push_host, v6 ? "]" : "",
                                               s.push_port, e.what()),
                                   cfg_.variable_secrets));
        return false;
    }
    push_ = std::move(listener);
    push_->start();
    return true;
}

std::string daemon::push_address() const {
    const auto& s = cfg_.server;
    if (!push_) return "";
    bool v6 = s.push_host.find(':') != std::string::npos;
    // Shown in answers: a host that came from a variable is not.
    return redact(fmt::format("{}{}{}:{}", v6 ? "[" : "", s.push_host, v6 ? "]" : "", push_port_),
                  cfg_.variable_secrets);
}

// Reports go to the push listener alone: on the main listener a push path changes nothing, and its
// answer says where reports go.
net::awaitable<http::reply> daemon::answer_main(push_request req) {
    if (auto refused = refuse_push_on_main(req, cfg_.server.base_path, push_address()))
        co_return std::move(*refused);
    co_return co_await answers_.handle(std::move(req));
}

void daemon::log_started() const {
    std::string names;
    for (const auto& c : cfg_.checks)
        if (c.enabled)
            names += fmt::format("{}{} ({}, {})", names.empty() ? "" : ", ", c.name, c.type(),
                                 reported_ttl(c)      ? "ttl " + format_duration(*reported_ttl(c))
                                 : c.interval.count() ? "every " + format_duration(c.interval)
                                                      : "every request");
    spdlog::info("{}", redact(fmt::format("started with {} checks from {}{}{}", enabled_count(cfg_),
                                          path_ ? *path_ : "(no config file)",
                                          names.empty() ? "" : ": ", names),
                              cfg_.variable_secrets));
}

net::awaitable<void> daemon::handle_signals() {
    for (;;) {
        auto [ec, sig] = co_await signals_.async_wait(use_nothrow);
        if (ec) co_return;
        if (sig == SIGHUP) {
            reload("SIGHUP");
            continue;
        }
        if (sig == SIGUSR1) {
            set_maintenance(!answers_.maintenance(), "SIGUSR1");
            continue;
        }
        if (answers_.draining()) {
            spdlog::warn("second {} while draining: stopping now", signal_name(sig));
            shutdown();
            co_return;
        }
        drain(sig);
    }
}

void daemon::set_maintenance(bool on, std::string_view by) {
    if (on == answers_.maintenance()) {
        spdlog::info("maintenance already {} ({})", on ? "on" : "off", by);
        return;
    }
    answers_.set_maintenance(on);
    if (on)
        spdlog::warn(
            "maintenance on ({}): readiness fails until it is turned off (SIGUSR1 again, "
            "or DELETE {}/maintenance on the push listener); liveliness is untouched",
            by, cfg_.server.base_path == "/" ? "" : cfg_.server.base_path);
    else
        spdlog::info("maintenance off ({}): readiness follows its checks again", by);
}

void daemon::drain(int sig) {
    answers_.start_draining();
    spdlog::info("{} received: readiness now fails; answering for {} more, then stopping",
                 signal_name(sig), format_duration(cfg_.server.shutdown_delay));
    net::co_spawn(ioc_, drain_then_stop(), net::detached);
}

net::awaitable<void> daemon::drain_then_stop() {
    net::steady_timer t(ioc_, cfg_.server.shutdown_delay);
    co_await t.async_wait(use_nothrow);
    shutdown();
}

void daemon::shutdown() {
    if (stopping_) return;
    stopping_ = true;
    server_.stop();
    if (push_) push_->stop();
    sched_.stop();
    signals_.cancel();
    if (watcher_) watcher_->stop();
    // Exec checks still running end with the daemon: killed, and reaped before we exit, and so
    // does every orphan they left that was handed to us.
    auto leftovers = runtime_.shutdown(std::chrono::seconds(5));
    if (leftovers > 0)
        spdlog::info("killed {} processes that exec checks had left running", leftovers);
    spdlog::info("stopped");
    ioc_.stop();
}

void daemon::reload(std::string_view why) {
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

// Reading and parsing happen in a thread of their own (a large file takes a while); the result is
// applied here. A reload asked for meanwhile runs right after.
net::awaitable<void> daemon::reload_loop(std::string why) {
    for (;;) {
        // The runs of removed checks end within their timeout.
        duration longest{0};
        for (const auto& c : cfg_.checks) longest = std::max(longest, c.timeout);
        auto load = [path = *path_] {
            auto r = load_config(path);
            if (r.ok()) prepare_checks(*r.cfg);  // on this thread: it reads CA files
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

// A large config, accepted or refused, and the checks it replaced leave freed memory behind: give
// it back rather than keep the peak for the daemon's lifetime, once the removed checks' runs ended.
net::awaitable<void> daemon::trim_memory_after(duration wait) {
    net::steady_timer t(ioc_, wait);
    co_await t.async_wait(use_nothrow);
    ::malloc_trim(0);
}

void daemon::apply_reload(const std::string& why, load_result r) {
    // What this load read, included files and patterns too, is what is watched from now on. A
    // copy made on this thread: kept until the next reload, it should not hold on to the loader
    // thread's heap, which the trim after a reload gives back.
    if (watcher_) watcher_->mark_seen(r.sources);
    log_diagnostics(r, *path_);
    auto& status = answers_.reload();
    if (!r.ok()) {
        status.last_successful = false;
        ++status.failures;
        spdlog::error("reload ({}) refused: {} has errors; the previous checks go on", why, *path_);
        return;
    }
    status.last_successful = true;
    status.last_success = std::chrono::system_clock::now();
    auto plan = plan_reload(cfg_, *r.cfg);
    cfg_ = std::move(plan.next);
    answers_.configure(cfg_.server, cfg_.environ);
    sched_.apply(cfg_.checks);
    // The first push check of a running daemon: its listener opens now, so that it can report.
    open_push_listener();
    if (!plan.wait_for_restart.empty()) {
        std::string keys;
        for (const auto& k : plan.wait_for_restart)
            keys += fmt::format("{}server.{}", keys.empty() ? "" : ", ", k);
        spdlog::warn("reload ({}): {} take effect at the next start", why, keys);
    }
    spdlog::info("reloaded ({}): {} checks ({})", why, plan.enabled, plan.checks.summary());
}

}  // namespace heartbeat
