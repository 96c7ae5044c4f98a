#define BOOST_TEST_MODULE environ_integration
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include <boost/json/parse.hpp>

#include "child.hpp"
#include "heartbeat/environ/environ.hpp"
#include "heartbeat/environ/pep440.hpp"

using namespace heartbeat;
using namespace heartbeat::test;
namespace fs = std::filesystem;

namespace {

using verdict = std::tuple<std::string, std::string,
                           std::string>;  // distribution, required name, installed or ""

void add_dist(const fs::path& site, const std::string& name, const std::string& version,
              const std::vector<std::string>& requires_dist) {
    auto dir = site / (name + "-" + version + ".dist-info");
    fs::create_directories(dir);
    std::ofstream meta(dir / "METADATA");
    meta << "Metadata-Version: 2.1\nName: " << name << "\nVersion: " << version << "\n";
    for (const auto& r : requires_dist) meta << "Requires-Dist: " << r << "\n";
    meta << "\nA description.\n";
    std::ofstream(dir / "RECORD") << "";
}

/** A real virtualenv made by `python3 -m venv`; its site-packages folder. */
fs::path make_venv(const std::string& where) {
    auto r = run({"/usr/bin/env", "python3", "-m", "venv", where}, {}, 120000);
    BOOST_TEST_REQUIRE(r.code == 0, "python3 -m venv failed: " << r.err);
    for (auto& e : fs::directory_iterator(fs::path(where) / "lib"))
        if (fs::is_directory(e.path() / "site-packages")) return e.path() / "site-packages";
    BOOST_FAIL("no site-packages in " << where);
    return {};
}

/** The verdicts of `pip check` inside the virtualenv, from its output lines. */
std::set<verdict> pip_check(const std::string& venv) {
    auto r = run({venv + "/bin/python", "-m", "pip", "check", "--disable-pip-version-check"},
                 {{"PIP_NO_INDEX", "1"}}, 120000);
    static const std::regex missing(
        R"(^(\S+) (\S+) requires ([A-Za-z0-9._-]+), which is not installed\.$)");
    static const std::regex wrong(
        R"(^(\S+) (\S+) has requirement ([A-Za-z0-9._-]+).*, but you have (\S+) (\S+)\.$)");
    std::set<verdict> out;
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line)) {
        std::smatch m;
        if (std::regex_match(line, m, missing))
            out.emplace(pep440::normalize_name(m[1].str()), pep440::normalize_name(m[3].str()), "");
        else if (std::regex_match(line, m, wrong))
            out.emplace(pep440::normalize_name(m[1].str()), pep440::normalize_name(m[3].str()),
                        m[5].str());
    }
    return out;
}

/** heartbeatd's verdicts, from `libraries`. */
std::set<verdict> our_verdicts(const json::object& libs) {
    std::set<verdict> out;
    for (const auto& [name, entry] : libs) {
        const auto& c = entry.as_object().at("conflicts");
        if (c.is_null()) continue;
        for (const auto& item : c.as_array()) {
            std::string req(item.at("requirement").as_string());
            auto end = req.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");
            std::string installed =
                item.at("installed").is_null() ? "" : std::string(item.at("installed").as_string());
            out.emplace(pep440::normalize_name(std::string(name)),
                        pep440::normalize_name(req.substr(0, end)), installed);
        }
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(verdicts_match_pip_check_on_a_real_virtualenv) {
    temp_dir dir;
    std::string venv = dir.path() + "/venv";
    auto site = make_venv(venv);
    // Distributions whose requirements exercise names, specifiers, markers and extras.
    add_dist(site, "Alpha_Pkg", "1.0",
             {"beta-lib>=2.0", "gamma; python_version < '3'", "delta[fast]>=1 ; extra == 'test'",
              "missing.thing>=1", "Beta.Lib (<3)"});
    add_dist(site, "beta_lib", "1.5",
             {"alpha-pkg~=1.0", "epsilon==2.*", "zeta!=3.0", "eta>1.0", "theta<2.0"});
    add_dist(site, "epsilon", "2.0rc1",
             {"iota>=1.0; python_version >= '3.6' and sys_platform == 'linux'", "kappa===1.0",
              "lambda<=1.0"});
    add_dist(site, "zeta", "3.0", {});
    add_dist(site, "eta", "1.0.post1", {"alpha-pkg==1.0.*", "alpha_pkg>=1.0+local"});
    add_dist(site, "theta", "2.0rc1", {"beta-lib>1.5", "beta-lib>=1.5,!=1.5.*"});
    add_dist(site, "iota", "0.9", {"requests[socks]>=2; os_name == 'nt'", "pip>=1000"});
    add_dist(site, "kappa", "1.0.0", {});
    add_dist(site, "lambda", "1.0+cpu", {"zeta>2.9"});
    // An egg-info with requirements in requires.txt, extras and marker sections included.
    fs::create_directories(site / "omega-1.0-py3.11.egg-info");
    std::ofstream(site / "omega-1.0-py3.11.egg-info" / "PKG-INFO")
        << "Metadata-Version: 1.1\nName: omega\nVersion: 1.0\n";
    std::ofstream(site / "omega-1.0-py3.11.egg-info" / "requires.txt")
        << "zeta>=4\n\n[test]\nnot-installed-extra\n\n[:python_version < \"3\"]\nold-python-only\n";

    auto expected = pip_check(venv);
    BOOST_TEST_REQUIRE(!expected.empty());
    auto scan = scan_virtualenv(venv);
    BOOST_TEST(scan.error.empty(), scan.error);
    BOOST_TEST_REQUIRE(scan.python.has_value());
    BOOST_TEST(scan.python->size() == 3u);
    auto libs = libraries_json(scan);
    auto ours = our_verdicts(libs);
    std::ostringstream diff;
    for (const auto& [d, r, i] : expected)
        if (!ours.count({d, r, i})) diff << "pip only: " << d << " -> " << r << " (" << i << ")\n";
    for (const auto& [d, r, i] : ours)
        if (!expected.count({d, r, i}))
            diff << "heartbeatd only: " << d << " -> " << r << " (" << i << ")\n";
    BOOST_TEST(diff.str().empty(), diff.str());
    BOOST_TEST(ours.size() >= 8u);
    // Names and versions as written; pip itself is there with no conflict.
    BOOST_TEST(libs.at("Alpha_Pkg").at("version").as_string() == "1.0");
    BOOST_TEST(libs.at("pip").at("conflicts").is_null());
    // The same virtualenv given as its site-packages folder reads the same.
    auto direct = scan_virtualenv(site.string());
    BOOST_TEST(direct.distributions.size() == scan.distributions.size());
    BOOST_TEST((direct.python == scan.python));
}

BOOST_AUTO_TEST_CASE(a_broken_distribution_costs_only_itself) {
    temp_dir dir;
    fs::path site = fs::path(dir.path()) / "lib" / "python3.11" / "site-packages";
    add_dist(site, "good", "1.0", {"other>=2"});
    add_dist(site, "other", "1.0", {});
    fs::create_directories(site / "noversion-1.0.dist-info");
    std::ofstream(site / "noversion-1.0.dist-info" / "METADATA") << "Name: noversion\n";
    fs::create_directories(site / "nometadata-1.0.dist-info");  // half-written: no METADATA yet
    add_dist(site, "badreq", "1.0", {">=broken", "other"});
    auto scan = scan_virtualenv(dir.path());
    BOOST_TEST(
        (scan.python.value() == std::vector<int>{3, 11}));  // from the folder name: no pyvenv.cfg
    auto libs = libraries_json(scan);
    BOOST_TEST(libs.at("good").at("conflicts").as_array().size() == 1u);
    BOOST_TEST(libs.at("good").at("conflicts").at(0).at("installed").as_string() == "1.0");
    BOOST_TEST(libs.at("noversion").at("error").as_string() ==
               "noversion-1.0.dist-info: its metadata has no Version");
    BOOST_TEST(libs.at("nometadata-1.0.dist-info")
                   .at("error")
                   .as_string()
                   .starts_with("nometadata-1.0.dist-info: cannot read METADATA"));
    BOOST_TEST(libs.at("badreq").at("error").as_string().find("'>=broken'") != std::string::npos);
    BOOST_TEST(libs.at("badreq").at("conflicts").is_null());
}

BOOST_AUTO_TEST_CASE(thousands_of_distributions_are_read_once_and_on_change) {
    temp_dir dir;
    fs::path site = fs::path(dir.path()) / "lib" / "python3.12" / "site-packages";
    for (int i = 0; i < 3000; ++i)
        add_dist(site, "pkg" + std::to_string(i), "1." + std::to_string(i), {"pkg0>=1.0"});
    std::ofstream(fs::path(dir.path()) / "pyvenv.cfg") << "version_info = 3.12.1.final.0\n";
    environ_config cfg;
    cfg.virtualenv = dir.path();
    environ_reporter rep(cfg);
    rep.recheck_every = std::chrono::seconds(0);
    auto read_and_render = [&rep] {
        auto at = moment::now();
        rep.refresh(at);
        return json::parse(rep.render({}, at).body).as_object();
    };
    auto t0 = steady_clock::now();
    auto first = read_and_render();
    auto t1 = steady_clock::now();
    auto again = read_and_render();
    auto t2 = steady_clock::now();
    BOOST_TEST(first.at("libraries").as_object().size() == 3000u);
    BOOST_TEST(first.at("python").as_array().size() == 3u);
    BOOST_TEST(again.at("libraries").as_object().size() == 3000u);
    // Reading 3000 distributions is work; answering from what was read is not: at least 3x apart.
    BOOST_TEST((t2 - t1) * 3 < (t1 - t0));
    add_dist(site, "newcomer", "0.1", {});
    auto changed = read_and_render();
    BOOST_TEST(changed.at("libraries").as_object().contains("newcomer"));
}

BOOST_AUTO_TEST_CASE(only_listed_variables_appear) {
    ::setenv("HEARTBEAT_TEST_SHOWN", "yes", 1);
    ::setenv("HEARTBEAT_TEST_SECRET", "hunter2", 1);
    environ_config cfg;
    cfg.variables = {"HEARTBEAT_TEST_SHOWN", "HEARTBEAT_TEST_UNSET"};
    environ_reporter rep(cfg);
    auto body = rep.render({}, moment::now()).body;
    auto o = json::parse(body).as_object();
    BOOST_TEST(o.at("variables").at("HEARTBEAT_TEST_SHOWN").as_string() == "yes");
    BOOST_TEST(o.at("variables").at("HEARTBEAT_TEST_UNSET").is_null());
    BOOST_TEST(body.find("hunter2") == std::string::npos);
    BOOST_TEST(o.at("libraries").as_object().empty());
    BOOST_TEST(o.at("python").is_null());
    BOOST_TEST(o.at("heartbeat").at("libraries").at("boost").as_string() == "1.81.0");
}
