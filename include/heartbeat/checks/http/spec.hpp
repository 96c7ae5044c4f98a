#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace heartbeat {

struct check_unit;  // heartbeat/checks/unit.hpp

/** An expected HTTP status: one code (`200`) or a class (`2xx`). */
struct status_match {
    int code = 0;    // 100..599 for an exact code
    int class_ = 0;  // 1..5 for `Nxx`, 0 otherwise
    bool matches(int status) const { return class_ ? status / 100 == class_ : status == code; }
    bool operator==(const status_match&) const = default;
};

class tls_slot;  // heartbeat/net/tls.hpp
/** A new, empty place for the TLS context of one http check definition. */
std::shared_ptr<tls_slot> new_tls_slot();

/** `type: http` — one request, no redirects followed. */
struct http_spec {
    std::string url;
    std::string method = "GET";
    std::vector<std::pair<std::string, std::string>> headers;
    std::vector<status_match> expect_status;  // empty: 200..399
    std::optional<std::string> expect_body;
    bool tls_verify = true;
    std::optional<std::string> ca_file;
    // Not configuration: made with each parsed definition and shared by its copies, so that the
    // TLS context is built once per definition (see tls_slot) and a reload keeps it with the check.
    std::shared_ptr<tls_slot> tls = new_tls_slot();

    /** Everything the generic code knows of the type (src/checks/http/unit.cpp). */
    static const check_unit& unit();
};

}  // namespace heartbeat
