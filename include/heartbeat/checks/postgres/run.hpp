#pragma once

#include <string>
#include <string_view>

#include "heartbeat/check.hpp"

namespace heartbeat {

/** Starts a connection with libpq's non-blocking connect, driven on the caller's executor, and
 * reports pg_isready's verdict (accepting, rejecting, no response), all before `deadline`. */
net::awaitable<check_result> run_postgres(postgres_spec spec, duration timeout,
                                          steady_clock::time_point deadline);

/** Loads libpq if it is not yet: it may block, so a loader calls it off the I/O thread. */
void load_libpq();

/** pg_isready's three answers. */
enum class pg_verdict { accepting, rejecting, no_response };

/** The verdict's name in the entry's `verdict`: "accepting", "rejecting", "no_response". */
std::string_view verdict_name(pg_verdict v);

/** What one connection attempt saw, apart from I/O: the input of `judge_postgres`. */
struct pg_attempt {
    bool connected = false;               // PQconnectPoll reached PGRES_POLLING_OK
    bool password_demanded = false;       // the server asked us to authenticate with a password
    bool past_awaiting_response = false;  // the poll got past CONNECTION_AWAITING_RESPONSE
    bool socket_connected = false;        // the TCP connection was made
    bool timed_out = false;               // the deadline came first
    bool logs_in = false;                 // a password was given: authentication must succeed
    std::string error;                    // libpq's error message, verbose (never shown as is)
};

/** The SQLSTATE of the last server error in libpq's verbose message ("FATAL:  57P03: ..."), or ""
 * when the server sent none (the failure was on our side or on the way). */
std::string server_sqlstate(std::string_view error);

/** The verdict on one attempt, by libpq's own rule for PQping (see run.cpp). */
pg_verdict judge_verdict(const pg_attempt& a);

/** The check's result for one attempt on `target` ("db:5432"): status, message and facts. Only
 * words of our own reach the message, never libpq's text. With `logs_in`, a server that turns the
 * credentials down (SQLSTATE class 28) fails the check, though it answered. */
check_result judge_postgres(const pg_attempt& a, duration timeout, std::string_view target);

}  // namespace heartbeat
