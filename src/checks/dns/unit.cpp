// The dns check type as a unit: its keys, schema, docs and runner.
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/checks/dns/run.hpp"
#include "heartbeat/config_checks.hpp"

namespace heartbeat {

namespace {

using config_detail::check_keys;
using config_detail::did_you_mean;
using config_detail::shorten;

void read_query(check_keys& keys, dns_spec& d) {
    auto q = keys.required("query");
    if (!q) return;
    auto s = keys.reader.string_value(*q, "query");
    if (!s) return;
    if (auto problem = dns_name_problem(*s); !problem.empty())
        keys.reader.error(
            q->Mark(), fmt::format("'query' '{}' is not a DNS name: it {}", shorten(*s), problem));
    else
        d.query = *s;
}

/** False when `record` is given but is no record type: `expect` cannot be read then. */
bool read_record(check_keys& keys, dns_spec& d) {
    auto r = keys.optional("record");
    if (!r) return true;
    auto s = keys.reader.string_value(*r, "record");
    if (!s) return false;
    if (auto record = parse_record(*s)) {
        d.record = *record;
        return true;
    }
    std::string upper = *s;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    keys.reader.error(
        r->Mark(),
        fmt::format("'record' must be A, AAAA, CNAME, SRV, TXT or MX, got '{}'{}", shorten(*s),
                    did_you_mean(upper, {"A", "AAAA", "CNAME", "SRV", "TXT", "MX"})));
    return false;
}

void read_server(check_keys& keys, dns_spec& d) {
    auto n = keys.optional("server");
    if (!n) return;
    auto s = keys.reader.string_value(*n, "server");
    if (!s) return;
    std::string why;
    if (auto server = parse_dns_server(*s, why))
        d.server = *server;
    else
        keys.reader.error(n->Mark(),
                          fmt::format("'server' must be host[:port] ([::1]:53 for IPv6): '{}' {}",
                                      shorten(*s), why));
}

void read_expect(check_keys& keys, dns_spec& d, bool record_known) {
    auto e = keys.optional("expect");
    if (!e) return;
    auto list = keys.reader.string_list(*e, "expect");
    if (!list) return;
    if (list->empty()) {
        keys.reader.error(e->Mark(),
                          "'expect' is empty: list the answers that must be given, or "
                          "leave it out to accept any");
        return;
    }
    for (std::size_t i = 0; record_known && i < list->size(); ++i) {
        std::string why;
        if (!expect_form(d.record, (*list)[i], why))
            keys.reader.error(e->IsSequence() ? (*e)[i].Mark() : e->Mark(),
                              fmt::format("'expect' item '{}' {} (record {})", shorten((*list)[i]),
                                          why, record_name(d.record)));
    }
    d.expect = *list;
}

check_spec read(check_keys& keys) {
    dns_spec d;
    read_query(keys, d);
    bool record_known = read_record(keys, d);
    read_server(keys, d);
    read_expect(keys, d, record_known);
    return d;
}

bool same(const check_spec& x, const check_spec& y) {
    const auto& a = std::get<dns_spec>(x);
    const auto& b = std::get<dns_spec>(y);
    return a.query == b.query && a.record == b.record && a.server == b.server &&
           a.expect == b.expect;
}

/** The server asked, else the name asked for: a liveliness check on either depends on it. */
std::string remote_host(const check_spec& spec) {
    const auto& d = std::get<dns_spec>(spec);
    return d.server ? d.server->host : d.query;
}

net::awaitable<check_result> run(check_config cfg, steady_clock::time_point deadline, run_context) {
    return run_dns(std::get<dns_spec>(cfg.spec), cfg.timeout, deadline, resolve_options{});
}

constexpr std::string_view schema = R"json({
  "check": {
    "allOf": [{"$ref": "#/$defs/common"}],
    "properties": {
      "type": {"const": "dns"},
      "query": {"type": "string", "minLength": 1, "maxLength": 254},
      "record": {"type": "string", "pattern": "^([aA]|[aA]{4}|[cC][nN][aA][mM][eE]|[sS][rR][vV]|[tT][xX][tT]|[mM][xX])$"},
      "server": {"type": "string", "minLength": 1},
      "expect": {
        "oneOf": [
          {"type": "string"},
          {"type": "array", "items": {"type": "string"}, "minItems": 1}
        ]
      }
    },
    "required": ["query"],
    "unevaluatedProperties": false
  }
})json";

constexpr std::string_view docs = R"md(| key | meaning | default |
|---|---|---|
| `query` | the name to look up: `db.svc.cluster.local`, `_sip._tcp.example.com` | required |
| `record` | `A`, `AAAA`, `CNAME`, `SRV`, `TXT` or `MX`, in any case | `A` |
| `server` | `host[:port]` of the DNS server to ask (`10.0.0.2`, `dns.internal:5353`, `[::1]:53`); `query` is then asked as written, without search domains | the system's, as `/etc/resolv.conf` says |
| `expect` | list of answers that must all be among those given, written as below | none |
)md";

}  // namespace

const check_unit& dns_spec::unit() {
    static const check_unit unit{"dns",       {"query", "record", "server", "expect"},
                                 read,        same,
                                 remote_host, nullptr,
                                 run,         nullptr,
                                 nullptr,     schema,
                                 docs};
    return unit;
}

}  // namespace heartbeat
