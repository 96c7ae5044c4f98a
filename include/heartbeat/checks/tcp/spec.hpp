#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "heartbeat/checks/tls_keys.hpp"

namespace heartbeat {

struct check_unit;  // heartbeat/checks/unit.hpp

/** `type: tcp` — a TCP connect, optionally TLS on it, a send and an expected reply. */
struct tcp_spec {
    std::string host;
    std::uint16_t port = 0;
    std::optional<std::string> send;
    std::optional<std::string> expect;
    // With initialisers, so that `tcp_spec{host, port, send, expect}` stays complete.
    bool use_tls = false;                         // `tls: true`: a handshake after connecting
    tls_keys tls{};                               // with use_tls only
    std::optional<duration> min_cert_validity{};  // with use_tls only

    std::optional<duration> max_duration{};  // a slower successful attempt fails

    /** Everything the generic code knows of the type (src/checks/tcp/unit.cpp). */
    static const check_unit& unit();
};

}  // namespace heartbeat
