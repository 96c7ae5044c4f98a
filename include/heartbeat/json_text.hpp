#pragma once

#include <string>

#include <boost/json/value.hpp>

namespace heartbeat {

/**
 * Serializes JSON for people as well as programs: numbers in their shortest plain form (`0.4`,
 * not `4E-1`), and any byte sequence that is not valid UTF-8 (a command's output) replaced by
 * U+FFFD.
 */
std::string to_json_text(const boost::json::value& v);

/** Appends `s` as a JSON string literal, quotes included. */
void append_json_string(std::string& out, std::string_view s);

}  // namespace heartbeat
