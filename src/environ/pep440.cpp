#include "heartbeat/environ/pep440.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <regex>

namespace heartbeat::pep440 {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::optional<std::int64_t> number(const std::string& s) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

const std::regex& version_pattern() {
    // The grammar of PEP 440's appendix, with every spelling it normalizes.
    static const std::regex re(R"(v?(?:([0-9]+)!)?([0-9]+(?:\.[0-9]+)*))"
                               R"((?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?)"
                               R"((?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?)"
                               R"((?:[-_.]?(dev)[-_.]?([0-9]+)?)?)"
                               R"((?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?)",
                               std::regex::icase | std::regex::optimize);
    return re;
}

}  // namespace

std::optional<version> parse_version(std::string_view text) {
    std::string t = lower(trim(text));
    if (t.empty() || t.size() > 256) return std::nullopt;
    std::smatch m;
    if (!std::regex_match(t, m, version_pattern())) return std::nullopt;
    version v;
    v.text = std::string(trim(text));
    if (m[1].matched) {
        auto e = number(m[1]);
        if (!e) return std::nullopt;
        v.epoch = *e;
    }
    std::string rel = m[2];
    std::size_t pos = 0;
    while (pos <= rel.size()) {
        auto dot = rel.find('.', pos);
        auto n = number(rel.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos));
        if (!n) return std::nullopt;
        v.release.push_back(*n);
        if (dot == std::string::npos) break;
        pos = dot + 1;
    }
    if (m[3].matched) {
        std::string l = m[3];
        int kind = (l == "a" || l == "alpha") ? 0 : (l == "b" || l == "beta") ? 1 : 2;
        v.pre = std::pair{kind, m[4].matched ? number(m[4]).value_or(0) : 0};
    }
    if (m[5].matched)
        v.post = number(m[5]).value_or(0);
    else if (m[6].matched)
        v.post = m[7].matched ? number(m[7]).value_or(0) : 0;
    if (m[8].matched) v.dev = m[9].matched ? number(m[9]).value_or(0) : 0;
    if (m[10].matched) {
        std::string local = m[10];
        std::size_t p = 0;
        while (p <= local.size()) {
            auto sep = local.find_first_of("-_.", p);
            std::string part =
                local.substr(p, sep == std::string::npos ? std::string::npos : sep - p);
            if (auto n = number(part))
                v.local.emplace_back(*n);
            else
                v.local.emplace_back(part);
            if (sep == std::string::npos) break;
            p = sep + 1;
        }
    }
    return v;
}

version version::public_version() const {
    version v = *this;
    v.local.clear();
    return v;
}

version version::base_version() const {
    version v;
    v.epoch = epoch;
    v.release = release;
    return v;
}

std::string version::normalized() const {
    std::string out;
    if (epoch) out += std::to_string(epoch) + "!";
    for (std::size_t i = 0; i < release.size(); ++i)
        out += (i ? "." : "") + std::to_string(release[i]);
    if (pre)
        out += std::string(pre->first == 0   ? "a"
                           : pre->first == 1 ? "b"
                                             : "rc") +
               std::to_string(pre->second);
    if (post) out += ".post" + std::to_string(*post);
    if (dev) out += ".dev" + std::to_string(*dev);
    for (std::size_t i = 0; i < local.size(); ++i) {
        out += i ? "." : "+";
        if (auto* n = std::get_if<std::int64_t>(&local[i]))
            out += std::to_string(*n);
        else
            out += std::get<std::string>(local[i]);
    }
    return out;
}

int compare(const version& a, const version& b) {
    auto cmp = [](auto x, auto y) { return x < y ? -1 : x > y ? 1 : 0; };
    if (int c = cmp(a.epoch, b.epoch)) return c;
    // Release: trailing zeros do not count (1.0 == 1.0.0).
    std::size_t n = std::max(a.release.size(), b.release.size());
    for (std::size_t i = 0; i < n; ++i) {
        auto x = i < a.release.size() ? a.release[i] : 0;
        auto y = i < b.release.size() ? b.release[i] : 0;
        if (int c = cmp(x, y)) return c;
    }
    // Pre-release: a dev release of a final version sorts before its pre-releases; a final
    // version after them.
    auto pre_key = [](const version& v) -> std::pair<int, std::pair<int, std::int64_t>> {
        if (!v.pre && !v.post && v.dev) return {-1, {0, 0}};
        if (!v.pre) return {1, {0, 0}};
        return {0, *v.pre};
    };
    if (auto pa = pre_key(a), pb = pre_key(b); pa != pb) return pa < pb ? -1 : 1;
    auto post_key = [](const version& v) { return v.post ? *v.post : -1; };
    if (int c = cmp(post_key(a), post_key(b))) return c;
    auto dev_key = [](const version& v) {
        return v.dev ? *v.dev : std::numeric_limits<std::int64_t>::max();
    };
    if (int c = cmp(dev_key(a), dev_key(b))) return c;
    // Local: none sorts first; numeric parts sort after alphanumeric ones.
    if (a.local.empty() != b.local.empty()) return a.local.empty() ? -1 : 1;
    std::size_t m = std::min(a.local.size(), b.local.size());
    for (std::size_t i = 0; i < m; ++i) {
        const auto &x = a.local[i], &y = b.local[i];
        if (x.index() != y.index()) return x.index() == 0 ? 1 : -1;
        if (x.index() == 0) {
            if (int c = cmp(std::get<0>(x), std::get<0>(y))) return c;
        } else if (int c = std::get<1>(x).compare(std::get<1>(y))) {
            return c < 0 ? -1 : 1;
        }
    }
    return cmp(a.local.size(), b.local.size());
}

std::optional<specifier> parse_specifier(std::string_view text) {
    text = trim(text);
    static const std::string_view ops[] = {"===", "~=", "==", "!=", "<=", ">=", "<", ">"};
    specifier s;
    for (auto op : ops) {
        if (text.starts_with(op)) {
            s.op = std::string(op);
            break;
        }
    }
    if (s.op.empty()) return std::nullopt;
    std::string_view rest = trim(text.substr(s.op.size()));
    if (rest.empty()) return std::nullopt;
    if (s.op == "===") {
        s.value = std::string(rest);
        s.v = parse_version(rest);
        return s;
    }
    if (rest.ends_with(".*")) {
        if (s.op != "==" && s.op != "!=") return std::nullopt;
        s.wildcard = true;
        rest.remove_suffix(2);
    }
    s.v = parse_version(rest);
    if (!s.v) return std::nullopt;
    if (s.wildcard && (!s.v->local.empty() || s.v->dev)) return std::nullopt;
    if (s.op == "~=" && (s.v->release.size() < 2 || !s.v->local.empty())) return std::nullopt;
    if (s.op != "==" && s.op != "!=" && !s.v->local.empty()) return std::nullopt;
    s.value = std::string(rest);
    return s;
}

std::optional<std::vector<specifier>> parse_specifier_set(std::string_view text) {
    std::vector<specifier> out;
    text = trim(text);
    if (text.empty()) return out;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        auto comma = text.find(',', pos);
        auto part = text.substr(
            pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        auto s = parse_specifier(part);
        if (!s) return std::nullopt;
        out.push_back(std::move(*s));
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return out;
}

namespace {

/** The tokens a prefix match compares: epoch, release numbers, then pre/post/dev as text. */
std::vector<std::string> prefix_tokens(const version& v, std::size_t pad_release_to) {
    std::vector<std::string> t{std::to_string(v.epoch)};
    for (auto r : v.release) t.push_back(std::to_string(r));
    for (std::size_t i = v.release.size(); i < pad_release_to; ++i) t.push_back("0");
    if (v.pre)
        t.push_back(std::string(v.pre->first == 0   ? "a"
                                : v.pre->first == 1 ? "b"
                                                    : "rc") +
                    std::to_string(v.pre->second));
    if (v.post) t.push_back("post" + std::to_string(*v.post));
    if (v.dev) t.push_back("dev" + std::to_string(*v.dev));
    return t;
}

bool prefix_match(const version& spec, const version& candidate) {
    auto want = prefix_tokens(spec, 0);
    auto have = prefix_tokens(candidate.public_version(), spec.release.size());
    if (have.size() < want.size()) return false;
    return std::equal(want.begin(), want.end(), have.begin());
}

bool equal_match(const specifier& s, const version& candidate) {
    if (s.wildcard) return prefix_match(*s.v, candidate);
    if (!s.v->local.empty()) return compare(candidate, *s.v) == 0;
    return compare(candidate.public_version(), *s.v) == 0;
}

}  // namespace

bool contains(const specifier& s, const version& c) {
    if (s.op == "===") return lower(c.text) == lower(s.value);
    const version& v = *s.v;
    if (s.op == "==") return equal_match(s, c);
    if (s.op == "!=") return !equal_match(s, c);
    if (s.op == "~=") {
        specifier prefix;
        prefix.op = "==";
        prefix.wildcard = true;
        version p = v.base_version();
        p.release.pop_back();
        prefix.v = p;
        return compare(c.public_version(), v) >= 0 && equal_match(prefix, c);
    }
    if (s.op == "<=") return compare(c.public_version(), v) <= 0;
    if (s.op == ">=") return compare(c.public_version(), v) >= 0;
    if (s.op == "<") {
        if (compare(c, v) >= 0) return false;
        // <3.0 excludes 3.0's own pre-releases unless the bound is itself one.
        if (!v.is_prerelease() && c.is_prerelease() &&
            compare(c.base_version(), v.base_version()) == 0)
            return false;
        return true;
    }
    if (s.op == ">") {
        if (compare(c, v) <= 0) return false;
        // >1.0 excludes 1.0's post-releases (unless the bound is one) and its local versions.
        if (!v.is_postrelease() && c.is_postrelease() &&
            compare(c.base_version(), v.base_version()) == 0)
            return false;
        if (!c.local.empty() && compare(c.base_version(), v.base_version()) == 0) return false;
        return true;
    }
    return false;
}

bool contains_all(const std::vector<specifier>& set, std::string_view candidate) {
    auto c = parse_version(candidate);
    for (const auto& s : set) {
        if (!c) {
            if (s.op != "===" || lower(trim(candidate)) != lower(s.value)) return false;
            continue;
        }
        if (!contains(s, *c)) return false;
    }
    return true;
}

std::string to_string(const std::vector<specifier>& set) {
    std::vector<std::string> parts;
    for (const auto& s : set) parts.push_back(s.op + s.value + (s.wildcard ? ".*" : ""));
    std::sort(parts.begin(), parts.end());
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
    return out;
}

std::string normalize_name(std::string_view name) {
    std::string out;
    bool in_sep = false;
    for (char ch : trim(name)) {
        if (ch == '-' || ch == '_' || ch == '.') {
            if (!in_sep) out += '-';
            in_sep = true;
        } else {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            in_sep = false;
        }
    }
    return out;
}

}  // namespace heartbeat::pep440
