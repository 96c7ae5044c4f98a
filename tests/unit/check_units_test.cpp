#define BOOST_TEST_MODULE check_units
// Each check type is one unit (src/checks/<type>/unit.cpp): these hold its parser, its schema
// fragment, its docs table, the shipped schema and README.md to one another.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "heartbeat/checks/unit.hpp"
#include "heartbeat/config.hpp"

using namespace heartbeat;

namespace {

std::string source_file(const std::string& relative) {
    std::ifstream in(std::string(HEARTBEAT_SOURCE_DIR) + "/" + relative, std::ios::binary);
    BOOST_TEST_REQUIRE(bool(in), "cannot read " << relative);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/** The text of README.md's section `### \`name\`` up to the next heading. */
std::string readme_section(const std::string& readme, std::string_view name) {
    auto heading = "\n### `" + std::string(name) + "`\n";
    auto start = readme.find(heading);
    if (start == std::string::npos) return "";
    auto end = readme.find("\n#", start + heading.size());
    return readme.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

/** The first column of a markdown key table, the backquotes taken off. */
std::vector<std::string> table_keys(std::string_view table) {
    std::vector<std::string> keys;
    std::istringstream lines{std::string(table)};
    for (std::string line; std::getline(lines, line);) {
        if (!line.starts_with("| `")) continue;
        auto end = line.find('`', 3);
        keys.push_back(line.substr(3, end - 3));
    }
    return keys;
}

std::vector<std::string> as_strings(const std::vector<std::string_view>& words) {
    return {words.begin(), words.end()};
}

json::object fragment(const check_unit& unit) {
    return json::parse(unit.schema).as_object().at("check").as_object();
}

/** The type's keys as its schema fragment names them (`type` is a common key). */
std::set<std::string> schema_keys(const check_unit& unit) {
    std::set<std::string> keys;
    const auto check = fragment(unit);  // kept: the loop walks a part of it
    for (const auto& [key, value] : check.at("properties").as_object())
        if (key != "type") keys.insert(std::string(key));
    return keys;
}

std::set<std::string> schema_required(const check_unit& unit) {
    std::set<std::string> keys;
    const auto check = fragment(unit);
    for (const auto& key : check.at("required").as_array())
        keys.insert(std::string(key.as_string()));
    return keys;
}

/** The keys the parser reports missing in a check that gives only name and type. */
std::set<std::string> parser_required(const check_unit& unit) {
    auto r = parse_config("checks:\n  - name: c\n    type: " + std::string(unit.name) + "\n",
                          "test.yaml");
    std::set<std::string> keys;
    const std::string prefix = "missing required key '";
    for (const auto& d : r.diagnostics)
        if (d.message.starts_with(prefix))
            keys.insert(d.message.substr(prefix.size(),
                                         d.message.find('\'', prefix.size()) - prefix.size()));
    return keys;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_registry_holds_one_unit_per_alternative_in_order) {
    const auto& units = check_units();
    BOOST_TEST_REQUIRE(units.size() == std::variant_size_v<check_spec>);
    BOOST_TEST(as_strings(check_type_names()) ==
                   (std::vector<std::string>{"tcp", "http", "exec", "file", "postgres", "dns", "push", "grpc"}),
               boost::test_tools::per_element());
    check_config c;
    c.spec = file_spec{};
    BOOST_TEST(c.type() == "file");
    BOOST_TEST(&unit_of(c.spec) == units[3]);
    std::set<std::string_view> names;
    for (const auto* unit : units) names.insert(unit->name);
    BOOST_TEST(names.size() == units.size(), "type names are unique");
}

BOOST_AUTO_TEST_CASE(each_units_schema_fragment_names_the_keys_its_parser_reads) {
    for (const auto* unit : check_units()) {
        BOOST_TEST_CONTEXT("type " << unit->name) {
            auto keys = as_strings(unit->keys);
            BOOST_TEST(schema_keys(*unit) == std::set<std::string>(keys.begin(), keys.end()),
                       boost::test_tools::per_element());
            BOOST_TEST(fragment(*unit).at("properties").at("type").at("const").as_string() ==
                       unit->name);
            BOOST_TEST(schema_required(*unit) == parser_required(*unit),
                       boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(the_shipped_schema_is_the_one_assembled_from_the_units) {
    const auto shipped = source_file("config/heartbeat.schema.json");
    const json::value committed = json::parse(shipped);
    const json::value assembled = assemble_schema(shipped);
    BOOST_TEST(committed == assembled,
               "config/heartbeat.schema.json differs from the units' "
               "schema; assembled:\n"
                   << json::serialize(assembled));
}

BOOST_AUTO_TEST_CASE(readme_has_each_units_key_table_as_the_unit_writes_it) {
    const auto readme = source_file("README.md");
    for (const auto* unit : check_units()) {
        BOOST_TEST_CONTEXT("type " << unit->name) {
            auto section = readme_section(readme, unit->name);
            BOOST_TEST_REQUIRE(!section.empty(),
                               "README.md has no section ### `" << unit->name << "`");
            BOOST_TEST(section.find(unit->docs) != std::string::npos,
                       "README.md's table differs from the unit's:\n"
                           << unit->docs);
            BOOST_TEST(table_keys(unit->docs) == as_strings(unit->keys),
                       boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(a_type_not_in_the_registry_is_named_with_every_registered_one) {
    auto r = parse_config("checks:\n  - name: c\n    type: htp\n", "test.yaml");
    BOOST_TEST_REQUIRE(r.diagnostics.size() == 1u);
    BOOST_TEST(r.diagnostics[0].message ==
               "unknown check type 'htp' in check 'c': use tcp, http, exec, file, postgres, dns, push or grpc "
               "(did you mean 'http'?)");
    r = parse_config("checks:\n  - name: c\n", "test.yaml");
    BOOST_TEST_REQUIRE(r.diagnostics.size() == 1u);
    BOOST_TEST(r.diagnostics[0].message ==
               "missing required key 'type' in check 'c': one of tcp, http, exec, file, postgres, "
               "dns, push, grpc");
}
