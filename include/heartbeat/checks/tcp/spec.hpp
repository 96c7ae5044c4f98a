#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace heartbeat {

struct check_unit;  // heartbeat/checks/unit.hpp

/** `type: tcp` — a TCP connect, optionally a send and an expected reply. */
struct tcp_spec {
    std::string host;
    std::uint16_t port = 0;
    std::optional<std::string> send;
    std::optional<std::string> expect;

    /** Everything the generic code knows of the type (src/checks/tcp/unit.cpp). */
    static const check_unit& unit();
};

}  // namespace heartbeat
