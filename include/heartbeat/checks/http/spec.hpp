#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "heartbeat/checks/expect_json.hpp"
#include "heartbeat/checks/tls_keys.hpp"

namespace heartbeat {

struct check_unit;    // heartbeat/checks/unit.hpp
struct body_pattern;  // heartbeat/checks/http/assertions.hpp

/** An expected HTTP status: one code (`200`) or a class (`2xx`). */
struct status_match {
    int code = 0;    // 100..599 for an exact code
    int class_ = 0;  // 1..5 for `Nxx`, 0 otherwise
    bool matches(int status) const { return class_ ? status / 100 == class_ : status == code; }
    bool operator==(const status_match&) const = default;
};

/** What an http check sends from secret files, read at load (src/checks/http/credentials.cpp). */
struct http_credentials {
    std::optional<std::string> username;                       // with `password`, as Basic auth
    std::optional<std::string> password;                       // the content of `password_file`
    std::vector<std::pair<std::string, std::string>> headers;  // `headers_from_files`: name, value
    std::optional<std::string> token;                          // the content of `token_file`
    bool operator==(const http_credentials&) const = default;
};

/** `type: http` — one request, no redirects followed. */
struct http_spec {
    std::string url;
    std::string method = "GET";
    std::vector<std::pair<std::string, std::string>> headers;
    std::vector<status_match> expect_status;  // empty: 200..399
    std::optional<std::string> expect_body;
    json_assertions expect_json;                                      // empty: none
    tls_keys tls;                                                     // for https URLs
    std::optional<duration> min_cert_validity{};                      // for https URLs only
    std::optional<std::string> body;                                  // POST and PUT only
    std::shared_ptr<const body_pattern> expect_body_regex;            // compiled at load
    std::vector<std::pair<std::string, std::string>> expect_headers;  // name, substring
    http_credentials credentials;  // from files: read at load, never shown

    std::optional<duration> max_duration{};  // a slower successful attempt fails

    /** Everything the generic code knows of the type (src/checks/http/unit.cpp). */
    static const check_unit& unit();
};

}  // namespace heartbeat
