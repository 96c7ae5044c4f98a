#pragma once
// A push check's results, apart from any socket or timer: a report's body turned into a result,
// and the result of a report that did not come in time.

#include <string>
#include <string_view>
#include <variant>

#include "heartbeat/check.hpp"

namespace heartbeat {

/** The largest report body taken, in bytes. */
constexpr std::size_t max_report_size = 16 * 1024;

/** Why a report body was refused, in words for the application's developer. */
struct report_refusal {
    std::string message;
};

/**
 * A report's body, `{"status": bool, "message": "...", ...data}`, as the result of a run: `ok` is
 * `status`; `message` is the message, else `ok` or `reported failing`; every other key goes to
 * `data`. The elapsed time is 0: nothing ran.
 */
std::variant<check_result, report_refusal> parse_report(std::string_view body);

/** The result recorded when no report came within `ttl`: `no report for 30s`. */
check_result missed_report(duration ttl);

}  // namespace heartbeat
