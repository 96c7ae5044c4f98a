#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "heartbeat/environ/pep440.hpp"

namespace heartbeat::pep508 {

/** The values markers are evaluated against (`python_version`, `sys_platform`, `extra`, ...). */
using environment = std::map<std::string, std::string>;

/** A parsed marker expression; evaluates to true or false in an environment. */
class marker {
  public:
    virtual ~marker() = default;
    virtual bool evaluate(const environment& env) const = 0;
};

/** One dependency line: `name[extras] (specifiers) ; marker` or `name @ url ; marker`. */
struct requirement {
    std::string name;
    std::vector<std::string> extras;
    std::vector<pep440::specifier> specifiers;
    std::optional<std::string> url;
    std::shared_ptr<const marker> when;  // null: always

    /** True when the marker holds (or there is none). */
    bool applies(const environment& env) const { return !when || when->evaluate(env); }
    /** As `pip check` prints it: `urllib3<3,>=1.21.1`, `pkg[extra]>=1`. */
    std::string to_string() const;
};

/** Parses a requirement; nullopt (with `error` set) when malformed. */
std::optional<requirement> parse_requirement(std::string_view text, std::string* error = nullptr);

/** Parses a marker expression alone (what follows `;`). */
std::shared_ptr<const marker> parse_marker(std::string_view text, std::string* error = nullptr);

/** The marker environment of a CPython `python` ([major, minor, micro]) on this machine, with
 * `extra` empty. */
environment environment_for(const std::vector<int>& python);

}  // namespace heartbeat::pep508
