#pragma once
// `expect_json`, shared by http checks (on the body) and exec checks (on stdout): a map from a path
// into a JSON document (`$.nodes[0].state`, `$.items.length`) to an expected value or a comparison
// (`">= 3"`, `"!= red"`). The grammar and the evaluation are pure (no I/O, no YAML): the config
// reader below turns the YAML into them once, at load, and a run only evaluates.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace heartbeat {

namespace json = boost::json;

namespace config_detail {
struct check_keys;  // heartbeat/config_checks.hpp
}

/** One step of a path: a member by name, an element by index, or the length of what it reaches. */
struct json_step {
    enum class kind { member, index, length };
    kind what = kind::member;
    std::string name;       // of a member
    std::size_t index = 0;  // of an element
    std::size_t end = 0;    // the path's text up to here names what this step reaches
    bool operator==(const json_step&) const = default;
};

/** A path as written (`$.nodes[0].state`) and its steps; no step is `$` itself. */
struct json_path {
    std::string text;
    std::vector<json_step> steps;
    bool operator==(const json_path&) const = default;
};

/** `==`, `!=`, `>=`, `<=`, `>`, `<`. */
enum class json_op { equal, not_equal, at_least, at_most, greater, less };

/** What the value at a path must be: `op` against `value`, a scalar (a number for the orderings).
 */
struct json_expectation {
    json_op op = json_op::equal;
    json::value value;
    bool operator==(const json_expectation&) const = default;
};

/** One entry of `expect_json`. */
struct json_assertion {
    json_path path;
    json_expectation expect;
    bool operator==(const json_assertion&) const = default;
};

using json_assertions = std::vector<json_assertion>;

/**
 * Parses a path: `$`, then steps `.name`, `["name"]` (a JSON string), `[N]` (N >= 0), and a last
 * `.length`. nullopt when it is not one, with `why` in words that say where and what to write.
 */
std::optional<json_path> parse_json_path(std::string_view text, std::string& why);

/**
 * The expectation a YAML scalar states. A text that starts with an operator is a comparison with
 * the value after it (a number, `true`, `false`, `null`, a JSON string in double quotes, or else
 * the text itself). Any other text is equality: with a plain scalar (`plain`) to the value YAML's
 * core schema reads in it (a number, `true`, `null`, ... else the string), with a quoted one to the
 * string as written. nullopt when it is not one, with `why`.
 */
std::optional<json_expectation> parse_json_expectation(std::string_view text, bool plain,
                                                       std::string& why);

/** An expectation as its words, for messages: `"green"`, `>= 3`, `anything but "red"`. */
std::string describe(const json_expectation& e);

/**
 * Evaluates every assertion on `doc`: one message per failing one, in order, empty when all hold
 * (`expect_json $.status: expected "green", got "red"`). Each value shown has `secrets` replaced
 * before it is shortened, so that a cut never leaves part of one.
 */
std::vector<std::string> evaluate_json(const json_assertions& assertions, const json::value& doc,
                                       const std::vector<std::string>& secrets = {});

/**
 * Parses `text` (what: `body`, `stdout`) and evaluates the assertions on it; `cut`: the text
 * filled the 64 KiB that are read, so it is not the whole document. One message when the text
 * cannot be judged at all (cut, not JSON), else those of evaluate_json.
 */
std::vector<std::string> judge_json_text(const json_assertions& assertions, std::string_view text,
                                         std::string_view what, bool cut,
                                         const std::vector<std::string>& secrets = {});

/** Reads a check's `expect_json`, reporting each bad path or expectation at its place; empty when
 * absent or wrong. */
json_assertions read_expect_json(config_detail::check_keys& keys);

}  // namespace heartbeat
