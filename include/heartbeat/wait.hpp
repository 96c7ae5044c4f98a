#pragma once
// `heartbeatd wait`: runs one probe's checks as `serve` would, without a listener, until all of
// them pass at once (an init container that waits for its dependencies), or until a timeout.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "heartbeat/check_status.hpp"
#include "heartbeat/cli.hpp"

namespace heartbeat {

/** The exit codes of `heartbeatd wait`; a signal N that stops it gives 128 + N, as a shell shows.
 */
namespace wait_exit {
inline constexpr int passed = 0;
inline constexpr int timed_out = 1;
inline constexpr int bad_config = 2;
}  // namespace wait_exit

/** How long `heartbeatd wait` waits without `--timeout`. */
inline constexpr duration default_wait_timeout = std::chrono::minutes(5);

/**
 * What `wait` knows of the checks it waits for, apart from any I/O: which of them pass now, and
 * the progress line each change of a check's reported state prints.
 */
class wait_board {
  public:
    explicit wait_board(std::vector<std::string> names);

    /** Takes a change of check `name`'s reported state; the line to print, e.g.
     * `wait: db passing (2/3)` or `wait: db failing (1/3): connection refused`. */
    std::string change(const std::string& name, bool ok, std::string_view message);
    /** True once every check passes. */
    bool done() const { return passing() == total(); }
    std::size_t passing() const;
    std::size_t total() const { return items_.size(); }

  private:
    struct item {
        std::string name;
        bool ok = false;
    };
    std::vector<item> items_;
};

/** The lines `wait` prints at its timeout: a summary, then each check not passing and why. */
std::vector<std::string> timeout_report(const status_list& checks, std::string_view probe_name,
                                        duration waited);

/**
 * Why `wait` cannot wait for these checks (a push check: `wait` opens no listener, so no report
 * would ever come), or "".
 */
std::string cannot_wait_for(const std::vector<check_config>& checks, std::string_view probe_name);

/** The enabled checks of probe `p`, as `wait` runs them: an on-demand one (interval 0) every
 * second, as often as a request could make it run. */
std::vector<check_config> checks_to_wait_for(const config& cfg, probe p);

/** `heartbeatd wait`: the exit code (wait_exit, or 128 + a signal). */
int run_wait(const cli_options& options);

}  // namespace heartbeat
