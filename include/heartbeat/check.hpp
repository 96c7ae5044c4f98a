#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "heartbeat/asio.hpp"
#include "heartbeat/config.hpp"

namespace heartbeat {

namespace json = boost::json;

/** The outcome of one run of one check: plain data, never an exception. */
struct check_result {
    bool ok = false;
    std::string message;  // "ok" or what went wrong, for a person on call
    duration elapsed{0};
    json::object facts;  // what the check type reports besides status: status_code, exit_code
    json::object data;   // what the target itself reported: an exec check's JSON object
};

/** A failing result; `elapsed` is filled in by whoever times the run. */
check_result failure(std::string message);
/** A passing result with message "ok". */
check_result success();

class process_reaper;

/** What a check run may use besides its own config: the executor, a pool for blocking calls. */
struct run_context {
    net::any_io_executor executor;
    net::thread_pool* blocking_pool = nullptr;  // for calls that can block (stat on a hung mount)
    process_reaper* reaper = nullptr;           // for exec checks
};

}  // namespace heartbeat
