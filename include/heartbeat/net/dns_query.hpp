#pragma once

#include <string>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "heartbeat/asio.hpp"
#include "heartbeat/durations.hpp"
#include "heartbeat/net/resolve.hpp"

namespace heartbeat {

/** One DNS question, as dns_query_until asks it. */
struct dns_question {
    std::string name;
    int type = 1;  // the record type's number: 1 A, 28 AAAA, 5 CNAME, 33 SRV, 16 TXT, 15 MX
    /** The servers to ask, and then `name` is asked as written. Empty: the system's servers, with
     * resolv.conf's search domains and ndots (read from `options`' paths). */
    std::vector<net::ip::udp::endpoint> servers;
    /** With `servers`: how long the first try waits (each retry waits twice as long) and how many
     * tries there are. 0: the c-ares defaults, or what resolv.conf says. */
    duration try_timeout{0};
    int tries = 0;
    resolve_options options;
};

/** How a DNS question ended. */
enum class dns_status {
    answered,             // NOERROR with answers: `message` holds them
    no_such_name,         // NXDOMAIN (for every name of the search list)
    no_data,              // the name exists, without records of that type
    server_failure,       // SERVFAIL
    refused,              // REFUSED
    not_implemented,      // NOTIMP
    format_error,         // FORMERR: the server could not read the question
    every_server_failed,  // several servers, each failed, refused or was unreachable
    unreachable,          // the one server refused the connection (nothing listens there)
    no_answer,  // every try timed out before the deadline (resolv.conf's timeout/attempts)
    timed_out,  // the caller's deadline came first
    other       // anything else: `error` says what
};

/** What came back, and from whom it was asked. */
struct dns_reply {
    dns_status status = dns_status::other;
    std::string error;                   // words for `other`
    std::vector<unsigned char> message;  // the DNS message received, when one was
    std::vector<std::string> servers;    // who was asked: "127.0.0.1:53", "[::1]:5353"
};

/**
 * Asks one DNS question through c-ares on the caller's io_context, with no thread and never past
 * `deadline`: then its query is cancelled and its sockets closed. The hosts file is not read.
 * When one server is asked, its SERVFAIL or REFUSED is the answer; when several are, each is
 * tried in turn as the C library would.
 */
net::awaitable<dns_reply> dns_query_until(dns_question question, steady_clock::time_point deadline);

}  // namespace heartbeat
