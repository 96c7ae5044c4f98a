#include "heartbeat/durations.hpp"

#include <fmt/format.h>
#include <charconv>
#include <cmath>

namespace heartbeat {

std::optional<duration> parse_duration(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    if (text.empty()) return std::nullopt;

    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end == text.data()) return std::nullopt;
    std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));

    double seconds_per_unit = 0;
    if (unit.empty() || unit == "s")
        seconds_per_unit = 1;
    else if (unit == "ms")
        seconds_per_unit = 1e-3;
    else if (unit == "m")
        seconds_per_unit = 60;
    else if (unit == "h")
        seconds_per_unit = 3600;
    else if (unit == "d")
        seconds_per_unit = 24 * 3600;
    else
        return std::nullopt;

    double ns = value * seconds_per_unit * 1e9;
    // Negative, NaN and anything past a year is a typo, not a probe setting.
    if (!std::isfinite(ns) || ns < 0 || ns > 366.0 * 24 * 3600 * 1e9) return std::nullopt;
    return duration(static_cast<std::int64_t>(std::llround(ns)));
}

std::string format_duration(duration d) {
    using namespace std::chrono;
    auto ns = d.count();
    if (ns == 0) return "0s";
    if (ns % duration_cast<nanoseconds>(days(1)).count() == 0)
        return fmt::format("{}d", ns / 86'400'000'000'000LL);
    if (ns % duration_cast<nanoseconds>(hours(1)).count() == 0)
        return fmt::format("{}h", ns / 3'600'000'000'000LL);
    if (ns % duration_cast<nanoseconds>(minutes(1)).count() == 0)
        return fmt::format("{}m", ns / 60'000'000'000LL);
    if (ns >= 1'000'000'000LL) return fmt::format("{:g}s", static_cast<double>(ns) / 1e9);
    return fmt::format("{:g}ms", static_cast<double>(ns) / 1e6);
}

std::string format_span(std::chrono::seconds span) {
    auto left = span.count() < 0 ? -span.count() : span.count();
    struct unit {
        long long seconds;
        char name;
    };
    static constexpr unit units[] = {{86'400, 'd'}, {3'600, 'h'}, {60, 'm'}, {1, 's'}};
    std::string out;
    int shown = 0;
    for (const auto& u : units) {
        long long n = left / u.seconds;
        // The two largest units from the first that is not zero: "1d 23h", "5m 0s".
        if (shown == 0 && n == 0 && u.seconds > 1) continue;
        out += fmt::format("{}{}{}", shown ? " " : "", n, u.name);
        left -= n * u.seconds;
        if (++shown == 2) break;
    }
    return out;
}

double to_ms(duration d) {
    // Rounded to 0.1 ms: finer digits are noise to a reader and churn in every answer.
    return std::round(static_cast<double>(d.count()) / 1e5) / 10.0;
}

}  // namespace heartbeat
