// The http check type as a unit: its keys, schema, docs and runner.
#include <algorithm>
#include <charconv>

#include "heartbeat/checks/expect_json.hpp"
#include "heartbeat/checks/http/assertions.hpp"
#include "heartbeat/checks/http/run.hpp"
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/checks/response_time.hpp"
#include "heartbeat/config_checks.hpp"
#include "heartbeat/net/tls.hpp"
#include "heartbeat/redact.hpp"
#include "heartbeat/url.hpp"
#include "keys.hpp"

namespace heartbeat {

namespace {

using config_detail::check_keys;
using config_detail::shorten;

/** One item of `expect_status`: a code (`200`) or a class (`2xx`). */
std::optional<status_match> parse_status_match(const std::string& item) {
    status_match m;
    if (item.size() == 3 && item[0] >= '1' && item[0] <= '5' &&
        (item.substr(1) == "xx" || item.substr(1) == "XX")) {
        m.class_ = item[0] - '0';
        return m;
    }
    int code = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), code);
    if (ec != std::errc{} || end != item.data() + item.size() || code < 100 || code > 599)
        return std::nullopt;
    m.code = code;
    return m;
}

void read_expect_status(check_keys& keys, http_spec& h) {
    auto es = keys.optional("expect_status");
    if (!es) return;
    auto list = keys.reader.string_list(*es, "expect_status");
    if (!list) return;
    for (auto& item : *list) {
        if (auto m = parse_status_match(item))
            h.expect_status.push_back(*m);
        else
            keys.reader.error(es->Mark(),
                              fmt::format("'expect_status' takes codes from 100 to 599 or classes "
                                          "like 2xx, got '{}'",
                                          shorten(item)));
    }
}

void read_headers(check_keys& keys, http_spec& h) {
    auto hs = keys.optional("headers");
    if (!hs) return;
    auto map = keys.reader.string_map(*hs, "headers");
    if (!map) return;
    for (auto& [k, v] : *map) {
        bool bad = k.find_first_of(" :\r\n\t") != std::string::npos ||
                   v.find_first_of("\r\n") != std::string::npos;
        if (bad)
            keys.reader.error(
                hs->Mark(),
                fmt::format("header '{}' has a character a header cannot carry", shorten(k)));
    }
    h.headers = *map;
}

void read_url(check_keys& keys, http_spec& h) {
    auto u = keys.required("url");
    if (!u) return;
    if (auto s = keys.reader.string_value(*u, "url")) {
        std::string why;
        if (parse_url(*s, &why))
            h.url = *s;
        else
            keys.reader.error(u->Mark(), fmt::format("'url' {}", why));
    }
}

/** `expect_json`, which needs a body: a HEAD request has none. */
void read_json_keys(check_keys& keys, http_spec& h) {
    h.expect_json = read_expect_json(keys);
    if (h.method == "HEAD" && !h.expect_json.empty())
        keys.reader.error(keys.optional("expect_json")->Mark(),
                          "'expect_json' needs a body to read: a HEAD request gets none");
}

check_spec read(check_keys& keys) {
    auto& r = keys.reader;
    http_spec h;
    read_url(keys, h);
    http_keys::read_method_and_body(keys, h);
    read_headers(keys, h);
    http_keys::read_assertions(keys, h);
    http_keys::read_credentials(keys, h);
    read_expect_status(keys, h);
    if (auto b = keys.optional("expect_body"))
        if (auto s = r.string_value(*b, "expect_body")) h.expect_body = *s;
    read_json_keys(keys, h);
    h.tls = read_tls_keys(keys);
    h.min_cert_validity = read_min_cert_validity(keys);
    // A bad or missing url is reported already; a plain one has no certificate to check.
    if (auto u = parse_url(h.url); u && !u->tls)
        tls_only(keys, {"min_cert_validity", "cert_file", "key_file"}, "an https:// url");
    h.max_duration = read_max_duration(keys);
    return h;
}

/** The keys of keys.hpp; a pattern by its text, the credentials by the content of their files. */
bool same_request_keys(const http_spec& a, const http_spec& b) {
    auto source = [](const http_spec& h) {
        return h.expect_body_regex ? std::optional(h.expect_body_regex->source) : std::nullopt;
    };
    return a.body == b.body && source(a) == source(b) && a.expect_headers == b.expect_headers &&
           a.credentials == b.credentials;
}

/** The TLS context is left out: it is made from the keys compared here. */
bool same(const check_spec& x, const check_spec& y) {
    const auto& a = std::get<http_spec>(x);
    const auto& b = std::get<http_spec>(y);
    return a.url == b.url && a.method == b.method && a.headers == b.headers &&
           a.expect_status == b.expect_status && a.expect_body == b.expect_body &&
           a.expect_json == b.expect_json && a.tls.same(b.tls) &&
           a.min_cert_validity == b.min_cert_validity && a.max_duration == b.max_duration &&
           same_request_keys(a, b);
}

std::string remote_host(const check_spec& spec) {
    auto u = parse_url(std::get<http_spec>(spec).url);
    return u ? u->host : "";
}

net::awaitable<check_result> run(check_config cfg, steady_clock::time_point deadline, run_context) {
    return run_http(std::get<http_spec>(cfg.spec), cfg.timeout, deadline, secret_values(cfg));
}

/** Builds the TLS context of an https check now: at load, off the I/O thread. */
void prepare(const check_spec& spec) {
    const auto& h = std::get<http_spec>(spec);
    if (auto u = parse_url(h.url); u && u->tls) h.tls.client();
}

/** A relative `ca_file` is taken from the config file's folder, not the working directory. */
void place(check_spec& spec, const std::filesystem::path& folder) {
    place_tls_keys(std::get<http_spec>(spec).tls, folder);
}

/** Header values and URL user-info: as written, decoded, each part, and as the Basic credentials.
 */
void add_secrets(const check_spec& spec, std::vector<std::string>& out) {
    const auto& h = std::get<http_spec>(spec);
    for (const auto& [name, value] : h.headers) add_secret(out, value);
    http_keys::add_credential_secrets(h.credentials, out);
    auto u = parse_url(h.url);
    if (!u || !u->has_userinfo) return;
    std::string plain = percent_decode(u->userinfo);
    add_secret(out, u->userinfo);
    add_secret(out, plain);
    add_secret(out, basic_credentials(u->userinfo));
    auto colon = plain.find(':');
    add_secret(out, plain.substr(0, colon));
    if (colon != std::string::npos) add_secret(out, plain.substr(colon + 1));
}

constexpr std::string_view schema = R"json({
  "check": {
    "allOf": [
      {"$ref": "#/$defs/common"},
      {"if": {"required": ["min_cert_validity"]}, "then": {"properties": {"url": {"pattern": "^https://"}}}},
      {"if": {"required": ["cert_file"]}, "then": {"properties": {"url": {"pattern": "^https://"}}}},
      {"if": {"required": ["key_file"]}, "then": {"properties": {"url": {"pattern": "^https://"}}}},
      {"if": {"required": ["body"]}, "then": {"properties": {"method": {"pattern": "^([pP][oO][sS][tT]|[pP][uU][tT])$"}}, "required": ["method"]}},
      {"if": {"required": ["expect_json"]}, "then": {"properties": {"method": {"not": {"pattern": "^[hH][eE][aA][dD]$"}}}}}
    ],
    "properties": {
      "type": {"const": "http"},
      "max_duration": {"$ref": "#/$defs/duration"},
      "url": {"type": "string", "pattern": "^https?://[^/?#\\s]+"},
      "method": {"type": "string", "pattern": "^([gG][eE][tT]|[hH][eE][aA][dD]|[pP][oO][sS][tT]|[pP][uU][tT])$"},
      "headers": {"$ref": "#/$defs/string_map"},
      "expect_status": {
        "oneOf": [
          {"$ref": "#/$defs/status"},
          {"type": "array", "items": {"$ref": "#/$defs/status"}}
        ]
      },
      "expect_body": {"type": "string", "minLength": 1},
      "expect_json": {"$ref": "#/$defs/expect_json"},
      "tls_verify": {"type": "boolean"},
      "ca_file": {"type": "string", "minLength": 1},
      "min_cert_validity": {"$ref": "#/$defs/duration_or_zero"},
      "body": {"type": "string"},
      "expect_body_regex": {"type": "string", "minLength": 1},
      "expect_headers": {"$ref": "#/$defs/string_map"},
      "username": {"type": "string", "pattern": "^[^:]+$"},
      "password_file": {"type": "string", "minLength": 1},
      "headers_from_files": {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}},
      "token_file": {"type": "string", "minLength": 1},
      "cert_file": {"type": "string", "minLength": 1},
      "key_file": {"type": "string", "minLength": 1}
    },
    "required": ["url"],
    "dependentRequired": {"username": ["password_file"], "password_file": ["username"], "cert_file": ["key_file"], "key_file": ["cert_file"]},
    "unevaluatedProperties": false
  },
  "defs": {
    "status": {
      "oneOf": [
        {"type": "integer", "minimum": 100, "maximum": 599},
        {"type": "string", "pattern": "^[1-5](xx|XX)$"}
      ]
    }
  }
})json";

constexpr std::string_view docs = R"md(| key | meaning | default |
|---|---|---|
| `url` | `http://` or `https://`; user-info (`https://user:pass@host/`) is sent as Basic auth and never shown | required |
| `method` | `GET`, `HEAD`, `POST` or `PUT` | `GET` |
| `body` | with `POST` or `PUT`: the request body, sent with `Content-Type: application/json` unless `headers` sets another | none (`Content-Length: 0`) |
| `headers` | map of extra request headers; values are never shown | none |
| `headers_from_files` | map of request headers to files holding their values (`{Authorization: /run/secrets/token}`); never shown | none |
| `username` | with `password_file`: the user of Basic auth | none |
| `password_file` | with `username`: a file holding the password of Basic auth; never shown | none |
| `token_file` | a file holding a token, sent as `Authorization: Bearer <token>`; never shown | none |
| `expect_status` | list of codes and classes: `[200, 204]`, `[2xx]` | any `200`–`399` |
| `expect_body` | a substring the body must contain (the first 64 KiB are read) | none |
| `expect_body_regex` | a regular expression (Perl syntax) that must match somewhere in the body (the first 64 KiB) | none |
| `expect_headers` | map of response header names (any case) to a substring each one's value must contain | none |
| `expect_json` | map of paths in the JSON body to expected values or comparisons: `{$.status: green, $.number_of_nodes: ">= 3"}` (see [JSON assertions](#json-assertions)) | none |
| `tls_verify` | verify the server certificate and its host name | `true` |
| `ca_file` | PEM file of CA certificates to trust instead of the system's (a relative path is taken from the config file's folder) | system CAs |
| `cert_file` | with an `https://` url and `key_file`: PEM file of the client certificate (and its chain) shown to a server that asks for one (mTLS) | none |
| `key_file` | with `cert_file`: PEM file of its private key, without a passphrase; never shown | none |
| `min_cert_validity` | with an `https://` url: fails when the server certificate expires sooner than this (`14d`); `0` fails only an expired one | none |
| `max_duration` | a run that succeeds but takes longer fails (`slow: took 812ms, allowed 500ms`); shorter than `timeout` | none |
)md";

std::optional<duration> max_duration_of(const check_spec& spec) {
    return std::get<http_spec>(spec).max_duration;
}

}  // namespace

const check_unit& http_spec::unit() {
    static const check_unit unit{
        "http",
        {"url", "method", "body", "headers", "headers_from_files", "username", "password_file",
         "token_file", "expect_status", "expect_body", "expect_body_regex", "expect_headers",
         "expect_json", "tls_verify", "ca_file", "cert_file", "key_file", "min_cert_validity",
         "max_duration"},
        read,
        same,
        remote_host,
        place,
        run,
        prepare,
        add_secrets,
        schema,
        docs,
        nullptr,
        max_duration_of};
    return unit;
}

}  // namespace heartbeat
