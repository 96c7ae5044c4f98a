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
                       : e.running    ? "first run still in progress"
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
            format_duration(age),
            format_duration(e.state.interval_in_force()), e.last.message);
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

/** `,"warnings":["a","b"]` for the failing non-critical checks, or "" when there are none. */
std::string warnings_text(const std::vector<std::string_view>& names) {
    if (names.empty()) return "";
    std::string out = ",\"warnings\":[";
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i) out += ',';
        append_json_string(out, names[i]);
    }
    return out + "]";
}

}  // namespace

probe_answer render_probe(probe p, const status_list& checks, const moment& at, bool draining,
                          bool verbose) {
    probe_answer a;
    json::object list;
    std::string text;
    std::vector<std::string_view> warnings;
    for (const auto& e : checks) {
        auto o = check_json(*e, p, at);
        bool ok = o["status"].as_bool();
        // A non-critical check is shown as it is, and fails nothing: a warning.
        if (e->cfg.critical) a.ok = a.ok && ok;
        if (!ok && !e->cfg.critical) warnings.push_back(e->cfg.name);
        if (verbose) {
            if (ok)
                text += fmt::format("[+]{} ok\n", e->cfg.name);
            else
                text += fmt::format("[{}]{} {}: {}\n", e->cfg.critical ? '-' : '!', e->cfg.name,
                                    e->cfg.critical ? "failed" : "warn",
                                    o["message"].as_string().c_str());
        }
        list[e->cfg.name] = std::move(o);
    }
    // While draining, readiness fails at once so that traffic moves away before the pod stops.
    bool shutting_down = draining && p == probe::readiness;
    if (shutting_down) a.ok = false;
    if (verbose) {
        if (shutting_down) text += "[-]shutdown failed: shutting down\n";
        text += fmt::format("{} check {}\n", probe_name(p), a.ok ? "passed" : "failed");
        a.body = std::move(text);
        return a;
    }
    json::object body;
    body["status"] = a.ok;
    if (shutting_down) body["message"] = "shutting down";
    body["checks"] = std::move(list);
    a.body = to_json_text(body);
    // As render_probe_kept writes it: after the checks.
    if (!warnings.empty()) a.body.insert(a.body.size() - 1, warnings_text(warnings));
    return a;
}

namespace {

/** A check's `"name":{...}` in probe `p`'s body, rendered again only when what it shows changed. */
const check_status::rendered_entry& rendered(check_status& e, probe p, const moment& at) {
    auto& r = e.rendered[static_cast<int>(p)];
    std::uint64_t runs = e.runs();
    bool stale = p != probe::startup && e.state.stale(at.steady);
    bool running = !e.state.has_result() && e.running;  // shown only before a first result
    if (r.valid && r.runs == runs && r.stale == stale && r.running == running) return r;
    auto o = check_json(e, p, at);
    r.ok = o["status"].as_bool();
    r.text.clear();
    append_json_string(r.text, e.cfg.name);
    r.text += ':';
    r.text += to_json_text(o);
    r.valid = true;
    r.runs = runs;
    r.stale = stale;
    r.running = running;
    return r;
}

}  // namespace

probe_answer render_probe_kept(probe p, const status_list& checks, const moment& at,
                               bool draining) {
    probe_answer a;
    std::size_t size = 64;
    std::vector<std::string_view> warnings;
    for (const auto& e : checks) {
        const auto& r = rendered(*e, p, at);
        if (e->cfg.critical) a.ok = a.ok && r.ok;
        if (!r.ok && !e->cfg.critical) warnings.push_back(e->cfg.name);
        size += r.text.size() + 1;
    }
    bool shutting_down = draining && p == probe::readiness;
    if (shutting_down) a.ok = false;
    a.body.reserve(size);
    a.body += a.ok ? "{\"status\":true," : "{\"status\":false,";
    if (shutting_down) a.body += "\"message\":\"shutting down\",";
    a.body += "\"checks\":{";
    bool first = true;
    for (const auto& e : checks) {
        if (!first) a.body += ',';
        first = false;
        a.body += e->rendered[static_cast<int>(p)].text;
    }
    a.body += '}';
    a.body += warnings_text(warnings);
    a.body += '}';
    return a;
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

const probe_answer& probe_cache::get(const status_list& all, std::uint64_t version, probe p,
                                     bool draining, const moment& at) {
    slot& sl = slots_[static_cast<int>(p)];
    bool fresh = sl.valid && sl.version == version && sl.draining == draining &&
                 (!sl.expires || at.steady <= *sl.expires);
    if (fresh) return sl.answer;
    auto checks = select_checks(all, p, {});
    sl.answer = render_probe_kept(p, checks, at, draining);
    sl.expires.reset();
    if (p != probe::startup) sl.expires = first_stale_at(checks, at.steady);
    sl.valid = true;
    sl.version = version;
    sl.draining = draining;
    return sl.answer;
}

}  // namespace heartbeat
