#include "heartbeat/checks/grpc/wire.hpp"

#include <array>

namespace heartbeat::grpc_wire {

namespace {

// Protobuf wire types (the low 3 bits of a field's key).
constexpr std::uint64_t wire_varint = 0, wire_fixed64 = 1, wire_length = 2, wire_fixed32 = 5;

/** Skips one field's value of wire type `type` at the front of `in`; false when malformed. */
bool skip_value(std::string_view& in, std::uint64_t type) {
    std::uint64_t size = 0;
    if (type == wire_varint) return take_varint(in).has_value();
    if (type == wire_fixed64)
        size = 8;
    else if (type == wire_fixed32)
        size = 4;
    else if (type == wire_length) {
        auto n = take_varint(in);
        if (!n) return false;
        size = *n;
    } else {
        return false;  // groups (3, 4) are long deprecated; 6 and 7 do not exist
    }
    if (size > in.size()) return false;
    in.remove_prefix(size);
    return true;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

void put_varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out += static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    out += static_cast<char>(v);
}

std::optional<std::uint64_t> take_varint(std::string_view& in) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < in.size() && i < 10; ++i) {
        auto byte = static_cast<unsigned char>(in[i]);
        v |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
        if (!(byte & 0x80)) {
            in.remove_prefix(i + 1);
            return v;
        }
    }
    return std::nullopt;
}

std::string health_request(std::string_view service) {
    std::string out;
    if (service.empty()) return out;  // proto3 leaves a default value out
    put_varint(out, (1 << 3) | wire_length);
    put_varint(out, service.size());
    out += service;
    return out;
}

std::optional<std::uint64_t> health_status(std::string_view message) {
    std::uint64_t status = 0;
    while (!message.empty()) {
        auto key = take_varint(message);
        if (!key) return std::nullopt;
        std::uint64_t field = *key >> 3, type = *key & 7;
        if (field == 1 && type == wire_varint) {
            auto v = take_varint(message);
            if (!v) return std::nullopt;
            status = *v;  // the last one wins, as protobuf parsers do
        } else if (field == 0 || !skip_value(message, type)) {
            return std::nullopt;
        }
    }
    return status;
}

std::string frame(std::string_view message) {
    std::string out(5, '\0');
    auto n = static_cast<std::uint32_t>(message.size());
    for (int i = 0; i < 4; ++i) out[1 + i] = static_cast<char>((n >> (24 - 8 * i)) & 0xff);
    out += message;
    return out;
}

std::optional<std::string_view> unframe(std::string_view body, std::string& why, std::size_t cap) {
    if (body.size() < 5) {
        why = body.empty() ? "no response message" : "a response message cut short";
        return std::nullopt;
    }
    if (body[0] != 0) {
        why = "a compressed response message, which was not asked for";
        return std::nullopt;
    }
    std::uint32_t n = 0;
    for (int i = 1; i < 5; ++i) n = (n << 8) | static_cast<unsigned char>(body[i]);
    if (n > cap) {
        why = "a response message of " + std::to_string(n) + " bytes";
        return std::nullopt;
    }
    if (body.size() - 5 < n) {
        why = "a response message cut short";
        return std::nullopt;
    }
    return body.substr(5, n);
}

std::string serving_status_name(std::uint64_t status) {
    static constexpr std::array<std::string_view, 4> names = {"UNKNOWN", "SERVING", "NOT_SERVING",
                                                              "SERVICE_UNKNOWN"};
    if (status < names.size()) return std::string(names[status]);
    return "status " + std::to_string(status);
}

std::string_view grpc_status_name(int code) {
    static constexpr std::array<std::string_view, 17> names = {"OK",
                                                               "CANCELLED",
                                                               "UNKNOWN",
                                                               "INVALID_ARGUMENT",
                                                               "DEADLINE_EXCEEDED",
                                                               "NOT_FOUND",
                                                               "ALREADY_EXISTS",
                                                               "PERMISSION_DENIED",
                                                               "RESOURCE_EXHAUSTED",
                                                               "FAILED_PRECONDITION",
                                                               "ABORTED",
                                                               "OUT_OF_RANGE",
                                                               "UNIMPLEMENTED",
                                                               "INTERNAL",
                                                               "UNAVAILABLE",
                                                               "DATA_LOSS",
                                                               "UNAUTHENTICATED"};
    if (code < 0 || code >= static_cast<int>(names.size())) return "";
    return names[static_cast<std::size_t>(code)];
}

std::string decode_grpc_message(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

}  // namespace heartbeat::grpc_wire
