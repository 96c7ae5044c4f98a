#include "heartbeat/metrics.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <fmt/format.h>

namespace heartbeat {

std::string escape_label(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

void request_metrics::observe(std::string_view handler, int code, duration took) {
    auto at = std::find(handlers.begin(), handlers.end(), handler);
    // A label outside the set is never made: it counts as "other".
    if (at == handlers.end()) at = std::find(handlers.begin(), handlers.end(), "other");
    auto i = static_cast<std::size_t>(at - handlers.begin());
    ++requests_[i][code];
    auto& h = durations_[i];
    double seconds = std::chrono::duration<double>(took).count();
    for (std::size_t b = 0; b < buckets.size(); ++b)
        if (seconds <= buckets[b]) ++h.counts[b];
    ++h.count;
    h.sum += seconds;
}

void request_metrics::render(std::string& out) const {
    out +=
        "# HELP heartbeat_http_requests_total HTTP requests answered, by handler and status code.\n"
        "# TYPE heartbeat_http_requests_total counter\n";
    for (std::size_t i = 0; i < handlers.size(); ++i)
        for (const auto& [code, n] : requests_[i])
            out += fmt::format("heartbeat_http_requests_total{{handler=\"{}\",code=\"{}\"}} {}\n",
                               handlers[i], code, n);
    out +=
        "# HELP heartbeat_http_request_duration_seconds Time from a complete request to its "
        "response.\n"
        "# TYPE heartbeat_http_request_duration_seconds histogram\n";
    for (std::size_t i = 0; i < handlers.size(); ++i) {
        const auto& h = durations_[i];
        if (h.count == 0) continue;
        auto handler = handlers[i];
        for (std::size_t b = 0; b < buckets.size(); ++b)
            out += fmt::format(
                "heartbeat_http_request_duration_seconds_bucket{{handler=\"{}\",le=\"{}\"}} {}\n",
                handler, buckets[b], h.counts[b]);
        out += fmt::format(
            "heartbeat_http_request_duration_seconds_bucket{{handler=\"{}\",le=\"+Inf\"}} {}\n",
            handler, h.count);
        out += fmt::format("heartbeat_http_request_duration_seconds_sum{{handler=\"{}\"}} {}\n",
                           handler, h.sum);
        out += fmt::format("heartbeat_http_request_duration_seconds_count{{handler=\"{}\"}} {}\n",
                           handler, h.count);
    }
}

namespace {

/** Resident memory and open descriptors of this process, from /proc: the "never leaks" numbers. */
void process_metrics(std::string& out) {
    long rss_pages = 0;
    {
        std::ifstream statm("/proc/self/statm");
        long size = 0;
        statm >> size >> rss_pages;
    }
    int fds = 0;
    if (DIR* d = ::opendir("/proc/self/fd")) {
        while (dirent* e = ::readdir(d))
            if (e->d_name[0] != '.') ++fds;
        ::closedir(d);
        --fds;  // the one opendir holds
    }
    out +=
        "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
        "# TYPE process_resident_memory_bytes gauge\n";
    out += fmt::format("process_resident_memory_bytes {}\n", rss_pages * ::sysconf(_SC_PAGESIZE));
    out +=
        "# HELP process_open_fds Number of open file descriptors.\n# TYPE process_open_fds gauge\n";
    out += fmt::format("process_open_fds {}\n", fds);
}

double unix_seconds(std::chrono::system_clock::time_point t) {
    return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

namespace {

/** The families that change only with check results, probe verdicts and config loads. */
void check_families(const metrics_input& in, std::string& out) {
    const auto& entries = in.checks;

    out +=
        "# HELP heartbeat_check_up Whether the check's reported state is passing (1) or failing "
        "(0).\n"
        "# TYPE heartbeat_check_up gauge\n";
    for (const auto& e : entries)
        out += fmt::format("heartbeat_check_up{{check=\"{}\",type=\"{}\"}} {}\n",
                           escape_label(e->cfg.name), e->cfg.type(),
                           e->state.ok_at(in.at.steady) ? 1 : 0);
    out +=
        "# HELP heartbeat_check_duration_seconds How long the check's latest run took.\n"
        "# TYPE heartbeat_check_duration_seconds gauge\n";
    for (const auto& e : entries)
        if (e->state.has_result())
            out += fmt::format("heartbeat_check_duration_seconds{{check=\"{}\"}} {}\n",
                               escape_label(e->cfg.name),
                               std::chrono::duration<double>(e->last.elapsed).count());
    out +=
        "# HELP heartbeat_check_runs_total Runs of the check, by result.\n"
        "# TYPE heartbeat_check_runs_total counter\n";
    for (const auto& e : entries) {
        out += fmt::format("heartbeat_check_runs_total{{check=\"{}\",result=\"success\"}} {}\n",
                           escape_label(e->cfg.name), e->runs_ok);
        out += fmt::format("heartbeat_check_runs_total{{check=\"{}\",result=\"failure\"}} {}\n",
                           escape_label(e->cfg.name), e->runs_failed);
    }
    out +=
        "# HELP heartbeat_check_consecutive_failures Failed runs of the check since its last "
        "success.\n"
        "# TYPE heartbeat_check_consecutive_failures gauge\n";
    for (const auto& e : entries)
        out += fmt::format("heartbeat_check_consecutive_failures{{check=\"{}\"}} {}\n",
                           escape_label(e->cfg.name), e->state.consecutive_failures());
    out +=
        "# HELP heartbeat_check_last_run_timestamp_seconds When the check's latest run finished.\n"
        "# TYPE heartbeat_check_last_run_timestamp_seconds gauge\n";
    for (const auto& e : entries)
        if (e->state.has_result())
            out +=
                fmt::format("heartbeat_check_last_run_timestamp_seconds{{check=\"{}\"}} {:.3f}\n",
                            escape_label(e->cfg.name), unix_seconds(e->checked_at));

    out +=
        "# HELP heartbeat_probe_up Whether the probe answers 200 (1) or 500 (0).\n"
        "# TYPE heartbeat_probe_up gauge\n";
    constexpr probe probes[] = {probe::readiness, probe::liveliness, probe::startup};
    for (std::size_t i = 0; i < 3; ++i)
        out += fmt::format("heartbeat_probe_up{{probe=\"{}\"}} {}\n", probe_name(probes[i]),
                           in.probe_up[i] ? 1 : 0);

    out +=
        "# HELP heartbeat_config_last_reload_successful Whether the latest config (re)load was "
        "accepted.\n"
        "# TYPE heartbeat_config_last_reload_successful gauge\n";
    out += fmt::format("heartbeat_config_last_reload_successful {}\n",
                       in.reload.last_successful ? 1 : 0);
    out +=
        "# HELP heartbeat_config_last_reload_success_timestamp_seconds When a config was last "
        "accepted.\n"
        "# TYPE heartbeat_config_last_reload_success_timestamp_seconds gauge\n";
    out += fmt::format("heartbeat_config_last_reload_success_timestamp_seconds {:.3f}\n",
                       unix_seconds(in.reload.last_success));
    out +=
        "# HELP heartbeat_config_reload_failures_total Config reloads refused because the file had "
        "errors.\n"
        "# TYPE heartbeat_config_reload_failures_total counter\n";
    out += fmt::format("heartbeat_config_reload_failures_total {}\n", in.reload.failures);

    out +=
        "# HELP heartbeat_build_info The running heartbeatd's version.\n# TYPE "
        "heartbeat_build_info gauge\n";
    out += fmt::format("heartbeat_build_info{{version=\"{}\"}} 1\n", HEARTBEAT_VERSION);
}

/** The families that change with every request or connection: a few lines, cheap to write. */
void server_families(const metrics_input& in, std::string& out) {
    out +=
        "# HELP heartbeat_http_connections Open client connections.\n# TYPE "
        "heartbeat_http_connections gauge\n";
    out += fmt::format("heartbeat_http_connections {}\n", in.open_connections);
    out +=
        "# HELP heartbeat_orphans_reaped_total Orphaned descendants of exec checks reaped by "
        "heartbeatd.\n"
        "# TYPE heartbeat_orphans_reaped_total counter\n";
    out += fmt::format("heartbeat_orphans_reaped_total {}\n", in.orphans_reaped);
    out +=
        "# HELP heartbeat_maintenance Whether maintenance is on (1): readiness fails whatever the "
        "checks say.\n"
        "# TYPE heartbeat_maintenance gauge\n";
    out += fmt::format("heartbeat_maintenance {}\n", in.maintenance ? 1 : 0);
    in.requests.render(out);
}

}  // namespace

std::string render_metrics(const metrics_input& in) {
    std::string out;
    out.reserve(4096);
    check_families(in, out);
    server_families(in, out);
    process_metrics(out);
    return out;
}

std::string metrics_cache::get(const metrics_input& in) {
    bool fresh = valid_ && version_ == in.version && up_ == in.probe_up &&
                 reload_.last_successful == in.reload.last_successful &&
                 reload_.last_success == in.reload.last_success &&
                 reload_.failures == in.reload.failures && (!expires_ || in.at.steady <= *expires_);
    if (!fresh) {
        checks_.clear();
        check_families(in, checks_);
        valid_ = true;
        version_ = in.version;
        up_ = in.probe_up;
        reload_ = in.reload;
        expires_ = first_stale_at(in.checks, in.at.steady);
    }
    if (!process_at_ || in.at.steady - *process_at_ >= process_every) {
        process_.clear();
        process_metrics(process_);
        process_at_ = in.at.steady;
    }
    std::string out;
    out.reserve(checks_.size() + process_.size() + 4096);
    out += checks_;
    server_families(in, out);
    out += process_;
    return out;
}

}  // namespace heartbeat
