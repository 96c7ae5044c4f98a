#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace heartbeat::pep440 {

/** A PEP 440 version: [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]. */
struct version {
    std::int64_t epoch = 0;
    std::vector<std::int64_t> release;
    std::optional<std::pair<int, std::int64_t>> pre;  // 0 = a, 1 = b, 2 = rc
    std::optional<std::int64_t> post;
    std::optional<std::int64_t> dev;
    std::vector<std::variant<std::int64_t, std::string>> local;  // empty: no local part
    std::string text;                                            // as written

    bool is_prerelease() const { return pre.has_value() || dev.has_value(); }
    bool is_postrelease() const { return post.has_value(); }
    /** Without the local part. */
    version public_version() const;
    /** Epoch and release only. */
    version base_version() const;
    /** The normalized spelling, e.g. `1.0rc1.post2.dev3+abc.5`. */
    std::string normalized() const;
};

/** Parses any spelling PEP 440 accepts (`v1.0`, `1.0-RC1`, `1.0.post-2`, `1.0_dev3`); nullopt
 * otherwise. */
std::optional<version> parse_version(std::string_view text);

/** <0, 0, >0 in PEP 440 order (1.0.dev0 < 1.0a1 < 1.0 < 1.0.post1; 1.0 == 1.0.0). */
int compare(const version& a, const version& b);

/** One clause of a specifier: `>=1.2`, `==1.*`, `~=2.2`, `!=1.5`, `===foo`. */
struct specifier {
    std::string op;
    std::string value;  // the version text after the operator, without a trailing `.*`
    bool wildcard = false;
    std::optional<version> v;  // nullopt only for `===` with a non-version
};

/** Parses one clause; nullopt when malformed. */
std::optional<specifier> parse_specifier(std::string_view text);
/** Parses a comma-separated set (empty text: the empty set, which everything satisfies). */
std::optional<std::vector<specifier>> parse_specifier_set(std::string_view text);

/** Whether `candidate` satisfies the clause; pre-releases count (as in `pip check`). */
bool contains(const specifier& s, const version& candidate);
/** Whether the version text satisfies every clause; an unparseable version satisfies only `===`. */
bool contains_all(const std::vector<specifier>& set, std::string_view candidate);

/** The set as packaging prints it: clauses sorted, comma-joined (`<3,>=1.21.1`). */
std::string to_string(const std::vector<specifier>& set);

/** A distribution name normalized as PEP 503 does: lowercase, runs of `-_.` as one `-`. */
std::string normalize_name(std::string_view name);

}  // namespace heartbeat::pep440
