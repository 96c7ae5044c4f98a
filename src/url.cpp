#include "heartbeat/url.hpp"

#include <fmt/format.h>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <charconv>

namespace heartbeat {

namespace net = boost::asio;

namespace {
bool fail(std::string* error, std::string message) {
    if (error) *error = std::move(message);
    return false;
}
}  // namespace

std::string url::redacted() const {
    bool v6 = host.find(':') != std::string::npos;
    return fmt::format("{}://{}{}{}:{}{}", tls ? "https" : "http", v6 ? "[" : "", host,
                       v6 ? "]" : "", port, target);
}

std::optional<url> parse_url(std::string_view text, std::string* error) {
    url u;
    if (text.starts_with("http://")) {
        text.remove_prefix(7);
    } else if (text.starts_with("https://")) {
        u.tls = true;
        text.remove_prefix(8);
    } else {
        fail(error, "must start with http:// or https://");
        return std::nullopt;
    }
    auto path_start = text.find_first_of("/?#");
    std::string_view authority = text.substr(0, path_start);
    std::string_view rest = path_start == std::string_view::npos ? "" : text.substr(path_start);
    if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
    if (rest.empty()) rest = "/";
    // Appended, not `"/" + ...`: g++ 12 at -O3 warns falsely (-Wrestrict) about that concatenation.
    u.target.clear();
    if (rest.front() == '?') u.target.push_back('/');
    u.target.append(rest);

    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
        u.has_userinfo = true;
        u.userinfo = std::string(authority.substr(0, at));
        authority.remove_prefix(at + 1);
    }
    std::string_view port_text;
    if (authority.starts_with("[")) {
        auto close = authority.find(']');
        if (close == std::string_view::npos) {
            fail(error, "has an unclosed '[' in its host");
            return std::nullopt;
        }
        u.host = std::string(authority.substr(1, close - 1));
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                fail(error, "has junk after its IPv6 host");
                return std::nullopt;
            }
            port_text = after.substr(1);
        }
    } else {
        auto colon = authority.rfind(':');
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            authority = authority.substr(0, colon);
        }
        u.host = std::string(authority);
    }
    if (u.host.empty()) {
        fail(error, "has no host");
        return std::nullopt;
    }
    bool bracketed = authority.starts_with("[");
    for (char c : u.host) {
        // Brackets belong around an IPv6 host, never inside one; a colon only inside them.
        if (c == ' ' || c == '/' || c == '\\' || c == '[' || c == ']' || (c == ':' && !bracketed) ||
            static_cast<unsigned char>(c) < 0x21) {
            fail(error, "has a malformed host");
            return std::nullopt;
        }
    }
    u.port = u.tls ? 443 : 80;
    if (!port_text.empty()) {
        unsigned value = 0;
        auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || value < 1 ||
            value > 65535) {
            fail(error, "has a port outside 1-65535");
            return std::nullopt;
        }
        u.port = static_cast<std::uint16_t>(value);
    }
    for (char c : u.target) {
        if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f) {
            fail(error, "has a space or control character in its path");
            return std::nullopt;
        }
    }
    return u;
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (plus_is_space && s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() &&
                   std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
                   std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string local_url(std::string_view host, std::uint16_t port, std::string_view path, bool ipv6) {
    if (host.starts_with("[") && host.ends_with("]")) host = host.substr(1, host.size() - 2);
    boost::system::error_code ec;
    auto address = host.empty() ? net::ip::address() : net::ip::make_address(host, ec);
    std::string where(host);
    if (!ec && address.is_unspecified())
        where = address.is_v6() && ipv6 ? "[::1]" : "127.0.0.1";
    else if (!ec && address.is_v6())
        where = fmt::format("[{}]", host);
    return fmt::format("http://{}:{}{}", where, port, path);
}

bool is_loopback_host(std::string_view host) {
    if (host.starts_with("[") && host.ends_with("]")) host = host.substr(1, host.size() - 2);
    return host == "localhost" || host.ends_with(".localhost") || host.starts_with("127.") ||
           host == "::1" || host == "0:0:0:0:0:0:0:1";
}

std::string basic_credentials(std::string_view userinfo) {
    namespace b64 = boost::beast::detail::base64;
    std::string plain = percent_decode(userinfo);
    std::string encoded(b64::encoded_size(plain.size()), '\0');
    encoded.resize(b64::encode(encoded.data(), plain.data(), plain.size()));
    return encoded;
}

}  // namespace heartbeat
