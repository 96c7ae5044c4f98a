#include <boost/json/parse.hpp>

#include "heartbeat/checks/unit.hpp"

namespace heartbeat {

namespace {

/** One unit per alternative of the variant, in its order. */
template <class... Spec>
std::vector<const check_unit*> units_of(const std::variant<Spec...>*) {
    return {&Spec::unit()...};
}

json::array type_enum() {
    json::array names;
    for (auto name : check_type_names()) names.emplace_back(name);
    return names;
}

}  // namespace

const std::vector<const check_unit*>& check_units() {
    static const auto units = units_of(static_cast<const check_spec*>(nullptr));
    return units;
}

const check_unit& unit_of(const check_spec& spec) {
    return *check_units()[spec.index()];
}

std::optional<duration> reported_ttl(const check_config& c) {
    if (auto ttl = unit_of(c.spec).report_ttl) return ttl(c.spec);
    return std::nullopt;
}

void prepare_checks(const config& cfg) {
    for (const auto& c : cfg.checks)
        if (auto prepare = unit_of(c.spec).prepare) prepare(c.spec);
}

std::vector<std::string_view> check_type_names() {
    std::vector<std::string_view> names;
    for (const auto* unit : check_units()) names.push_back(unit->name);
    return names;
}

json::object assemble_schema(std::string_view skeleton) {
    json::object schema = json::parse(skeleton).as_object();
    auto& defs = schema.at("$defs").as_object();
    json::array alternatives;
    for (const auto* unit : check_units()) {
        json::object part = json::parse(unit->schema).as_object();
        alternatives.push_back(part.at("check"));
        if (auto* own = part.if_contains("defs"))
            for (const auto& [name, def] : own->as_object()) defs[name] = def;
    }
    // Only now: adding to `defs` moves its members.
    auto& check = defs.at("check").as_object();
    check["oneOf"] = std::move(alternatives);
    check.at("properties").as_object()["type"] = json::object{{"enum", type_enum()}};
    defs.at("common").at("properties").as_object()["type"] = json::object{{"enum", type_enum()}};
    return schema;
}

}  // namespace heartbeat
