#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "heartbeat/checks/tls_keys.hpp"

namespace heartbeat {

struct check_unit;  // heartbeat/checks/unit.hpp

/** An expected HTTP status: one code (`200`) or a class (`2xx`). */
struct status_match {
    int code = 0;    // 100..599 for an exact code
    int class_ = 0;  // 1..5 for `Nxx`, 0 otherwise
    bool matches(int status) const { return class_ ? status / 100 == class_ : status == code; }
    bool operator==(const status_match&) const = default;
};

/** `type: http` — one request, no redirects followed. */
struct http_spec {
    std::string url;
    std::string method = "GET";
    std::vector<std::pair<std::string, std::string>> headers;
    std::vector<status_match> expect_status;  // empty: 200..399
    std::optional<std::string> expect_body;
    tls_keys tls;                                 // for https URLs
    std::optional<duration> min_cert_validity{};  // for https URLs only

    /** Everything the generic code knows of the type (src/checks/http/unit.cpp). */
    static const check_unit& unit();
};

}  // namespace heartbeat
