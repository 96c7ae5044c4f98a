#pragma once

#include <functional>
#include <string_view>

#include "heartbeat/environ/environ.hpp"
#include "heartbeat/http/routes.hpp"
#include "heartbeat/http/server.hpp"
#include "heartbeat/metrics.hpp"
#include "heartbeat/probes.hpp"
#include "heartbeat/runtime.hpp"

namespace heartbeat {

/**
 * The daemon's answers: a request end to end, from its route to the response and its metrics.
 * Owns what answers are made from besides the checks: the rendered-body cache, the environ
 * reporter, the `/metrics` cache and the request counts. Lives on the I/O thread.
 */
class answers {
  public:
    /** Answers from `sched`'s checks, counting `runtime`'s orphans in `/metrics`; reads the
     * virtualenv on `reader`, off the I/O thread. All three outlive this. */
    answers(scheduler& sched, const check_runtime& runtime, net::thread_pool& reader,
            const config& cfg);

    /** Takes the paths and the environ section a reload changed. */
    void configure(const server_config& server, environ_config environ);

    /** Readiness fails from now on: traffic moves away before the daemon stops. */
    void start_draining() { draining_ = true; }
    /** True once the drain has started. */
    bool draining() const { return draining_; }

    /** Maintenance on or off: while on, readiness fails, whatever its checks say. It lives as
     * long as the daemon: a reload keeps it, a restart ends it. */
    void set_maintenance(bool on) { maintenance_ = on; }
    bool maintenance() const { return maintenance_; }

    /** What holds readiness down now, if anything: the drain wins over maintenance. */
    enum hold hold() const {
        return draining_ ? hold::shutting_down : maintenance_ ? hold::maintenance : hold::none;
    }

    /** The outcome of the latest config load, shown in `/metrics`. */
    reload_status& reload() { return reload_; }

    /** Open client connections, for `/metrics`; none when unset. */
    std::function<std::size_t()> open_connections;

    /** One request: its route, a wait for what the probe needs (first results, on-demand runs),
     * the response, and its metrics. */
    net::awaitable<http::reply> handle(http::bhttp::request<http::bhttp::string_body> req);

    /** The response to `r` from the results at hand, waiting for nothing; what `handle` ends with.
     */
    http::response respond(const http::route& r, unsigned version, bool keep_alive);

    /** A label from a fixed set, whatever the path: metrics cardinality stays bounded. */
    static std::string_view handler_label(const http::route& r);

  private:
    class resolved;

    /** A whole probe's response, ready for the wire, with its status code. */
    struct ready_probe {
        std::shared_ptr<const http::prepared> wire;
        bool ok;
        int failed;  // the code when not ok
    };
    /** `r`'s response as prepared with its cached answer, when `r` asks for a whole probe in any
     * format over HTTP/1.1; nullopt for anything else. */
    std::optional<ready_probe> prepared_probe(const http::route& r, unsigned version);

    /** The probe answer of `r`: the cached body when the whole probe is asked for, plain. */
    const probe_answer& probe_body(const http::route& r, const moment& at,
                                   std::optional<probe_answer>& own);
    std::string metrics_body(const moment& at);

    scheduler& sched_;
    const check_runtime& runtime_;
    net::thread_pool& reader_;
    server_config server_;
    environ_reporter environ_;  // caches the virtualenv it read
    probe_cache cache_;
    metrics_cache metrics_;
    request_metrics requests_;
    reload_status reload_;
    bool draining_ = false;
    bool maintenance_ = false;
};

}  // namespace heartbeat
