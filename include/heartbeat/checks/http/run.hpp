#pragma once

#include "heartbeat/check.hpp"

namespace heartbeat {

/** One HTTP(S) request, redirects not followed, body capped; all before `deadline`. */
net::awaitable<check_result> run_http(http_spec spec, duration timeout,
                                      steady_clock::time_point deadline);

/** What one HTTP exchange received: what `judge_http` judges, apart from I/O. */
struct http_exchange {
    int status = 0;
    std::string body;        // at most the first 64 KiB
    bool truncated = false;  // the body filled the 64 KiB: whatever followed was not read
};

/**
 * The verdict on a response: its status is one of `expect_status` (200-399 when none) and its body
 * contains `expect_body`; the message names the method and the URL without its user-info.
 */
check_result judge_http(const http_spec& spec, const http_exchange& got);

/**
 * Builds the TLS context of every https check of `cfg` now, reading its CA file: blocking, so a
 * loader calls it off the I/O thread, and no run reads certificates. A context that cannot be made
 * is tried again at the check's next run, which reports why.
 */
void build_tls_contexts(const config& cfg);

}  // namespace heartbeat
