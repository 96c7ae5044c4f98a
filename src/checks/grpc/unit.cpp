// The grpc check type as a unit: its keys, schema, docs and runner.
#include <fmt/format.h>

#include "heartbeat/checks/grpc/run.hpp"
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/checks/response_time.hpp"
#include "heartbeat/config_checks.hpp"
#include "heartbeat/net/tls.hpp"
#include "heartbeat/redact.hpp"
#include "heartbeat/secret_file.hpp"

namespace heartbeat {

namespace {

using config_detail::check_keys;

check_spec read(check_keys& keys) {
    auto& r = keys.reader;
    grpc_spec g;
    if (auto h = keys.required("host"))
        if (auto s = r.string_value(*h, "host")) g.host = *s;
    if (auto p = keys.required("port"))
        if (auto v = r.int_value(*p, "port", 1, 65535)) g.port = static_cast<std::uint16_t>(*v);
    if (auto s = keys.optional("service"))
        if (auto v = r.string_value(*s, "service", true)) g.service = *v;
    if (auto t = keys.optional("tls"))
        if (auto b = r.bool_value(*t, "tls")) g.tls = *b;
    g.tls_options = read_tls_keys(keys);
    g.min_cert_validity = read_min_cert_validity(keys);
    if (!g.tls)
        tls_only(keys, {"tls_verify", "ca_file", "min_cert_validity", "cert_file", "key_file"},
                 "tls: true");
    if (auto t = keys.optional("token_file"))
        g.token = read_secret_file(r, *t, "token_file", secret_content::one_line);
    g.max_duration = read_max_duration(keys);
    return g;
}

/** The TLS context is left out: it is made from the keys compared here. */
bool same(const check_spec& x, const check_spec& y) {
    const auto& a = std::get<grpc_spec>(x);
    const auto& b = std::get<grpc_spec>(y);
    return a.host == b.host && a.port == b.port && a.service == b.service && a.tls == b.tls &&
           a.tls_options.same(b.tls_options) && a.min_cert_validity == b.min_cert_validity &&
           a.token == b.token && a.max_duration == b.max_duration;
}

std::string remote_host(const check_spec& spec) {
    return std::get<grpc_spec>(spec).host;
}

net::awaitable<check_result> run(check_config cfg, steady_clock::time_point deadline, run_context) {
    return run_grpc(std::get<grpc_spec>(cfg.spec), cfg.timeout, deadline);
}

/** Builds the TLS context of a TLS check now: at load, off the I/O thread. */
void prepare(const check_spec& spec) {
    const auto& g = std::get<grpc_spec>(spec);
    if (g.tls) g.tls_options.client();
}

/** The token as read, and as sent. */
void add_secrets(const check_spec& spec, std::vector<std::string>& out) {
    const auto& g = std::get<grpc_spec>(spec);
    if (!g.token) return;
    add_secret(out, *g.token);
    add_secret(out, "Bearer " + *g.token);
}

/** A relative `ca_file` is taken from the config file's folder, not the working directory. */
void place(check_spec& spec, const std::filesystem::path& folder) {
    place_tls_keys(std::get<grpc_spec>(spec).tls_options, folder);
}

constexpr std::string_view schema = R"json({
  "check": {
    "allOf": [
      {"$ref": "#/$defs/common"},
      {"if": {"required": ["tls_verify"]}, "then": {"$ref": "#/$defs/with_tls"}},
      {"if": {"required": ["ca_file"]}, "then": {"$ref": "#/$defs/with_tls"}},
      {"if": {"required": ["min_cert_validity"]}, "then": {"$ref": "#/$defs/with_tls"}},
      {"if": {"required": ["cert_file"]}, "then": {"$ref": "#/$defs/with_tls"}},
      {"if": {"required": ["key_file"]}, "then": {"$ref": "#/$defs/with_tls"}}
    ],
    "properties": {
      "type": {"const": "grpc"},
      "max_duration": {"$ref": "#/$defs/duration"},
      "host": {"type": "string", "minLength": 1},
      "port": {"type": "integer", "minimum": 1, "maximum": 65535},
      "service": {"type": "string"},
      "tls": {"type": "boolean"},
      "tls_verify": {"type": "boolean"},
      "ca_file": {"type": "string", "minLength": 1},
      "min_cert_validity": {"$ref": "#/$defs/duration_or_zero"},
      "cert_file": {"type": "string", "minLength": 1},
      "key_file": {"type": "string", "minLength": 1},
      "token_file": {"type": "string", "minLength": 1}
    },
    "required": ["host", "port"],
    "dependentRequired": {"cert_file": ["key_file"], "key_file": ["cert_file"]},
    "unevaluatedProperties": false
  }
})json";

constexpr std::string_view docs = R"md(| key | meaning | default |
|---|---|---|
| `host` | a name or an IP address | required |
| `port` | `1`–`65535` | required |
| `service` | the service whose health is asked; `""` asks for the server's overall health | `""` |
| `tls` | call over TLS (HTTP/2 negotiated by ALPN) instead of plaintext HTTP/2 | `false` |
| `tls_verify` | with `tls: true`: verify the server certificate and its host name | `true` |
| `ca_file` | with `tls: true`: PEM file of CA certificates to trust instead of the system's (a relative path is taken from the config file's folder) | system CAs |
| `cert_file` | with `tls: true` and `key_file`: PEM file of the client certificate (and its chain) shown to a server that asks for one (mTLS) | none |
| `key_file` | with `cert_file`: PEM file of its private key, without a passphrase; never shown | none |
| `min_cert_validity` | with `tls: true`: fails when the server certificate expires sooner than this (`14d`); `0` fails only an expired one | none |
| `token_file` | a file holding a token, sent as the `authorization` metadata `Bearer <token>`; never shown | none |
| `max_duration` | a run that succeeds but takes longer fails (`slow: took 812ms, allowed 500ms`); shorter than `timeout` | none |
)md";

std::optional<duration> max_duration_of(const check_spec& spec) {
    return std::get<grpc_spec>(spec).max_duration;
}

}  // namespace

const check_unit& grpc_spec::unit() {
    static const check_unit unit{"grpc",
                                 {"host", "port", "service", "tls", "tls_verify", "ca_file",
                                  "cert_file", "key_file", "min_cert_validity", "token_file",
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
