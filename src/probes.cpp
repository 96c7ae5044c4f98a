#include "heartbeat/probes.hpp"

#include <ctime>

#include <fmt/format.h>
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/json_text.hpp"

namespace heartbeat {

bool selected(const check_status& c, probe p, const selection& s) {
    if (!c.cfg.probes.count(p)) return false;
    if (s.only && c.cfg.name != *s.only) return false;
    return std::find(s.exclude.begin(), s.exclude.end(), c.cfg.name) == s.exclude.end();
}

status_list select_checks(const status_list& all, probe p, const selection& s) {
    status_list out;
    for (const auto& c : all)
        if (selected(*c, p, s)) out.push_back(c);
    return out;
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    if (ms < 0 && ms % 1000) --secs;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                       ((ms % 1000) + 1000) % 1000);
}

bool reported_status(const check_status& e, probe p, const moment& at) {
    // Startup latches: once the check has passed, it has done its job, whatever it does later.
    if (p == probe::startup) return e.state.ever_passed();
    return e.state.ok_at(at.steady);
}

json::object check_json(const check_status& e, probe p, const moment& at) {
    json::object o;
    if (!e.state.has_result()) {
        o["status"] = false;
        o["message"] = reported_ttl(e.cfg) ? "no report yet"
                       : e.running         ? "first run still in progress"
                                           : "not run yet";
        o["duration_ms"] = 0.0;
        return o;
    }
    // The target's data first, then the check's facts, so that the standard keys below win over a
    // key of the same name.
    for (const auto& [k, v] : e.last.data) o[k] = v;
    for (const auto& [k, v] : e.last.facts) o[k] = v;
    o["status"] = reported_status(e, p, at);
    if (p != probe::startup && e.state.stale(at.steady)) {
        auto age = std::chrono::duration_cast<std::chrono::seconds>(at.steady - e.state.last_run());
        o["message"] = fmt::format(
            "stale: last run {} ago, expected every {}; the scheduler is stuck or the clock "
            "jumped (last message: {})",
            format_duration(age), format_duration(e.state.interval_in_force()), e.last.message);
    } else {
        o["message"] = e.last.message;
    }
    o["duration_ms"] = to_ms(e.last.elapsed);
    o["checked_at"] = rfc3339(e.checked_at);
    o["since"] = rfc3339(e.since);
    o["consecutive_failures"] = e.state.consecutive_failures();
    return o;
}

namespace {

std::string_view hold_message(hold h) {
    return h == hold::shutting_down ? "shutting down" : "maintenance";
}

/** A check's entry in the default body: `"name":{...}`. */
void standard_entry(std::string& out, const check_status& e, const json::object& o) {
    append_json_string(out, e.cfg.name);
    out += ':';
    out += to_json_text(o);
}

/** A check's entry in a health+json body: `"name:responseTime":[{...}]`, the check as the
 * component and its run time as the measurement. */
void health_json_entry(std::string& out, const check_status& e, const json::object& o, bool ok) {
    append_json_string(out, e.cfg.name + ":responseTime");
    json::object m;
    m["componentType"] = unit_of(e.cfg.spec).component_type;
    m["status"] = ok ? "pass" : e.cfg.critical ? "fail" : "warn";
    if (e.state.has_result()) {
        m["observedValue"] = o.at("duration_ms");
        m["observedUnit"] = "ms";
        m["time"] = o.at("checked_at");
    }
    if (!ok) m["output"] = o.at("message");
    out += ":[";
    out += to_json_text(m);
    out += ']';
}

/** A check's entry in a MicroProfile body: `{"name", "status", "data"}`; `data` takes only
 * strings, numbers and booleans, so a structured value is given as its JSON text. The top status
 * is every entry's AND there: a failing non-critical check, which fails no probe, is `UP` with
 * `"warning": true`. */
void microprofile_entry(std::string& out, const check_status& e, const json::object& o, bool ok) {
    json::object data;
    for (const auto& [k, v] : o) {
        if (k == "status" || v.is_null()) continue;
        data[k] = v.is_structured() ? json::value(to_json_text(v)) : v;
    }
    if (!e.cfg.critical) data["critical"] = false;
    if (!ok && !e.cfg.critical) data["warning"] = true;
    json::object c;
    c["name"] = e.cfg.name;
    c["status"] = ok || !e.cfg.critical ? "UP" : "DOWN";
    c["data"] = std::move(data);
    out += to_json_text(c);
}

/** Check `e`'s entry in probe `p`'s body in format `f`, into `out`; returns its reported status. */
bool render_entry(std::string& out, const check_status& e, probe p, const moment& at,
                  body_format f) {
    auto o = check_json(e, p, at);
    bool ok = o["status"].as_bool();
    switch (f) {
        case body_format::standard:
            standard_entry(out, e, o);
            break;
        case body_format::health_json:
            health_json_entry(out, e, o, ok);
            break;
        case body_format::microprofile:
            microprofile_entry(out, e, o, ok);
            break;
    }
    return ok;
}

/** One check's part of a body being put together. */
struct part {
    const check_status* check;
    bool ok;
    std::string_view text;
};

/** `a, b` of the parts' check names. */
std::string names_of(const std::vector<std::string_view>& names) {
    std::string out;
    for (auto n : names) {
        if (!out.empty()) out += ", ";
        out += n;
    }
    return out;
}

/** The whole body from its checks' parts, in format `f`; the verdict besides. */
probe_answer assemble(probe p, const std::vector<part>& parts, hold h, body_format f) {
    probe_answer a;
    std::vector<std::string_view> failing, warnings;
    std::size_t size = 96;
    for (const auto& x : parts) {
        // A non-critical check is shown as it is, and fails nothing: a warning.
        if (!x.ok) (x.check->cfg.critical ? failing : warnings).push_back(x.check->cfg.name);
        size += x.text.size() + 1;
    }
    a.ok = failing.empty();
    // Readiness alone is held: out of traffic, while liveliness keeps the pod alive.
    bool held = h != hold::none && p == probe::readiness;
    if (held) a.ok = false;
    a.body.reserve(size);
    auto join = [&](std::string_view open, std::string_view close) {
        a.body += open;
        for (std::size_t i = 0; i < parts.size(); ++i) {
            if (i) a.body += ',';
            a.body += parts[i].text;
        }
        a.body += close;
    };
    switch (f) {
        case body_format::standard:
            a.body += a.ok ? "{\"status\":true," : "{\"status\":false,";
            if (held) {
                a.body += "\"message\":";
                append_json_string(a.body, hold_message(h));
                a.body += ',';
            }
            join("\"checks\":{", "}");
            if (!warnings.empty()) {
                a.body += ",\"warnings\":[";
                for (std::size_t i = 0; i < warnings.size(); ++i) {
                    if (i) a.body += ',';
                    append_json_string(a.body, warnings[i]);
                }
                a.body += ']';
            }
            a.body += '}';
            break;
        case body_format::health_json: {
            a.body += !a.ok              ? "{\"status\":\"fail\","
                      : warnings.empty() ? "{\"status\":\"pass\","
                                         : "{\"status\":\"warn\",";
            std::string output = held               ? std::string(hold_message(h))
                                 : !failing.empty() ? "failing: " + names_of(failing)
                                 : !warnings.empty()
                                     ? "non-critical checks failing: " + names_of(warnings)
                                     : std::string();
            if (!output.empty()) {
                a.body += "\"output\":";
                append_json_string(a.body, output);
                a.body += ',';
            }
            a.body += "\"description\":";
            append_json_string(a.body, fmt::format("heartbeatd {} probe", probe_name(p)));
            join(",\"checks\":{", "}}");
            break;
        }
        case body_format::microprofile:
            a.body +=
                a.ok ? "{\"status\":\"UP\",\"checks\":[" : "{\"status\":\"DOWN\",\"checks\":[";
            if (held) {
                // Named as no check can be (a check name has no ':').
                a.body += h == hold::shutting_down
                              ? "{\"name\":\"heartbeatd:shutdown\",\"status\":\"DOWN\",\"data\":{"
                                "\"message\":\"shutting down\"}}"
                              : "{\"name\":\"heartbeatd:maintenance\",\"status\":\"DOWN\",\"data\":"
                                "{\"message\":\"maintenance\"}}";
                if (!parts.empty()) a.body += ',';
            }
            join("", "]}");
            break;
    }
    return a;
}

/** The `?verbose` text: a line per check, then the verdict. */
probe_answer verbose_text(probe p, const status_list& checks, const moment& at, hold h) {
    probe_answer a;
    for (const auto& e : checks) {
        auto o = check_json(*e, p, at);
        bool ok = o["status"].as_bool();
        if (e->cfg.critical) a.ok = a.ok && ok;
        if (ok)
            a.body += fmt::format("[+]{} ok\n", e->cfg.name);
        else
            a.body +=
                fmt::format("[{}]{} {}: {}\n", e->cfg.critical ? '-' : '!', e->cfg.name,
                            e->cfg.critical ? "failed" : "warn", o["message"].as_string().c_str());
    }
    if (h != hold::none && p == probe::readiness) {
        a.ok = false;
        a.body += h == hold::shutting_down
                      ? "[-]shutdown failed: shutting down\n"
                      : "[-]maintenance failed: maintenance is on; SIGUSR1 again, or DELETE of "
                        "the maintenance path on the push listener, ends it\n";
    }
    a.body += fmt::format("{} check {}\n", probe_name(p), a.ok ? "passed" : "failed");
    return a;
}

}  // namespace

probe_answer render_probe(probe p, const status_list& checks, const moment& at,
                          const render_options& o) {
    if (o.verbose) return verbose_text(p, checks, at, o.hold);
    std::vector<std::string> texts(checks.size());
    std::vector<part> parts;
    parts.reserve(checks.size());
    for (std::size_t i = 0; i < checks.size(); ++i) {
        bool ok = render_entry(texts[i], *checks[i], p, at, o.format);
        parts.push_back({checks[i].get(), ok, texts[i]});
    }
    return assemble(p, parts, o.hold, o.format);
}

namespace {

check_status::rendered_entry& kept_slot(check_status& e, probe p, body_format f) {
    if (f == body_format::standard) return e.rendered[static_cast<int>(p)];
    if (!e.rendered_other)
        e.rendered_other =
            std::make_unique<std::array<std::array<check_status::rendered_entry, 2>, 4>>();
    return (*e.rendered_other)[static_cast<int>(p)][static_cast<int>(f) - 1];
}

/** A check's entry in probe `p`'s body, rendered again only when what it shows changed. */
const check_status::rendered_entry& rendered(check_status& e, probe p, const moment& at,
                                             body_format f) {
    auto& r = kept_slot(e, p, f);
    std::uint64_t runs = e.runs();
    bool stale = p != probe::startup && e.state.stale(at.steady);
    bool running = !e.state.has_result() && e.running;  // shown only before a first result
    if (r.valid && r.runs == runs && r.stale == stale && r.running == running) return r;
    r.text.clear();
    r.ok = render_entry(r.text, e, p, at, f);
    r.valid = true;
    r.runs = runs;
    r.stale = stale;
    r.running = running;
    return r;
}

}  // namespace

probe_answer render_probe_kept(probe p, const status_list& checks, const moment& at, hold h,
                               body_format f) {
    std::vector<part> parts;
    parts.reserve(checks.size());
    for (const auto& e : checks) {
        const auto& r = rendered(*e, p, at, f);
        parts.push_back({e.get(), r.ok, r.text});
    }
    return assemble(p, parts, h, f);
}

std::optional<steady_clock::time_point> first_stale_at(const status_list& checks,
                                                       steady_clock::time_point now) {
    std::optional<steady_clock::time_point> first;
    for (const auto& e : checks) {
        auto st = e->state.stale_at();
        if (st && *st >= now && (!first || *st < *first)) first = st;
    }
    return first;
}

const probe_answer& probe_cache::get(const status_list& all, std::uint64_t version, probe p, hold h,
                                     const moment& at, body_format f) {
    slot& sl = slots_[static_cast<int>(p)][static_cast<int>(f)];
    bool fresh = sl.valid && sl.version == version && sl.hold == h &&
                 (!sl.expires || at.steady <= *sl.expires);
    if (fresh) return sl.answer;
    auto checks = select_checks(all, p, {});
    sl.answer = render_probe_kept(p, checks, at, h, f);
    sl.wire.reset();
    sl.expires.reset();
    if (p != probe::startup) sl.expires = first_stale_at(checks, at.steady);
    sl.valid = true;
    sl.version = version;
    sl.hold = h;
    return sl.answer;
}

}  // namespace heartbeat
