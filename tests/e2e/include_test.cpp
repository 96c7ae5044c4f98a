#define BOOST_TEST_MODULE e2e_include
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include "heartbeatd.hpp"

// `include:` through the built daemon: serve, validate, check and probe read a conf.d; adding a
// file there, or a key to a ConfigMap, reloads and changes readiness.

using namespace heartbeat::test;
namespace fs = std::filesystem;

namespace {

std::string file_check(const std::string& name, const std::string& path) {
    return "  - {name: " + name + ", type: file, path: " + path +
           ", interval: 50ms, timeout: 40ms}\n";
}

/** Written whole at once, as config tools do: a temporary name that no pattern matches, renamed. */
void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path.string() + ".tmp") << text;
    fs::rename(path.string() + ".tmp", path);
}

std::set<std::string> ready_checks(heartbeatd& d) {
    std::set<std::string> out;
    auto body = body_of(d.get(base + "/readiness"));
    for (const auto& [k, v] : body.at("checks").as_object()) out.emplace(k);
    return out;
}

/** A daemon on `main` (with its conf.d written beforehand). */
void start(heartbeatd& d, const fs::path& main) {
    d.config_path = main.string();
    d.start();
}

}  // namespace

BOOST_AUTO_TEST_CASE(serve_validate_check_and_probe_read_a_conf_d) {
    temp_dir dir;
    fs::path root(dir.path());
    // The included check's relative path is taken from conf.d, where the file is.
    write(root / "conf.d" / "alive", "");
    write(root / "conf.d" / "10-worker.yaml", "checks:\n" + file_check("worker", "alive"));
    write(root / "conf.d" / "20-tmp.yaml", "checks:\n" + file_check("tmp", "/tmp"));
    write(root / "heartbeat.yaml", "include: [conf.d/*.yaml]\nchecks:\n" + file_check("root", "/"));
    const std::string main = (root / "heartbeat.yaml").string();

    auto v = run({HEARTBEAT_BINARY, "validate", "--config", main});
    BOOST_TEST(v.code == 0, v.out << v.err);
    BOOST_TEST(v.out == "ok: 3 checks\n");

    auto c = run({HEARTBEAT_BINARY, "check", "--config", main});
    BOOST_TEST(c.code == 0, c.out << c.err);
    auto checked = boost::json::parse(c.out).as_object().at("checks").as_object();
    BOOST_TEST(checked.size() == 3u);
    BOOST_TEST(checked.at("worker").at("status").as_bool(), c.out);

    heartbeatd d;
    start(d, root / "heartbeat.yaml");
    BOOST_TEST((ready_checks(d) == std::set<std::string>{"root", "worker", "tmp"}));
    auto r = d.get(base + "/readiness");
    BOOST_TEST(r.status == 200, r.body);
    BOOST_TEST(d.proc->wait_for_line(std::regex("started with 3 checks")).has_value(),
               d.proc->stderr_text());

    auto p = run({HEARTBEAT_BINARY, "probe", "--config", main, "--listen",
                  "127.0.0.1:" + std::to_string(d.port)});
    BOOST_TEST(p.code == 0, p.out << p.err);
}

BOOST_AUTO_TEST_CASE(a_problem_in_an_included_file_is_named_with_its_own_place) {
    temp_dir dir;
    fs::path root(dir.path());
    write(root / "conf.d" / "a.yaml", "checks:\n" + file_check("db", "/"));
    write(root / "conf.d" / "b.yaml",
          "server: {listen: ':9'}\nchecks:\n  - name: db\n    type: file\n    path: /\n");
    write(root / "heartbeat.yaml", "include:\n  - conf.d/*.yaml\n  - missing.yaml\n");
    const std::string main = (root / "heartbeat.yaml").string();
    const std::string a = (root / "conf.d" / "a.yaml").string(),
                      b = (root / "conf.d" / "b.yaml").string();
    auto v = run({HEARTBEAT_BINARY, "validate", "--config", main});
    BOOST_TEST(v.code == 1);
    BOOST_TEST(
        v.out == main + ":3:5: cannot include 'missing.yaml': " + (root / "missing.yaml").string() +
                     " does not exist\n" + b +
                     ":1:1: key 'server' does not apply in an included file: it belongs in "
                     "the main file\n" +
                     b + ":3:5: duplicate check name 'db' (first defined at " + a + ":2:5)\n",
        v.out);
    // serve refuses to start with the same messages; probe says why it asks the default place.
    auto s = run({HEARTBEAT_BINARY, "serve", "--config", main, "--listen", "127.0.0.1:0"});
    BOOST_TEST(s.code == 1);
    BOOST_TEST(s.err.find(b + ":3:5: duplicate check name 'db'") != std::string::npos, s.err);
    auto p = run({HEARTBEAT_BINARY, "probe", "--config", main, "--timeout", "1s"});
    BOOST_TEST(p.err.find("the config does not load (" + main + ":3:5: cannot include") !=
                   std::string::npos,
               p.err);
}

BOOST_AUTO_TEST_CASE(a_file_added_to_conf_d_reloads_and_readiness_follows) {
    temp_dir dir;
    fs::path root(dir.path());
    write(root / "conf.d" / "10-root.yaml", "checks:\n" + file_check("root", "/"));
    write(root / "heartbeat.yaml", "include: conf.d/*.yaml\n");
    heartbeatd d;
    start(d, root / "heartbeat.yaml");
    BOOST_TEST(d.get(base + "/readiness").status == 200);
    auto since = body_of(d.get(base + "/readiness")).at("checks").at("root").at("since");

    // A new file whose check fails: readiness turns 500 after the reload.
    write(root / "conf.d" / "20-missing.yaml",
          "checks:\n" + file_check("missing", (root / "nothing-here").string()));
    BOOST_TEST(poll_until([&] { return d.get(base + "/readiness").status == 500; }, 5000));
    BOOST_TEST((ready_checks(d) == std::set<std::string>{"root", "missing"}));
    BOOST_TEST(d.proc
                   ->wait_for_line(std::regex("reloaded \\(file changed\\): 2 checks \\(1 added, 0 "
                                              "removed, 0 changed, 1 unchanged\\)"))
                   .has_value(),
               d.proc->stderr_text());
    // The included check that did not change kept its state.
    BOOST_TEST(body_of(d.get(base + "/readiness")).at("checks").at("root").at("since") == since);

    // A bad edit of an included file is refused, its place named; the checks go on.
    write(root / "conf.d" / "20-missing.yaml", "checks:\n  - name: missing\n    tipe: file\n");
    BOOST_TEST(d.proc
                   ->wait_for_line(
                       std::regex("20-missing\\.yaml:3:5: unknown key 'tipe' in check 'missing'"))
                   .has_value(),
               d.proc->stderr_text());
    BOOST_TEST(d.proc->wait_for_line(std::regex("reload \\(file changed\\) refused")).has_value());
    BOOST_TEST((ready_checks(d) == std::set<std::string>{"root", "missing"}));

    // The file removed: readiness passes again.
    fs::remove(root / "conf.d" / "20-missing.yaml");
    BOOST_TEST(poll_until([&] { return d.get(base + "/readiness").status == 200; }, 5000));
    BOOST_TEST((ready_checks(d) == std::set<std::string>{"root"}));
}

BOOST_AUTO_TEST_CASE(a_key_added_to_a_configmap_with_several_keys_reloads) {
    // One ConfigMap, mounted as the kubelet does: each key a link into ..data, ..data a link to a
    // timestamped folder; the main key includes the others.
    temp_dir mount;
    fs::path m(mount.path());
    write(m / "..v1" / "heartbeat.yaml",
          "include: ['checks-*.yaml']\nchecks:\n" + file_check("app", "/"));
    write(m / "..v1" / "checks-db.yaml", "checks:\n" + file_check("db", "/"));
    fs::create_directory_symlink("..v1", m / "..data");
    for (auto key : {"heartbeat.yaml", "checks-db.yaml"})
        fs::create_symlink(fs::path("..data") / key, m / key);
    heartbeatd d;
    start(d, m / "heartbeat.yaml");
    BOOST_TEST((ready_checks(d) == std::set<std::string>{"app", "db"}));
    BOOST_TEST(d.get(base + "/readiness").status == 200);

    // The update adds the key checks-cache.yaml with a failing check.
    write(m / "..v2" / "heartbeat.yaml",
          "include: ['checks-*.yaml']\nchecks:\n" + file_check("app", "/"));
    write(m / "..v2" / "checks-db.yaml", "checks:\n" + file_check("db", "/"));
    write(m / "..v2" / "checks-cache.yaml",
          "checks:\n" + file_check("cache", (m / "no-such-file").string()));
    fs::create_directory_symlink("..v2", m / "..data_tmp");
    fs::rename(m / "..data_tmp", m / "..data");
    fs::create_symlink("..data/checks-cache.yaml", m / "checks-cache.yaml");
    fs::remove_all(m / "..v1");
    BOOST_TEST(poll_until([&] { return d.get(base + "/readiness").status == 500; }, 5000));
    BOOST_TEST((ready_checks(d) == std::set<std::string>{"app", "db", "cache"}));
}
