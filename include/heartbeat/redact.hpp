#pragma once

#include <string>
#include <vector>

#include "heartbeat/check.hpp"

namespace heartbeat {

/**
 * The values of a check's config that must never be shown: header values and URL user-info (as
 * written, decoded, each of its parts, and as the Basic credentials sent). Values shorter than
 * `min_secret_size` are left out: they cannot be told apart from ordinary text.
 */
std::vector<std::string> secret_values(const check_config& c);

constexpr std::size_t min_secret_size = 4;

/** `text` with every occurrence of each secret replaced by `[redacted]`. */
std::string redact(std::string text, const std::vector<std::string>& secrets);

/** The same for a result: its message and every string in its facts and data (keys included). */
void redact(check_result& r, const std::vector<std::string>& secrets);

}  // namespace heartbeat
