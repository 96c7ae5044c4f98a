#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "heartbeat/check.hpp"

namespace heartbeat {

/** What the server answered on the call's HTTP/2 stream, once the stream closed cleanly. */
struct grpc_reply {
    int http_status = 0;             // `:status`
    std::optional<int> grpc_status;  // `grpc-status`, from the trailers (or trailers-only)
    std::string grpc_message;        // `grpc-message`, as sent (percent-encoded)
    std::string body;                // the DATA of the stream (at most 64 KiB)
};

/**
 * The verdict on a reply (pure): SERVING passes; any other serving status, a gRPC error status, a
 * non-200 HTTP status or a malformed body fails, saying which. `target` names the call in
 * messages ("127.0.0.1:50051", with the service when there is one).
 */
check_result judge_grpc(const grpc_reply& got, const std::string& target);

/** Calls grpc.health.v1.Health/Check on host:port over HTTP/2, plaintext or TLS, all before
 * `deadline`. */
net::awaitable<check_result> run_grpc(grpc_spec spec, duration timeout,
                                      steady_clock::time_point deadline);

}  // namespace heartbeat
