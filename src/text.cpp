#include "heartbeat/text.hpp"

#include <cctype>

#include <fmt/format.h>

namespace heartbeat {

std::string lowered(std::string reason) {
    // "Connection refused" becomes "connection refused"; an acronym ("PEM lib") stays as it is.
    bool acronym = reason.size() > 1 && std::isupper(static_cast<unsigned char>(reason[1]));
    if (!reason.empty() && !acronym)
        reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
    return reason;
}

std::string describe(const boost::system::error_code& ec) {
    return lowered(ec.message());
}

std::string printable(std::string_view bytes) {
    std::string out;
    for (unsigned char c : bytes.substr(0, 80)) {
        if (c == '\r')
            out += "\\r";
        else if (c == '\n')
            out += "\\n";
        else if (c < 0x20 || c >= 0x7f)
            out += fmt::format("\\x{:02x}", c);
        else
            out += static_cast<char>(c);
    }
    if (bytes.size() > 80) out += "...";
    return out;
}

std::string timed_out_message(duration timeout, std::string_view doing) {
    return fmt::format("timed out after {} {}", format_duration(timeout), doing);
}

}  // namespace heartbeat
