// `expect_json` as a check's key: the YAML read into the pure grammar of expect_json.cpp, each
// problem reported at the place of its path or its expectation.
#include <set>

#include "heartbeat/checks/expect_json.hpp"
#include "heartbeat/config_checks.hpp"

namespace heartbeat {

namespace {

using config_detail::config_reader;
using config_detail::shorten;

std::optional<json_path> read_path(config_reader& r, const YAML::Node& k,
                                   std::set<std::string>& seen) {
    if (!k.IsScalar()) {
        r.error(k.Mark(), "each path in 'expect_json' must be a single value, such as $.status");
        return std::nullopt;
    }
    std::string why;
    auto path = parse_json_path(k.Scalar(), why);
    if (!path) {
        r.error(k.Mark(),
                fmt::format("bad path '{}' in 'expect_json': {}", shorten(k.Scalar()), why));
        return std::nullopt;
    }
    if (!seen.insert(k.Scalar()).second) {
        r.error(k.Mark(), fmt::format("duplicate path '{}' in 'expect_json'", shorten(k.Scalar())));
        return std::nullopt;
    }
    return path;
}

std::optional<json_expectation> read_expectation(config_reader& r, const YAML::Node& v,
                                                 const std::string& path) {
    // An empty value, `~` or `null`: the value at the path must be null.
    if (v.IsNull()) return json_expectation{json_op::equal, json::value()};
    if (!v.IsScalar()) {
        r.error(v.Mark(), fmt::format("the expectation of '{}' in 'expect_json' must be a single "
                                      "value: a value to equal, or a comparison such as \">= 3\"",
                                      shorten(path)));
        return std::nullopt;
    }
    // "?" is a plain scalar, "!" a quoted one, and `!!str 5` a string as well.
    const std::string& tag = v.Tag();
    bool plain = tag == "?";
    if (!plain && tag != "!" && tag != "tag:yaml.org,2002:str") {
        if (tag.starts_with("!="))
            r.error(v.Mark(), fmt::format("the expectation of '{}' starts with '!', which YAML "
                                          "reads as a tag: quote the comparison, \"!= {}\"",
                                          shorten(path), shorten(v.Scalar())));
        else
            r.error(v.Mark(), fmt::format("the expectation of '{}' has the YAML tag '{}': write "
                                          "the value alone",
                                          shorten(path), shorten(tag)));
        return std::nullopt;
    }
    std::string why;
    auto e = parse_json_expectation(v.Scalar(), plain, why);
    if (!e)
        r.error(v.Mark(), fmt::format("bad expectation '{}' for '{}' in 'expect_json': {}",
                                      shorten(v.Scalar()), shorten(path), why));
    return e;
}

}  // namespace

json_assertions read_expect_json(config_detail::check_keys& keys) {
    auto* n = keys.optional("expect_json");
    if (!n) return {};
    auto& r = keys.reader;
    if (!n->IsMap()) {
        r.error(n->Mark(),
                "'expect_json' must be a mapping of paths to expected values, such as "
                "{$.status: green}");
        return {};
    }
    if (n->size() == 0) {
        r.error(n->Mark(), "'expect_json' is empty: give at least one path and its expected value");
        return {};
    }
    json_assertions out;
    std::set<std::string> seen;
    for (auto it = n->begin(); it != n->end(); ++it) {
        // Copies: the iterator's pair is a temporary that dies with the statement.
        const YAML::Node k = it->first;
        const YAML::Node v = it->second;
        auto path = read_path(r, k, seen);
        auto expect = read_expectation(r, v, k.IsScalar() ? k.Scalar() : std::string("?"));
        if (path && expect) out.push_back({std::move(*path), std::move(*expect)});
    }
    return out;
}

}  // namespace heartbeat
