#include "heartbeat/config_vars.hpp"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "heartbeat/config_reader.hpp"
#include "heartbeat/config_text.hpp"
#include "heartbeat/redact.hpp"

namespace heartbeat {

std::optional<std::string> environment_variable(std::string_view name) {
    if (const char* v = std::getenv(std::string(name).c_str())) return std::string(v);
    return std::nullopt;
}

namespace {

bool name_start(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool name_char(char c) {
    return name_start(c) || (c >= '0' && c <= '9');
}

/** One `${…}` starting at `text[at]` (which is `$`, then `{`): appends its value, returns the index
 * after its `}`, or sets `out.error`. */
std::size_t expand_one(std::string_view text, std::size_t at, const variable_lookup& lookup,
                       expanded_text& out) {
    auto close = text.find('}', at + 2);
    if (close == std::string_view::npos) {
        out.error = "'${' without a closing '}': write ${NAME}, ${NAME:-default}, or $$ for a $";
        return text.size();
    }
    std::string_view inner = text.substr(at + 2, close - at - 2);
    std::size_t n = 0;
    while (n < inner.size() && name_char(inner[n])) ++n;
    std::string_view name = inner.substr(0, n);
    std::string_view rest = inner.substr(n);
    bool has_default = rest.starts_with(":-");
    if (name.empty() || !name_start(name[0]) || (!rest.empty() && !has_default)) {
        out.error = fmt::format(
            "malformed variable '${{{}}}': a name is letters, digits and _ (not first a digit), "
            "then '}}' or ':-default}}'",
            config_detail::shorten(inner));
        return text.size();
    }
    std::string_view fallback = has_default ? rest.substr(2) : std::string_view();
    if (fallback.find("${") != std::string_view::npos) {
        out.error = "variables do not nest: a default is plain text (write $$ for a $)";
        return text.size();
    }
    auto value = lookup(name);
    // As the shell's ${NAME:-default}: an empty value takes the default too.
    if (value && (!value->empty() || !has_default)) {
        out.value += *value;
        if (!value->empty()) out.from_environment.emplace_back(std::string(name), *value);
    } else if (has_default) {
        out.value += fallback;
    } else {
        out.error = fmt::format(
            "variable {} is not set in the environment (write ${{{}:-default}} to give a default)",
            name, name);
    }
    return close + 1;
}

}  // namespace

expanded_text expand_text(std::string_view text, const variable_lookup& lookup) {
    expanded_text out;
    out.value.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size() && !out.error) {
        auto dollar = text.find('$', i);
        if (dollar == std::string_view::npos || dollar + 1 == text.size()) {
            out.value += text.substr(i);
            break;
        }
        out.value += text.substr(i, dollar - i);
        char next = text[dollar + 1];
        if (next == '$') {
            out.value += '$';
            out.changed = true;
            i = dollar + 2;
        } else if (next == '{') {
            out.changed = true;
            i = expand_one(text, dollar, lookup, out);
        } else {
            // Any other `$` stays as written: regexes (`^ok$`), prices, shell text.
            out.value += '$';
            i = dollar + 1;
        }
    }
    if (out.error) {
        out.value.clear();
        out.from_environment.clear();
    }
    return out;
}

std::vector<std::string> variable_record::secrets() const {
    std::vector<std::string> out;
    for (const auto& [pos, s] : by_position)
        for (const auto& v : s.secrets) out.push_back(v);
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.size() > b.size(); });
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

namespace {

void collect_within(const YAML::Node& n, const variable_record& record,
                    std::set<std::pair<int, std::size_t>>& walked, std::vector<std::string>& out) {
    if (!walked.emplace(static_cast<int>(n.Type()), n.Mark().pos).second) return;
    if (n.IsScalar()) {
        auto it = record.by_position.find(static_cast<std::size_t>(n.Mark().pos));
        if (it != record.by_position.end())
            out.insert(out.end(), it->second.secrets.begin(), it->second.secrets.end());
    } else if (n.IsSequence()) {
        for (const auto& item : n) collect_within(item, record, walked, out);
    } else if (n.IsMap()) {
        for (const auto& kv : n) collect_within(kv.second, record, walked, out);
    }
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
    if (from.empty()) return;
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

}  // namespace

std::vector<std::string> variable_record::secrets_within(const YAML::Node& n) const {
    std::vector<std::string> out;
    std::set<std::pair<int, std::size_t>> walked;
    collect_within(n, *this, walked, out);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::string variable_record::hide(std::string message) const {
    using config_detail::shorten;
    // Whole values first, longest first, as messages quote them; then any environment value left
    // (a host inside a URL a message names) as the variable that gave it.
    std::vector<const scalar*> all;
    for (const auto& [pos, s] : by_position) all.push_back(&s);
    std::sort(all.begin(), all.end(),
              [](auto* a, auto* b) { return a->value.size() > b->value.size(); });
    for (const auto* s : all) {
        if (s->value.empty()) continue;
        for (char q : {'\'', '"'})
            replace_all(message, q + shorten(s->value) + q, q + shorten(s->written) + q);
        // A short value elsewhere cannot be told apart from ordinary text ("1" in "1 to 65535").
        if (s->value.size() >= min_secret_size) {
            replace_all(message, shorten(s->value), shorten(s->written));
            replace_all(message, s->value, s->written);
        }
    }
    std::vector<std::pair<std::string, std::string>> named;  // value, ${NAME}
    for (const auto* s : all)
        for (std::size_t i = 0; i < s->secrets.size() && i < s->names.size(); ++i)
            named.emplace_back(s->secrets[i], "${" + s->names[i] + "}");
    std::sort(named.begin(), named.end(),
              [](auto& a, auto& b) { return a.first.size() > b.first.size(); });
    for (const auto& [secret, variable] : named)
        if (secret.size() >= min_secret_size) {
            replace_all(message, shorten(secret), variable);
            replace_all(message, secret, variable);
        }
    return message;
}

namespace {

/** Where a scalar is: what its place refuses variables for, or empty. */
struct walk_context {
    config_detail::config_reader& r;
    const variable_lookup& lookup;
    variable_record& record;
    std::set<std::pair<int, std::size_t>> walked;
};

void expand_scalar(walk_context& w, YAML::Node n, std::string_view refused) {
    const std::string& text = n.Scalar();
    if (text.find('$') == std::string::npos) return;
    if (!refused.empty() && text.find("${") != std::string::npos) {
        w.r.error(n.Mark(), fmt::format("variables are not expanded in {}", refused));
        w.record.failed.emplace(n.Mark().line + 1, n.Mark().column + 1);
        return;
    }
    auto e = expand_text(text, w.lookup);
    if (e.error) {
        w.r.error(n.Mark(), *e.error);
        w.record.failed.emplace(n.Mark().line + 1, n.Mark().column + 1);
        return;
    }
    if (!e.changed) return;
    if (text.find("${") != std::string::npos)
        w.record.expanded.insert(static_cast<std::size_t>(n.Mark().pos));
    if (!e.from_environment.empty()) {
        variable_record::scalar s{text, e.value, {}, {}};
        for (auto& [name, value] : e.from_environment) {
            s.secrets.push_back(value);
            s.names.push_back(name);
        }
        w.record.by_position[static_cast<std::size_t>(n.Mark().pos)] = std::move(s);
    }
    // Assigning a string keeps the node's tag and mark: a quoted scalar stays quoted.
    n = e.value;
}

void walk(walk_context& w, YAML::Node n, std::string_view refused) {
    if (!w.walked.emplace(static_cast<int>(n.Type()), n.Mark().pos).second) return;
    if (n.IsScalar()) {
        expand_scalar(w, n, refused);
    } else if (n.IsSequence()) {
        for (auto item : n) walk(w, item, refused);
    } else if (n.IsMap()) {
        for (auto kv : n) walk(w, kv.second, refused);
    }
}

constexpr std::string_view environ_refusal =
    "'environ': what it names is shown in the environ answer as written";

/** A check's name and type are shown in every answer, log line and metric. */
void walk_check(walk_context& w, YAML::Node item) {
    if (!item.IsMap()) return walk(w, item, {});
    if (!w.walked.emplace(static_cast<int>(item.Type()), item.Mark().pos).second) return;
    for (auto kv : item) {
        bool shown =
            kv.first.IsScalar() && (kv.first.Scalar() == "name" || kv.first.Scalar() == "type");
        walk(w, kv.second,
             shown ? (kv.first.Scalar() == "name"
                          ? "a check's 'name': it is shown in every answer, log line and metric"
                          : "a check's 'type': it decides which keys the check has")
                   : "");
    }
}

}  // namespace

void expand_variables(config_detail::config_reader& r, YAML::Node root,
                      const variable_lookup& lookup, variable_record& record) {
    walk_context w{r, lookup, record, {}};
    if (!root.IsMap()) return walk(w, root, {});
    for (auto kv : root) {
        std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
        if (key == "environ") {
            walk(w, kv.second, environ_refusal);
        } else if (key == "checks" && kv.second.IsSequence()) {
            if (!w.walked.emplace(static_cast<int>(kv.second.Type()), kv.second.Mark().pos).second)
                continue;
            for (auto item : kv.second) walk_check(w, item);
        } else {
            walk(w, kv.second, {});
        }
    }
}

YAML::Node load_tree(std::string_view text, config_detail::config_reader& r,
                     variable_record& record) {
    YAML::Node root = YAML::Load(std::string(text));
    expand_variables(r, root, environment_variable, record);
    return root;
}

void apply_variable_record(const variable_record& record, const YAML::Node& root,
                           std::vector<diagnostic>& diags, std::size_t from, config* cfg) {
    // A scalar that could not be expanded has its own message; the loader's words about the text
    // left in its place would only mislead.
    std::size_t i = 0;
    std::erase_if(diags, [&](const diagnostic& d) {
        return i++ >= from && d.file.empty() && record.failed.count({d.line, d.column}) != 0;
    });
    for (auto& d : diags) {
        d.message = record.hide(std::move(d.message));
        // An included file's name may hold a value of the main file's (`include: ${DIR}/*.yaml`).
        if (!d.file.empty()) d.file = record.hide(std::move(d.file));
    }
    if (!cfg) return;
    for (auto& v : record.secrets()) add_secret(cfg->variable_secrets, std::move(v));
    // A missing key gives an invalid node, on which only IsDefined() does not throw.
    const YAML::Node checks = root.IsMap() ? root["checks"] : YAML::Node();
    if (!checks.IsDefined() || !checks.IsSequence()) return;
    for (const auto& item : checks) {
        if (!item.IsMap()) continue;
        const YAML::Node name = item["name"];
        if (!name.IsDefined() || !name.IsScalar()) continue;
        for (auto& c : cfg->checks)
            if (c.name == name.Scalar()) c.variable_secrets = record.secrets_within(item);
    }
}

}  // namespace heartbeat
