#pragma once
// One entry of `checks:` (src/config_checks.cpp): the keys every check has, then the keys of its
// type, read by that type's unit (src/checks/<type>/unit.cpp) found in the registry of check types.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "heartbeat/config.hpp"
#include "heartbeat/config_reader.hpp"

namespace heartbeat::config_detail {

/** `defaults:`, what a check takes when it does not set its own. */
struct check_defaults {
    duration timeout = std::chrono::seconds(1);
    duration interval = std::chrono::seconds(10);
    std::optional<duration> interval_failing;  // none: each check's interval
    int failure_threshold = 1;
    int success_threshold = 1;
};

/** The keys of one check as its mapping gave them, for its type's reader. */
struct check_keys {
    config_reader& reader;
    const YAML::Node& check;  // the check's mapping: a missing key is reported at its start
    std::string label;        // "check 'db'", or "a check" without a valid name
    std::string_view type;
    std::map<std::string, YAML::Node> values;

    /** The key's value; reports it missing when absent. */
    const YAML::Node* required(std::string_view key);
    /** The key's value, or nullptr when absent. */
    const YAML::Node* optional(std::string_view key) const;
};

/** One item of `checks:`, or nullopt when it has an error (each reported to `reader`). */
std::optional<check_config> read_check(config_reader& reader, const YAML::Node& n,
                                       const check_defaults& d);

}  // namespace heartbeat::config_detail
