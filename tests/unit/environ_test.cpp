#define BOOST_TEST_MODULE environ
#include <boost/test/unit_test.hpp>

#include "heartbeat/environ/environ.hpp"
#include "heartbeat/environ/pep440.hpp"
#include "heartbeat/environ/pep508.hpp"

using namespace heartbeat;
using namespace heartbeat::pep440;

namespace {
version v(std::string_view s) {
    auto r = parse_version(s);
    BOOST_TEST_REQUIRE(r.has_value(), std::string(s));
    return *r;
}
bool satisfies(std::string_view candidate, std::string_view spec) {
    auto set = parse_specifier_set(spec);
    BOOST_TEST_REQUIRE(set.has_value(), std::string(spec));
    return contains_all(*set, candidate);
}
bool holds(std::string_view marker_text, const pep508::environment& env) {
    std::string why;
    auto m = pep508::parse_marker(marker_text, &why);
    BOOST_TEST_REQUIRE(m != nullptr, std::string(marker_text) + ": " + why);
    return m->evaluate(env);
}
}  // namespace

BOOST_AUTO_TEST_CASE(versions_parse_every_spelling_and_normalize) {
    const std::pair<const char*, const char*> cases[] = {
        {"1.0", "1.0"},
        {"v1.0", "1.0"},
        {"1!2.0", "1!2.0"},
        {"1.0a1", "1.0a1"},
        {"1.0-alpha.1", "1.0a1"},
        {"1.0.BETA2", "1.0b2"},
        {"1.0c3", "1.0rc3"},
        {"1.0pre4", "1.0rc4"},
        {"1.0preview5", "1.0rc5"},
        {"1.0rc", "1.0rc0"},
        {"1.0-1", "1.0.post1"},
        {"1.0.post", "1.0.post0"},
        {"1.0rev2", "1.0.post2"},
        {"1.0-r3", "1.0.post3"},
        {"1.0.dev", "1.0.dev0"},
        {"1.0_dev7", "1.0.dev7"},
        {"1.0+ubuntu-1", "1.0+ubuntu.1"},
        {"1.0a1.post2.dev3+abc.5", "1.0a1.post2.dev3+abc.5"},
        {" 2.31.0 ", "2.31.0"},
        {"01.002", "1.2"},
    };
    for (auto [in, out] : cases) BOOST_TEST(v(in).normalized() == out, in);
    for (auto bad : {"", "1.0.", "a.b", "1.0+", "1.0+a..b", "1..0", "1.0 beta", "==1.0", "1.0-"})
        BOOST_TEST(!parse_version(bad), bad);
}

BOOST_AUTO_TEST_CASE(versions_sort_in_pep440_order) {
    // Each is strictly less than the next: the ordering example of PEP 440, plus epochs and locals.
    const char* order[] = {"1.0.dev456",    "1.0a1",         "1.0a2.dev456", "1.0a12.dev456",
                           "1.0a12",        "1.0b1.dev456",  "1.0b2",        "1.0b2.post345.dev456",
                           "1.0b2.post345", "1.0rc1.dev456", "1.0rc1",       "1.0",
                           "1.0+abc.5",     "1.0+abc.7",     "1.0+5",        "1.0.post456.dev34",
                           "1.0.post456",   "1.0.15",        "1.1.dev1",     "1!0.1"};
    for (std::size_t i = 0; i + 1 < std::size(order); ++i) {
        BOOST_TEST(compare(v(order[i]), v(order[i + 1])) < 0, order[i] << " < " << order[i + 1]);
        BOOST_TEST(compare(v(order[i + 1]), v(order[i])) > 0);
    }
    BOOST_TEST(compare(v("1.0"), v("1.0.0")) == 0);
    BOOST_TEST(compare(v("1.0"), v("v1.0.0.0")) == 0);
    BOOST_TEST(compare(v("1.0+ABC"), v("1.0+abc")) == 0);
}

BOOST_AUTO_TEST_CASE(specifiers) {
    struct row {
        const char* candidate;
        const char* spec;
        bool expected;
    };
    const row rows[] = {
        {"2.0", ">=1.0", true},
        {"0.9", ">=1.0", false},
        {"1.0", "<=1.0", true},
        {"1.0+local", "<=1.0", true},
        {"1.0+local", ">=1.0", true},
        {"1.5", "<2,>=1", true},
        {"2.0", "<2,>=1", false},
        {"2.0rc1", "<2.0", false},
        {"2.0rc1", "<2.0rc2", true},
        {"1.9", "<2.0", true},
        {"2.0.dev1", "<2.0", false},
        {"1.0.post1", ">1.0", false},
        {"1.0.post2", ">1.0.post1", true},
        {"1.0+local", ">1.0", false},
        {"1.1", ">1.0", true},
        {"1.0", "==1.0.0", true},
        {"1.0+abc", "==1.0", true},
        {"1.0+abc", "==1.0+abc", true},
        {"1.0+abd", "==1.0+abc", false},
        {"1.0", "==1.0+abc", false},
        {"1.1.3", "==1.1.*", true},
        {"1.1", "==1.1.*", true},
        {"1.10", "==1.1.*", false},
        {"1.1a1", "==1.1.*", true},
        {"1.1.post1", "==1.1.*", true},
        {"1", "==1.0.*", true},
        {"2.0", "==1.*", false},
        {"1!1.0", "==1.*", false},
        {"1.5", "!=1.5", false},
        {"1.5.1", "!=1.5", true},
        {"1.5.1", "!=1.5.*", false},
        {"2.2", "~=2.2", true},
        {"2.9", "~=2.2", true},
        {"3.0", "~=2.2", false},
        {"2.1", "~=2.2", false},
        {"1.4.5", "~=1.4.5", true},
        {"1.4.9", "~=1.4.5", true},
        {"1.5.0", "~=1.4.5", false},
        {"2.2.post3", "~=2.2", true},
        {"2.2", "~=2.2.post3", false},
        {"1.0", "===1.0", true},
        {"1.0.0", "===1.0", false},
        {"foobar", "===foobar", true},
        {"foobar", ">=1", false},
        {"1.0", "", true},
        {"3.0.0", ">=1.21.1,<3", false},
        {"2.0.7", ">=1.21.1,<3", true},
        {"2.0b1", ">=2.0a1", true},
    };
    for (const auto& r : rows)
        BOOST_TEST(satisfies(r.candidate, r.spec) == r.expected,
                   r.candidate << " in '" << r.spec << "'");
    for (auto bad : {"=1.0", ">=", "~=1", "<1.0.*", "==1.0.*.*", ">=1.0+local", "==1.0.dev1.*",
                     "1.0", ">=1.0,,<2"})
        BOOST_TEST(!parse_specifier_set(bad), bad);
    BOOST_TEST(to_string(*parse_specifier_set(">=1.21.1, <3")) == "<3,>=1.21.1");
}

BOOST_AUTO_TEST_CASE(names_normalize_like_pep503) {
    BOOST_TEST(normalize_name("Flask") == "flask");
    BOOST_TEST(normalize_name("zope.interface") == "zope-interface");
    BOOST_TEST(normalize_name("Foo__Bar-.baz") == "foo-bar-baz");
}

BOOST_AUTO_TEST_CASE(requirements_parse) {
    auto r = pep508::parse_requirement("urllib3 (<3,>=1.21.1)");
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->to_string() == "urllib3<3,>=1.21.1");
    auto e = pep508::parse_requirement(
        "requests[socks, security] >=2.8.1 ; python_version >= \"3.7\" and extra == 'x'");
    BOOST_TEST_REQUIRE(e.has_value());
    BOOST_TEST(e->name == "requests");
    BOOST_TEST(e->extras.size() == 2u);
    BOOST_TEST(e->to_string() == "requests[security,socks]>=2.8.1");
    auto env = pep508::environment_for({3, 11, 7});
    BOOST_TEST(!e->applies(env));  // extra is empty
    auto u =
        pep508::parse_requirement("pkg @ https://example.invalid/pkg.whl ; os_name == 'posix'");
    BOOST_TEST_REQUIRE(u.has_value());
    BOOST_TEST(u->url.value() == "https://example.invalid/pkg.whl");
    BOOST_TEST(u->applies(env));
    BOOST_TEST(pep508::parse_requirement("Django")->specifiers.empty());
    std::string why;
    for (auto bad :
         {"", ">=1.0", "pkg >=", "pkg[extra", "pkg ; python_version",
          "pkg ; python_version >= ", "-pkg", "pkg (>=1.0", "pkg ; (python_version > '3'"})
        BOOST_TEST(!pep508::parse_requirement(bad, &why), bad);
}

BOOST_AUTO_TEST_CASE(markers_evaluate_for_the_interpreter) {
    auto env = pep508::environment_for({3, 11, 7});
    BOOST_TEST(holds("python_version >= '3.8'", env));
    BOOST_TEST(!holds("python_version < '3.8'", env));
    BOOST_TEST(holds("python_version > '3.9'",
                     env));  // a version comparison, not a string one ("3.11" < "3.9")
    BOOST_TEST(holds("python_full_version == '3.11.7'", env));
    BOOST_TEST(holds("python_version == '3.11.*'", env));
    BOOST_TEST(holds("python_full_version == '3.11.*'", env));
    BOOST_TEST(holds("'3.6' < python_version", env));
    BOOST_TEST(holds("sys_platform == 'linux' and os_name == 'posix'", env));
    BOOST_TEST(!holds("sys_platform == 'win32' or platform_system == 'Windows'", env));
    BOOST_TEST(holds(
        "(sys_platform == 'win32' or python_version >= '3') and implementation_name == 'cpython'",
        env));
    BOOST_TEST(holds("platform_python_implementation != 'PyPy'", env));
    BOOST_TEST(holds("'linux' in sys_platform", env));
    BOOST_TEST(holds("'win' not in sys_platform", env));
    BOOST_TEST(!holds("extra == 'test'", env));
    BOOST_TEST(holds("extra == ''", env));
    BOOST_TEST(holds("sys.platform == 'linux'", env));  // the old dotted spelling
    auto py2 = pep508::environment_for({2, 7, 18});
    BOOST_TEST(holds("python_version < '3'", py2));
}

BOOST_AUTO_TEST_CASE(metadata_headers) {
    auto d = parse_metadata(
        "Metadata-Version: 2.1\r\nName: requests\r\nVersion: 2.31.0\r\nSummary: x\r\n"
        "Requires-Dist: charset-normalizer (<4,>=2)\r\nRequires-Dist: urllib3<3,>=1.21.1\r\n"
        "Requires-Dist: PySocks!=1.5.7,>=1.5.6; extra == \"socks\"\r\n\r\n"
        "Requires-Dist: not-a-header-in-the-description\n",
        "requests-2.31.0.dist-info");
    BOOST_TEST(d.error.empty());
    BOOST_TEST(d.name == "requests");
    BOOST_TEST(d.version == "2.31.0");
    BOOST_TEST(d.requires_dist.size() == 3u);
    BOOST_TEST(parse_metadata("Name: x\n", "x.dist-info").error == "its metadata has no Version");
    BOOST_TEST(parse_metadata("\x01\x02garbage", "y.dist-info").error ==
               "its metadata has no Name");
}

BOOST_AUTO_TEST_CASE(pyvenv_cfg_spellings) {
    BOOST_TEST((python_from_pyvenv_cfg("home = /usr/bin\nversion = 3.11.7\n").value() ==
                std::vector<int>{3, 11, 7}));
    BOOST_TEST((python_from_pyvenv_cfg("version_info = 3.12.1.final.0\n").value() ==
                std::vector<int>{3, 12, 1}));
    BOOST_TEST(
        (python_from_pyvenv_cfg("Version_Info: 3.10.4\n").value() == std::vector<int>{3, 10, 4}));
    BOOST_TEST((python_from_pyvenv_cfg("uv = 0.4\nversion_info = 3.13.0rc2\n").value() ==
                std::vector<int>{3, 13, 0}));
    BOOST_TEST((python_from_pyvenv_cfg("version = 3.9\n").value() == std::vector<int>{3, 9}));
    BOOST_TEST(!python_from_pyvenv_cfg("home = /usr/bin\n"));
}
