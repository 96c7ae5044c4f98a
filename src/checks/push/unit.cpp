// The push check type as a unit: its keys, schema and docs. It has no run of its own: the
// application reports its results to the push listener (src/push_listener.cpp), and the scheduler
// records a failure when no report comes within the ttl.
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/checks/push/run.hpp"
#include "heartbeat/config_checks.hpp"

namespace heartbeat {

namespace {

using config_detail::check_keys;

/** `interval` and `timeout` mean nothing to a check that never runs: say so rather than let a
 * user believe they do something. */
void warn_unused(check_keys& keys) {
    for (std::string_view key : {"interval", "interval_failing", "timeout"})
        if (auto v = keys.optional(key))
            keys.reader.warn(v->Mark(), fmt::format("'{}' does nothing on a push check ({}): the "
                                                    "application reports, and 'ttl' says how "
                                                    "often it must",
                                                    key, keys.label));
}

/** Retries of a check that never runs. */
void refuse_retries(check_keys& keys) {
    for (std::string_view key : {"retries", "retry_delay"})
        if (auto v = keys.optional(key)) {
            keys.reader.error(v->Mark(), fmt::format("{} is a push check: it has no runs to retry "
                                                     "(its application reports each result); "
                                                     "remove '{}'",
                                                     keys.label, key));
            return;
        }
}

check_spec read(check_keys& keys) {
    push_spec p;
    if (auto t = keys.required("ttl"))
        if (auto d = keys.reader.duration_value(*t, "ttl", false)) p.ttl = *d;
    warn_unused(keys);
    refuse_retries(keys);
    return p;
}

bool same(const check_spec& x, const check_spec& y) {
    return std::get<push_spec>(x).ttl == std::get<push_spec>(y).ttl;
}

std::string no_host(const check_spec&) {
    return "";
}

// Never called by the daemon (the scheduler does not run push checks); what a caller that runs
// every check anyway would show.
net::awaitable<check_result> run(check_config, steady_clock::time_point, run_context) {
    co_return failure("no report yet: a push check is reported by the application, never run");
}

constexpr std::string_view schema = R"json({
  "check": {
    "allOf": [{"$ref": "#/$defs/common"}],
    "properties": {
      "type": {"const": "push"},
      "ttl": {"$ref": "#/$defs/duration"}
    },
    "required": ["ttl"],
    "not": {"anyOf": [{"required": ["retries"]}, {"required": ["retry_delay"]}]},
    "unevaluatedProperties": false
  }
})json";

constexpr std::string_view docs = R"md(| key | meaning | default |
|---|---|---|
| `ttl` | the check fails (`no report for …`) when no report came for this long: since the latest report, or since the start or the reload that made the check | required |
)md";

duration report_ttl(const check_spec& spec) {
    return std::get<push_spec>(spec).ttl;
}

}  // namespace

const push_spec* as_push(const check_config& c) {
    return std::get_if<push_spec>(&c.spec);
}

const check_unit& push_spec::unit() {
    static const check_unit unit{"push", {"ttl"}, read,    same,   no_host, nullptr,
                                 run,    nullptr, nullptr, schema, docs, report_ttl};
    return unit;
}

}  // namespace heartbeat
