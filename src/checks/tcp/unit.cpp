// The tcp check type as a unit: its keys, schema, docs and runner.
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/checks/tcp/run.hpp"
#include "heartbeat/redact.hpp"
#include "heartbeat/checks/response_time.hpp"
#include "heartbeat/config_checks.hpp"
#include "heartbeat/net/tls.hpp"

namespace heartbeat {

namespace {

using config_detail::check_keys;

/** `tls` and the keys that only count with it, which are refused without it. */
void read_tls(check_keys& keys, tcp_spec& t) {
    bool known = true;  // a `tls` that is not a boolean is reported once, not for each TLS key too
    if (auto v = keys.optional("tls")) {
        auto b = keys.reader.bool_value(*v, "tls");
        known = b.has_value();
        t.use_tls = b.value_or(false);
    }
    t.tls = read_tls_keys(keys);
    t.min_cert_validity = read_min_cert_validity(keys);
    if (known && !t.use_tls)
        tls_only(keys, {"tls_verify", "ca_file", "min_cert_validity", "cert_file", "key_file"},
                 "tls: true");
}

check_spec read(check_keys& keys) {
    auto& r = keys.reader;
    tcp_spec t;
    if (auto h = keys.required("host"))
        if (auto s = r.string_value(*h, "host")) t.host = *s;
    if (auto p = keys.required("port"))
        if (auto v = r.int_value(*p, "port", 1, 65535)) t.port = static_cast<std::uint16_t>(*v);
    if (auto s = keys.optional("send"))
        if (auto v = r.string_value(*s, "send")) t.send = *v;
    if (auto e = keys.optional("expect"))
        if (auto v = r.string_value(*e, "expect")) t.expect = *v;
    read_tls(keys, t);
    t.max_duration = read_max_duration(keys);
    return t;
}

bool same(const check_spec& x, const check_spec& y) {
    const auto& a = std::get<tcp_spec>(x);
    const auto& b = std::get<tcp_spec>(y);
    return a.host == b.host && a.port == b.port && a.send == b.send && a.expect == b.expect &&
           a.use_tls == b.use_tls && a.tls.same(b.tls) &&
           a.min_cert_validity == b.min_cert_validity && a.max_duration == b.max_duration;
}

std::string remote_host(const check_spec& spec) {
    return std::get<tcp_spec>(spec).host;
}

net::awaitable<check_result> run(check_config cfg, steady_clock::time_point deadline, run_context) {
    return run_tcp(std::get<tcp_spec>(cfg.spec), cfg.timeout, deadline, secret_values(cfg));
}

/** Builds the TLS context of a `tls: true` check now: at load, off the I/O thread. */
void prepare(const check_spec& spec) {
    const auto& t = std::get<tcp_spec>(spec);
    if (t.use_tls) t.tls.client();
}

/** A relative `ca_file` is taken from the config file's folder, not the working directory. */
void place(check_spec& spec, const std::filesystem::path& folder) {
    place_tls_keys(std::get<tcp_spec>(spec).tls, folder);
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
      "type": {"const": "tcp"},
      "max_duration": {"$ref": "#/$defs/duration"},
      "host": {"type": "string", "minLength": 1},
      "port": {"type": "integer", "minimum": 1, "maximum": 65535},
      "send": {"type": "string", "minLength": 1},
      "expect": {"type": "string", "minLength": 1},
      "tls": {"type": "boolean"},
      "tls_verify": {"type": "boolean"},
      "ca_file": {"type": "string", "minLength": 1},
      "min_cert_validity": {"$ref": "#/$defs/duration_or_zero"},
      "cert_file": {"type": "string", "minLength": 1},
      "key_file": {"type": "string", "minLength": 1}
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
| `send` | written once connected | none |
| `expect` | must appear in what comes back (the first 64 KiB are read) | none |
| `tls` | `true`: a TLS handshake once connected, then `send` and `expect` go over TLS | `false` |
| `tls_verify` | with `tls: true`: verify the server certificate and its host name | `true` |
| `ca_file` | with `tls: true`: PEM file of CA certificates to trust instead of the system's (a relative path is taken from the config file's folder) | system CAs |
| `cert_file` | with `tls: true` and `key_file`: PEM file of the client certificate (and its chain) shown to a server that asks for one (mTLS) | none |
| `key_file` | with `cert_file`: PEM file of its private key, without a passphrase; never shown | none |
| `min_cert_validity` | with `tls: true`: fails when the server certificate expires sooner than this (`14d`); `0` fails only an expired one | none |
| `max_duration` | a run that succeeds but takes longer fails (`slow: took 812ms, allowed 500ms`); shorter than `timeout` | none |
)md";

std::optional<duration> max_duration_of(const check_spec& spec) {
    return std::get<tcp_spec>(spec).max_duration;
}

}  // namespace

const check_unit& tcp_spec::unit() {
    static const check_unit unit{"tcp",
                                 {"host", "port", "send", "expect", "tls", "tls_verify", "ca_file",
                                  "cert_file", "key_file", "min_cert_validity", "max_duration"},
                                 read,
                                 same,
                                 remote_host,
                                 place,
                                 run,
                                 prepare,
                                 nullptr,
                                 schema,
                                 docs,
                                 nullptr,
                                 max_duration_of};
    return unit;
}

}  // namespace heartbeat
