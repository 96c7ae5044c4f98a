#pragma once
// A check type as one unit: what the generic loader, the schema, the docs and the dispatcher need
// of it. Each type defines its own in src/checks/<type>/unit.cpp; nothing outside knows its keys.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "heartbeat/check.hpp"

namespace heartbeat {

struct config;        // heartbeat/config.hpp
struct check_config;  // heartbeat/config.hpp
namespace config_detail {
struct check_keys;  // heartbeat/config_checks.hpp
}

/** One check type: its keys and how it reads, documents, compares and runs them. */
struct check_unit {
    std::string_view name;               // the value of `type:`
    std::vector<std::string_view> keys;  // the keys it takes beyond those every check has
    /** Reads and checks the keys; reports each problem through keys.reader. */
    check_spec (*read)(config_detail::check_keys& keys);
    /** True when two specs of this type would run the same way. */
    bool (*same)(const check_spec& a, const check_spec& b);
    /** The host the check reaches, or "" when it reaches none (a liveliness pitfall). */
    std::string (*remote_host)(const check_spec& spec);
    /** Makes relative paths relative to the config file's `folder` (not empty); may be null. */
    void (*place)(check_spec& spec, const std::filesystem::path& folder);
    /** Runs one check of this type once; `run_check` times it and redacts secrets. */
    net::awaitable<check_result> (*run)(check_config cfg, steady_clock::time_point deadline,
                                        run_context ctx);
    /** Work done once per definition at load, off the I/O thread (it may block: reading CA files,
     * say), so that no run does it; may be null. */
    void (*prepare)(const check_spec& spec);
    /** Adds the values of `spec` that must never be shown (with add_secret); may be null. */
    void (*secrets)(const check_spec& spec, std::vector<std::string>& out);
    /** Its JSON Schema: `{"check": <the alternative of $defs.check.oneOf>, "defs": {...}}`. */
    std::string_view schema;
    /** Its key table in README.md, as written there. */
    std::string_view docs;
    /** For a type whose results the application reports and heartbeatd never runs (push): how
     * often a report must come. Null for a type that runs. */
    duration (*report_ttl)(const check_spec& spec) = nullptr;
    /** For a type that takes `max_duration` (checks/response_time.hpp): its value, which the
     * dispatcher applies to each attempt. Null for a type that does not take it. */
    std::optional<duration> (*max_duration)(const check_spec& spec) = nullptr;
    /** The `componentType` of its entries in health+json answers: "datastore", "system" or
     * "component". */
    std::string_view component_type = "component";
};

/** How often a report must come for a check whose results are reported, not run; nullopt for a
 * check that runs. The scheduler, the answers and `wait` ask this, never the type. */
std::optional<duration> reported_ttl(const check_config& c);

/** Every check type, in the order of check_spec's alternatives. */
const std::vector<const check_unit*>& check_units();

/** The unit of the type that `spec` holds. */
const check_unit& unit_of(const check_spec& spec);

/** Runs each check's `prepare`: blocking, so a loader calls it off the I/O thread. A failure is
 * not kept: the check's run tries again and reports why. */
void prepare_checks(const config& cfg);

/** The type names, in registry order. */
std::vector<std::string_view> check_type_names();

/**
 * The JSON Schema of the whole file: `skeleton` (config/heartbeat.schema.json) with the check
 * types' parts replaced by those of the units (the `type` enums, `$defs.check.oneOf`, and their
 * `$defs`). Throws boost::system::system_error when a text is not JSON.
 */
json::object assemble_schema(std::string_view skeleton);

}  // namespace heartbeat
