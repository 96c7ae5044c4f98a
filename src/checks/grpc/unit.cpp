// The grpc check type as a unit: its keys, schema, docs and runner.
#include <fmt/format.h>

#include "heartbeat/checks/grpc/run.hpp"
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/config_checks.hpp"
#include "heartbeat/net/tls.hpp"

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
    if (!g.tls) tls_only(keys, {"tls_verify", "ca_file", "min_cert_validity"}, "tls: true");
    return g;
}

/** The TLS context is left out: it is made from the keys compared here. */
bool same(const check_spec& x, const check_spec& y) {
    const auto& a = std::get<grpc_spec>(x);
    const auto& b = std::get<grpc_spec>(y);
    return a.host == b.host && a.port == b.port && a.service == b.service && a.tls == b.tls &&
           a.tls_options.same(b.tls_options) && a.min_cert_validity == b.min_cert_validity;
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

/** A relative `ca_file` is taken from the config file's folder, not the working directory. */
void place(check_spec& spec, const std::filesystem::path& folder) {
    place_tls_keys(std::get<grpc_spec>(spec).tls_options, folder);
}

constexpr std::string_view schema = R"json({
  "check": {
    "allOf": [{"$ref": "#/$defs/common"}],
    "properties": {
      "type": {"const": "grpc"},
      "host": {"type": "string", "minLength": 1},
      "port": {"type": "integer", "minimum": 1, "maximum": 65535},
      "service": {"type": "string"},
      "tls": {"type": "boolean"},
      "tls_verify": {"type": "boolean"},
      "ca_file": {"type": "string", "minLength": 1},
      "min_cert_validity": {"$ref": "#/$defs/duration_or_zero"}
    },
    "required": ["host", "port"],
    "dependentSchemas": {
      "tls_verify": {"$ref": "#/$defs/with_tls"},
      "ca_file": {"$ref": "#/$defs/with_tls"},
      "min_cert_validity": {"$ref": "#/$defs/with_tls"}
    },
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
| `min_cert_validity` | with `tls: true`: fails when the server certificate expires sooner than this (`14d`); `0` fails only an expired one | none |
)md";

}  // namespace

const check_unit& grpc_spec::unit() {
    static const check_unit unit{
        "grpc",
        {"host", "port", "service", "tls", "tls_verify", "ca_file", "min_cert_validity"},
        read,
        same,
        remote_host,
        place,
        run,
        prepare,
        nullptr,
        schema,
        docs};
    return unit;
}

}  // namespace heartbeat
