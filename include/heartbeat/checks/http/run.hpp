#pragma once

#include "heartbeat/check.hpp"

namespace heartbeat {

/** One HTTP(S) request, redirects not followed, body capped; all before `deadline`. */
net::awaitable<check_result> run_http(http_spec spec, duration timeout,
                                      steady_clock::time_point deadline,
                                      std::vector<std::string> secrets = {});

/** What one HTTP exchange received: what `judge_http` judges, apart from I/O. */
struct http_exchange {
    int status = 0;
    std::string body;        // at most the first 64 KiB
    bool truncated = false;  // the body filled the 64 KiB: whatever followed was not read
    // With an initialiser, so that `http_exchange{status, body, truncated}` stays complete.
    std::vector<std::pair<std::string, std::string>> headers{};  // as received, in order
};

/**
 * The verdict on a response: its status is one of `expect_status` (200-399 when none) and its body
 * contains `expect_body`, matches `expect_body_regex` and has the `expect_headers`; the message
 * names the method and the URL without its user-info, and what was received with `secrets` (the
 * check's own and those of its variables) taken out before it is cut short.
 */
check_result judge_http(const http_spec& spec, const http_exchange& got,
                        const std::vector<std::string>& secrets = {});

}  // namespace heartbeat
