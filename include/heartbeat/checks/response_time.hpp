#pragma once
// `max_duration`, the response-time assertion that the check types which talk to a server share
// (http, tcp, grpc, postgres): a run that succeeds but takes longer fails.

#include <optional>
#include <string>

#include "heartbeat/durations.hpp"

namespace heartbeat {

namespace config_detail {
struct check_keys;  // heartbeat/config_checks.hpp
}

/** Reads `max_duration` from a check's keys, reporting a bad one; nullopt when absent or bad. */
std::optional<duration> read_max_duration(config_detail::check_keys& keys);

/** The failure of an attempt that succeeded, but in `took`, longer than `allowed`:
 * `slow: took 812ms, allowed 500ms` (`took` rounded up to the millisecond). */
std::string slow_message(duration took, duration allowed);

}  // namespace heartbeat
