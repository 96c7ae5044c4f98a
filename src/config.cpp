#include "heartbeat/config.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "heartbeat/url.hpp"

namespace heartbeat {

std::string_view probe_name(probe p) {
    switch (p) {
        case probe::readiness:
            return "readiness";
        case probe::liveliness:
            return "liveliness";
        case probe::startup:
            return "startup";
        case probe::environ:
            return "environ";
    }
    return "readiness";
}

std::optional<probe> parse_probe(std::string_view name) {
    if (name == "readiness") return probe::readiness;
    if (name == "liveliness" || name == "liveness") return probe::liveliness;
    if (name == "startup") return probe::startup;
    if (name == "environ") return probe::environ;
    return std::nullopt;
}

std::string_view check_config::type() const {
    static constexpr std::string_view names[] = {"tcp", "http", "exec", "file"};
    return names[spec.index()];
}

namespace {

bool same_spec(const tcp_spec& a, const tcp_spec& b) {
    return a.host == b.host && a.port == b.port && a.send == b.send && a.expect == b.expect;
}
bool same_spec(const http_spec& a, const http_spec& b) {
    return a.url == b.url && a.method == b.method && a.headers == b.headers &&
           a.expect_status == b.expect_status && a.expect_body == b.expect_body &&
           a.tls_verify == b.tls_verify && a.ca_file == b.ca_file;
}
bool same_spec(const exec_spec& a, const exec_spec& b) {
    return a.argv == b.argv && a.env == b.env && a.cwd == b.cwd && a.expect_exit == b.expect_exit;
}
bool same_spec(const file_spec& a, const file_spec& b) {
    return a.path == b.path && a.kind_ == b.kind_ && a.max_age == b.max_age &&
           a.min_size == b.min_size;
}

}  // namespace

bool check_config::same_definition(const check_config& o) const {
    if (name != o.name || probes != o.probes || timeout != o.timeout || interval != o.interval ||
        failure_threshold != o.failure_threshold || success_threshold != o.success_threshold ||
        enabled != o.enabled || spec.index() != o.spec.index())
        return false;
    return std::visit(
        [&](const auto& mine) {
            return same_spec(mine, std::get<std::decay_t<decltype(mine)>>(o.spec));
        },
        spec);
}

std::string diagnostic::format(std::string_view path) const {
    return fmt::format("{}:{}:{}: {}{}", path, line, column, warning ? "warning: " : "", message);
}

std::optional<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view text) {
    std::string_view host, port_text;
    if (text.starts_with("[")) {
        auto close = text.find("]:");
        if (close == std::string_view::npos) return std::nullopt;
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) return std::nullopt;  // v6 needs brackets
    }
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (host.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
        port > 65535)
        return std::nullopt;
    return std::pair{std::string(host), static_cast<std::uint16_t>(port)};
}

namespace {

constexpr std::size_t max_file_size = 1 << 20;

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

/** " (did you mean 'x'?)" when one of `candidates` is close to `word`, else "". */
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
    std::string_view best;
    std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (auto c : candidates) {
        auto d = edit_distance(word, c);
        if (d < best_distance) {
            best_distance = d;
            best = c;
        }
    }
    return best.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", best);
}

std::string shorten(std::string_view s) {
    // Control characters written as escapes: a value from the file can never start a new line of
    // `validate` or of the log, and a NUL shows where it is.
    constexpr std::size_t keep = 60;
    std::string out;
    for (unsigned char ch : s) {
        if (out.size() >= keep) return out + "...";
        if (ch == '\n')
            out += "\\n";
        else if (ch == '\r')
            out += "\\r";
        else if (ch == '\t')
            out += "\\t";
        else if (ch < 0x20 || ch == 0x7f)
            out += fmt::format("\\x{:02x}", ch);
        else
            out += static_cast<char>(ch);
    }
    return out;
}

const std::vector<std::string_view> common_keys = {
    "name",   "type", "probes", "timeout", "interval", "failure_threshold", "success_threshold",
    "enabled"};
const std::vector<std::string_view> type_keys[] = {
    {"host", "port", "send", "expect"},
    {"url", "method", "headers", "expect_status", "expect_body", "tls_verify", "ca_file"},
    {"command", "env", "cwd", "expect_exit"},
    {"path", "kind", "max_age", "min_size"},
};
const std::vector<std::string_view> type_names = {"tcp", "http", "exec", "file"};

/** Walks a parsed YAML tree, collecting every problem rather than stopping at the first. */
class loader {
  public:
    std::vector<diagnostic> diags;

    void error(const YAML::Mark& m, std::string message) { add(m, std::move(message), false); }
    void warn(const YAML::Mark& m, std::string message) { add(m, std::move(message), true); }
    bool has_errors() const {
        return std::any_of(diags.begin(), diags.end(), [](auto& d) { return !d.warning; });
    }

    /** Reports every key and value that holds a NUL (`"\0"`, `"\u0000"`): C strings would cut
     * it short, so that a path, a host or a directory would silently be another one. */
    void find_nul(const YAML::Node& n) {
        std::set<std::pair<int, int>> walked;
        find_nul(n, walked);
    }
    /** Visits each node once: an alias is the anchored node itself (with its mark), so aliases
     * make the tree a graph that can loop (`&a [*a]`) or fan a few lines out into billions of
     * paths. A node is known by its kind and its place in the text. */
    void find_nul(const YAML::Node& n, std::set<std::pair<int, int>>& walked) {
        if (!walked.emplace(static_cast<int>(n.Type()), n.Mark().pos).second) return;
        if (n.IsScalar()) {
            if (n.Scalar().find('\0') != std::string::npos)
                // The value itself is not shown: it may be a secret.
                error(n.Mark(),
                      "this value contains a NUL character (\\0), which would cut it short: remove "
                      "it");
        } else if (n.IsSequence()) {
            for (const auto& item : n) find_nul(item, walked);
        } else if (n.IsMap()) {
            for (const auto& kv : n) {
                find_nul(kv.first, walked);
                find_nul(kv.second, walked);
            }
        }
    }

    config load(const YAML::Node& root) {
        config cfg;
        if (!root.IsDefined() || root.IsNull()) return cfg;  // an empty file: no checks
        // Nesting is bounded by the parser (a few hundred levels), so this walk is too.
        auto errors_before = error_count();
        find_nul(root);
        if (error_count() != errors_before) return cfg;
        if (!root.IsMap()) {
            error(root.Mark(),
                  "the file must be a mapping with the keys server, defaults, environ, checks");
            return cfg;
        }
        defaults d;
        YAML::Node checks;
        for_each_key(root, {"server", "defaults", "environ", "checks"}, "at the top level",
                     [&](const std::string& key, const YAML::Node& value) {
                         if (key == "server")
                             load_server(value, cfg.server);
                         else if (key == "defaults")
                             load_defaults(value, d);
                         else if (key == "environ")
                             load_environ(value, cfg.environ);
                         else
                             checks = value;
                     });
        if (checks.IsDefined() && !checks.IsNull()) {
            if (!checks.IsSequence()) {
                error(checks.Mark(), "'checks' must be a list of checks");
            } else {
                std::map<std::string, int> seen;
                for (const auto& item : checks) {
                    // Names are compared even when a check has other problems: both get reported at
                    // once.
                    if (item.IsMap()) {
                        const YAML::Node name = item["name"];
                        if (name.IsDefined() && name.IsScalar()) {
                            auto [it, fresh] = seen.emplace(name.Scalar(), item.Mark().line + 1);
                            if (!fresh) {
                                error(item.Mark(),
                                      fmt::format(
                                          "duplicate check name '{}' (first defined at line {})",
                                          shorten(name.Scalar()), it->second));
                                continue;
                            }
                        }
                    }
                    if (auto c = load_check(item, d)) cfg.checks.push_back(std::move(*c));
                }
            }
        }
        return cfg;
    }

    /** `server:` alone: for `heartbeatd probe`, which may have to read a file that does not load.
     */
    void read_server(const YAML::Node& n, server_config& s) { load_server(n, s); }

  private:
    struct defaults {
        duration timeout = std::chrono::seconds(1);
        duration interval = std::chrono::seconds(10);
        int failure_threshold = 1;
        int success_threshold = 1;
    };

    void add(const YAML::Mark& m, std::string message, bool warning) {
        diagnostic d;
        d.line = m.is_null() ? 0 : m.line + 1;
        d.column = m.is_null() ? 0 : m.column + 1;
        d.message = std::move(message);
        d.warning = warning;
        diags.push_back(std::move(d));
    }

    /** Calls `fn(key, value)` for each key of `map` that is in `allowed`; reports the others. */
    template <class Fn>
    void for_each_key(const YAML::Node& map, const std::vector<std::string_view>& allowed,
                      std::string_view where, Fn&& fn,
                      const std::vector<std::string_view>& elsewhere = {},
                      std::string_view elsewhere_hint = {}) {
        std::set<std::string> seen;
        for (auto it = map.begin(); it != map.end(); ++it) {
            // Copies, not references: the iterator's pair is a temporary that dies with the
            // statement.
            const YAML::Node k = it->first;
            const YAML::Node value = it->second;
            if (!k.IsScalar()) {
                error(k.Mark(), fmt::format("a key {} must be a plain word", where));
                continue;
            }
            const std::string& key = k.Scalar();
            if (!seen.insert(key).second) {
                error(k.Mark(), fmt::format("duplicate key '{}' {}", shorten(key), where));
                continue;
            }
            if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) {
                fn(key, value);
            } else if (std::find(elsewhere.begin(), elsewhere.end(), key) != elsewhere.end()) {
                error(k.Mark(), fmt::format("key '{}' does not apply {}", key, elsewhere_hint));
            } else {
                std::vector<std::string_view> all = allowed;
                all.insert(all.end(), elsewhere.begin(), elsewhere.end());
                error(k.Mark(), fmt::format("unknown key '{}' {}{}", shorten(key), where,
                                            did_you_mean(key, all)));
            }
        }
    }

    bool expect_map(const YAML::Node& n, std::string_view what) {
        if (n.IsMap()) return true;
        if (!n.IsNull())
            error(n.Mark(), fmt::format("'{}' must be a mapping of keys to values", what));
        return false;
    }

    std::optional<std::string> scalar(const YAML::Node& n, std::string_view key) {
        if (n.IsScalar()) return n.Scalar();
        error(n.Mark(), fmt::format("'{}' must be a single value, not {}", key,
                                    n.IsNull()  ? "empty"
                                    : n.IsMap() ? "a mapping"
                                                : "a list"));
        return std::nullopt;
    }

    std::optional<std::string> string_value(const YAML::Node& n, std::string_view key,
                                            bool allow_empty = false) {
        auto s = scalar(n, key);
        if (s && s->empty() && !allow_empty) {
            error(n.Mark(), fmt::format("'{}' must not be empty", key));
            return std::nullopt;
        }
        return s;
    }

    std::optional<long long> int_value(const YAML::Node& n, std::string_view key, long long lo,
                                       long long hi) {
        auto s = scalar(n, key);
        if (!s) return std::nullopt;
        long long v = 0;
        auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
        if (ec != std::errc{} || end != s->data() + s->size() || v < lo || v > hi) {
            error(n.Mark(), fmt::format("'{}' must be a whole number from {} to {}, got '{}'", key,
                                        lo, hi, shorten(*s)));
            return std::nullopt;
        }
        return v;
    }

    std::optional<bool> bool_value(const YAML::Node& n, std::string_view key) {
        auto s = scalar(n, key);
        if (!s) return std::nullopt;
        std::string v = *s;
        std::transform(v.begin(), v.end(), v.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        if (v == "true" || v == "yes" || v == "on") return true;
        if (v == "false" || v == "no" || v == "off") return false;
        error(n.Mark(), fmt::format("'{}' must be true or false, got '{}'", key, shorten(*s)));
        return std::nullopt;
    }

    std::optional<duration> duration_value(const YAML::Node& n, std::string_view key,
                                           bool allow_zero) {
        auto s = scalar(n, key);
        if (!s) return std::nullopt;
        auto d = parse_duration(*s);
        if (!d) {
            error(
                n.Mark(),
                fmt::format("bad duration '{}' for '{}': write a number with a unit ms, s, m or h, "
                            "such as 500ms, 1.5s or 2m",
                            shorten(*s), key));
            return std::nullopt;
        }
        if (!allow_zero && d->count() == 0) {
            error(n.Mark(), fmt::format("'{}' must be longer than 0", key));
            return std::nullopt;
        }
        return d;
    }

    std::optional<std::vector<std::string>> string_list(const YAML::Node& n, std::string_view key) {
        if (n.IsScalar()) return std::vector<std::string>{n.Scalar()};
        if (!n.IsSequence()) {
            error(n.Mark(), fmt::format("'{}' must be a list", key));
            return std::nullopt;
        }
        std::vector<std::string> out;
        bool ok = true;
        for (const auto& item : n) {
            if (!item.IsScalar()) {
                error(item.Mark(), fmt::format("each item of '{}' must be a single value", key));
                ok = false;
                continue;
            }
            out.push_back(item.Scalar());
        }
        if (!ok) return std::nullopt;
        return out;
    }

    std::optional<std::vector<std::pair<std::string, std::string>>> string_map(
        const YAML::Node& n, std::string_view key) {
        if (!n.IsMap()) {
            error(n.Mark(), fmt::format("'{}' must be a mapping of names to values", key));
            return std::nullopt;
        }
        std::vector<std::pair<std::string, std::string>> out;
        bool ok = true;
        for (auto it = n.begin(); it != n.end(); ++it) {
            if (!it->first.IsScalar() || it->first.Scalar().empty()) {
                error(it->first.Mark(),
                      fmt::format("each name in '{}' must be a non-empty single value", key));
                ok = false;
            } else if (!it->second.IsScalar()) {
                error(it->second.Mark(),
                      fmt::format("the value of '{}' in '{}' must be a single value",
                                  shorten(it->first.Scalar()), key));
                ok = false;
            } else {
                out.emplace_back(it->first.Scalar(), it->second.Scalar());
            }
        }
        if (!ok) return std::nullopt;
        return out;
    }

    void load_server(const YAML::Node& n, server_config& s) {
        if (!expect_map(n, "server")) return;
        for_each_key(
            n, {"listen", "base_path", "metrics_path", "shutdown_delay", "max_connections"},
            "in 'server'", [&](const std::string& key, const YAML::Node& v) {
                if (key == "listen") {
                    if (auto text = string_value(v, key)) {
                        if (auto hp = parse_listen(*text)) {
                            s.host = hp->first;
                            s.port = hp->second;
                        } else {
                            error(v.Mark(),
                                  fmt::format("'listen' must be host:port with a port from 0 "
                                              "to 65535 (\"[::]:8080\" for IPv6), got '{}'",
                                              shorten(*text)));
                        }
                    }
                } else if (key == "base_path" || key == "metrics_path") {
                    if (auto p = string_value(v, key)) {
                        if (p->front() != '/' || p->find_first_of(" ?#") != std::string::npos) {
                            error(v.Mark(),
                                  fmt::format("'{}' must be a path starting with '/'", key));
                            return;
                        }
                        while (p->size() > 1 && p->back() == '/') p->pop_back();
                        (key == "base_path" ? s.base_path : s.metrics_path) = *p;
                    }
                } else if (key == "shutdown_delay") {
                    if (auto d = duration_value(v, key, true)) s.shutdown_delay = *d;
                } else if (auto m = int_value(v, key, 1, 100000)) {
                    s.max_connections = static_cast<std::size_t>(*m);
                }
            });
    }

    void load_defaults(const YAML::Node& n, defaults& d) {
        if (!expect_map(n, "defaults")) return;
        for_each_key(
            n, {"timeout", "interval", "failure_threshold", "success_threshold"}, "in 'defaults'",
            [&](const std::string& key, const YAML::Node& v) {
                if (key == "timeout") {
                    if (auto t = duration_value(v, key, false)) d.timeout = *t;
                } else if (key == "interval") {
                    if (auto t = duration_value(v, key, true)) d.interval = *t;
                } else if (auto t = int_value(v, key, 1, 1000)) {
                    (key == "failure_threshold" ? d.failure_threshold : d.success_threshold) =
                        static_cast<int>(*t);
                }
            });
    }

    void load_environ(const YAML::Node& n, environ_config& e) {
        if (!expect_map(n, "environ")) return;
        for_each_key(n, {"virtualenv", "variables"}, "in 'environ'",
                     [&](const std::string& key, const YAML::Node& v) {
                         if (key == "virtualenv") {
                             if (v.IsNull()) return;
                             if (auto p = string_value(v, key)) e.virtualenv = *p;
                         } else if (auto list = string_list(v, key)) {
                             e.variables = *list;
                         }
                     });
    }

    std::optional<check_config> load_check(const YAML::Node& n, const defaults& d) {
        if (!n.IsMap()) {
            error(n.Mark(),
                  "each item of 'checks' must be a mapping with at least 'name' and 'type'");
            return std::nullopt;
        }
        check_config c;
        c.line = n.Mark().line + 1;
        c.timeout = d.timeout;
        c.interval = d.interval;
        c.failure_threshold = d.failure_threshold;
        c.success_threshold = d.success_threshold;
        std::size_t errors_before = error_count();

        // The name and type come first: they decide which keys belong and how to label problems.
        std::optional<std::size_t> type_index;
        YAML::Node name_node = n["name"], type_node = n["type"];
        std::string label = "a check";
        if (!name_node.IsDefined()) {
            error(n.Mark(), "missing required key 'name' in this check");
        } else if (auto name = string_value(name_node, "name")) {
            bool valid = std::all_of(name->begin(), name->end(), [](unsigned char ch) {
                return std::isalnum(ch) || ch == '_' || ch == '-' || ch == '.';
            });
            if (!valid || name->size() > 128) {
                error(name_node.Mark(),
                      fmt::format("check name '{}' may only use letters, digits, '_', '-' and '.' "
                                  "(at most 128)",
                                  shorten(*name)));
            } else {
                c.name = *name;
                label = fmt::format("check '{}'", c.name);
            }
        }
        if (!type_node.IsDefined()) {
            error(n.Mark(),
                  fmt::format("missing required key 'type' in {}: one of tcp, http, exec, file",
                              label));
        } else if (auto type = string_value(type_node, "type")) {
            auto it = std::find(type_names.begin(), type_names.end(), *type);
            if (it == type_names.end())
                error(type_node.Mark(),
                      fmt::format("unknown check type '{}' in {}: use tcp, http, exec or file{}",
                                  shorten(*type), label, did_you_mean(*type, type_names)));
            else
                type_index = static_cast<std::size_t>(it - type_names.begin());
        }

        std::vector<std::string_view> allowed = common_keys, elsewhere;
        for (std::size_t i = 0; i < 4; ++i) {
            auto& target = (!type_index || *type_index == i) ? allowed : elsewhere;
            target.insert(target.end(), type_keys[i].begin(), type_keys[i].end());
        }
        std::string where = "in " + label;
        std::string hint =
            type_index ? fmt::format("to a {} check ({})", type_names[*type_index], label) : "";

        std::map<std::string, YAML::Node> values;
        for_each_key(
            n, allowed, where,
            [&](const std::string& key, const YAML::Node& v) { values[key] = v; }, elsewhere, hint);

        for (auto& [key, v] : values) {
            if (key == "probes") {
                if (auto list = string_list(v, key)) {
                    c.probes.clear();
                    for (std::size_t i = 0; i < list->size(); ++i) {
                        auto p = parse_probe((*list)[i]);
                        auto mark = v.IsSequence() ? v[i].Mark() : v.Mark();
                        if (!p)
                            error(mark,
                                  fmt::format("unknown probe '{}' in {}: use readiness, "
                                              "liveliness, startup or "
                                              "environ{}",
                                              shorten((*list)[i]), label,
                                              did_you_mean((*list)[i],
                                                           {"readiness", "liveliness", "liveness",
                                                            "startup", "environ"})));
                        else
                            c.probes.insert(*p);
                    }
                    if (list->empty())
                        error(v.Mark(),
                              fmt::format(
                                  "'probes' of {} is empty: name at least one probe (to switch the "
                                  "check off, write enabled: false)",
                                  label));
                }
            } else if (key == "timeout") {
                if (auto t = duration_value(v, key, false)) c.timeout = *t;
            } else if (key == "interval") {
                if (auto t = duration_value(v, key, true)) c.interval = *t;
            } else if (key == "failure_threshold") {
                if (auto t = int_value(v, key, 1, 1000)) c.failure_threshold = static_cast<int>(*t);
            } else if (key == "success_threshold") {
                if (auto t = int_value(v, key, 1, 1000)) c.success_threshold = static_cast<int>(*t);
            } else if (key == "enabled") {
                if (auto b = bool_value(v, key)) c.enabled = *b;
            }
        }

        if (type_index) {
            auto required = [&](std::string_view key) -> const YAML::Node* {
                auto it = values.find(std::string(key));
                if (it != values.end()) return &it->second;
                error(n.Mark(), fmt::format("missing required key '{}' in {} ({} check)", key,
                                            label, type_names[*type_index]));
                return nullptr;
            };
            auto optional = [&](std::string_view key) -> const YAML::Node* {
                auto it = values.find(std::string(key));
                return it == values.end() ? nullptr : &it->second;
            };
            switch (*type_index) {
                case 0:
                    c.spec = load_tcp(required, optional);
                    break;
                case 1:
                    c.spec = load_http(required, optional);
                    break;
                case 2:
                    c.spec = load_exec(required, optional);
                    break;
                default:
                    c.spec = load_file(required, optional);
                    break;
            }
        }
        if (error_count() != errors_before || !type_index || c.name.empty()) return std::nullopt;

        warn_pitfalls(c, n);
        return c;
    }

    std::size_t error_count() const {
        return static_cast<std::size_t>(
            std::count_if(diags.begin(), diags.end(), [](auto& x) { return !x.warning; }));
    }

    template <class Req, class Opt>
    tcp_spec load_tcp(Req required, Opt optional) {
        tcp_spec t;
        if (auto h = required("host"))
            if (auto s = string_value(*h, "host")) t.host = *s;
        if (auto p = required("port"))
            if (auto v = int_value(*p, "port", 1, 65535)) t.port = static_cast<std::uint16_t>(*v);
        if (auto s = optional("send"))
            if (auto v = string_value(*s, "send")) t.send = *v;
        if (auto e = optional("expect"))
            if (auto v = string_value(*e, "expect")) t.expect = *v;
        return t;
    }

    template <class Req, class Opt>
    http_spec load_http(Req required, Opt optional) {
        http_spec h;
        if (auto u = required("url")) {
            if (auto s = string_value(*u, "url")) {
                std::string why;
                if (parse_url(*s, &why))
                    h.url = *s;
                else
                    error(u->Mark(), fmt::format("'url' {}", why));
            }
        }
        if (auto m = optional("method")) {
            if (auto s = string_value(*m, "method")) {
                std::string upper = *s;
                std::transform(upper.begin(), upper.end(), upper.begin(),
                               [](unsigned char ch) { return std::toupper(ch); });
                if (upper != "GET" && upper != "HEAD")
                    error(m->Mark(), "'method' must be GET or HEAD");
                else
                    h.method = upper;
            }
        }
        if (auto hs = optional("headers")) {
            if (auto map = string_map(*hs, "headers")) {
                for (auto& [k, v] : *map) {
                    bool bad = k.find_first_of(" :\r\n\t") != std::string::npos ||
                               v.find_first_of("\r\n") != std::string::npos;
                    if (bad)
                        error(hs->Mark(),
                              fmt::format("header '{}' has a character a header cannot carry",
                                          shorten(k)));
                }
                h.headers = *map;
            }
        }
        if (auto es = optional("expect_status")) {
            if (auto list = string_list(*es, "expect_status")) {
                for (auto& item : *list) {
                    status_match m;
                    if (item.size() == 3 && item[0] >= '1' && item[0] <= '5' &&
                        (item.substr(1) == "xx" || item.substr(1) == "XX")) {
                        m.class_ = item[0] - '0';
                    } else {
                        int code = 0;
                        auto [end, ec] =
                            std::from_chars(item.data(), item.data() + item.size(), code);
                        if (ec != std::errc{} || end != item.data() + item.size() || code < 100 ||
                            code > 599) {
                            error(es->Mark(),
                                  fmt::format(
                                      "'expect_status' takes codes from 100 to 599 or classes "
                                      "like 2xx, got '{}'",
                                      shorten(item)));
                            continue;
                        }
                        m.code = code;
                    }
                    h.expect_status.push_back(m);
                }
            }
        }
        if (auto b = optional("expect_body"))
            if (auto s = string_value(*b, "expect_body")) h.expect_body = *s;
        if (auto v = optional("tls_verify"))
            if (auto b = bool_value(*v, "tls_verify")) h.tls_verify = *b;
        if (auto ca = optional("ca_file"))
            if (auto s = string_value(*ca, "ca_file")) h.ca_file = *s;
        return h;
    }

    template <class Req, class Opt>
    exec_spec load_exec(Req required, Opt optional) {
        exec_spec e;
        if (auto cmd = required("command")) {
            if (cmd->IsScalar()) {
                if (cmd->Scalar().find_first_not_of(" \t\n") == std::string::npos)
                    error(cmd->Mark(),
                          "'command' is empty: give a list (run as argv) or a string (run by "
                          "/bin/sh -c)");
                else
                    e.argv = {"/bin/sh", "-c", cmd->Scalar()};
            } else if (auto list = string_list(*cmd, "command")) {
                if (list->empty() || list->front().empty())
                    error(cmd->Mark(),
                          "'command' is empty: give a list (run as argv) or a string (run by "
                          "/bin/sh -c)");
                else
                    e.argv = *list;
            }
        }
        if (auto env = optional("env")) {
            if (auto map = string_map(*env, "env")) {
                for (auto& [k, v] : *map) {
                    if (k.find('=') != std::string::npos)
                        error(env->Mark(), fmt::format("env name '{}' contains '='", shorten(k)));
                    else
                        e.env[k] = v;
                }
            }
        }
        if (auto cwd = optional("cwd"))
            if (auto s = string_value(*cwd, "cwd")) e.cwd = *s;
        if (auto x = optional("expect_exit"))
            if (auto v = int_value(*x, "expect_exit", 0, 255)) e.expect_exit = static_cast<int>(*v);
        return e;
    }

    template <class Req, class Opt>
    file_spec load_file(Req required, Opt optional) {
        file_spec f;
        if (auto p = required("path"))
            if (auto s = string_value(*p, "path")) f.path = *s;
        if (auto k = optional("kind")) {
            if (auto s = string_value(*k, "kind")) {
                if (*s == "any")
                    f.kind_ = file_spec::kind::any;
                else if (*s == "file")
                    f.kind_ = file_spec::kind::file;
                else if (*s == "dir")
                    f.kind_ = file_spec::kind::dir;
                else
                    error(k->Mark(),
                          fmt::format("'kind' must be file, dir or any, got '{}'{}", shorten(*s),
                                      did_you_mean(*s, {"file", "dir", "any"})));
            }
        }
        if (auto a = optional("max_age"))
            if (auto d = duration_value(*a, "max_age", false)) f.max_age = *d;
        if (auto m = optional("min_size"))
            if (auto v = int_value(*m, "min_size", 0, std::numeric_limits<long long>::max()))
                f.min_size = static_cast<std::uint64_t>(*v);
        return f;
    }

    void warn_pitfalls(const check_config& c, const YAML::Node& n) {
        if (c.probes.count(probe::liveliness)) {
            std::string host;
            if (auto* t = std::get_if<tcp_spec>(&c.spec)) host = t->host;
            if (auto* h = std::get_if<http_spec>(&c.spec))
                if (auto u = parse_url(h->url)) host = u->host;
            if (!host.empty() && !is_loopback_host(host))
                warn(n.Mark(),
                     fmt::format(
                         "check '{}' is a liveliness check that reaches another host ({}): when "
                         "that host is down, every pod restarts; check it in readiness instead",
                         c.name, host));
        }
        if (c.interval.count() > 0 && c.timeout >= c.interval)
            warn(n.Mark(),
                 fmt::format(
                     "check '{}' has a timeout ({}) not shorter than its interval ({}): runs will "
                     "be back to back",
                     c.name, format_duration(c.timeout), format_duration(c.interval)));
    }
};

}  // namespace

namespace {
/** Where flow brackets (`[`, `{`), outside quotes and comments, first nest `depth` deep: the
 * parser's own mark of a too deep nesting is often the start or the end of the file. */
std::optional<YAML::Mark> deep_flow_mark(std::string_view text, int depth) {
    YAML::Mark m;
    m.line = 0;
    m.column = 0;
    int open = 0;
    char quote = 0;
    bool comment = false;
    for (char ch : text) {
        if (ch == '\n') {
            ++m.line;
            m.column = 0;
            comment = false;
            continue;
        }
        if (quote) {
            if (ch == quote) quote = 0;
        } else if (!comment) {
            if (ch == '"' || ch == '\'')
                quote = ch;
            else if (ch == '#')
                comment = true;
            else if (ch == '[' || ch == '{') {
                if (++open >= depth) return m;
            } else if ((ch == ']' || ch == '}') && open > 0) {
                --open;
            }
        }
        ++m.column;
    }
    return std::nullopt;
}
}  // namespace

namespace {
/**
 * Makes a file check's relative path relative to the config file's folder. The daemon's working
 * directory is wherever it happened to start (`/` in a container image); the folder is where the
 * user put the config, next to what it checks (a ConfigMap or compose volume mounted anywhere).
 * The folder as named, not with symlinks resolved: a ConfigMap's file is a link into `..data`.
 */
void resolve_file_paths(config& cfg, const std::string& config_path) {
    auto folder = std::filesystem::path(config_path).parent_path();
    if (folder.empty()) return;  // the config is in the working directory: the same folder
    for (auto& c : cfg.checks)
        if (auto* f = std::get_if<file_spec>(&c.spec); f && !f->path.starts_with('/'))
            f->path = (folder / f->path).string();
}
}  // namespace

load_result parse_config(std::string_view text, std::string path) {
    load_result result;
    loader l;
    config cfg;
    if (text.size() > max_file_size) {
        l.error(YAML::Mark(),
                fmt::format("the file is larger than {} KiB: this is not a heartbeat config",
                            max_file_size / 1024));
    } else if (text.find('\0') != std::string_view::npos) {
        l.error(YAML::Mark(), "the file contains NUL bytes: this is not a YAML text file");
    } else {
        try {
            YAML::Node root = YAML::Load(std::string(text));
            cfg = l.load(root);
        } catch (const YAML::DeepRecursion& e) {
            l.error(deep_flow_mark(text, e.depth()).value_or(e.mark),
                    fmt::format("lists and mappings nested {} levels deep here: a heartbeat "
                                "config needs a few levels; is this file generated wrongly?",
                                e.depth()));
        } catch (const YAML::Exception& e) {
            // Fix the mark of a parser error to 1-based and keep yaml-cpp's own words.
            diagnostic d;
            d.line = e.mark.is_null() ? 0 : e.mark.line + 1;
            d.column = e.mark.is_null() ? 0 : e.mark.column + 1;
            d.message = "YAML syntax: " + e.msg;
            l.diags.push_back(d);
        } catch (const std::exception& e) {
            l.error(YAML::Mark(), std::string("cannot read the file: ") + e.what());
        }
    }
    if (!l.has_errors()) {
        resolve_file_paths(cfg, path);
        cfg.path = path;
        result.cfg = std::move(cfg);
    }
    // In file order, as a person reads them next to the file.
    std::stable_sort(l.diags.begin(), l.diags.end(), [](const diagnostic& a, const diagnostic& b) {
        return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    result.diagnostics = std::move(l.diags);
    return result;
}

server_section read_server_section(std::string_view text) {
    server_section out;
    out.unread = {"listen", "base_path"};
    if (text.size() > max_file_size || text.find('\0') != std::string_view::npos) return out;
    try {
        const YAML::Node root = YAML::Load(std::string(text));
        const YAML::Node server = root.IsMap() ? root["server"] : YAML::Node();
        if (!server.IsDefined() || server.IsNull()) {
            out.unread.clear();  // a readable file without `server:` means the defaults
            return out;
        }
        if (!server.IsMap()) return out;
        std::erase_if(out.unread, [&](const std::string& key) {
            const YAML::Node value = server[key];
            if (!value.IsDefined()) return true;
            if (value.IsScalar() && value.Scalar().find('\0') != std::string::npos) return false;
            // One key at a time through the loader, so its rules are the ones `serve` applies.
            YAML::Node one(YAML::NodeType::Map);
            one[key] = value;
            loader l;
            l.read_server(one, out.server);
            return !l.has_errors();
        });
    } catch (const std::exception&) {
        // YAML syntax (or nesting too deep): nothing can be read.
    }
    return out;
}

namespace {
constexpr std::string_view unreadable_marker("\0unreadable",
                                             11);  // has a NUL: no accepted file equals it
}  // namespace

std::string read_config_text(const std::string& path, std::string* error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (error) *error = "cannot open the file: " + std::string(std::strerror(errno));
        return std::string(unreadable_marker);
    }
    std::string text;
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        text.append(buf, static_cast<std::size_t>(in.gcount()));
        if (text.size() > max_file_size)
            break;  // parse_config reports it; no need to read a huge file whole
    }
    if (in.bad()) {
        if (error) *error = "cannot read the file: " + std::string(std::strerror(errno));
        return std::string(unreadable_marker);
    }
    return text;
}

load_result load_config(const std::string& path) {
    std::string error;
    std::string text = read_config_text(path, &error);
    if (!error.empty()) {
        load_result r;
        r.diagnostics.push_back({0, 0, error, false});
        r.text = std::move(text);
        return r;
    }
    auto r = parse_config(text, path);
    r.text = std::move(text);
    return r;
}

}  // namespace heartbeat
