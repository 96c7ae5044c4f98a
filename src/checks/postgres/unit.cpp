// The postgres check type as a unit: its keys, schema, docs and runner.
#include <cstdlib>

#include "heartbeat/checks/postgres/run.hpp"
#include "heartbeat/checks/response_time.hpp"
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/config_checks.hpp"
#include "heartbeat/redact.hpp"
#include "heartbeat/secret_file.hpp"

namespace heartbeat {

namespace {

using config_detail::check_keys;
using config_detail::shorten;

/** One host, as a name or an address: libpq would read a ',' as a list of hosts and a leading
 * '/' as a Unix socket's folder, neither of which this check resolves. */
void read_host(check_keys& keys, postgres_spec& p) {
    auto h = keys.required("host");
    if (!h) return;
    auto s = keys.reader.string_value(*h, "host");
    if (!s) return;
    if (s->find(',') != std::string::npos || s->starts_with('/'))
        keys.reader.error(h->Mark(), fmt::format("'host' must be one name or IP address (no ',' "
                                                 "and no leading '/'), got '{}'",
                                                 shorten(*s)));
    else
        p.host = *s;
}

check_spec read(check_keys& keys) {
    auto& r = keys.reader;
    postgres_spec p;
    read_host(keys, p);
    if (auto n = keys.optional("port"))
        if (auto v = r.int_value(*n, "port", 1, 65535)) p.port = static_cast<std::uint16_t>(*v);
    if (auto d = keys.optional("dbname"))
        if (auto v = r.string_value(*d, "dbname")) p.dbname = *v;
    if (auto u = keys.optional("user"))
        if (auto v = r.string_value(*u, "user")) p.user = *v;
    if (auto f = keys.optional("password_file"))
        p.password = read_secret_file(r, *f, "password_file", secret_content::one_line);
    p.max_duration = read_max_duration(keys);
    return p;
}

bool same(const check_spec& x, const check_spec& y) {
    const auto& a = std::get<postgres_spec>(x);
    const auto& b = std::get<postgres_spec>(y);
    return a.host == b.host && a.port == b.port && a.dbname == b.dbname && a.user == b.user &&
           a.password == b.password && a.max_duration == b.max_duration;
}

std::string remote_host(const check_spec& spec) {
    return std::get<postgres_spec>(spec).host;
}

net::awaitable<check_result> run(check_config cfg, steady_clock::time_point deadline, run_context) {
    return run_postgres(std::get<postgres_spec>(cfg.spec), cfg.timeout, deadline);
}

/** libpq is loaded when a config first has a postgres check, not by a run on the I/O thread. */
void prepare(const check_spec&) {
    load_libpq();
}

/** Without password_file the check sends no password, but libpq falls back on PGPASSWORD when the
 * server asks for one:
 * should it ever show up in a result, it is redacted like any configured secret. */
void secrets(const check_spec& spec, std::vector<std::string>& out) {
    if (const char* password = std::getenv("PGPASSWORD")) add_secret(out, password);
    // libpq's messages can quote what it was given: whatever reaches a result is redacted.
    if (const auto& p = std::get<postgres_spec>(spec); p.password) add_secret(out, *p.password);
}

constexpr std::string_view schema = R"json({
  "check": {
    "allOf": [{"$ref": "#/$defs/common"}],
    "properties": {
      "type": {"const": "postgres"},
      "max_duration": {"$ref": "#/$defs/duration"},
      "host": {"type": "string", "minLength": 1, "pattern": "^[^,/][^,]*$"},
      "port": {"type": "integer", "minimum": 1, "maximum": 65535},
      "dbname": {"type": "string", "minLength": 1},
      "user": {"type": "string", "minLength": 1},
      "password_file": {"type": "string", "minLength": 1}
    },
    "required": ["host"],
    "unevaluatedProperties": false
  }
})json";

constexpr std::string_view docs = R"md(| key | meaning | default |
|---|---|---|
| `host` | a name or an IP address (one; no Unix socket) | required |
| `port` | `1`–`65535` | `5432` |
| `dbname` | the database named in the startup message | libpq's: `PGDATABASE`, else the user name |
| `user` | the user named in the startup message | libpq's: `PGUSER`, else heartbeatd's user |
| `password_file` | a file holding the password: the check then logs in, and a refused login fails it; never shown | none (no login) |
| `max_duration` | a run that succeeds but takes longer fails (`slow: took 812ms, allowed 500ms`); shorter than `timeout` | none |
)md";

std::optional<duration> max_duration_of(const check_spec& spec) {
    return std::get<postgres_spec>(spec).max_duration;
}

}  // namespace

const check_unit& postgres_spec::unit() {
    static const check_unit unit{
        "postgres",
        {"host", "port", "dbname", "user", "password_file", "max_duration"},
        read,
        same,
        remote_host,
        nullptr,
        run,
        prepare,
        secrets,
        schema,
        docs,
        nullptr,
        max_duration_of,
        "datastore"};
    return unit;
}

}  // namespace heartbeat
