#include "heartbeat/wait.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include "heartbeat/checks/unit.hpp"
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/daemon.hpp"
#include "heartbeat/process/reaper.hpp"
#include "heartbeat/runtime.hpp"
#include "heartbeat/scheduler.hpp"

namespace heartbeat {

wait_board::wait_board(std::vector<std::string> names) {
    for (auto& n : names) items_.push_back({std::move(n), false});
}

std::size_t wait_board::passing() const {
    return static_cast<std::size_t>(
        std::count_if(items_.begin(), items_.end(), [](const item& i) { return i.ok; }));
}

std::string wait_board::change(const std::string& name, bool ok, std::string_view message) {
    for (auto& i : items_)
        if (i.name == name) i.ok = ok;
    if (ok) return fmt::format("wait: {} passing ({}/{})", name, passing(), total());
    return fmt::format("wait: {} failing ({}/{}): {}", name, passing(), total(), message);
}

std::vector<std::string> timeout_report(const status_list& checks, std::string_view probe_name,
                                        duration waited) {
    std::vector<std::string> lines;
    auto failing = std::count_if(checks.begin(), checks.end(),
                                 [](const status_ptr& c) { return !c->state.reported_ok(); });
    lines.push_back(fmt::format("wait: timed out after {}: {} of {} {} checks not passing",
                                format_duration(waited), failing, checks.size(), probe_name));
    for (const auto& c : checks) {
        if (c->state.reported_ok()) continue;
        // A check whose first run is still going when time is up has said nothing yet.
        std::string why = c->state.has_result() ? c->last.message : "no result yet";
        lines.push_back(fmt::format("  {} ({}): {}", c->cfg.name, c->cfg.type(), why));
    }
    return lines;
}

std::string cannot_wait_for(const std::vector<check_config>& checks, std::string_view probe_name) {
    for (const auto& c : checks)
        if (reported_ttl(c))
            return fmt::format(
                "check '{}' of probe {} is a {} check: wait opens no listener, so no report "
                "would ever come; wait for another probe (--probe), or let the daemon take the "
                "reports and wait on its startup endpoint",
                c.name, probe_name, c.type());
    return "";
}

std::vector<check_config> checks_to_wait_for(const config& cfg, probe p) {
    std::vector<check_config> out;
    for (auto c : cfg.checks) {
        // A non-critical check fails no probe: nothing waits for it.
        if (!c.enabled || !c.probes.count(p) || !c.critical) continue;
        // `wait` has no requests to run an on-demand check: it runs as often as requests could.
        if (c.interval.count() == 0) c.interval = std::chrono::seconds(1);
        out.push_back(std::move(c));
    }
    return out;
}

namespace {

/** The config file as `serve` finds it: --config, then $HEARTBEAT_CONFIG, then the default
 * path. */
std::optional<std::string> config_path(const cli_options& o) {
    if (o.config_path) return o.config_path;
    if (const char* env = std::getenv("HEARTBEAT_CONFIG"); env && *env) return std::string(env);
    constexpr const char* fallback = "/etc/heartbeat/heartbeat.yaml";
    std::error_code ec;
    if (std::filesystem::exists(fallback, ec)) return std::string(fallback);
    return std::nullopt;
}

/** The running part: one io_context, the checks in the background, a deadline and the signals. */
class waiter {
  public:
    waiter(std::vector<check_config> checks, probe p, duration limit)
        : checks_(std::move(checks)),
          probe_(p),
          limit_(limit),
          runtime_(ioc_.get_executor()),
          sched_(ioc_.get_executor(), runtime_.runner()),
          board_(names()),
          deadline_(ioc_, limit),
          signals_(ioc_, SIGTERM, SIGINT) {}

    int run() {
        sched_.on_transition = [this](const check_status& e, const transition& t) {
            std::cerr << board_.change(e.cfg.name, t.to, e.last.message) << std::endl;
            if (board_.done()) {
                std::cerr << fmt::format("wait: all {} {} checks pass", board_.total(),
                                         probe_name(probe_))
                          << std::endl;
                // Not from inside the run that recorded this: the scheduler stops once it ended.
                net::post(ioc_, [this] { finish(wait_exit::passed); });
            }
        };
        deadline_.async_wait([this](boost::system::error_code ec) {
            if (ec) return;
            for (const auto& line : timeout_report(sched_.statuses(), probe_name(probe_), limit_))
                std::cerr << line << '\n';
            finish(wait_exit::timed_out);
        });
        signals_.async_wait([this](boost::system::error_code ec, int sig) {
            if (ec) return;
            std::cerr << "wait: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT")
                      << " received: stopping" << std::endl;
            finish(128 + sig);
        });
        sched_.apply(checks_);
        ioc_.run();
        // Exec checks still running end with us: killed and reaped, as `serve` does at its end.
        runtime_.shutdown(std::chrono::seconds(2));
        return code_;
    }

  private:
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& c : checks_) out.push_back(c.name);
        return out;
    }

    void finish(int code) {
        if (code_ >= 0) return;
        code_ = code;
        sched_.stop();
        deadline_.cancel();
        signals_.cancel();
        ioc_.stop();  // the SIGCHLD watch would keep run() going forever
    }

    std::vector<check_config> checks_;
    probe probe_;
    duration limit_;
    net::io_context ioc_{1};
    check_runtime runtime_;
    scheduler sched_;
    wait_board board_;
    net::steady_timer deadline_;
    net::signal_set signals_;
    int code_ = -1;
};

}  // namespace

int run_wait(const cli_options& options) {
    auto path = config_path(options);
    if (!path) {
        std::cerr << "heartbeatd wait: no config file: name one with --config or "
                     "$HEARTBEAT_CONFIG\n";
        return wait_exit::bad_config;
    }
    auto loaded = load_config(*path);
    log_diagnostics(loaded, *path);
    if (!loaded.ok()) {
        std::cerr << "heartbeatd wait: " << *path << " has errors; not waiting\n";
        return wait_exit::bad_config;
    }
    probe p = *parse_probe(options.probe);
    config cfg = std::move(*loaded.cfg);
    cfg.checks = checks_to_wait_for(cfg, p);
    if (auto why = cannot_wait_for(cfg.checks, probe_name(p)); !why.empty()) {
        std::cerr << "heartbeatd wait: " << why << '\n';
        return wait_exit::bad_config;
    }
    if (cfg.checks.empty()) {
        std::cerr << "wait: probe " << probe_name(p) << " has no checks: nothing to wait for\n";
        return wait_exit::passed;
    }
    prepare_checks(cfg);
    // As in serve: what a command leaves behind comes back to us, to be ended with its run.
    process_reaper::become_subreaper();
    waiter w(std::move(cfg.checks), p,
             options.timeout_given ? options.timeout : default_wait_timeout);
    return w.run();
}

}  // namespace heartbeat
