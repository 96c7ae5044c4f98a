#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace heartbeat {

/** An `http://` or `https://` URL taken apart. */
struct url {
    bool tls = false;
    std::string host;          // without brackets for IPv6
    std::uint16_t port = 0;    // explicit, or 80/443
    std::string target = "/";  // path and query
    bool has_userinfo = false;
    std::string userinfo;  // never shown anywhere; sent as Basic auth

    /** `scheme://host:port/path` without user-info: safe to show. */
    std::string redacted() const;
};

/** Parses an http(s) URL; nullopt with `error` set when it is not one. */
std::optional<url> parse_url(std::string_view text, std::string* error = nullptr);

/** Decodes `%XX` escapes (and, with `plus_is_space`, `+` as a space, as in a query string). */
std::string percent_decode(std::string_view text, bool plus_is_space = false);

/** The `Authorization: Basic` credentials of a URL's user-info: base64 of it, percent-decoded. */
std::string basic_credentials(std::string_view userinfo);

/**
 * The URL at which a daemon listening on `host`:`port` answers `path` (`/readiness`, ...), asked
 * from the same machine. A wildcard host (`0.0.0.0`, `::`, empty) becomes the loopback address of
 * its family: `::` becomes `[::1]` when `ipv6` (the kernel has IPv6), else `127.0.0.1`, as the
 * daemon then listens on `0.0.0.0`.
 */
std::string local_url(std::string_view host, std::uint16_t port, std::string_view path, bool ipv6);

/** True for `localhost`, 127.0.0.0/8 and ::1: the places a liveliness check may reach. */
bool is_loopback_host(std::string_view host);

}  // namespace heartbeat
