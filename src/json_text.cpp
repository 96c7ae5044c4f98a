#include "heartbeat/json_text.hpp"

#include <cmath>

#include <fmt/format.h>

namespace heartbeat {

namespace {

/** Length of the valid UTF-8 sequence starting at `s[i]`, or 0 when it is not one. */
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80           ? 1
                      : (c >> 5) == 0x6  ? 2
                      : (c >> 4) == 0xe  ? 3
                      : (c >> 3) == 0x1e ? 4
                                         : 0;
    if (len == 0 || i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
    if (len == 2 && c < 0xc2) return 0;  // overlong
    if (len == 3) {
        auto c1 = static_cast<unsigned char>(s[i + 1]);
        if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0)) return 0;  // overlong, surrogate
    }
    if (len == 4) {
        auto c1 = static_cast<unsigned char>(s[i + 1]);
        if ((c == 0xf0 && c1 < 0x90) || c > 0xf4 || (c == 0xf4 && c1 >= 0x90)) return 0;
    }
    return len;
}

void write(std::string& out, const boost::json::value& v) {
    switch (v.kind()) {
        case boost::json::kind::null:
            out += "null";
            break;
        case boost::json::kind::bool_:
            out += v.get_bool() ? "true" : "false";
            break;
        case boost::json::kind::int64:
            out += fmt::format("{}", v.get_int64());
            break;
        case boost::json::kind::uint64:
            out += fmt::format("{}", v.get_uint64());
            break;
        case boost::json::kind::double_: {
            double d = v.get_double();
            if (!std::isfinite(d))
                out += "null";
            else if (d == std::floor(d) && std::fabs(d) < 1e15)
                out += fmt::format("{}", static_cast<long long>(d));
            else
                out += fmt::format("{}", d);
            break;
        }
        case boost::json::kind::string:
            append_json_string(out, v.get_string());
            break;
        case boost::json::kind::array: {
            out += '[';
            bool first = true;
            for (const auto& item : v.get_array()) {
                if (!first) out += ',';
                first = false;
                write(out, item);
            }
            out += ']';
            break;
        }
        case boost::json::kind::object: {
            out += '{';
            bool first = true;
            for (const auto& [k, item] : v.get_object()) {
                if (!first) out += ',';
                first = false;
                append_json_string(out, k);
                out += ':';
                write(out, item);
            }
            out += '}';
            break;
        }
    }
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = utf8_sequence(s, i);
        if (len == 0) {
            out += "\\ufffd";
            ++i;
            continue;
        }
        if (len > 1) {
            out.append(s.substr(i, len));
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            out += fmt::format("\\u{:04x}", c);
        } else {
            out += static_cast<char>(c);
        }
        i += len;
    }
    out += '"';
}

std::string to_json_text(const boost::json::value& v) {
    std::string out;
    write(out, v);
    return out;
}

}  // namespace heartbeat
