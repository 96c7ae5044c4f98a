#include "heartbeat/config_reader.hpp"

#include <charconv>

#include "heartbeat/config_vars.hpp"

namespace heartbeat::config_detail {

bool config_reader::has_errors() const {
    return std::any_of(diags.begin(), diags.end(), [](auto& d) { return !d.warning; });
}

std::size_t config_reader::error_count() const {
    return static_cast<std::size_t>(
        std::count_if(diags.begin(), diags.end(), [](auto& x) { return !x.warning; }));
}

void config_reader::add(const YAML::Mark& m, std::string message, bool warning) {
    diagnostic d;
    d.line = m.is_null() ? 0 : m.line + 1;
    d.column = m.is_null() ? 0 : m.column + 1;
    d.message = std::move(message);
    d.warning = warning;
    diags.push_back(std::move(d));
}

void config_reader::find_nul(const YAML::Node& n) {
    std::set<std::pair<int, int>> walked;
    find_nul(n, walked);
}

/** Visits each node once: an alias is the anchored node itself (with its mark), so aliases
 * make the tree a graph that can loop (`&a [*a]`) or fan a few lines out into billions of
 * paths. A node is known by its kind and its place in the text. */
void config_reader::find_nul(const YAML::Node& n, std::set<std::pair<int, int>>& walked) {
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

std::optional<std::string> config_reader::checked_key(const YAML::Node& k, std::string_view where,
                                                      std::set<std::string>& seen) {
    if (!k.IsScalar()) {
        error(k.Mark(), fmt::format("a key {} must be a plain word", where));
        return std::nullopt;
    }
    const std::string& key = k.Scalar();
    if (!seen.insert(key).second) {
        error(k.Mark(), fmt::format("duplicate key '{}' {}", shorten(key), where));
        return std::nullopt;
    }
    return key;
}

void config_reader::unknown_key(const YAML::Node& k, const std::vector<std::string_view>& allowed,
                                std::string_view where,
                                const std::vector<std::string_view>& elsewhere,
                                std::string_view elsewhere_hint) {
    const std::string& key = k.Scalar();
    if (std::find(elsewhere.begin(), elsewhere.end(), key) != elsewhere.end()) {
        error(k.Mark(), fmt::format("key '{}' does not apply {}", key, elsewhere_hint));
        return;
    }
    std::vector<std::string_view> all = allowed;
    all.insert(all.end(), elsewhere.begin(), elsewhere.end());
    error(k.Mark(),
          fmt::format("unknown key '{}' {}{}", shorten(key), where, did_you_mean(key, all)));
}

bool config_reader::expect_map(const YAML::Node& n, std::string_view what) {
    if (n.IsMap()) return true;
    if (!n.IsNull()) error(n.Mark(), fmt::format("'{}' must be a mapping of keys to values", what));
    return false;
}

std::optional<std::string> config_reader::scalar(const YAML::Node& n, std::string_view key) {
    if (n.IsScalar()) return n.Scalar();
    error(n.Mark(), fmt::format("'{}' must be a single value, not {}", key,
                                n.IsNull()  ? "empty"
                                : n.IsMap() ? "a mapping"
                                            : "a list"));
    return std::nullopt;
}

std::optional<std::string> config_reader::string_value(const YAML::Node& n, std::string_view key,
                                                       bool allow_empty) {
    auto s = scalar(n, key);
    if (s && s->empty() && !allow_empty) {
        error(n.Mark(), fmt::format("'{}' must not be empty", key));
        return std::nullopt;
    }
    return s;
}

std::optional<long long> config_reader::int_value(const YAML::Node& n, std::string_view key,
                                                  long long lo, long long hi) {
    auto s = scalar(n, key);
    if (!s) return std::nullopt;
    long long v = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (ec != std::errc{} || end != s->data() + s->size() || v < lo || v > hi) {
        error(n.Mark(), fmt::format("'{}' must be a whole number from {} to {}, got '{}'", key, lo,
                                    hi, shorten(*s)));
        return std::nullopt;
    }
    return v;
}

bool plain_scalar(const YAML::Node& n) {
    // yaml-cpp tags a plain scalar "?", a quoted one "!"; `!!bool true` keeps its explicit tag.
    return n.Tag() == "?" || n.Tag() == "tag:yaml.org,2002:bool";
}

/**
 * YAML 1.2's booleans only, as editors and the JSON Schema read the file: `true` and `false`
 * written plain. A quoted "false" is text there, and `yes`, `no`, `on`, `off` (YAML 1.1 booleans)
 * too: accepting them here would make a file that validates but that every editor marks wrong.
 */
std::optional<bool> config_reader::bool_value(const YAML::Node& n, std::string_view key) {
    auto s = scalar(n, key);
    if (!s) return std::nullopt;
    // A value from a variable is typed by its value, however it is quoted: in a flow mapping,
    // `{enabled: "${ON}"}` must be quoted, and the schema sees text there either way.
    bool plain = plain_scalar(n) ||
                 (variables && variables->expanded.count(static_cast<std::size_t>(n.Mark().pos)));
    if (plain && (*s == "true" || *s == "True" || *s == "TRUE")) return true;
    if (plain && (*s == "false" || *s == "False" || *s == "FALSE")) return false;
    std::string v = *s;
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!plain && (v == "true" || v == "false"))
        error(n.Mark(), fmt::format("'{}' must be true or false written without quotes: a quoted "
                                    "'{}' is text, not a boolean, to YAML 1.2 and so to editors "
                                    "and the JSON Schema",
                                    key, shorten(*s)));
    else if (v == "yes" || v == "no" || v == "on" || v == "off" || v == "y" || v == "n")
        error(n.Mark(), fmt::format("'{}' must be true or false: YAML 1.2, which editors and the "
                                    "JSON Schema follow, reads '{}' as text, not a boolean",
                                    key, shorten(*s)));
    else
        error(n.Mark(), fmt::format("'{}' must be true or false, got '{}'", key, shorten(*s)));
    return std::nullopt;
}

std::optional<duration> config_reader::duration_value(const YAML::Node& n, std::string_view key,
                                                      bool allow_zero) {
    auto s = scalar(n, key);
    if (!s) return std::nullopt;
    auto d = parse_duration(*s);
    if (!d) {
        error(n.Mark(),
              fmt::format("bad duration '{}' for '{}': write a number with a unit ms, s, m, h or "
                          "d, such as 500ms, 1.5s, 2m or 14d, at most 366d",
                          shorten(*s), key));
        return std::nullopt;
    }
    if (!allow_zero && d->count() == 0) {
        error(n.Mark(), fmt::format("'{}' must be longer than 0", key));
        return std::nullopt;
    }
    return d;
}

std::optional<std::vector<std::string>> config_reader::string_list(const YAML::Node& n,
                                                                   std::string_view key) {
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

std::optional<std::vector<std::pair<std::string, std::string>>> config_reader::string_map(
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
            error(it->second.Mark(), fmt::format("the value of '{}' in '{}' must be a single value",
                                                 shorten(it->first.Scalar()), key));
            ok = false;
        } else {
            out.emplace_back(it->first.Scalar(), it->second.Scalar());
        }
    }
    if (!ok) return std::nullopt;
    return out;
}

}  // namespace heartbeat::config_detail
