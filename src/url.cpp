#include "heartbeat/url.hpp"

#include <fmt/format.h>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <charconv>

namespace heartbeat {

namespace net = boost::asio;

namespace {

/** What is wrong with a URL, in words that follow its name ("has no host"); empty when nothing. */
using problem = std::string_view;

/** Takes `http://` or `https://` off `text`, noting which in `u`. */
problem take_scheme(std::string_view& text, url& u) {
    if (text.starts_with("http://")) {
        text.remove_prefix(7);
    } else if (text.starts_with("https://")) {
        u.tls = true;
        text.remove_prefix(8);
    } else {
        return "must start with http:// or https://";
    }
    return {};
}

/** The request target of what follows the authority: path and query, without the fragment. */
std::string target_of(std::string_view rest) {
    if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
    if (rest.empty()) rest = "/";
    // Appended, not `"/" + ...`: g++ 12 at -O3 warns falsely (-Wrestrict) about that concatenation.
    std::string target;
    if (rest.front() == '?') target.push_back('/');
    target.append(rest);
    return target;
}

/** Takes `user:password@` off the front of `authority` into `u`. */
void take_userinfo(std::string_view& authority, url& u) {
    auto at = authority.rfind('@');
    if (at == std::string_view::npos) return;
    u.has_userinfo = true;
    u.userinfo = std::string(authority.substr(0, at));
    authority.remove_prefix(at + 1);
}

/** Splits `host:port` or `[v6]:port` into `u.host` and the port's text (empty when none). */
problem take_host(std::string_view authority, url& u, std::string_view& port_text) {
    if (!authority.starts_with("[")) {
        auto colon = authority.rfind(':');
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            authority = authority.substr(0, colon);
        }
        u.host = std::string(authority);
        return {};
    }
    auto close = authority.find(']');
    if (close == std::string_view::npos) return "has an unclosed '[' in its host";
    u.host = std::string(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (after.empty()) return {};
    if (after.front() != ':') return "has junk after its IPv6 host";
    port_text = after.substr(1);
    return {};
}

/** A host that is one name or address: no space, slash or control character. */
problem check_host(const std::string& host, bool bracketed) {
    if (host.empty()) return "has no host";
    for (char c : host) {
        // Brackets belong around an IPv6 host, never inside one; a colon only inside them.
        if (c == ' ' || c == '/' || c == '\\' || c == '[' || c == ']' || (c == ':' && !bracketed) ||
            static_cast<unsigned char>(c) < 0x21)
            return "has a malformed host";
    }
    return {};
}

/** Sets `u.port` from its text, or to the scheme's port when there is none. */
problem take_port(std::string_view text, url& u) {
    u.port = u.tls ? 443 : 80;
    if (text.empty()) return {};
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    bool number = text.find_first_not_of("0123456789", text[0] == '-' ? 1 : 0) ==
                      std::string_view::npos &&
                  text != "-";
    if (!number) return "has a port that is not a number";
    if (ec != std::errc{} || end != text.data() + text.size() || value < 1 || value > 65535)
        return "has a port outside 1-65535";
    u.port = static_cast<std::uint16_t>(value);
    return {};
}

/** The target goes into the request line as it is: no space or control character in it. */
problem check_target(const std::string& target) {
    for (char c : target)
        if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f)
            return "has a space or control character in its path";
    return {};
}

/** Fills `u` from the text after the scheme: authority, then path and query. */
problem take_rest(std::string_view text, url& u) {
    auto path_start = text.find_first_of("/?#");
    std::string_view authority = text.substr(0, path_start);
    u.target = target_of(path_start == std::string_view::npos ? "" : text.substr(path_start));
    take_userinfo(authority, u);
    std::string_view port_text;
    if (auto p = take_host(authority, u, port_text); !p.empty()) return p;
    if (auto p = check_host(u.host, authority.starts_with("[")); !p.empty()) return p;
    if (auto p = take_port(port_text, u); !p.empty()) return p;
    return check_target(u.target);
}

}  // namespace

std::string url::redacted() const {
    bool v6 = host.find(':') != std::string::npos;
    return fmt::format("{}://{}{}{}:{}{}", tls ? "https" : "http", v6 ? "[" : "", host,
                       v6 ? "]" : "", port, target);
}

std::optional<url> parse_url(std::string_view text, std::string* error) {
    url u;
    problem p = take_scheme(text, u);
    if (p.empty()) p = take_rest(text, u);
    if (p.empty()) return u;
    if (error) *error = std::string(p);
    return std::nullopt;
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
