#define BOOST_TEST_MODULE fuzz_regressions
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "../fuzz/entry_points.hpp"
#include "heartbeat/config.hpp"
#include "printing.hpp"

// Replays, through the fuzzers' own entry points, every input the fuzzers were seeded with and
// every input that once broke something (tests/fuzz/regressions/TARGET/): the g++ builds, the
// sanitized one included, keep checking what clang's libFuzzer found.

namespace fs = std::filesystem;
using namespace heartbeat;

namespace {

using entry_point = void (*)(std::string_view);

const fs::path fuzz_dir = fs::path(HEARTBEAT_SOURCE_DIR) / "tests" / "fuzz";

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/** Feeds each file of `dir` to `entry`; every one must return (no exception, no broken invariant)
 * well within the serial bound. Returns how many files there were. */
std::size_t replay(const fs::path& dir, entry_point entry) {
    std::size_t count = 0;
    if (!fs::is_directory(dir)) return 0;
    for (const auto& file : fs::directory_iterator(dir)) {
        if (!file.is_regular_file()) continue;
        ++count;
        std::string data = read_file(file.path());
        BOOST_TEST_CONTEXT(file.path().string()) {
            auto start = std::chrono::steady_clock::now();
            try {
                entry(data);
            } catch (const std::exception& e) {
                BOOST_ERROR("the input broke something: " << e.what());
            }
            std::chrono::nanoseconds took = std::chrono::steady_clock::now() - start;
            BOOST_TEST(took < std::chrono::seconds(15));
        }
    }
    return count;
}

void replay_target(const std::string& target, entry_point entry) {
    BOOST_TEST(replay(fuzz_dir / "corpus" / target, entry) > 0u, "no seed corpus for " << target);
    replay(fuzz_dir / "regressions" / target, entry);
}

}  // namespace

BOOST_AUTO_TEST_CASE(config_inputs) {
    replay_target("config", fuzz::config_input);
}
BOOST_AUTO_TEST_CASE(pep_inputs) {
    replay_target("pep", fuzz::pep_input);
}
BOOST_AUTO_TEST_CASE(routes_inputs) {
    replay_target("routes", fuzz::routes_input);
}
BOOST_AUTO_TEST_CASE(url_inputs) {
    replay_target("url", fuzz::url_input);
}
BOOST_AUTO_TEST_CASE(push_inputs) {
    replay_target("push", fuzz::push_input);
}
BOOST_AUTO_TEST_CASE(expand_inputs) {
    replay_target("expand", fuzz::expand_input);
}

BOOST_AUTO_TEST_CASE(expect_json_inputs) {
    replay_target("expect_json", fuzz::expect_json_input);
}

// The issue's own hostile configs: refused with a diagnostic (whatever its words), never a crash or
// a blown stack.
BOOST_AUTO_TEST_CASE(deep_nesting_is_refused) {
    for (std::string text : {std::string(100000, '['), std::string(100000, '{'),
                             "checks: " + std::string(100000, '[')}) {
        auto r = parse_config(text, "deep.yaml");
        BOOST_TEST(!r.ok());
        BOOST_TEST(!r.diagnostics.empty());
    }
}

BOOST_AUTO_TEST_CASE(nul_in_a_double_quoted_escape_does_not_crash) {
    auto text = read_file(fuzz_dir / "regressions" / "config" / "nul-in-escape.yaml");
    BOOST_TEST_REQUIRE(text.find("\\u0000") != std::string::npos);
    BOOST_CHECK_NO_THROW(parse_config(text, "nul.yaml"));
}
