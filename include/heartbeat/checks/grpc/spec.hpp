#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "heartbeat/checks/tls_keys.hpp"
#include "heartbeat/durations.hpp"

namespace heartbeat {

struct check_unit;  // heartbeat/checks/unit.hpp

/** `type: grpc` — the standard `grpc.health.v1.Health/Check` call over HTTP/2. */
struct grpc_spec {
    std::string host;
    std::uint16_t port = 0;
    std::string service;  // "" asks for the server's overall health
    bool tls = false;
    tls_keys tls_options;                       // used only with `tls: true`
    std::optional<duration> min_cert_validity;  // only with `tls: true`
    std::optional<std::string> token;           // `token_file`'s content: never shown

    std::optional<duration> max_duration{};  // a slower successful attempt fails

    /** Everything the generic code knows of the type (src/checks/grpc/unit.cpp). */
    static const check_unit& unit();
};

}  // namespace heartbeat
