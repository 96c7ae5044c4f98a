#include "heartbeat/checks/response_time.hpp"

#include <fmt/format.h>

#include "heartbeat/config_checks.hpp"

namespace heartbeat {

std::optional<duration> read_max_duration(config_detail::check_keys& keys) {
    auto v = keys.optional("max_duration");
    if (!v) return std::nullopt;
    return keys.reader.duration_value(*v, "max_duration", false);
}

std::string slow_message(duration took, duration allowed) {
    // Rounded up: an attempt 0.4 ms over a 500ms bound must not read "took 500ms, allowed 500ms".
    auto shown = std::chrono::ceil<std::chrono::milliseconds>(took);
    return fmt::format("slow: took {}, allowed {}", format_duration(shown), format_duration(allowed));
}

}  // namespace heartbeat
