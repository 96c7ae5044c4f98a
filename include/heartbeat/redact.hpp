#pragma once

#include <string>
#include <vector>

#include "heartbeat/check.hpp"

namespace heartbeat {

/**
 * The values of a check's config that must never be shown, as its type names them (an http
 * check's header values and URL user-info, say), longest first.
 */
std::vector<std::string> secret_values(const check_config& c);

/** Values shorter than this are never secrets: they cannot be told apart from ordinary text. */
constexpr std::size_t min_secret_size = 4;

/** Adds `value` to `out` unless it is too short to be told apart from ordinary text. */
void add_secret(std::vector<std::string>& out, std::string value);

/** `text` with every occurrence of each secret replaced by `[redacted]`. */
std::string redact(std::string text, const std::vector<std::string>& secrets);

/** What a peer sent, as printable() shows it, with the secrets taken out first: printable cuts
 * the text short, and a secret cut in two would no longer be found whole. */
std::string printable_redacted(std::string_view bytes, const std::vector<std::string>& secrets);

/** The same for a result: its message and every string in its facts and data (keys included). */
void redact(check_result& r, const std::vector<std::string>& secrets);

}  // namespace heartbeat
