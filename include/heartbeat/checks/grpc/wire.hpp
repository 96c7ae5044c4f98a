#pragma once
// The bytes of the gRPC health protocol, as pure functions: the two one-field protobuf messages,
// the gRPC length-prefixed frame, and the names and texts of the statuses.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace heartbeat::grpc_wire {

/** Appends `v` as a protobuf varint (7 bits a byte, least significant first). */
void put_varint(std::string& out, std::uint64_t v);

/** Reads a varint from the front of `in` and advances past it; nullopt when it is cut short or
 * longer than 10 bytes. */
std::optional<std::uint64_t> take_varint(std::string_view& in);

/** A HealthCheckRequest: field 1 (`service`, a string); empty when `service` is "". */
std::string health_request(std::string_view service);

/**
 * The `status` of a HealthCheckResponse (field 1, an enum); 0 (UNKNOWN) when absent, as proto3
 * has it. Other fields are skipped. nullopt when the message is malformed.
 */
std::optional<std::uint64_t> health_status(std::string_view message);

/** One gRPC message on the wire: a 0 byte (not compressed), its length (4 bytes, big-endian),
 * then the message. */
std::string frame(std::string_view message);

/** The first message of a response body, or nullopt with `why` set: the body is cut short, the
 * message is compressed (we never ask for that), or it is larger than `cap`. */
std::optional<std::string_view> unframe(std::string_view body, std::string& why,
                                        std::size_t cap = 64 * 1024);

/** A ServingStatus by name: "SERVING", "NOT_SERVING"; an unknown value as "status 7". */
std::string serving_status_name(std::uint64_t status);

/** A gRPC status code by name: "OK", "UNIMPLEMENTED"; an unknown code as "". */
std::string_view grpc_status_name(int code);

/** The text of a `grpc-message` header: percent-decoded, a malformed escape kept as it is. */
std::string decode_grpc_message(std::string_view text);

}  // namespace heartbeat::grpc_wire
