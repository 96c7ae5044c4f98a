#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace heartbeat {

struct check_unit;  // heartbeat/checks/unit.hpp

/** The record types a dns check asks for. */
enum class dns_record { a, aaaa, cname, srv, txt, mx };

/** `type: dns` — one DNS question, its answers optionally held to `expect`. */
struct dns_spec {
    /** `server: host[:port]`: a name there is resolved first, as tcp and http resolve theirs. */
    struct server_address {
        std::string host;  // a name or an address, IPv6 without brackets
        std::uint16_t port = 53;
        bool operator==(const server_address&) const = default;
    };

    std::string query;
    dns_record record = dns_record::a;
    std::optional<server_address> server;  // none: the system's (resolv.conf)
    std::vector<std::string> expect;       // as written, each checked against `record` at load

    /** Everything the generic code knows of the type (src/checks/dns/unit.cpp). */
    static const check_unit& unit();
};

}  // namespace heartbeat
