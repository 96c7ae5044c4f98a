#include "heartbeat/config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "heartbeat/checks/unit.hpp"
#include "heartbeat/config_checks.hpp"
#include "heartbeat/config_include.hpp"
#include "heartbeat/config_reader.hpp"
#include "heartbeat/config_vars.hpp"
#include "heartbeat/redact.hpp"
#include "heartbeat/text.hpp"

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
    return unit_of(spec).name;
}

bool check_config::same_definition(const check_config& o) const {
    return name == o.name && probes == o.probes && timeout == o.timeout && interval == o.interval &&
           interval_failing == o.interval_failing && failure_threshold == o.failure_threshold &&
           success_threshold == o.success_threshold && enabled == o.enabled &&
           retries == o.retries && retry_delay == o.retry_delay && critical == o.critical &&
           spec.index() == o.spec.index() && unit_of(spec).same(spec, o.spec);
}

std::string diagnostic::format(std::string_view path) const {
    return fmt::format("{}:{}:{}: {}{}", file.empty() ? path : std::string_view(file), line, column,
                       warning ? "warning: " : "", message);
}

namespace {

using config_detail::check_defaults;
using config_detail::config_reader;
using config_detail::shorten;

constexpr std::size_t max_file_size = 1 << 20;

void load_listen(config_reader& r, const YAML::Node& v, server_config& s) {
    auto text = r.string_value(v, "listen");
    if (!text) return;
    if (auto hp = parse_listen(*text)) {
        s.host = hp->first;
        s.port = hp->second;
    } else {
        r.error(v.Mark(), fmt::format("'listen' must be host:port with a port from 0 "
                                      "to 65535 (\"[::]:8080\" for IPv6), got '{}'",
                                      shorten(*text)));
    }
}

/** `push_listen`: host:port, or `""` / `false` for no push listener. */
void load_push_listen(config_reader& r, const YAML::Node& v, server_config& s) {
    // `false` as YAML 1.2 reads it (plain); a quoted "false" is a host:port that is wrong.
    bool off = v.IsScalar() && config_detail::plain_scalar(v) &&
               (v.Scalar() == "false" || v.Scalar() == "False" || v.Scalar() == "FALSE");
    if (v.IsScalar() && (v.Scalar().empty() || off)) {
        s.push_enabled = false;
        return;
    }
    auto text = r.string_value(v, "push_listen");
    if (!text) return;
    if (auto hp = parse_listen(*text)) {
        s.push_host = hp->first;
        s.push_port = hp->second;
    } else {
        r.error(v.Mark(), fmt::format("'push_listen' must be host:port with a port from 0 to 65535 "
                                      "(\"127.0.0.1:8081\"), or \"\" or false for no push "
                                      "listener, got '{}'",
                                      shorten(*text)));
    }
}

/** Where `server:` set the keys that later checks refer to. */
struct server_marks {
    std::optional<YAML::Mark> push_listen;
    std::optional<YAML::Mark> push_token_file;
    std::optional<YAML::Mark> maintenance_switch;
};

void load_server(config_reader& r, const YAML::Node& n, server_config& s,
                 server_marks* marks = nullptr) {
    if (!r.expect_map(n, "server")) return;
    r.for_each_key(
        n,
        {"listen", "base_path", "metrics_path", "shutdown_delay", "max_connections", "push_listen",
         "push_token_file", "maintenance_switch"},
        "in 'server'", [&](const std::string& key, const YAML::Node& v) {
            if (key == "listen") {
                load_listen(r, v, s);
            } else if (key == "push_listen") {
                load_push_listen(r, v, s);
                if (marks) marks->push_listen = v.Mark();
            } else if (key == "maintenance_switch") {
                if (auto b = r.bool_value(v, key)) s.maintenance_switch = *b;
                if (marks) marks->maintenance_switch = v.Mark();
            } else if (key == "push_token_file") {
                if (auto p = r.string_value(v, key)) s.push_token_file = *p;
                if (marks) marks->push_token_file = v.Mark();
            } else if (key == "base_path" || key == "metrics_path") {
                if (auto p = r.string_value(v, key)) {
                    if (p->front() != '/' || p->find_first_of(" ?#") != std::string::npos) {
                        r.error(v.Mark(),
                                fmt::format("'{}' must be a path starting with '/'", key));
                        return;
                    }
                    while (p->size() > 1 && p->back() == '/') p->pop_back();
                    (key == "base_path" ? s.base_path : s.metrics_path) = *p;
                }
            } else if (key == "shutdown_delay") {
                if (auto d = r.duration_value(v, key, true)) s.shutdown_delay = *d;
            } else if (auto m = r.int_value(v, key, 1, 100000)) {
                s.max_connections = static_cast<std::size_t>(*m);
            }
        });
}

void load_defaults(config_reader& r, const YAML::Node& n, check_defaults& d) {
    if (!r.expect_map(n, "defaults")) return;
    r.for_each_key(
        n, {"timeout", "interval", "interval_failing", "failure_threshold", "success_threshold"},
        "in 'defaults'", [&](const std::string& key, const YAML::Node& v) {
            if (key == "timeout") {
                if (auto t = r.duration_value(v, key, false)) d.timeout = *t;
            } else if (key == "interval") {
                if (auto t = r.duration_value(v, key, true)) d.interval = *t;
            } else if (key == "interval_failing") {
                if (auto t = r.duration_value(v, key, false)) d.interval_failing = *t;
            } else if (auto t = r.int_value(v, key, 1, 1000)) {
                (key == "failure_threshold" ? d.failure_threshold : d.success_threshold) =
                    static_cast<int>(*t);
            }
        });
}

void load_environ(config_reader& r, const YAML::Node& n, environ_config& e) {
    if (!r.expect_map(n, "environ")) return;
    r.for_each_key(n, {"virtualenv", "variables"}, "in 'environ'",
                   [&](const std::string& key, const YAML::Node& v) {
                       if (key == "virtualenv") {
                           if (v.IsNull()) return;
                           if (auto p = r.string_value(v, key)) e.virtualenv = *p;
                       } else if (auto list = r.string_list(v, key)) {
                           e.variables = *list;
                       }
                   });
}

/** Where a check name was first defined: the file (as named) and its place there. */
struct check_place {
    const std::string* file;  // one string per file, kept by load(): a copy per check would add
                              // up in a config of thousands of checks
    int line = 0;
    int column = 0;
};

/** A probe whose every check is `critical: false` can never fail on a check: said at its first. */
void warn_all_non_critical(config_reader& r, const config& cfg, const std::string& main_file,
                           const std::map<std::string, check_place>& places) {
    for (probe p : {probe::readiness, probe::liveliness, probe::startup}) {
        const check_config* first = nullptr;
        bool any_critical = false;
        for (const auto& c : cfg.checks) {
            if (!c.enabled || !c.probes.count(p)) continue;
            if (!first) first = &c;
            any_critical = any_critical || c.critical;
        }
        auto at = first ? places.find(first->name) : places.end();
        if (any_critical || at == places.end()) continue;
        const auto& place = at->second;
        r.diags.push_back({place.line, place.column,
                           fmt::format("every {} check is critical: false, so {} never fails on "
                                       "a check; make the one it depends on critical",
                                       probe_name(p), probe_name(p)),
                           true, *place.file == main_file ? std::string() : *place.file});
    }
}

/** True (after reporting it) when `item` repeats the name of a check before it, in this `file` or
 * another (the main one or an included one). */
bool duplicate_name(config_reader& r, const YAML::Node& item, const std::string& file,
                    std::map<std::string, check_place>& seen) {
    if (!item.IsMap()) return false;
    const YAML::Node name = item["name"];
    if (!name.IsDefined() || !name.IsScalar()) return false;
    auto [it, fresh] = seen.emplace(
        name.Scalar(), check_place{&file, item.Mark().line + 1, item.Mark().column + 1});
    if (fresh) return false;
    const auto& first = it->second;
    r.error(item.Mark(),
            *first.file == file
                ? fmt::format("duplicate check name '{}' (first defined at line {})",
                              shorten(name.Scalar()), first.line)
                : fmt::format("duplicate check name '{}' (first defined at {}:{}:{})",
                              shorten(name.Scalar()), *first.file, first.line, first.column));
    return true;
}

/**
 * The checks of one file (the main one or an included one), appended to `cfg`. Their relative paths
 * are taken from that file's folder, as named, not with symlinks resolved (a ConfigMap's file is a
 * link into `..data`): the daemon's working directory is wherever it happened to start (`/` in an
 * image), the folder is where the user put the config, next to what it checks.
 */
void load_checks(config_reader& r, const YAML::Node& checks, const check_defaults& d, config& cfg,
                 const std::string& file, std::map<std::string, check_place>& seen) {
    if (!checks.IsDefined() || checks.IsNull()) return;
    if (!checks.IsSequence()) {
        r.error(checks.Mark(), "'checks' must be a list of checks");
        return;
    }
    const std::filesystem::path folder = config_detail::folder_of(file);
    r.folder = folder;  // secret files are read with the keys, from this file's folder
    for (const auto& item : checks) {
        // Names are compared even when a check has other problems: both get reported at once.
        if (duplicate_name(r, item, file, seen)) continue;
        if (auto c = config_detail::read_check(r, item, d)) {
            if (auto place = unit_of(c->spec).place; place && !folder.empty())
                place(c->spec, folder);
            if (r.variables) c->variable_secrets = r.variables->secrets_within(item);
            cfg.checks.push_back(std::move(*c));
        }
    }
}

/**
 * The bearer token reports must carry: the file's content without its trailing newline. A relative
 * path is taken from the config file's folder, as a file check's is.
 */
void read_push_token(config_reader& r, server_config& s, const YAML::Mark& mark,
                     const std::filesystem::path& folder) {
    std::filesystem::path path(s.push_token_file);
    if (path.is_relative() && !folder.empty()) path = folder / path;
    r.key_files.push_back(path.string());  // watched with the config: a rotated token reloads
    // Only a regular file (a Secret's link to one included): opening a FIFO or reading a device
    // would hold the loader forever.
    std::error_code ec;
    auto kind = std::filesystem::status(path, ec).type();
    if (ec || kind != std::filesystem::file_type::regular) {
        r.error(mark,
                fmt::format("cannot read server.push_token_file '{}': {}", shorten(path.string()),
                            ec ? lowered(ec.message()) : std::string("not a regular file")));
        return;
    }
    std::ifstream in(path, std::ios::binary);
    std::string token;
    constexpr std::size_t max_token = 4096;
    if (in) {
        char buf[max_token + 1];
        in.read(buf, sizeof buf);
        token.assign(buf, static_cast<std::size_t>(in.gcount()));
    }
    if (!in && !in.eof()) {
        r.error(mark, fmt::format("cannot read server.push_token_file '{}': {}",
                                  shorten(path.string()), lowered(std::strerror(errno))));
        return;
    }
    if (token.size() > max_token) {
        r.error(mark, fmt::format("server.push_token_file '{}' is larger than {} bytes: is it "
                                  "the right file?",
                                  shorten(path.string()), max_token));
        return;
    }
    if (token.ends_with('\n')) token.pop_back();
    if (token.ends_with('\r')) token.pop_back();
    // No quote or backslash either (a bearer token has none, RFC 6750): shown escaped in JSON
    // (`\"`), text an application reports could spell the token without holding it.
    bool plain = std::all_of(token.begin(), token.end(), [](unsigned char ch) {
        return ch > ' ' && ch < 0x7f && ch != '"' && ch != '\\';
    });
    if (token.empty() || !plain) {
        // Never the content: it is a secret, even when it is not a usable one.
        r.error(mark, fmt::format("server.push_token_file '{}' must hold one token of printable "
                                  "characters without spaces, quotes or backslashes (a trailing "
                                  "newline is dropped){}",
                                  shorten(path.string()), token.empty() ? "; it is empty" : ""));
        return;
    }
    s.push_token = std::move(token);
}

/** The push listener's keys against the checks: the token file read, and the pitfalls. */
void check_push(config_reader& r, config& cfg, const server_marks& marks,
                const std::filesystem::path& folder) {
    auto& s = cfg.server;
    if (marks.push_token_file && !s.push_token_file.empty())
        read_push_token(r, s, *marks.push_token_file, folder);
    std::string pushed;
    for (const auto& c : cfg.checks)
        if (c.enabled && reported_ttl(c)) pushed += (pushed.empty() ? "" : ", ") + c.name;
    // The push listener opens only for push checks or the maintenance switch: only then can the
    // two addresses clash.
    bool clash = s.push_host == s.host && s.push_port == s.port && s.port != 0;
    if (s.push_enabled && (!pushed.empty() || s.maintenance_switch) && clash)
        r.error(marks.push_listen.value_or(YAML::Mark()),
                fmt::format("'push_listen' ({}) must differ from 'listen': reports and the "
                            "maintenance switch go to a listener of their own",
                            s.push_port));
    if (!s.push_enabled && s.maintenance_switch)
        r.warn(marks.maintenance_switch.value_or(YAML::Mark()),
               "server.maintenance_switch has no listener: server.push_listen is off, so SIGUSR1 "
               "is the only switch");
    if (!s.push_enabled && !pushed.empty())
        r.warn(marks.push_listen.value_or(YAML::Mark()),
               fmt::format("push checks ({}) get no reports: server.push_listen is off, so they "
                           "fail after their ttl",
                           pushed));
}

/** The whole tree, and the files it includes, collecting every problem rather than stopping at
 * the first. */
config load(config_reader& r, const YAML::Node& root, const std::string& path,
            config_sources& sources) {
    config cfg;
    r.folder = config_detail::folder_of(path);
    if (!root.IsDefined() || root.IsNull()) return cfg;  // an empty file: no checks
    // Nesting is bounded by the parser (a few hundred levels), so this walk is too.
    auto errors_before = r.error_count();
    r.find_nul(root);
    if (r.error_count() != errors_before) return cfg;
    if (!root.IsMap()) {
        r.error(root.Mark(),
                "the file must be a mapping with the keys server, defaults, environ, "
                "include, checks");
        return cfg;
    }
    check_defaults d;
    server_marks marks;
    YAML::Node checks, include;
    r.for_each_key(root, {"server", "defaults", "environ", "include", "checks"}, "at the top level",
                   [&](const std::string& key, const YAML::Node& value) {
                       if (key == "server")
                           load_server(r, value, cfg.server, &marks);
                       else if (key == "defaults")
                           load_defaults(r, value, d);
                       else if (key == "environ")
                           load_environ(r, value, cfg.environ);
                       else
                           (key == "include" ? include : checks) = value;
                   });
    std::deque<std::string> files;  // the included files' names, for as long as `names` is used
    std::map<std::string, check_place> names;
    load_checks(r, checks, d, cfg, path, names);
    // Included checks come after the file's own, in the order the patterns are written.
    config_detail::load_includes(
        r, include, path,
        [&](config_reader& ir, const YAML::Node& included, const std::string& file) {
            load_checks(ir, included, d, cfg, files.emplace_back(file), names);
            if (ir.variables)
                for (auto& v : ir.variables->secrets()) add_secret(cfg.variable_secrets, v);
        },
        sources);
    check_push(r, cfg, marks, std::filesystem::path(path).parent_path());
    warn_all_non_critical(r, cfg, path, names);
    return cfg;
}

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

namespace config_detail {

std::optional<YAML::Node> read_tree(config_reader& l, std::string_view text,
                                    variable_record& vars) {
    if (text.size() > max_file_size) {
        l.error(YAML::Mark(),
                fmt::format("the file is larger than {} KiB: this is not a heartbeat config",
                            max_file_size / 1024));
    } else if (text.find('\0') != std::string_view::npos) {
        l.error(YAML::Mark(), "the file contains NUL bytes: this is not a YAML text file");
    } else {
        try {
            return load_tree(text, l, vars);
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
    return std::nullopt;
}

}  // namespace config_detail

load_result parse_config(std::string_view text, std::string path) {
    load_result result;
    config_reader l;
    config cfg;
    result.sources.files.emplace_back(path, content_hash(text));
    variable_record vars;
    l.variables = &vars;
    auto root = config_detail::read_tree(l, text, vars);
    const auto from = l.diags.size();
    if (root) cfg = load(l, *root, path, result.sources);
    add_key_files(result.sources, l.key_files);
    apply_variable_record(vars, root.value_or(YAML::Node()), l.diags, from, &cfg);
    if (!l.has_errors()) {
        cfg.path = path;
        result.cfg = std::move(cfg);
    }
    // In file order, as a person reads them next to the file: the main file's, then each
    // included file's (already in order, in the order they were read).
    std::stable_sort(l.diags.begin(), l.diags.end(), [](const diagnostic& a, const diagnostic& b) {
        if (!a.file.empty() || !b.file.empty()) return a.file.empty() && !b.file.empty();
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
        config_reader expansion;
        variable_record vars;
        const YAML::Node root = load_tree(text, expansion, vars);
        for (auto& v : vars.secrets()) add_secret(out.variable_secrets, std::move(v));
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
            if (vars.failed.count({value.Mark().line + 1, value.Mark().column + 1})) return false;
            // One key at a time through the loader, so its rules are the ones `serve` applies.
            YAML::Node one(YAML::NodeType::Map);
            one[key] = value;
            config_reader l;
            load_server(l, one, out.server);
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
        r.diagnostics.push_back({0, 0, error, false, {}});
        r.sources.files.emplace_back(path, content_hash(text));
        r.text = std::move(text);
        return r;
    }
    auto r = parse_config(text, path);
    r.text = std::move(text);
    return r;
}

}  // namespace heartbeat
