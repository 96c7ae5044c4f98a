#pragma once

#include <array>
#include <map>
#include <string>

#include "heartbeat/probes.hpp"

namespace heartbeat {

/** Requests served, by handler and status code, and their durations: labels from fixed sets only.
 */
class request_metrics {
  public:
    /** The handler label of a request: readiness, liveliness, startup, environ, check, metrics or
     * other. */
    void observe(std::string_view handler, int code, duration took);
    /** Appends the request families in the text exposition format. */
    void render(std::string& out) const;

    static constexpr std::array<double, 12> buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                       0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

    /** The handler labels, in the order they are rendered. */
    static constexpr std::array<std::string_view, 7> handlers = {
        "check", "environ", "liveliness", "metrics", "other", "readiness", "startup"};

  private:
    struct histogram {
        std::array<std::uint64_t, buckets.size()> counts{};
        std::uint64_t count = 0;
        double sum = 0;
    };
    // By handler, in the order of `handlers`: a request costs no allocation but for a code that
    // handler has not answered before.
    std::array<std::map<int, std::uint64_t>, handlers.size()> requests_;
    std::array<histogram, handlers.size()> durations_;
};

/** The outcome of the latest config load, for `heartbeat_config_*`. */
struct reload_status {
    bool last_successful = true;
    std::chrono::system_clock::time_point last_success = std::chrono::system_clock::now();
    std::uint64_t failures = 0;
};

/** Everything `/metrics` shows besides requests. */
struct metrics_input {
    const status_list& checks;            // every enabled check, in config order
    std::uint64_t version = 0;            // changes with every result (scheduler::version)
    const std::array<bool, 3>& probe_up;  // readiness, liveliness, startup
    const reload_status& reload;
    const request_metrics& requests;
    moment at;
    std::size_t open_connections = 0;
    std::uint64_t orphans_reaped = 0;
    bool maintenance = false;  // readiness held down by an operator
};

/** The whole `/metrics` body, Prometheus text format 0.0.4. */
std::string render_metrics(const metrics_input& in);

/**
 * The `/metrics` body, rendered no more often than what it shows changes: the checks' families when
 * a result, a probe's verdict or the config status changed (or a result turned stale); the
 * process's memory and descriptors at most every `process_every`; the request and connection
 * counts, a few lines, every time.
 */
class metrics_cache {
  public:
    std::string get(const metrics_input& in);

    duration process_every = std::chrono::seconds(1);

  private:
    bool valid_ = false;
    std::uint64_t version_ = 0;
    std::array<bool, 3> up_{};
    reload_status reload_;
    std::optional<steady_clock::time_point> expires_;
    std::string checks_;
    std::optional<steady_clock::time_point> process_at_;
    std::string process_;
};

/** `value` escaped for a label value: backslash, double quote and newline. */
std::string escape_label(std::string_view value);

}  // namespace heartbeat
