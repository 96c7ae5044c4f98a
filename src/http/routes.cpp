#include "heartbeat/http/routes.hpp"

#include <cctype>
#include <charconv>

#include "heartbeat/url.hpp"

#include "heartbeat/json_text.hpp"

namespace heartbeat::http {

namespace {

/** Applies the query string to a probe route: `exclude=` (repeatable, or comma separated) and
 * `verbose`. */
void apply_query(std::string_view query, route& r, bool& format_given) {
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        auto eq = pair.find('=');
        std::string key = percent_decode(pair.substr(0, eq), true);
        std::string value = eq == std::string_view::npos
                                ? std::string()
                                : percent_decode(pair.substr(eq + 1), true);
        if (key == "exclude") {
            std::string_view rest = value;
            while (!rest.empty()) {
                auto comma = rest.find(',');
                if (auto name = rest.substr(0, comma); !name.empty())
                    r.select.exclude.emplace_back(name);
                rest =
                    comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            }
        } else if (key == "verbose") {
            r.verbose = value.empty() || (value != "0" && value != "false");
        } else if (key == "format") {
            // Read without turning `+` into a space: `?format=health+json` is what users type.
            std::string name =
                eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
            r.format = name == "health+json"    ? body_format::health_json
                       : name == "microprofile" ? body_format::microprofile
                                                : body_format::standard;
            format_given = true;
        }
    }
}

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/** How well one media range of an Accept header matches `type`/`subtype`: its quality and how
 * exactly it names it (2: exactly, 1: a `type/` wildcard, 0: the any-type wildcard), or nullopt
 * when it does not. */
struct match {
    double quality;
    int exactness;
};

std::optional<match> match_range(std::string_view range, std::string_view type,
                                 std::string_view subtype) {
    auto semi = range.find(';');
    std::string name(trimmed(range.substr(0, semi)));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    double q = 1;
    while (semi != std::string_view::npos) {
        range = range.substr(semi + 1);
        semi = range.find(';');
        auto param = trimmed(range.substr(0, semi));
        auto eq = param.find('=');
        if (eq != std::string_view::npos && trimmed(param.substr(0, eq)).size() == 1 &&
            (param[0] == 'q' || param[0] == 'Q')) {
            auto value = trimmed(param.substr(eq + 1));
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), q);
            // A quality nobody can read (nan included) accepts nothing.
            if (ec != std::errc() || end != value.data() + value.size() || !(q >= 0 && q <= 1))
                q = 0;
        }
    }
    if (name == "*/*") return match{q, 0};
    auto slash = name.find('/');
    if (slash == std::string::npos) return std::nullopt;
    if (std::string_view(name).substr(0, slash) != type) return std::nullopt;
    std::string_view sub = std::string_view(name).substr(slash + 1);
    if (sub == "*") return match{q, 1};
    if (sub == subtype) return match{q, 2};
    return std::nullopt;
}

/** The quality and exactness of the range that matches `type/subtype` most exactly. */
match best_match(std::string_view accept, std::string_view type, std::string_view subtype) {
    match best{0, -1};
    while (!accept.empty()) {
        auto comma = accept.find(',');
        if (auto m = match_range(accept.substr(0, comma), type, subtype);
            m && m->exactness > best.exactness)
            best = *m;
        accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    }
    return best;
}

}  // namespace

body_format negotiate_format(std::string_view accept) {
    auto health = best_match(accept, "application", "health+json");
    auto plain = best_match(accept, "application", "json");
    if (health.quality <= 0) return body_format::standard;
    // Named outright, it wins a tie: a client that wants plain JSON alone does not name it.
    if (health.quality > plain.quality ||
        (health.quality == plain.quality && health.exactness == 2))
        return body_format::health_json;
    return body_format::standard;
}

route parse_route(bhttp::verb method, std::string_view target, const server_config& server,
                  std::string_view accept) {
    route r;
    auto qpos = target.find('?');
    std::string_view path = target.substr(0, qpos);
    std::string_view query =
        qpos == std::string_view::npos ? std::string_view() : target.substr(qpos + 1);
    if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);

    // A base path of "/" puts the probes at the root: "/readiness", not "//readiness".
    std::string_view base = server.base_path == "/" ? std::string_view() : server.base_path;
    if (path == server.metrics_path) {
        r.what = route::kind::metrics;
    } else if (path.starts_with(base) && path.size() > base.size() && path[base.size()] == '/') {
        std::string_view rest = path.substr(base.size() + 1);
        auto slash = rest.find('/');
        std::string_view name = rest.substr(0, slash);
        auto p = parse_probe(name);
        if (!p) return r;  // not_found
        if (slash != std::string_view::npos) {
            std::string_view check = rest.substr(slash + 1);
            if (check.empty() || check.find('/') != std::string_view::npos) return r;
            r.select.only = percent_decode(check);
        }
        r.which = *p;
        r.what =
            (*p == probe::environ && !r.select.only) ? route::kind::environ : route::kind::probe;
        bool format_given = false;
        apply_query(query, r, format_given);
        if (format_given)
            r.verbose = false;
        else if (!r.verbose && !accept.empty())
            r.format = negotiate_format(accept);
    } else {
        return r;
    }
    if (method == bhttp::verb::head)
        r.head = true;
    else if (method != bhttp::verb::get)
        r.what = route::kind::method_not_allowed;
    return r;
}

namespace {

response make(bhttp::status status, std::string body, std::string_view content_type,
              unsigned version, bool keep_alive, bool head) {
    response res{status, version};
    res.set(bhttp::field::server, "heartbeatd");
    res.set(bhttp::field::content_type, content_type);
    res.set(bhttp::field::cache_control, "no-store");
    res.keep_alive(keep_alive);
    res.body() = std::move(body);
    res.prepare_payload();
    // HEAD: the same status and headers, Content-Length included, and no body.
    if (head) res.body().clear();
    return res;
}

constexpr std::string_view json_type = "application/json";

std::string message_body(std::string_view message) {
    json::object o;
    o["status"] = false;
    o["message"] = message;
    return to_json_text(o);
}

}  // namespace

bhttp::status failure_status(body_format f) {
    // MicroProfile Health answers 503 when down; the other formats answer as the seed's probes.
    return f == body_format::microprofile ? bhttp::status::service_unavailable
                                          : bhttp::status::internal_server_error;
}

std::string_view content_type_of(const route& r) {
    return r.verbose                              ? "text/plain; charset=utf-8"
           : r.format == body_format::health_json ? "application/health+json"
                                                  : json_type;
}

response respond(const route& r, const state_view& state, unsigned version, bool keep_alive) {
    switch (r.what) {
        case route::kind::not_found:
            return make(bhttp::status::not_found, message_body("not found"), json_type, version,
                        keep_alive, r.head);
        case route::kind::method_not_allowed: {
            auto res = make(bhttp::status::method_not_allowed,
                            message_body("method not allowed: use GET or HEAD"), json_type, version,
                            keep_alive, false);
            res.set(bhttp::field::allow, "GET, HEAD");
            return res;
        }
        case route::kind::metrics:
            return make(bhttp::status::ok, state.metrics(),
                        "text/plain; version=0.0.4; charset=utf-8", version, keep_alive, r.head);
        case route::kind::environ:
            // environ always answers 200: it describes, it does not judge (its status says the
            // rest).
            return make(bhttp::status::ok, state.environ(), json_type, version, keep_alive, r.head);
        case route::kind::probe:
            break;
    }
    if (r.select.only && !state.has_check(r.which, *r.select.only))
        return make(bhttp::status::not_found,
                    message_body(std::string("the ") + std::string(probe_name(r.which)) +
                                 " probe has no such check"),
                    json_type, version, keep_alive, r.head);
    auto a = state.answer(r);
    return make(a.ok ? bhttp::status::ok : failure_status(r.format), std::move(a.body),
                content_type_of(r), version, keep_alive, r.head);
}

}  // namespace heartbeat::http
