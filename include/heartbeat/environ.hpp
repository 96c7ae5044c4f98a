#pragma once

#include <string>

#include "heartbeat/probes.hpp"

namespace heartbeat {

/** The `environ` answer: the application's environment, the daemon's own, allowed variables, environ checks. */
class environ_reporter {
public:
    explicit environ_reporter(environ_config cfg);

    /** Takes a new `environ:` section (on reload). */
    void configure(environ_config cfg);

    /** The body of `{base}/environ`; its checks are those with `environ` in their probes. */
    probe_answer render(const std::vector<entry_ptr>& checks, const moment& at) const;

    /** `{"version": ..., "uptime_s": ..., "libraries": {...}}` of heartbeatd itself. */
    json::object self(const moment& at) const;

private:
    environ_config cfg_;
    steady_clock::time_point started_;
};

}  // namespace heartbeat
