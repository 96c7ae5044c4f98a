// The file check type as a unit: its keys, schema, docs and runner.
#include <limits>

#include "heartbeat/checks/file/run.hpp"
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/config_checks.hpp"

namespace heartbeat {

namespace {

using config_detail::check_keys;
using config_detail::did_you_mean;
using config_detail::shorten;

void read_kind(check_keys& keys, file_spec& f) {
    auto k = keys.optional("kind");
    if (!k) return;
    auto s = keys.reader.string_value(*k, "kind");
    if (!s) return;
    if (*s == "any")
        f.kind_ = file_spec::kind::any;
    else if (*s == "file")
        f.kind_ = file_spec::kind::file;
    else if (*s == "dir")
        f.kind_ = file_spec::kind::dir;
    else
        keys.reader.error(k->Mark(),
                          fmt::format("'kind' must be file, dir or any, got '{}'{}", shorten(*s),
                                      did_you_mean(*s, {"file", "dir", "any"})));
}

check_spec read(check_keys& keys) {
    auto& r = keys.reader;
    file_spec f;
    if (auto p = keys.required("path"))
        if (auto s = r.string_value(*p, "path")) f.path = *s;
    read_kind(keys, f);
    if (auto a = keys.optional("max_age"))
        if (auto d = r.duration_value(*a, "max_age", false)) f.max_age = *d;
    if (auto m = keys.optional("min_size"))
        if (auto v = r.int_value(*m, "min_size", 0, std::numeric_limits<long long>::max()))
            f.min_size = static_cast<std::uint64_t>(*v);
    return f;
}

bool same(const check_spec& x, const check_spec& y) {
    const auto& a = std::get<file_spec>(x);
    const auto& b = std::get<file_spec>(y);
    return a.path == b.path && a.kind_ == b.kind_ && a.max_age == b.max_age &&
           a.min_size == b.min_size;
}

std::string no_host(const check_spec&) {
    return "";
}

/** A relative `path` is taken from the config file's folder, not the working directory. */
void place(check_spec& spec, const std::filesystem::path& folder) {
    auto& f = std::get<file_spec>(spec);
    if (!f.path.starts_with('/')) f.path = (folder / f.path).string();
}

net::awaitable<check_result> run(check_config cfg, steady_clock::time_point deadline,
                                 run_context ctx) {
    return run_file(std::get<file_spec>(cfg.spec), cfg.timeout, deadline, ctx);
}

constexpr std::string_view schema = R"json({
  "check": {
    "allOf": [{"$ref": "#/$defs/common"}],
    "properties": {
      "type": {"const": "file"},
      "path": {"type": "string", "minLength": 1},
      "kind": {"enum": ["file", "dir", "any"]},
      "max_age": {"$ref": "#/$defs/duration"},
      "min_size": {"type": "integer", "minimum": 0}
    },
    "required": ["path"],
    "unevaluatedProperties": false
  }
})json";

constexpr std::string_view docs = R"md(| key | meaning | default |
|---|---|---|
| `path` | the path; a relative one is taken from the config file's folder (`/etc/heartbeat/` for `/etc/heartbeat/heartbeat.yaml`, also when that file is a ConfigMap's link), not from heartbeatd's working directory | required |
| `kind` | `file`, `dir` or `any` | `any` |
| `max_age` | fails when the last modification is older: the "touch a file while alive" pattern | none |
| `min_size` | fails when smaller, in bytes | none |
)md";

}  // namespace

const check_unit& file_spec::unit() {
    static const check_unit unit{"file",  {"path", "kind", "max_age", "min_size"},
                                 read,    same,
                                 no_host, place,
                                 run,     nullptr,
                                 nullptr, schema,
                                 docs,    nullptr,
                                 nullptr, "system"};
    return unit;
}

}  // namespace heartbeat
