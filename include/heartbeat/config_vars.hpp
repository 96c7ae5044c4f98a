#pragma once
// Variables in a config's values: `${NAME}`, `${NAME:-default}` and `$$`, replaced from the
// environment in one pass over the parsed tree, before any key is read. Values that came from the
// environment are secrets: the record of the pass lets the loader keep them out of its messages
// and out of the checks' results.

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "heartbeat/config.hpp"

namespace heartbeat {

namespace config_detail {
class config_reader;
}

/** Looks a variable up: its value, or nullopt when it is not set. */
using variable_lookup = std::function<std::optional<std::string>(std::string_view name)>;

/** The process environment, read at each call (so each load sees the environment of that moment).
 */
std::optional<std::string> environment_variable(std::string_view name);

/** One scalar after expansion. */
struct expanded_text {
    std::string value;
    /** The values that came from the environment (defaults written in the file are not secret). */
    std::vector<std::pair<std::string, std::string>> from_environment;  // name, value
    /** Set when the text cannot be expanded: what is wrong, in words (never a variable's value). */
    std::optional<std::string> error;
    bool changed = false;  // the text held a `${` or a `$$`
};

/** Expands one scalar's text. Never throws. */
expanded_text expand_text(std::string_view text, const variable_lookup& lookup);

/** What the pass over one tree did: enough to keep environment values out of what is shown. */
struct variable_record {
    struct scalar {
        std::string written;               // the text as written in the file
        std::string value;                 // after expansion
        std::vector<std::string> secrets;  // environment values in `value`
        std::vector<std::string> names;    // the variable that gave each of `secrets`
    };
    std::map<std::size_t, scalar>
        by_position;                       // expanded scalars from the environment, by mark.pos
    std::set<std::pair<int, int>> failed;  // (line, column), 1-based, of scalars not expanded
    std::set<std::size_t> expanded;        // every scalar that held a variable, by mark.pos

    /** Every environment value used, longest first. */
    std::vector<std::string> secrets() const;
    /** The environment values used by the scalars under `n`. */
    std::vector<std::string> secrets_within(const YAML::Node& n) const;
    /** `message` with each value from the environment replaced by the text as written: the
     * whole value where quoted, else the variable (`${NAME}`). */
    std::string hide(std::string message) const;
};

/**
 * Replaces the variables in every scalar value of `root` (not in keys), reporting each scalar that
 * cannot be expanded at its place. A check's `name` and `type`, and the `environ` section, are
 * shown in answers as written: variables there are refused.
 */
void expand_variables(config_detail::config_reader& r, YAML::Node root,
                      const variable_lookup& lookup, variable_record& record);

/**
 * The one way a config file's text becomes a tree: parsed, then its variables expanded from the
 * environment. Throws what `YAML::Load` throws.
 */
YAML::Node load_tree(std::string_view text, config_detail::config_reader& r,
                     variable_record& record);

/**
 * After a load (`from`: the first diagnostic the loader added after the expansion): diagnostics
 * quote the text as written where a value came from the environment, a scalar that could not be
 * expanded has only its own message, and each check (and the config) knows the environment values
 * it uses.
 */
void apply_variable_record(const variable_record& record, const YAML::Node& root,
                           std::vector<diagnostic>& diags, std::size_t from, config* cfg);

}  // namespace heartbeat
