#include "heartbeat/push_listener.hpp"

#include <fmt/format.h>

#include "heartbeat/checks/push/run.hpp"
#include "heartbeat/json_text.hpp"
#include "heartbeat/redact.hpp"
#include "heartbeat/url.hpp"

namespace heartbeat {

namespace bhttp = http::bhttp;

report_sink scheduler_sink(scheduler& sched) {
    return {
        [&sched](const std::string& name) -> std::optional<std::string> {
            auto e = sched.find(name);
            if (!e) return std::nullopt;
            return std::string(e->cfg.type());
        },
        [&sched](const std::string& name, check_result r) { sched.report(name, std::move(r)); }};
}

namespace {

/** The path of `target` below `{base}/push`: "" for `{base}/push` itself, nullopt elsewhere. */
std::optional<std::string_view> below_push(std::string_view target, std::string_view base_path) {
    std::string_view path = target.substr(0, target.find('?'));
    std::string prefix = base_path == "/" ? std::string() : std::string(base_path);
    prefix += "/push";
    if (!path.starts_with(prefix)) return std::nullopt;
    std::string_view rest = path.substr(prefix.size());
    if (rest.empty()) return rest;
    if (rest.front() != '/') return std::nullopt;  // `{base}/pushed` is another path
    return rest.substr(1);
}

http::response make(bhttp::status status, json::object body, const push_request& req) {
    http::response res{status, req.version()};
    res.set(bhttp::field::server, "heartbeatd");
    res.set(bhttp::field::content_type, "application/json");
    res.set(bhttp::field::cache_control, "no-store");
    res.keep_alive(req.keep_alive());
    res.body() = to_json_text(body);
    res.prepare_payload();
    return res;
}

http::response refusal(bhttp::status status, std::string message, const push_request& req) {
    return make(status, {{"status", false}, {"message", std::move(message)}}, req);
}

}  // namespace

bool is_push_path(std::string_view target, std::string_view base_path) {
    return below_push(target, base_path).has_value();
}

std::optional<std::string> push_check_name(std::string_view target, std::string_view base_path) {
    auto rest = below_push(target, base_path);
    if (!rest) return std::nullopt;
    if (rest->ends_with('/')) rest->remove_suffix(1);
    if (rest->empty() || rest->find('/') != std::string_view::npos) return std::nullopt;
    return percent_decode(*rest);
}

bool bearer_matches(std::string_view authorization, std::string_view token) {
    constexpr std::string_view scheme = "Bearer ";
    if (authorization.size() < scheme.size()) return false;
    // The scheme is not case-sensitive (RFC 9110 11.1); it is no secret either.
    for (std::size_t i = 0; i < scheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
            std::tolower(static_cast<unsigned char>(scheme[i])))
            return false;
    std::string_view given = authorization.substr(scheme.size());
    // Every byte of the token is compared whatever the first difference, so the time taken tells
    // nothing of how much of it a guess got right; only a difference in length is seen at once.
    unsigned char diff = given.size() == token.size() ? 0 : 1;
    for (std::size_t i = 0; i < token.size(); ++i) {
        unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
        diff |= static_cast<unsigned char>(g ^ static_cast<unsigned char>(token[i]));
    }
    return diff == 0 && !token.empty();
}

bool is_maintenance_path(std::string_view target, std::string_view base_path) {
    std::string_view path = target.substr(0, target.find('?'));
    if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    std::string want = base_path == "/" ? std::string() : std::string(base_path);
    return path == want + "/maintenance";
}

namespace {

/** A 401 when the config has a token and the request does not carry it; nullopt when it may go
 * on. */
std::optional<http::response> refuse_without_token(const push_request& req,
                                                   const push_settings& s) {
    if (s.token.empty() || bearer_matches(req[bhttp::field::authorization], s.token))
        return std::nullopt;
    bool sent = req.find(bhttp::field::authorization) != req.end();
    auto res = refusal(bhttp::status::unauthorized,
                       sent ? "wrong token: send Authorization: Bearer <the token in "
                              "server.push_token_file>"
                            : "missing token: send Authorization: Bearer <the token in "
                              "server.push_token_file>",
                       req);
    res.set(bhttp::field::www_authenticate,
            sent ? R"(Bearer realm="heartbeatd", error="invalid_token")"
                 : R"(Bearer realm="heartbeatd")");
    return res;
}

}  // namespace

http::response answer_maintenance(const push_request& req, const push_settings& s,
                                  const maintenance_switch& sw) {
    auto m = req.method();
    if (m != bhttp::verb::put && m != bhttp::verb::delete_ && m != bhttp::verb::get) {
        auto res = refusal(bhttp::status::method_not_allowed,
                           "method not allowed: PUT turns maintenance on, DELETE turns it off, "
                           "GET tells",
                           req);
        res.set(bhttp::field::allow, "GET, PUT, DELETE");
        return res;
    }
    if (auto refused = refuse_without_token(req, s)) return std::move(*refused);
    if (m == bhttp::verb::put) sw.set(true, "PUT on the push listener");
    if (m == bhttp::verb::delete_) sw.set(false, "DELETE on the push listener");
    bool on = sw.on();
    return make(bhttp::status::ok,
                {{"status", true},
                 {"maintenance", on},
                 {"message", on ? "maintenance is on: readiness fails until DELETE here or SIGUSR1"
                                : "maintenance is off: readiness follows its checks"}},
                req);
}

http::response answer_push(const push_request& req, const push_settings& s,
                           const report_sink& sink) {
    auto name = push_check_name(req.target(), s.base_path);
    if (!name) {
        std::string base = s.base_path == "/" ? std::string() : s.base_path;
        return refusal(bhttp::status::not_found,
                       fmt::format("not found: this listener takes only reports, PUT or POST "
                                   "{}/push/{{check}}, and the maintenance switch, PUT or DELETE "
                                   "{}/maintenance",
                                   base, base),
                       req);
    }
    if (req.method() != bhttp::verb::put && req.method() != bhttp::verb::post) {
        auto res = refusal(bhttp::status::method_not_allowed,
                           "method not allowed: send a report with PUT or POST", req);
        res.set(bhttp::field::allow, "PUT, POST");
        return res;
    }
    if (auto refused = refuse_without_token(req, s)) return std::move(*refused);
    auto type = sink.type_of(*name);
    if (!type) return refusal(bhttp::status::not_found, "no enabled check by that name", req);
    if (*type != "push")
        return refusal(
            bhttp::status::not_found,
            fmt::format("check '{}' is a {} check: only push checks take reports", *name, *type),
            req);
    auto report = parse_report(req.body());
    if (auto* refused = std::get_if<report_refusal>(&report))
        return refusal(bhttp::status::bad_request, refused->message, req);
    auto& r = std::get<check_result>(report);
    // An application may echo what it knows: the token never reaches an answer or a log.
    std::vector<std::string> secrets;
    add_secret(secrets, s.token);
    redact(r, secrets);
    bool ok = r.ok;
    sink.record(*name, std::move(r));
    return make(
        bhttp::status::ok,
        {{"status", true}, {"message", "report recorded"}, {"check", *name}, {"reported", ok}},
        req);
}

std::optional<http::response> refuse_push_on_main(const push_request& req,
                                                  std::string_view base_path,
                                                  std::string_view push_address) {
    if (is_maintenance_path(req.target(), base_path)) {
        std::string where =
            push_address.empty()
                ? std::string(
                      "no push listener is open: send SIGUSR1, or set "
                      "server.maintenance_switch: true to open one")
                : fmt::format(
                      "switch it on the push listener, server.push_listen ({}), or send "
                      "SIGUSR1",
                      push_address);
        return refusal(bhttp::status::not_found,
                       "maintenance is not switched on this listener: " + where, req);
    }
    if (!is_push_path(req.target(), base_path)) return std::nullopt;
    std::string where =
        push_address.empty()
            ? std::string(
                  "no push listener is open (it opens on server.push_listen when the "
                  "config has a push check)")
            : fmt::format("send them to the push listener, server.push_listen ({})", push_address);
    return refusal(bhttp::status::not_found, "reports are not taken on this listener: " + where,
                   req);
}

push_listener::push_listener(net::any_io_executor ex, report_sink sink,
                             maintenance_switch maintenance,
                             std::function<push_settings()> settings, std::size_t max_connections)
    : sink_(std::move(sink)),
      maintenance_(std::move(maintenance)),
      settings_(std::move(settings)),
      server_(
          ex, [this](push_request req) { return handle(std::move(req)); },
          http::server_limits{.max_connections = max_connections, .body_limit = max_report_size}) {}

net::ip::tcp::endpoint push_listener::listen(const std::string& host, std::uint16_t port) {
    return server_.listen(host, port);
}

net::awaitable<http::reply> push_listener::handle(push_request req) {
    auto s = settings_();
    if (is_maintenance_path(req.target(), s.base_path))
        co_return answer_maintenance(req, s, maintenance_);
    co_return answer_push(req, s, sink_);
}

}  // namespace heartbeat
