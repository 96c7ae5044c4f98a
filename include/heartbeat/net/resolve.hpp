#pragma once

#include <cstdint>
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

/** Where a lookup reads the system's resolver configuration. The daemon uses the defaults. */
struct resolve_options {
    std::string resolv_conf = "/etc/resolv.conf";
    std::string hosts = "/etc/hosts";
    /** The port every name server is asked on; 0 for 53. resolv.conf has no syntax for a port,
     * so only a test that runs its own server on a free port sets it. */
    std::uint16_t dns_port = 0;
};

/**
 * Resolves `host` without letting a slow resolver hold the caller past `deadline`: the hosts file,
 * then DNS as resolv.conf says (search domains, ndots), through c-ares on the caller's own
 * io_context. No thread: at the deadline the lookup is cancelled and its sockets closed.
 * A literal address needs no lookup and is answered at once.
 */
net::awaitable<resolve_outcome> resolve_until(std::string host, std::string service,
                                              steady_clock::time_point deadline);

/** The same, with the resolver's configuration read from `options`' paths. */
net::awaitable<resolve_outcome> resolve_until(std::string host, std::string service,
                                              steady_clock::time_point deadline,
                                              resolve_options options);

/** A failed lookup in words ("timed out after 1s resolving db", "resolve db: no such host"), or
 * "". */
std::string resolve_failure(const resolve_outcome& r, duration timeout, const std::string& host);

}  // namespace heartbeat
