#define BOOST_TEST_MODULE e2e_schema
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "child.hpp"
#include "tls.hpp"

using namespace heartbeat::test;
namespace fs = std::filesystem;

namespace {

const std::string source = HEARTBEAT_SOURCE_DIR;

/** Debian's python3 (with python3-jsonschema and python3-yaml), wherever the PATH points. The
 * checker reads YAML as 1.2, as editors do. */
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
        {"checks:\n" + tcp + ", interval: 0, probes: liveness, enabled: false}\n", true},
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
        {"checks:\n" + tcp + ", interval: 1m, interval_failing: 5s}\n", true},
        {"checks:\n" + tcp + ", interval_failing: 0}\n", false},
        {"checks:\n" + tcp + ", failure_threshold: 0}\n", false},
        {"checks:\n" + tcp + ", url: 'http://x/'}\n", false},
        {"checks:\n  - {name: h, type: http, url: 'ftp://x/'}\n", false},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', method: DELETE}\n", false},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', method: post, body: '{}', "
         "expect_body_regex: 'a+', expect_headers: {X-A: b}}\n",
         true},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', method: PUT}\n", true},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', method: pOST, body: x}\n", true},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', method: gEt, body: x}\n", false},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', method: hEAD, expect_json: "
         "{$.a: 1}}\n",
         false},
        {"server: {listen: '[zz]:8080'}\n", false},
        {"server: {listen: '[::1]:8080', push_listen: '[zz]:8081'}\n", false},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', body: x}\n", false},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', username: u}\n", false},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', cert_file: /c, key_file: /k}\n",
         false},
        {"checks:\n" + tcp + ", cert_file: /c, key_file: /k}\n", false},
        {"checks:\n" + tcp + ", tls: true, key_file: /k}\n", false},
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
        {"checks:\n  - {name: d, type: dns, query: db.svc.cluster.local}\n", true},
        {"checks:\n  - {name: d, type: dns, query: example.com, record: mx, server: "
         "'dns.internal:5353', expect: ['10 mail.example.com', backup-mx.example.com], timeout: "
         "2s}\n",
         true},
        {"checks:\n  - {name: d, type: dns, query: _sip._tcp.example.com, record: SRV, server: "
         "'[::1]:53', expect: 'sip.example.com:5060'}\n",
         true},
        {"checks:\n  - {name: d, type: dns, record: A}\n", false},
        {"checks:\n  - {name: d, type: dns, query: a.b, recrod: A}\n", false},
        {"checks:\n  - {name: d, type: dns, query: [a.b]}\n", false},
        {"checks:\n  - {name: d, type: dns, query: a.b, record: PTR}\n", false},
        {"checks:\n  - {name: d, type: dns, query: a.b, expect: []}\n", false},
        {"checks:\n  - {name: p, type: postgres, host: db}\n", true},
        {"checks:\n  - {name: p, type: postgres, host: db, port: 5433, dbname: app, user: monitor, "
         "password_file: secret}\n",
         true},
        {"checks:\n  - {name: p, type: postgres, port: 5432}\n", false},
        {"checks:\n  - {name: p, type: postgres, host: db, database: app}\n", false},
        {"checks:\n  - {name: p, type: postgres, host: db, port: [5432]}\n", false},
        {"checks:\n  - {name: q, type: push, ttl: 30s}\n", true},
        {"checks:\n  - {name: q, type: push, ttl: 1m, probes: [readiness, liveliness], "
         "failure_threshold: 3, success_threshold: 2, enabled: false, allow_remote: true}\n",
         true},
        {"checks:\n  - {name: q, type: push}\n", false},
        {"checks:\n  - {name: q, type: push, tll: 30s}\n", false},
        {"checks:\n  - {name: q, type: push, ttl: [30s]}\n", false},
        {"checks:\n  - {name: q, type: push, ttl: 30s, retries: 1}\n", false},
        {"checks:\n  - {name: q, type: push, ttl: 30s, retry_delay: 1s}\n", false},
        {"checks:\n  - {name: g, type: grpc, host: h, port: 50051}\n", true},
        {"checks:\n  - {name: g, type: grpc, host: h, port: 443, service: shop.Orders, tls: true, "
         "tls_verify: false, ca_file: /ca.pem, cert_file: cert.pem, key_file: key.pem, "
         "min_cert_validity: 14d, token_file: secret}\n",
         true},
        {"checks:\n  - {name: g, type: grpc, host: h}\n", false},
        {"checks:\n  - {name: g, type: grpc, host: h, port: 1, servce: x}\n", false},
        {"checks:\n  - {name: g, type: grpc, host: h, port: 1, service: [a]}\n", false},
        {"checks:\n  - {name: g, type: grpc, host: h, port: 1, tls: false, tls_verify: false}\n",
         false},
        {"checks:\n  - {name: g, type: grpc, host: h, port: 1, ca_file: /ca.pem}\n", false},
        {"checks:\n  - {name: g, type: grpc, host: h, port: 1, cert_file: cert.pem, key_file: "
         "key.pem}\n",
         false},
        {"checks:\n  - {name: g, type: grpc, host: h, port: 1, tls: true, cert_file: cert.pem}\n",
         false},
    };
    temp_dir dir;
    // The files the cases name, relative to their folder: a secret, a client certificate and key.
    dir.write("secret", "s3cr3t-value\n");
    self_signed client(dir.path(), {"client"});
    int n = 0;
    for (const auto& [text, good] : cases) {
        auto file = dir.write("case" + std::to_string(n++) + ".yaml", text);
        std::string v_why, s_why;
        BOOST_TEST(validate_accepts(file, v_why) == good, "validate on:\n" << text << v_why);
        BOOST_TEST(schema_accepts(file, s_why) == good, "schema on:\n" << text << s_why);
    }
}

namespace {

/** Each config alone in a file, through both: what each says. */
void verdicts(const std::vector<std::string>& texts, std::vector<bool>& by_validate,
              std::vector<bool>& by_schema, std::vector<std::string>& why) {
    temp_dir dir;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        auto file = dir.write("scalar" + std::to_string(i) + ".yaml", texts[i]);
        std::string v, s;
        by_validate.push_back(validate_accepts(file, v));
        by_schema.push_back(schema_accepts(file, s));
        why.push_back("validate: " + v + "schema: " + s);
    }
}

const std::string one_tcp = "checks:\n  - {name: a, type: tcp, host: h, port: 1";

}  // namespace

// Item by item, the scalar kinds where YAML 1.1 habits, quotes and variables could make the two
// disagree: booleans, integers, durations, lists written as one value, variables in text.
BOOST_AUTO_TEST_CASE(schema_and_validate_agree_on_every_kind_of_scalar) {
    const std::string file = "checks:\n  - {name: f, type: file, path: /";
    const std::vector<std::pair<std::string, bool>> cases = {
        {file + ", enabled: false}\n", true},
        {file + ", enabled: True}\n", true},
        {file + ", enabled: \"false\"}\n", false},
        {file + ", enabled: 'true'}\n", false},
        {file + ", enabled: yes}\n", false},
        {file + ", enabled: off}\n", false},
        {file + ", enabled: No}\n", false},
        {file + ", enabled: 1}\n", false},
        {file + ", enabled: }\n", false},
        {one_tcp + ", tls: on}\n", false},
        {one_tcp + ", tls: true, tls_verify: 'false'}\n", false},
        {one_tcp + ", tls: true, tls_verify: false}\n", true},
        {"server: {push_listen: false}\n", true},
        {"server: {push_listen: 'false'}\n", false},
        {"server: {push_listen: ''}\n", true},
        {"server: {push_listen: off}\n", false},
        {"checks:\n  - {name: a, type: tcp, host: h, port: 65535}\n", true},
        {"checks:\n  - {name: a, type: tcp, host: h, port: 0}\n", false},
        {"checks:\n  - {name: a, type: tcp, host: h, port: -1}\n", false},
        {"checks:\n  - {name: a, type: tcp, host: h, port: 1.5}\n", false},
        {"checks:\n  - {name: a, type: tcp, host: h, port: true}\n", false},
        {"server: {max_connections: 100001}\n", false},
        {one_tcp + ", failure_threshold: 1000}\n", true},
        {one_tcp + ", timeout: 1.5}\n", true},
        {one_tcp + ", timeout: '250ms', interval: 2m}\n", true},
        {one_tcp + ", timeout: .5s}\n", true},
        {one_tcp + ", timeout: 0s}\n", false},
        {one_tcp + ", interval: 0}\n", true},
        {one_tcp + ", timeout: 1:30}\n", false},
        {one_tcp + ", timeout: true}\n", false},
        {file + ", max_age: 14d}\n", true},
        {one_tcp + ", probes: startup}\n", true},
        {one_tcp + ", probes: [startup, liveness]}\n", true},
        {one_tcp + ", probes: yes}\n", false},
        {"environ: {variables: HOME}\n", true},
        {"environ: {variables: [HOME, PATH]}\n", true},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', expect_status: 204}\n", true},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', expect_status: 2xx}\n", true},
        {"checks:\n  - {name: e, type: exec, command: 'true'}\n", true},
        {"checks:\n  - {name: e, type: exec, command: [sleep, '5']}\n", true},
        {"checks:\n  - {name: e, type: exec, command: [sleep, 5]}\n", true},
        // Variables in text values: the schema sees the text as written, validate its value.
        {"checks:\n  - {name: a, type: tcp, host: '${HB_SCHEMA_UNSET:-db}', port: 1}\n", true},
        {"checks:\n  - {name: h, type: http, url: 'http://${HB_SCHEMA_UNSET:-x}/'}\n", true},
        {"checks:\n  - {name: a, type: tcp, host: h, port: 1, expect: '^ok$'}\n", true},
    };
    std::vector<std::string> texts;
    for (const auto& c : cases) texts.push_back(c.first);
    std::vector<bool> v, s;
    std::vector<std::string> why;
    verdicts(texts, v, s, why);
    for (std::size_t i = 0; i < cases.size(); ++i) {
        BOOST_TEST(v[i] == cases[i].second, "validate on:\n" << cases[i].first << why[i]);
        BOOST_TEST(s[i] == cases[i].second, "schema on:\n" << cases[i].first << why[i]);
    }
}

// README.md ("Editing the YAML") lists where they differ on purpose; each one still differs so.
BOOST_AUTO_TEST_CASE(the_exceptions_the_readme_lists_differ_as_it_says) {
    struct exception_case {
        std::string text;
        bool validate;
        bool schema;
    };
    // Files the cases name: a secret, and a certificate with another certificate's key.
    temp_dir files;
    const auto secret = files.write("secret", "s3cr3t-value\n");
    temp_dir other;
    self_signed client(files.path(), {"client"}), stranger(other.path(), {"stranger"});
    const std::vector<exception_case> cases = {
        // A whole value from a variable where the schema wants a number or a boolean.
        {"checks:\n  - {name: a, type: tcp, host: h, port: '${HB_SCHEMA_UNSET:-5432}'}\n", true,
         false},
        // (Block style: in flow style YAML ends a plain value at its first `}`.)
        {"checks:\n  - name: a\n    type: tcp\n    host: h\n    port: ${HB_SCHEMA_UNSET:-5432}\n",
         true, false},
        {"checks:\n  - name: f\n    type: file\n    path: /\n    enabled: "
         "${HB_SCHEMA_UNSET:-false}\n",
         true, false},
        // Quoted, as a flow mapping needs it: the value still decides.
        {"checks:\n  - {name: f, type: file, path: /, enabled: \"${HB_SCHEMA_UNSET:-false}\"}\n",
         true, false},
        // Quoted numbers.
        {"checks:\n  - {name: a, type: tcp, host: h, port: '5432'}\n", true, false},
        {one_tcp + ", failure_threshold: \"3\"}\n", true, false},
        // Numbers and booleans written plain where the schema wants text.
        {"checks:\n  - {name: g, type: grpc, host: h, port: 1, service: 1}\n", true, false},
        {"checks:\n  - {name: 123, type: file, path: /}\n", true, false},
        {one_tcp + ", send: 5}\n", true, false},
        // Numbers written other than as plain decimals.
        {"checks:\n  - {name: a, type: tcp, host: h, port: 0x50}\n", false, true},
        {"checks:\n  - {name: a, type: tcp, host: h, port: +80}\n", false, true},
        {"checks:\n  - {name: a, type: tcp, host: h, port: 80.0}\n", false, true},
        {one_tcp + ", timeout: 0x10}\n", false, true},
        {one_tcp + ", timeout: 1.5e1s}\n", true, false},
        // A variable that is not set and has no default.
        {"checks:\n  - {name: a, type: tcp, host: '${HB_SCHEMA_UNSET}', port: 1}\n", false, true},
        // A method in mixed case; a boolean where text is wanted.
        {"checks:\n  - {name: g, type: grpc, host: h, port: 1, service: true}\n", true, false},
        // Values that validate reads further than the schema's types and patterns.
        {"checks:\n  - {name: d, type: dns, query: a..b}\n", false, true},
        {"checks:\n  - {name: d, type: dns, query: a.b, server: '[::1]53'}\n", false, true},
        {"checks:\n  - {name: d, type: dns, query: a.b, record: A, expect: [10.0.0.300]}\n", false,
         true},
        {"checks:\n  - {name: h, type: http, url: 'http://x:99999/'}\n", false, true},
        {"checks:\n  - {name: h, type: http, url: 'http://:80/'}\n", false, true},
        {"checks:\n  - {name: h, type: http, url: 'http://x/a b'}\n", false, true},
        {"server: {listen: 'x:99999'}\n", false, true},
        {"server: {push_listen: 'x:99999'}\n", false, true},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', headers: {'X A': b}}\n", false,
         true},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', expect_headers: {'X:A': b}}\n",
         false, true},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', headers_from_files: {'X A': " +
             secret + "}}\n",
         false, true},
        {"checks:\n  - {name: e, type: exec, command: 'true', env: {'A=B': x}}\n", false, true},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', expect_body_regex: '('}\n", false,
         true},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', expect_json: {$.a: 1e400}}\n", false,
         true},
        // Credentials given two ways.
        {"checks:\n  - {name: h, type: http, url: 'http://x/', token_file: " + secret +
             ", headers: {Authorization: 'Bearer abcd'}}\n",
         false, true},
        {"checks:\n  - {name: h, type: http, url: 'http://u:pw@x/', username: u, password_file: " +
             secret + "}\n",
         false, true},
        {"checks:\n  - {name: h, type: http, url: 'http://u:pw@x/', headers: {Authorization: "
         "'Basic abcd'}}\n",
         false, true},
        // What a schema cannot express.
        {one_tcp + ", timeout: 400d}\n", false, true},
        {one_tcp + ", timeout: 500ms, max_duration: 500ms}\n", false, true},
        {one_tcp + ", timeout: .inf}\n", false, true},
        {one_tcp + "}\n" + "  - {name: a, type: file, path: /}\n", false, true},
        {one_tcp + ", port: 2}\n", false, true},
        {"server: {push_listen: '0.0.0.0:8080'}\nchecks:\n  - {name: q, type: push, ttl: 1s}\n",
         false, true},
        // What depends on other files: secret files, a client certificate and its key.
        {"checks:\n  - {name: h, type: http, url: 'http://x/', username: u, password_file: "
         "/nonexistent}\n",
         false, true},
        {"checks:\n  - {name: g, type: grpc, host: h, port: 1, token_file: /nonexistent}\n", false,
         true},
        {"checks:\n  - {name: h, type: http, url: 'http://x/', headers_from_files: {X-A: "
         "/nonexistent}}\n",
         false, true},
        {"server: {push_token_file: /nonexistent}\n", false, true},
        {"checks:\n  - {name: h, type: http, url: 'https://x/', cert_file: /nonexistent, key_file: "
         "/nonexistent}\n",
         false, true},
        {"checks:\n  - {name: h, type: http, url: 'https://x/', cert_file: " + client.cert_file +
             ", key_file: " + stranger.key_file + "}\n",
         false, true},
    };
    std::vector<std::string> texts;
    for (const auto& c : cases) texts.push_back(c.text);
    std::vector<bool> v, s;
    std::vector<std::string> why;
    verdicts(texts, v, s, why);
    for (std::size_t i = 0; i < cases.size(); ++i) {
        BOOST_TEST(v[i] == cases[i].validate, "validate on:\n" << cases[i].text << why[i]);
        BOOST_TEST(s[i] == cases[i].schema, "schema on:\n" << cases[i].text << why[i]);
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
