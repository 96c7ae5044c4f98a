#define BOOST_TEST_MODULE include
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <filesystem>

#include "child.hpp"
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/config.hpp"

// `include:` as the loader reads it: files in a temporary folder, parsed through load_config as
// `validate` and `serve` do.

using namespace heartbeat;
using namespace heartbeat::test;
namespace fs = std::filesystem;

namespace {

/** A main config and the files it may include, in one temporary folder. */
struct tree {
    temp_dir dir;
    std::string main;

    std::string write(const std::string& name, const std::string& text) const {
        fs::create_directories(fs::path(dir.path() + "/" + name).parent_path());
        return dir.write(name, text);
    }
    load_result load(const std::string& text) {
        main = write("heartbeat.yaml", text);
        return load_config(main);
    }
    /** All diagnostics as `validate` prints them, one per line. */
    std::string printed(const load_result& r) const {
        std::string out;
        for (const auto& d : r.diagnostics) out += d.format(main) + "\n";
        return out;
    }
    std::string at(const std::string& name) const { return dir.path() + "/" + name; }
};

std::vector<std::string> names(const load_result& r) {
    std::vector<std::string> out;
    if (r.cfg)
        for (const auto& c : r.cfg->checks) out.push_back(c.name);
    return out;
}

std::string check(const std::string& name, const std::string& path = "/") {
    return "  - {name: " + name + ", type: file, path: " + path + "}\n";
}

}  // namespace

BOOST_AUTO_TEST_CASE(included_checks_follow_the_main_files_in_pattern_order_each_sorted) {
    tree t;
    t.write("base.yaml", "checks:\n" + check("base"));
    t.write("conf.d/20-b.yaml", "checks:\n" + check("twenty"));
    t.write("conf.d/10-a.yaml", "checks:\n" + check("ten") + check("ten-too"));
    t.write("conf.d/notes.txt", "not yaml: [");
    auto r = t.load("include: [conf.d/*.yaml, base.yaml]\nchecks:\n" + check("main"));
    BOOST_TEST_REQUIRE(r.ok(), t.printed(r));
    BOOST_TEST((names(r) == std::vector<std::string>{"main", "ten", "ten-too", "twenty", "base"}));
}

BOOST_AUTO_TEST_CASE(a_patterns_matches_are_in_byte_order_whatever_the_locale) {
    tree t;
    for (std::string n : {"b", "a", "B", "10", "9"})
        t.write("d/" + n + ".yaml", "checks:\n" + check("c" + n));
    auto r = t.load("include: d/*.yaml\n");  // a single pattern, not a list
    BOOST_TEST_REQUIRE(r.ok(), t.printed(r));
    BOOST_TEST((names(r) == std::vector<std::string>{"c10", "c9", "cB", "ca", "cb"}));
    BOOST_TEST((glob_files(t.dir.path(), "d/*.yaml") ==
                std::vector<std::string>{t.at("d/10.yaml"), t.at("d/9.yaml"), t.at("d/B.yaml"),
                                         t.at("d/a.yaml"), t.at("d/b.yaml")}));
}

BOOST_AUTO_TEST_CASE(included_checks_take_the_main_files_defaults) {
    tree t;
    t.write("conf.d/a.yaml", "checks:\n" + check("a"));
    auto r = t.load("defaults: {interval: 7s, timeout: 3s}\ninclude: [conf.d/*.yaml]\n");
    BOOST_TEST_REQUIRE(r.ok(), t.printed(r));
    BOOST_TEST(r.cfg->checks.at(0).interval == std::chrono::seconds(7));
    BOOST_TEST(r.cfg->checks.at(0).timeout == std::chrono::seconds(3));
}

BOOST_AUTO_TEST_CASE(an_empty_conf_d_is_fine_and_a_missing_literal_path_is_an_error_at_its_entry) {
    tree t;
    fs::create_directory(t.at("conf.d"));
    auto empty = t.load("include:\n  - conf.d/*.yaml\n  - none/*.yaml\nchecks:\n" + check("main"));
    BOOST_TEST_REQUIRE(empty.ok(), t.printed(empty));
    BOOST_TEST((names(empty) == std::vector<std::string>{"main"}));

    auto missing = t.load("include:\n  - conf.d/*.yaml\n  - db.yaml\nchecks:\n" + check("main"));
    BOOST_TEST(!missing.ok());
    BOOST_TEST(t.printed(missing) ==
               t.main + ":3:5: cannot include 'db.yaml': " + t.at("db.yaml") + " does not exist\n");
    // A folder named where a file is expected.
    auto folder = t.load("include: conf.d\n");
    BOOST_TEST(t.printed(folder) == t.main + ":1:10: cannot include 'conf.d': " + t.at("conf.d") +
                                        " is not a regular file\n");
    auto blank = t.load("include: ['']\n");
    BOOST_TEST(t.printed(blank) ==
               t.main +
                   ":1:11: an entry of 'include' must not be empty: name a file or a pattern\n");
    auto mapping = t.load("include: {a: b}\n");
    BOOST_TEST(t.printed(mapping) == t.main + ":1:10: 'include' must be a list\n");
}

BOOST_AUTO_TEST_CASE(a_duplicate_name_across_files_names_both_places) {
    tree t;
    t.write("conf.d/a.yaml", "checks:\n" + check("other") + check("db"));
    t.write("conf.d/b.yaml", "\nchecks:\n  -   {name: other, type: file, path: /}\n");
    auto r = t.load("include: [conf.d/*.yaml]\nchecks:\n" + check("db"));
    BOOST_TEST(!r.ok());
    BOOST_TEST(t.printed(r) == t.at("conf.d/a.yaml") +
                                   ":3:5: duplicate check name 'db' (first defined at " + t.main +
                                   ":3:5)\n" + t.at("conf.d/b.yaml") +
                                   ":3:7: duplicate check name 'other' (first defined at " +
                                   t.at("conf.d/a.yaml") + ":2:5)\n");
    // Within one file, as before: the line alone.
    auto same = t.load("checks:\n" + check("x") + check("x"));
    BOOST_TEST(t.printed(same) ==
               t.main + ":3:5: duplicate check name 'x' (first defined at line 2)\n");
}

BOOST_AUTO_TEST_CASE(an_included_file_holds_only_checks) {
    tree t;
    t.write("conf.d/a.yaml",
            "server: {listen: ':1'}\nchecks:\n" + check("a") + "include: [x.yaml]\ndefaults: {}\n");
    t.write("conf.d/b.yaml", "- a\n");
    t.write("conf.d/c.yaml", "chekcs: []\n");
    auto r = t.load("include: conf.d/*.yaml\n");
    BOOST_TEST(!r.ok());
    const std::string a = t.at("conf.d/a.yaml"), b = t.at("conf.d/b.yaml"),
                      c = t.at("conf.d/c.yaml");
    const std::string where = " does not apply in an included file: it belongs in the main file\n";
    BOOST_TEST(t.printed(r) ==
               a + ":1:1: key 'server'" + where + a + ":4:1: key 'include'" + where + a +
                   ":5:1: key 'defaults'" + where + b +
                   ":1:1: an included file must be a mapping with the key checks\n" + c +
                   ":1:1: unknown key 'chekcs' in an included file (did you mean 'checks'?)\n");
}

BOOST_AUTO_TEST_CASE(every_problem_in_an_included_file_names_that_file_after_the_main_files) {
    tree t;
    t.write("conf.d/a.yaml", "checks:\n  - name: a\n    type: file\n    pathh: /\n");
    t.write("conf.d/b.yaml", "checks: [\n");
    auto r = t.load("include: [conf.d/*.yaml]\nchecks:\n  - {name: m, type: tcp, host: h}\n");
    BOOST_TEST(!r.ok());
    auto text = t.printed(r);
    auto main_at = text.find(t.main + ":3:5: missing required key 'port' in check 'm'");
    auto a_at = text.find(t.at("conf.d/a.yaml") +
                          ":4:5: unknown key 'pathh' in check 'a' (did you mean 'path'?)");
    auto b_at = text.find(t.at("conf.d/b.yaml") + ":");
    BOOST_TEST(main_at != std::string::npos, text);
    BOOST_TEST(a_at != std::string::npos, text);
    BOOST_TEST(b_at != std::string::npos, text);
    BOOST_TEST(text.find("YAML syntax:", b_at) != std::string::npos, text);
    BOOST_TEST((main_at < a_at && a_at < b_at), text);
}

BOOST_AUTO_TEST_CASE(relative_paths_in_an_included_file_are_taken_from_its_own_folder) {
    tree t;
    t.write("conf.d/a.yaml", "checks:\n" + check("inner", "alive") + check("abs", "/run/x"));
    auto r = t.load("include: [conf.d/a.yaml]\nchecks:\n" + check("outer", "alive"));
    BOOST_TEST_REQUIRE(r.ok(), t.printed(r));
    auto path_of = [&](std::size_t i) {
        return std::get<file_spec>(r.cfg->checks.at(i).spec).path;
    };
    BOOST_TEST(path_of(0) == t.at("alive"));
    BOOST_TEST(path_of(1) == t.at("conf.d/alive"));
    BOOST_TEST(path_of(2) == "/run/x");
    // An absolute pattern is taken as it is.
    auto abs = t.load("include: ['" + t.at("conf.d") + "/*.yaml']\n");
    BOOST_TEST_REQUIRE(abs.ok(), t.printed(abs));
    BOOST_TEST(std::get<file_spec>(abs.cfg->checks.at(0).spec).path == t.at("conf.d/alive"));
}

BOOST_AUTO_TEST_CASE(the_main_file_and_a_file_matched_twice_are_read_once) {
    tree t;
    t.write("db.yaml", "checks:\n" + check("db"));
    // `*.yaml` next to the main file matches the main file itself: left out.
    auto r = t.load("include: ['*.yaml', db.yaml, 'd*.yaml']\nchecks:\n" + check("main"));
    BOOST_TEST_REQUIRE(r.ok(), t.printed(r));
    BOOST_TEST((names(r) == std::vector<std::string>{"main", "db"}));
    auto self = t.load("include: [heartbeat.yaml]\n");
    BOOST_TEST(t.printed(self) == t.main +
                                      ":1:11: 'heartbeat.yaml' is this file itself: a file cannot "
                                      "include itself\n");
}

BOOST_AUTO_TEST_CASE(sources_list_every_file_and_pattern_and_see_their_changes) {
    tree t;
    t.write("conf.d/a.yaml", "checks:\n" + check("a"));
    t.write("b.yaml", "checks:\n" + check("b"));
    auto r = t.load("include: [conf.d/*.yaml, b.yaml]\n");
    BOOST_TEST_REQUIRE(r.ok(), t.printed(r));
    const auto& s = r.sources;
    BOOST_TEST_REQUIRE(s.files.size() == 3u);
    BOOST_TEST(s.files[0].first == t.main);
    BOOST_TEST(s.files[1].first == t.at("conf.d/a.yaml"));
    BOOST_TEST(s.files[1].second == content_hash("checks:\n" + check("a")));
    BOOST_TEST(s.files[2].first == t.at("b.yaml"));
    BOOST_TEST_REQUIRE(s.globs.size() == 1u);
    BOOST_TEST(s.globs[0].pattern == "conf.d/*.yaml");
    BOOST_TEST((s.globs[0].matches == std::vector<std::string>{t.at("conf.d/a.yaml")}));
    BOOST_TEST((s.folders() == std::vector<std::string>{t.dir.path(), t.at("conf.d")}));

    BOOST_TEST((reread_sources(s) == s));
    t.write("conf.d/a.yaml", "checks:\n" + check("a2"));  // a change of content
    BOOST_TEST(!(reread_sources(s) == s));
    t.write("conf.d/a.yaml", "checks:\n" + check("a"));
    BOOST_TEST((reread_sources(s) == s));
    t.write("conf.d/c.yaml", "checks: []\n");  // a file added to the folder
    BOOST_TEST(!(reread_sources(s) == s));
    fs::remove(t.at("conf.d/c.yaml"));
    fs::remove(t.at("b.yaml"));  // a literal one removed
    BOOST_TEST(!(reread_sources(s) == s));
}

BOOST_AUTO_TEST_CASE(a_missing_literal_include_is_still_a_source_so_its_arrival_reloads) {
    tree t;
    auto r = t.load("include: [later.yaml]\n");
    BOOST_TEST(!r.ok());
    BOOST_TEST_REQUIRE(r.sources.files.size() == 2u);
    BOOST_TEST(r.sources.files[1].first == t.at("later.yaml"));
    BOOST_TEST((reread_sources(r.sources) == r.sources));
    t.write("later.yaml", "checks: []\n");
    BOOST_TEST(!(reread_sources(r.sources) == r.sources));
}

BOOST_AUTO_TEST_CASE(a_config_in_the_working_directory_includes_relative_to_it) {
    BOOST_TEST(is_glob_pattern("conf.d/*.yaml"));
    BOOST_TEST(is_glob_pattern("a?.yaml"));
    BOOST_TEST(is_glob_pattern("[ab].yaml"));
    BOOST_TEST(!is_glob_pattern("conf.d/a.yaml"));
    // parse_config of a bare name: the folder is the working directory, named by nothing.
    auto r = parse_config("include: [no-such-dir-for-include-test/*.yaml]\n", "heartbeat.yaml");
    BOOST_TEST_REQUIRE(r.ok());
    BOOST_TEST(r.sources.globs.at(0).folder == "");
    BOOST_TEST(
        (r.sources.folders() == std::vector<std::string>{".", "no-such-dir-for-include-test"}));
}

BOOST_AUTO_TEST_CASE(glob_characters_in_the_main_files_folder_stand_for_themselves) {
    tree t;
    t.write("odd[1]/conf.d/a.yaml", "checks:\n" + check("a"));
    t.write("odd1/conf.d/b.yaml", "checks:\n" + check("b"));  // what `odd[1]` would match as a glob
    t.main = t.write("odd[1]/heartbeat.yaml", "include: conf.d/*.yaml\n");
    auto r = load_config(t.main);
    BOOST_TEST_REQUIRE(r.ok(), t.printed(r));
    BOOST_TEST((names(r) == std::vector<std::string>{"a"}));
    BOOST_TEST(
        (r.sources.folders() == std::vector<std::string>{t.at("odd[1]"), t.at("odd[1]/conf.d")}));
}

BOOST_AUTO_TEST_CASE(a_relative_ca_file_and_cwd_are_taken_from_each_files_folder) {
    tree t;
    const std::string checks =
        "checks:\n"
        "  - {name: NAME-h, type: http, url: 'https://127.0.0.1/', ca_file: ca.pem}\n"
        "  - {name: NAME-t, type: tcp, host: 127.0.0.1, port: 1, tls: true, ca_file: ca.pem}\n"
        "  - {name: NAME-g, type: grpc, host: 127.0.0.1, port: 1, tls: true, ca_file: ca.pem}\n"
        "  - {name: NAME-e, type: exec, command: 'true', cwd: work}\n"
        "  - {name: NAME-a, type: exec, command: 'true', cwd: /srv, probes: [readiness]}\n";
    auto named = [&](const std::string& name) {
        std::string out = checks;
        for (auto at = out.find("NAME"); at != std::string::npos; at = out.find("NAME"))
            out.replace(at, 4, name);
        return out;
    };
    t.write("sub/more.yaml", named("in"));
    auto r = t.load("include: [sub/more.yaml]\n" + named("main"));
    BOOST_TEST_REQUIRE(r.ok(), t.printed(r));
    BOOST_TEST_REQUIRE(r.cfg->checks.size() == 10u);
    for (std::size_t i = 0; i < 10; i += 5) {
        const std::string folder = i == 0 ? t.dir.path() : t.at("sub");
        const auto& c = r.cfg->checks;
        BOOST_TEST(std::get<http_spec>(c[i].spec).tls.ca_file.value() == folder + "/ca.pem");
        BOOST_TEST(std::get<tcp_spec>(c[i + 1].spec).tls.ca_file.value() == folder + "/ca.pem");
        BOOST_TEST(std::get<grpc_spec>(c[i + 2].spec).tls_options.ca_file.value() ==
                   folder + "/ca.pem");
        BOOST_TEST(std::get<exec_spec>(c[i + 3].spec).cwd.value() == folder + "/work");
        BOOST_TEST(std::get<exec_spec>(c[i + 4].spec).cwd.value() == "/srv");
    }
}

BOOST_AUTO_TEST_CASE(a_fifo_is_never_opened_for_reading_so_it_cannot_hold_the_loader) {
    tree t;
    t.write("conf.d/a.yaml", "checks:\n" + check("a"));
    BOOST_TEST_REQUIRE(::mkfifo(t.at("conf.d/b.yaml").c_str(), 0600) == 0);
    auto r = t.load("include: [conf.d/*.yaml]\n");  // the FIFO is no match
    BOOST_TEST_REQUIRE(r.ok(), t.printed(r));
    BOOST_TEST((names(r) == std::vector<std::string>{"a"}));
    auto literal = t.load("include: [conf.d/b.yaml]\n");
    BOOST_TEST(t.printed(literal) == t.main + ":1:11: cannot include 'conf.d/b.yaml': " +
                                         t.at("conf.d/b.yaml") + " is not a regular file\n");
    // An included file replaced by a FIFO: a change, seen without reading the FIFO.
    auto before = t.load("include: [conf.d/a.yaml]\n").sources;
    fs::remove(t.at("conf.d/a.yaml"));
    BOOST_TEST_REQUIRE(::mkfifo(t.at("conf.d/a.yaml").c_str(), 0600) == 0);
    BOOST_TEST(!(reread_sources(before) == before));
}

// Variables are expanded in included files as in the main one; a value from the environment is a
// secret of the check that used it, and an unset variable is an error at its place in that file.
BOOST_AUTO_TEST_CASE(an_included_file_expands_variables_and_keeps_their_values_secret) {
    ::setenv("HB_INCLUDE_TEST_PATH", "/tmp/included-secret-9c1d", 1);
    tree t;
    t.write("conf.d/a.yaml",
            "checks:\n  - {name: a, type: file, path: '${HB_INCLUDE_TEST_PATH}'}\n");
    auto r = t.load("include: conf.d/*.yaml\n");
    BOOST_TEST_REQUIRE(r.cfg.has_value(), t.printed(r));
    BOOST_REQUIRE_EQUAL(r.cfg->checks.size(), 1u);
    const auto& c = r.cfg->checks[0];
    BOOST_TEST(std::get<file_spec>(c.spec).path == "/tmp/included-secret-9c1d");
    BOOST_TEST((c.variable_secrets == std::vector<std::string>{"/tmp/included-secret-9c1d"}));
    BOOST_TEST((r.cfg->variable_secrets == std::vector<std::string>{"/tmp/included-secret-9c1d"}));
    ::unsetenv("HB_INCLUDE_TEST_PATH");

    t.write("conf.d/a.yaml",
            "checks:\n  - {name: a, type: file, path: '${HB_INCLUDE_TEST_PATH}'}\n");
    r = t.load("include: conf.d/*.yaml\n");
    BOOST_TEST(!r.cfg.has_value());
    BOOST_TEST(t.printed(r).find(t.at("conf.d/a.yaml") + ":2:33:") != std::string::npos,
               t.printed(r));
    BOOST_TEST(t.printed(r).find("HB_INCLUDE_TEST_PATH") != std::string::npos, t.printed(r));
}

// An include pattern from a variable: the files it matched are named, in every problem found in
// them, with the variable as written rather than its value.
BOOST_AUTO_TEST_CASE(an_included_files_name_shows_the_variable_not_its_value) {
    tree t;
    t.write("conf.d/a.yaml", "checks:\n  - name: a\n    type: file\n    pathh: /\n");
    ::setenv("HB_INCLUDE_TEST_DIR", t.at("conf.d").c_str(), 1);
    auto r = t.load("include: ['${HB_INCLUDE_TEST_DIR}/*.yaml']\n");
    ::unsetenv("HB_INCLUDE_TEST_DIR");
    BOOST_TEST(!r.ok());
    auto text = t.printed(r);
    BOOST_TEST(text.find("${HB_INCLUDE_TEST_DIR}/a.yaml:4:5: unknown key 'pathh'") !=
                   std::string::npos,
               text);
    BOOST_TEST(text.find(t.at("conf.d")) == std::string::npos, text);
}
