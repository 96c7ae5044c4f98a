#pragma once

#include "heartbeat/cli.hpp"

namespace heartbeat {

/** `heartbeatd serve`: runs until SIGTERM/SIGINT; the exit code. */
int run_serve(const cli_options& options);
/** `heartbeatd validate`: prints every problem or `ok: N checks`; the exit code. */
int run_validate(const cli_options& options);
/** `heartbeatd check`: runs one probe's checks once and prints the answer; the exit code. */
int run_check_once(const cli_options& options);
/** `heartbeatd probe`: GETs a URL; 0 on 200-399, else 1. */
int run_probe(const cli_options& options);

/** True when this kernel has IPv6: a daemon on `[::]` then listens on IPv6 (and IPv4) and `[::1]`
 * reaches it; without, the daemon falls back to `0.0.0.0`, reached at `127.0.0.1`. */
bool ipv6_loopback_works();

}  // namespace heartbeat
