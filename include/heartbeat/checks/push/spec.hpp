#pragma once

#include "heartbeat/durations.hpp"

namespace heartbeat {

struct check_unit;    // heartbeat/checks/unit.hpp
struct check_config;  // heartbeat/config.hpp

/** `type: push` — the application reports the check's result; heartbeatd never runs it. */
struct push_spec {
    duration ttl{0};  // a report must come at least this often, else the check fails

    /** Everything the generic code knows of the type (src/checks/push/unit.cpp). */
    static const check_unit& unit();
};

/** The push keys of `c`, or null when it is not a push check: its results come from reports. */
const push_spec* as_push(const check_config& c);

}  // namespace heartbeat
