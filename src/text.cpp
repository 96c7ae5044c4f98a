#include "heartbeat/text.hpp"

#include <cctype>

#include <fmt/format.h>

namespace heartbeat {

std::string describe(const boost::system::error_code& ec) {
    std::string text = ec.message();
    if (!text.empty())
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
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
