#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace heartbeat {

/** The one duration type of the configuration and the checks. */
using duration = std::chrono::nanoseconds;

/** Parses `250ms`, `1.5s`, `2m`, `1h` or a bare number of seconds; nullopt when malformed or
 * negative. */
std::optional<duration> parse_duration(std::string_view text);

/** Formats a duration the way the configuration spells it: `500ms`, `1s`, `1.5s`, `2m`. */
std::string format_duration(duration d);

/** Milliseconds as a double, for `duration_ms`. */
double to_ms(duration d);

}  // namespace heartbeat
