#pragma once

#include <string>
#include <vector>

#include "heartbeat/config.hpp"

namespace heartbeat {

/** How the enabled checks of two configs differ, by name, each list in the new (or old) order. */
struct check_changes {
    std::vector<std::string> added;
    std::vector<std::string> removed;
    std::vector<std::string> changed;
    std::vector<std::string> unchanged;

    /** "2 added, 1 removed, 1 changed, 5 unchanged". */
    std::string summary() const;
};

/** What a reload does, decided from the two configs alone. */
struct reload_plan {
    /** The config in force once the reload is applied: the new one, but for the server fields
     * that wait for a restart, which keep their running values. */
    config next;
    check_changes checks;
    /** The server keys that changed and take effect only at the next start, e.g. "listen". */
    std::vector<std::string> wait_for_restart;
    /** Whether the `environ:` section changed. */
    bool environ_changed = false;
    /** The enabled checks of `next`. */
    std::size_t enabled = 0;
};

/** Compares the enabled checks of `before` and `after`. */
check_changes compare_checks(const std::vector<check_config>& before,
                             const std::vector<check_config>& after);

/**
 * Plans a reload from the running config to a newly loaded one: the checks, environ and
 * base_path, metrics_path, shutdown_delay and push_token_file apply now; listen, max_connections
 * and push_listen at the next start. Does no I/O.
 */
reload_plan plan_reload(const config& before, const config& after);

/** The enabled checks among `c`'s. */
std::size_t enabled_count(const config& c);

}  // namespace heartbeat
