#pragma once
// The push listener (`server.push_listen`): the only place where a request changes state. It takes
// a push check's report, `PUT` or `POST {base}/push/{check}`, and the maintenance switch,
// `PUT`/`DELETE`/`GET {base}/maintenance`, and nothing else.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "heartbeat/http/routes.hpp"
#include "heartbeat/http/server.hpp"
#include "heartbeat/scheduler.hpp"

namespace heartbeat {

using push_request = http::bhttp::request<http::bhttp::string_body>;

/** What answering a report needs from the config in force. */
struct push_settings {
    std::string base_path = "/.well-known/heartbeat";
    std::string token;  // empty: reports need no token
};

/** Where reports go: the scheduler, or a test's fake. */
struct report_sink {
    /** The type of the enabled check `name` (`push`, `tcp`, ...), or nullopt when there is none. */
    std::function<std::optional<std::string>(const std::string& name)> type_of;
    /** Records a report of the push check `name`. */
    std::function<void(const std::string& name, check_result r)> record;
};

/** The maintenance switch: the daemon's, or a test's fake. */
struct maintenance_switch {
    /** True while maintenance is on. */
    std::function<bool()> on;
    /** Turns it on or off; `by` says who, for the log. */
    std::function<void(bool on, std::string_view by)> set;
};

/** A sink that records into `sched`, which outlives it. */
report_sink scheduler_sink(scheduler& sched);

/** True when `target` is under `{base}/push`: a path only the push listener serves. */
bool is_push_path(std::string_view target, std::string_view base_path);

/** The check named by `{base}/push/{check}` (a trailing `/` accepted), or nullopt. */
std::optional<std::string> push_check_name(std::string_view target, std::string_view base_path);

/** True when `authorization` is `Bearer <token>`; the comparison takes the same time wherever the
 * two differ. */
bool bearer_matches(std::string_view authorization, std::string_view token);

/** True when `target` is `{base}/maintenance` (a trailing `/` accepted). */
bool is_maintenance_path(std::string_view target, std::string_view base_path);

/** The push listener's answer to one request: records a valid report into `sink`, refuses
 * anything else with a 4xx and records nothing. */
http::response answer_push(const push_request& req, const push_settings& settings,
                           const report_sink& sink);

/** The push listener's answer on `{base}/maintenance`: `PUT` turns maintenance on, `DELETE` off,
 * `GET` tells; the token is needed as for reports. */
http::response answer_maintenance(const push_request& req, const push_settings& settings,
                                  const maintenance_switch& sw);

/** The main listener's answer to a push or maintenance path: a 404 saying where they go
 * (`push_address` is `host:port`, or empty when no push listener is open); nullopt for any other
 * path. */
std::optional<http::response> refuse_push_on_main(const push_request& req,
                                                  std::string_view base_path,
                                                  std::string_view push_address);

/** An HTTP server of its own (same limits as the main one but a 16 KiB body) answering reports. */
class push_listener {
  public:
    /** `settings` is asked at each request: a reload's token applies at once. */
    push_listener(net::any_io_executor ex, report_sink sink, maintenance_switch maintenance,
                  std::function<push_settings()> settings, std::size_t max_connections);

    /** Binds; throws on failure. */
    net::ip::tcp::endpoint listen(const std::string& host, std::uint16_t port);
    void start() { server_.start(); }
    void stop() { server_.stop(); }

  private:
    net::awaitable<http::reply> handle(push_request req);

    report_sink sink_;
    maintenance_switch maintenance_;
    std::function<push_settings()> settings_;
    http::server server_;
};

}  // namespace heartbeat
