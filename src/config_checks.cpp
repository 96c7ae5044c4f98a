#include "heartbeat/config_checks.hpp"

#include "heartbeat/checks/unit.hpp"
#include "heartbeat/url.hpp"

namespace heartbeat::config_detail {

const YAML::Node* check_keys::required(std::string_view key) {
    auto it = values.find(std::string(key));
    if (it != values.end()) return &it->second;
    reader.error(check.Mark(),
                 fmt::format("missing required key '{}' in {} ({} check)", key, label, type));
    return nullptr;
}

const YAML::Node* check_keys::optional(std::string_view key) const {
    auto it = values.find(std::string(key));
    return it == values.end() ? nullptr : &it->second;
}

namespace {

const std::vector<std::string_view> common_keys = {"name",
                                                   "type",
                                                   "probes",
                                                   "timeout",
                                                   "interval",
                                                   "interval_failing",
                                                   "failure_threshold",
                                                   "success_threshold",
                                                   "enabled",
                                                   "retries",
                                                   "retry_delay",
                                                   "allow_remote",
                                                   "critical"};

/** "tcp, http, exec, file" with `last` ("," or " or") before the last name. */
std::string listed_types(std::string_view last) {
    auto names = check_type_names();
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out += i + 1 == names.size() ? fmt::format("{} ", last) : ", ";
        out += names[i];
    }
    return out;
}

/** The check's name, checked; "" when missing or invalid (reported). */
std::string read_name(config_reader& r, const YAML::Node& n) {
    YAML::Node name_node = n["name"];
    if (!name_node.IsDefined()) {
        r.error(n.Mark(), "missing required key 'name' in this check");
        return "";
    }
    auto name = r.string_value(name_node, "name");
    if (!name) return "";
    bool valid = std::all_of(name->begin(), name->end(), [](unsigned char ch) {
        return std::isalnum(ch) || ch == '_' || ch == '-' || ch == '.';
    });
    if (!valid || name->size() > 128) {
        r.error(name_node.Mark(),
                fmt::format("check name '{}' may only use letters, digits, '_', '-' and '.' "
                            "(at most 128)",
                            shorten(*name)));
        return "";
    }
    return *name;
}

/** The index of the check's type in check_units(), or nullopt (reported). */
std::optional<std::size_t> read_type(config_reader& r, const YAML::Node& n,
                                     const std::string& label) {
    YAML::Node type_node = n["type"];
    if (!type_node.IsDefined()) {
        r.error(n.Mark(), fmt::format("missing required key 'type' in {}: one of {}", label,
                                      listed_types(",")));
        return std::nullopt;
    }
    auto type = r.string_value(type_node, "type");
    if (!type) return std::nullopt;
    auto names = check_type_names();
    auto it = std::find(names.begin(), names.end(), *type);
    if (it != names.end()) return static_cast<std::size_t>(it - names.begin());
    r.error(type_node.Mark(), fmt::format("unknown check type '{}' in {}: use {}{}", shorten(*type),
                                          label, listed_types(" or"), did_you_mean(*type, names)));
    return std::nullopt;
}

void read_probes(config_reader& r, const YAML::Node& v, const std::string& label, check_config& c) {
    auto list = r.string_list(v, "probes");
    if (!list) return;
    c.probes.clear();
    for (std::size_t i = 0; i < list->size(); ++i) {
        auto p = parse_probe((*list)[i]);
        auto mark = v.IsSequence() ? v[i].Mark() : v.Mark();
        if (!p)
            r.error(mark,
                    fmt::format("unknown probe '{}' in {}: use readiness, liveliness, startup "
                                "or environ{}",
                                shorten((*list)[i]), label,
                                did_you_mean((*list)[i], {"readiness", "liveliness", "liveness",
                                                          "startup", "environ"})));
        else
            c.probes.insert(*p);
    }
    if (list->empty())
        r.error(v.Mark(), fmt::format("'probes' of {} is empty: name at least one probe (to switch "
                                      "the check off, write enabled: false)",
                                      label));
}

/** The keys every check has but name and type. */
void read_common_keys(config_reader& r, const std::map<std::string, YAML::Node>& values,
                      const std::string& label, check_config& c) {
    for (auto& [key, v] : values) {
        if (key == "probes") {
            read_probes(r, v, label, c);
        } else if (key == "timeout") {
            if (auto t = r.duration_value(v, key, false)) c.timeout = *t;
        } else if (key == "interval") {
            if (auto t = r.duration_value(v, key, true)) c.interval = *t;
        } else if (key == "interval_failing") {
            if (auto t = r.duration_value(v, key, false)) c.interval_failing = *t;
        } else if (key == "failure_threshold") {
            if (auto t = r.int_value(v, key, 1, 1000)) c.failure_threshold = static_cast<int>(*t);
        } else if (key == "success_threshold") {
            if (auto t = r.int_value(v, key, 1, 1000)) c.success_threshold = static_cast<int>(*t);
        } else if (key == "enabled") {
            if (auto b = r.bool_value(v, key)) c.enabled = *b;
        } else if (key == "retries") {
            if (auto t = r.int_value(v, key, 0, 100)) c.retries = static_cast<int>(*t);
        } else if (key == "retry_delay") {
            if (auto t = r.duration_value(v, key, true)) c.retry_delay = *t;
        } else if (key == "allow_remote") {
            if (auto b = r.bool_value(v, key)) c.allow_remote = *b;
        } else if (key == "critical") {
            if (auto b = r.bool_value(v, key)) c.critical = *b;
        }
    }
}

/** Every key of the check's mapping that belongs to it; reports the others. Without a known
 * type, every type's keys belong. */
std::map<std::string, YAML::Node> collect_keys(config_reader& r, const YAML::Node& n,
                                               std::optional<std::size_t> type_index,
                                               const std::string& label) {
    std::vector<std::string_view> allowed = common_keys, elsewhere;
    const auto& units = check_units();
    for (std::size_t i = 0; i < units.size(); ++i) {
        auto& target = (!type_index || *type_index == i) ? allowed : elsewhere;
        target.insert(target.end(), units[i]->keys.begin(), units[i]->keys.end());
    }
    std::string hint =
        type_index ? fmt::format("to {} {} check ({})",
                                 std::string_view("aeiou").find(units[*type_index]->name[0]) ==
                                         std::string_view::npos
                                     ? "a"
                                     : "an",
                                 units[*type_index]->name, label)
                   : "";
    std::map<std::string, YAML::Node> values;
    r.for_each_key(
        n, allowed, "in " + label,
        [&](const std::string& key, const YAML::Node& v) { values[key] = v; }, elsewhere, hint);
    return values;
}

/** The warning about a liveliness check that reaches another host; "" when there is none. */
std::string remote_liveliness_warning(const check_config& c) {
    if (!c.probes.count(probe::liveliness) || c.allow_remote) return "";
    std::string host = unit_of(c.spec).remote_host(c.spec);
    if (host.empty() || is_loopback_host(host)) return "";
    return fmt::format(
        "check '{}' is a liveliness check that reaches another host ({}): when that host is "
        "down, every pod that runs this check is restarted, all at once, and restarting them "
        "fixes nothing; check it in readiness instead, or set allow_remote: true on the check if "
        "a restart is really what its failure needs",
        c.name, host);
}

/** Retries that cannot change a run's outcome: reported where they are set. */
void check_retries(config_reader& r, const check_config& c, const check_keys& keys) {
    const YAML::Node* retries = keys.optional("retries");
    if (reported_ttl(c)) return;  // its unit refuses them: it has no runs
    if (c.retries > 0 && c.retry_delay * c.retries >= c.timeout)
        r.warn((retries ? *retries : keys.check).Mark(),
               fmt::format("check '{}' has {} retries {} apart, not less than its timeout ({}): "
                           "the later attempts can never start; shorten retry_delay or lengthen "
                           "timeout",
                           c.name, c.retries, format_duration(c.retry_delay),
                           format_duration(c.timeout)));
}

/** A `max_duration` that the timeout cuts off first could never fail a run by itself. */
void check_max_duration(config_reader& r, const check_config& c, const check_keys& keys) {
    auto of = unit_of(c.spec).max_duration;
    auto max = of ? of(c.spec) : std::nullopt;
    if (!max || *max < c.timeout) return;
    r.error(keys.optional("max_duration")->Mark(),
            fmt::format("'max_duration' ({}) of {} must be shorter than its timeout ({}): a run "
                        "is cut at its timeout",
                        format_duration(*max), keys.label, format_duration(c.timeout)));
}

/** Warnings for known probe pitfalls (SPEC 2.1). */
void warn_pitfalls(config_reader& r, const check_config& c, const YAML::Node& n,
                   const check_keys& keys) {
    if (auto v = keys.optional("interval_failing"); v && c.interval.count() == 0 && !reported_ttl(c))
        r.warn(v->Mark(), fmt::format("'interval_failing' does nothing on {}: with interval 0 it "
                                      "runs only when a request needs it",
                                      keys.label));
    if (auto text = remote_liveliness_warning(c); !text.empty()) r.warn(n.Mark(), text);
    if (c.interval.count() > 0 && c.timeout >= c.interval)
        r.warn(n.Mark(),
               fmt::format(
                   "check '{}' has a timeout ({}) not shorter than its interval ({}): runs will "
                   "be back to back",
                   c.name, format_duration(c.timeout), format_duration(c.interval)));
}

}  // namespace

std::optional<check_config> read_check(config_reader& r, const YAML::Node& n,
                                       const check_defaults& d) {
    if (!n.IsMap()) {
        r.error(n.Mark(),
                "each item of 'checks' must be a mapping with at least 'name' and 'type'");
        return std::nullopt;
    }
    check_config c;
    c.line = n.Mark().line + 1;
    c.timeout = d.timeout;
    c.interval = d.interval;
    c.interval_failing = d.interval_failing;
    c.failure_threshold = d.failure_threshold;
    c.success_threshold = d.success_threshold;
    std::size_t errors_before = r.error_count();

    // The name and type come first: they decide which keys belong and how to label problems.
    c.name = read_name(r, n);
    std::string label = c.name.empty() ? "a check" : fmt::format("check '{}'", c.name);
    auto type_index = read_type(r, n, label);
    check_keys keys{r, n, label, {}, collect_keys(r, n, type_index, label)};
    read_common_keys(r, keys.values, label, c);
    if (type_index) {
        const auto& unit = *check_units()[*type_index];
        keys.type = unit.name;
        c.spec = unit.read(keys);
        check_retries(r, c, keys);
        check_max_duration(r, c, keys);
    }
    if (r.error_count() != errors_before || !type_index || c.name.empty()) return std::nullopt;

    warn_pitfalls(r, c, n, keys);
    return c;
}

}  // namespace heartbeat::config_detail
