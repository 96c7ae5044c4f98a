// The exec check type as a unit: its keys, schema, docs and runner.
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/checks/exec/run.hpp"
#include "heartbeat/checks/expect_json.hpp"
#include "heartbeat/config_checks.hpp"
#include "heartbeat/redact.hpp"

namespace heartbeat {

namespace {

using config_detail::check_keys;
using config_detail::shorten;

void read_command(check_keys& keys, exec_spec& e) {
    auto cmd = keys.required("command");
    if (!cmd) return;
    constexpr const char* empty =
        "'command' is empty: give a list (run as argv) or a string (run by /bin/sh -c)";
    if (cmd->IsScalar()) {
        if (cmd->Scalar().find_first_not_of(" \t\n") == std::string::npos)
            keys.reader.error(cmd->Mark(), empty);
        else
            e.argv = {"/bin/sh", "-c", cmd->Scalar()};
    } else if (auto list = keys.reader.string_list(*cmd, "command")) {
        if (list->empty() || list->front().empty())
            keys.reader.error(cmd->Mark(), empty);
        else
            e.argv = *list;
    }
}

void read_env(check_keys& keys, exec_spec& e) {
    auto env = keys.optional("env");
    if (!env) return;
    if (auto map = keys.reader.string_map(*env, "env")) {
        for (auto& [k, v] : *map) {
            if (k.find('=') != std::string::npos)
                keys.reader.error(env->Mark(),
                                  fmt::format("env name '{}' contains '='", shorten(k)));
            else
                e.env[k] = v;
        }
    }
}

/** A relative `cwd` is taken from the config file's folder, not heartbeatd's working directory. */
void place(check_spec& spec, const std::filesystem::path& folder) {
    auto& e = std::get<exec_spec>(spec);
    if (e.cwd && !e.cwd->starts_with('/')) e.cwd = (folder / *e.cwd).string();
}

check_spec read(check_keys& keys) {
    auto& r = keys.reader;
    exec_spec e;
    read_command(keys, e);
    read_env(keys, e);
    if (auto cwd = keys.optional("cwd"))
        if (auto s = r.string_value(*cwd, "cwd")) e.cwd = *s;
    if (auto x = keys.optional("expect_exit"))
        if (auto v = r.int_value(*x, "expect_exit", 0, 255)) e.expect_exit = static_cast<int>(*v);
    e.expect_json = read_expect_json(keys);
    return e;
}

bool same(const check_spec& x, const check_spec& y) {
    const auto& a = std::get<exec_spec>(x);
    const auto& b = std::get<exec_spec>(y);
    return a.argv == b.argv && a.env == b.env && a.cwd == b.cwd && a.expect_exit == b.expect_exit &&
           a.expect_json == b.expect_json;
}

std::string no_host(const check_spec&) {
    return "";
}

net::awaitable<check_result> run(check_config cfg, steady_clock::time_point deadline,
                                 run_context ctx) {
    return run_exec(std::get<exec_spec>(cfg.spec), cfg.timeout, deadline, ctx, secret_values(cfg));
}

constexpr std::string_view schema = R"json({
  "check": {
    "allOf": [{"$ref": "#/$defs/common"}],
    "properties": {
      "type": {"const": "exec"},
      "command": {
        "description": "a list is run as argv; a string by /bin/sh -c",
        "oneOf": [
          {"type": "string", "pattern": "\\S"},
          {"type": "array", "minItems": 1, "items": {"type": ["string", "number"]}, "prefixItems": [{"type": "string", "minLength": 1}]}
        ]
      },
      "env": {"$ref": "#/$defs/string_map"},
      "cwd": {"type": "string", "minLength": 1},
      "expect_exit": {"type": "integer", "minimum": 0, "maximum": 255},
      "expect_json": {"$ref": "#/$defs/expect_json"}
    },
    "required": ["command"],
    "unevaluatedProperties": false
  }
})json";

constexpr std::string_view docs = R"md(| key | meaning | default |
|---|---|---|
| `command` | list (argv) or string (`/bin/sh -c`) | required |
| `env` | map of variables added to heartbeatd's environment | none |
| `cwd` | working directory; a relative one is taken from the config file's folder | heartbeatd's |
| `expect_exit` | the exit code that passes, `0`–`255` | `0` |
| `expect_json` | map of paths in stdout, read as JSON, to expected values or comparisons (see [JSON assertions](#json-assertions)) | none |
)md";

}  // namespace

const check_unit& exec_spec::unit() {
    static const check_unit unit{"exec",  {"command", "env", "cwd", "expect_exit", "expect_json"},
                                 read,    same,
                                 no_host, place,
                                 run,     nullptr,
                                 nullptr, schema,
                                 docs,    nullptr,
                                 nullptr, "system"};
    return unit;
}

}  // namespace heartbeat
