#pragma once

#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "heartbeat/asio.hpp"
#include "heartbeat/durations.hpp"

namespace heartbeat {

/** The endpoints of a name, or an error; `timed_out` when the deadline came first. */
struct resolve_outcome {
    boost::system::error_code ec;
    net::ip::tcp::resolver::results_type endpoints;
    bool timed_out = false;
};

/**
 * Resolves `host` without letting a slow resolver hold the caller past `deadline`.
 * A literal address needs no lookup and is answered at once.
 */
net::awaitable<resolve_outcome> resolve_until(std::string host, std::string service,
                                              steady_clock::time_point deadline);

/** A failed lookup in words ("timed out after 1s resolving db", "resolve db: host not found"), or
 * "". */
std::string resolve_failure(const resolve_outcome& r, duration timeout, const std::string& host);

}  // namespace heartbeat
