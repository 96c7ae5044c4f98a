#define BOOST_TEST_MODULE e2e_schema
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "child.hpp"

using namespace heartbeat::test;
namespace fs = std::filesystem;

namespace {

const std::string source = HEARTBEAT_SOURCE_DIR;

/** Debian's python3 (with python3-jsonschema and python3-yaml), wherever the PATH points. */
std::string python() {
    return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

/** Whether the schema accepts the file, per tests/support/schema_check.py. */
bool schema_accepts(const std::string& file, std::string& why) {
    auto r = run({python(), source + "/tests/support/schema_check.py",
                  source + "/config/heartbeat.schema.json", file});
    BOOST_TEST_REQUIRE(r.code == 0, "schema check could not run: " << r.err);
    why = r.out;
    return r.out.find(": ok\n") != std::string::npos;
}

bool validate_accepts(const std::string& file, std::string& why) {
    auto r = run({HEARTBEAT_BINARY, "validate", "--config", file});
    why = r.out;
    return r.code == 0;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_example_config_passes_both) {
    std::vector<std::string> files = {source + "/config/heartbeat.yaml"};
    for (const auto& e : fs::directory_iterator(source + "/config/examples"))
        if (e.path().extension() == ".yaml") files.push_back(e.path().string());
    BOOST_TEST(files.size() >= 4u);
    for (const auto& f : files) {
        std::string why;
        BOOST_TEST(validate_accepts(f, why), f << ": " << why);
        BOOST_TEST(schema_accepts(f, why), f << ": " << why);
    }
}

BOOST_AUTO_TEST_CASE(example_configs_carry_the_editor_modeline) {
    for (const auto& e : fs::directory_iterator(source + "/config/examples")) {
        std::ifstream in(e.path());
        std::string first;
        std::getline(in, first);
        BOOST_TEST(first == "# yaml-language-server: $schema=../heartbeat.schema.json", e.path());
    }
}

BOOST_AUTO_TEST_CASE(schema_and_validate_agree_on_good_and_bad_files) {
    const std::string tcp = "  - {name: a, type: tcp, host: h, port: 1";
    const std::vector<std::pair<std::string, bool>> cases = {
        {"", true},
        {"checks: []\n", true},
        {"checks:\n" + tcp + ", interval: 0, probes: liveness, enabled: no}\n", true},
        {"checks:\n  - {name: x.y_z-1, type: file, path: /, kind: dir, max_age: 1.5m, min_size: "
         "0}\n",
         true},
        {"checks:\n  - {name: h, type: http, url: 'https://u:p@[::1]:8443/x', method: head, "
         "expect_status: [200, 3xx]}\n",
         true},
        {"checks:\n  - {name: e, type: exec, command: 'true', env: {A: b}, expect_exit: 3}\n",
         true},
        {"server: {listen: '[::]:9000', base_path: /health, shutdown_delay: 2s}\n", true},
        {"checks:\n" + tcp +
             ", interval: 1.5d, tls: true, tls_verify: false, ca_file: /ca.pem, "
             "min_cert_validity: 14d}\n",
         true},
        {"checks:\n  - {name: h, type: http, url: 'https://x/', min_cert_validity: 0}\n", true},
        {"checks:\n" + tcp + ", min_cert_validity: 14d}\n", false},
        {"checks:\n" + tcp + ", tls: false, ca_file: /ca.pem}\n", false},
        {"checks:\n" + tcp + ", tls: true, min_cert_validity: 2w}\n", false},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', min_cert_validity: 1d}\n", false},
        {"chekcs: []\n", false},
        {"checks:\n" + tcp + ", tiemout: 1s}\n", false},
        {"checks:\n  - {name: a, type: tcp, host: h, port: 70000}\n", false},
        {"checks:\n  - {name: a, type: tcp, port: 1}\n", false},
        {"checks:\n" + tcp + ", probes: [readyness]}\n", false},
        {"checks:\n" + tcp + ", timeout: 5 sec}\n", false},
        {"checks:\n" + tcp + ", timeout: 0}\n", false},
        {"checks:\n" + tcp + ", failure_threshold: 0}\n", false},
        {"checks:\n" + tcp + ", url: 'http://x/'}\n", false},
        {"checks:\n  - {name: h, type: http, url: 'ftp://x/'}\n", false},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', method: POST}\n", false},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', expect_status: [99]}\n", false},
        {"checks:\n  - {name: e, type: exec, command: []}\n", false},
        {"checks:\n  - {name: e, type: exec, command: '  '}\n", false},
        {"checks:\n  - {name: f, type: file, path: /x, kind: socket}\n", false},
        {"checks:\n  - {name: 'a b', type: file, path: /x}\n", false},
        {"checks:\n  - {name: n, type: nope}\n", false},
        {"checks: {a: 1}\n", false},
        {"server: {listen: '8080'}\n", false},
        {"server: {base_path: health}\n", false},
        {"defaults: {interval: -1s}\n", false},
        {"checks: [\n", false},
    };
    temp_dir dir;
    int n = 0;
    for (const auto& [text, good] : cases) {
        auto file = dir.write("case" + std::to_string(n++) + ".yaml", text);
        std::string v_why, s_why;
        BOOST_TEST(validate_accepts(file, v_why) == good, "validate on:\n" << text << v_why);
        BOOST_TEST(schema_accepts(file, s_why) == good, "schema on:\n" << text << s_why);
    }
}

BOOST_AUTO_TEST_CASE(schema_and_validate_agree_on_include) {
    temp_dir dir;
    // An included file is checked against the same schema as a main file: only checks.
    auto included = dir.write("db.yaml", "checks:\n  - {name: db, type: tcp, host: h, port: 1}\n");
    const std::vector<std::pair<std::string, bool>> cases = {
        {"include: [db.yaml, 'conf.d/*.yaml']\n", true},
        {"include: 'd*.yaml'\n", true},
        {"include: []\n", true},
        {"include:\n", true},
        {"include: ''\n", false},
        {"include: ['']\n", false},
        {"include: [[db.yaml]]\n", false},
        {"include: {db.yaml: true}\n", false},
        {"include: [1]\n", false},  // no file named 1 here
    };
    int n = 0;
    for (const auto& [text, good] : cases) {
        auto file = dir.write("main" + std::to_string(n++) + ".yaml", text);
        std::string v_why, s_why;
        BOOST_TEST(validate_accepts(file, v_why) == good, "validate on:\n" << text << v_why);
        BOOST_TEST(schema_accepts(file, s_why) == good, "schema on:\n" << text << s_why);
    }
    std::string why;
    BOOST_TEST(validate_accepts(included, why), why);
    BOOST_TEST(schema_accepts(included, why), why);
}
