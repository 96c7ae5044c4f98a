// The tcp check type as a unit: its keys, schema, docs and runner.
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/checks/tcp/run.hpp"
#include "heartbeat/config_checks.hpp"

namespace heartbeat {

namespace {

using config_detail::check_keys;

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
    return t;
}

bool same(const check_spec& x, const check_spec& y) {
    const auto& a = std::get<tcp_spec>(x);
    const auto& b = std::get<tcp_spec>(y);
    return a.host == b.host && a.port == b.port && a.send == b.send && a.expect == b.expect;
}

std::string remote_host(const check_spec& spec) {
    return std::get<tcp_spec>(spec).host;
}

net::awaitable<check_result> run(check_config cfg, steady_clock::time_point deadline, run_context) {
    return run_tcp(std::get<tcp_spec>(cfg.spec), cfg.timeout, deadline);
}

constexpr std::string_view schema = R"json({
  "check": {
    "allOf": [{"$ref": "#/$defs/common"}],
    "properties": {
      "type": {"const": "tcp"},
      "host": {"type": "string", "minLength": 1},
      "port": {"type": "integer", "minimum": 1, "maximum": 65535},
      "send": {"type": "string", "minLength": 1},
      "expect": {"type": "string", "minLength": 1}
    },
    "required": ["host", "port"],
    "unevaluatedProperties": false
  }
})json";

constexpr std::string_view docs = R"md(| key | meaning | default |
|---|---|---|
| `host` | a name or an IP address | required |
| `port` | `1`–`65535` | required |
| `send` | written once connected | none |
| `expect` | must appear in what comes back (the first 64 KiB are read) | none |
)md";

}  // namespace

const check_unit& tcp_spec::unit() {
    static const check_unit unit{"tcp",       {"host", "port", "send", "expect"},
                                 read,        same,
                                 remote_host, nullptr,
                                 run,         nullptr,
                                 nullptr,     schema,
                                 docs};
    return unit;
}

}  // namespace heartbeat
