#pragma once

#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

#include "heartbeat/durations.hpp"

namespace heartbeat {

// The words of check messages, shared by the networking helpers and every check type.

/** A system's reason as the rest of a sentence: "permission denied"; an acronym ("PEM lib") is
 * kept as it is. */
std::string lowered(std::string reason);

/** An error's text as a sentence fragment: "connection refused". */
std::string describe(const boost::system::error_code& ec);

/** Bytes from a peer, safe to show in a message: control characters escaped, at most 80 shown. */
std::string printable(std::string_view bytes);

/** "timed out after 500ms " plus what it was doing. */
std::string timed_out_message(duration timeout, std::string_view doing);

}  // namespace heartbeat
