#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace heartbeat {

/** The one duration type of the configuration and the checks. */
using duration = std::chrono::nanoseconds;

/** Parses `250ms`, `1.5s`, `2m`, `1h`, `14d` or a bare number of seconds; nullopt when malformed,
 * negative or longer than 366 days. */
std::optional<duration> parse_duration(std::string_view text);

/** Formats a duration the way the configuration spells it: `500ms`, `1s`, `1.5s`, `2m`, `14d`. */
std::string format_duration(duration d);

/**
 * A long span as a person reads it, in its two largest units, cut down: `1d 23h`, `5h 0m`, `42s`.
 * A negative span is shown by its size (the caller says "ago"). Seconds, not `duration`: a
 * certificate may be valid for longer than nanoseconds can count.
 */
std::string format_span(std::chrono::seconds span);

/** Milliseconds as a double, for `duration_ms`. */
double to_ms(duration d);

}  // namespace heartbeat
