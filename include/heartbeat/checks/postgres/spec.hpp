#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "heartbeat/durations.hpp"

namespace heartbeat {

struct check_unit;  // heartbeat/checks/unit.hpp

/** `type: postgres` — is the server accepting connections, as `pg_isready` judges it. */
struct postgres_spec {
    std::string host;
    std::uint16_t port = 5432;
    std::optional<std::string> dbname;
    std::optional<std::string> user;
    std::optional<std::string> password;  // `password_file`'s content: never shown

    std::optional<duration> max_duration{};  // a slower successful attempt fails

    /** Everything the generic code knows of the type (src/checks/postgres/unit.cpp). */
    static const check_unit& unit();
};

}  // namespace heartbeat
