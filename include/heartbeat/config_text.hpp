#pragma once
// Words for config diagnostics: values quoted safely, and the closest known word to a misspelt one.

#include <string>
#include <string_view>
#include <vector>

namespace heartbeat::config_detail {

/** `s` cut to a readable length, its control characters written as escapes. */
std::string shorten(std::string_view s);

/** " (did you mean 'x'?)" when one of `candidates` is close to `word`, else "". */
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace heartbeat::config_detail
