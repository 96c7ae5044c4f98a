#pragma once
// The http unit's keys beyond those of unit.cpp, each group read by a function of its own.

#include <string>
#include <vector>

#include "heartbeat/checks/http/spec.hpp"
#include "heartbeat/config_checks.hpp"

namespace heartbeat::http_keys {

/** `method` (GET, HEAD, POST, PUT) and `body` (POST and PUT only). */
void read_method_and_body(config_detail::check_keys& keys, http_spec& h);

/** `expect_body_regex` (compiled now) and `expect_headers`. */
void read_assertions(config_detail::check_keys& keys, http_spec& h);

/**
 * `username` + `password_file`, `headers_from_files` and `token_file`: the files read now, each
 * value checked against the other ways of setting the same header.
 */
void read_credentials(config_detail::check_keys& keys, http_spec& h);

/** The values read from files, and the forms a request carries them in. */
void add_credential_secrets(const http_credentials& c, std::vector<std::string>& out);

/** The `Authorization` value of `username` + `password`: `Basic <base64 of user:password>`. */
std::string basic_authorization(const std::string& user, const std::string& password);

/** The header fields the credentials add to a request, in order. */
std::vector<std::pair<std::string, std::string>> credential_fields(const http_credentials& c);

}  // namespace heartbeat::http_keys
