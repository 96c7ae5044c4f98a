#define BOOST_TEST_MODULE e2e_probe_safety
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "heartbeatd.hpp"

// Through the built daemon: retries within a run (a target that fails twice, then passes), and
// the warning about liveliness checks that reach another host, logged at start and on each reload
// until allow_remote silences it.

using namespace heartbeat::test;

namespace {

std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

/** Replaces the config at once (rename), as a ConfigMap update does: no half-written file. */
void replace_config(heartbeatd& d, const std::string& text) {
    auto next = d.dir.write("next.yaml", text);
    std::filesystem::rename(next, d.config_path);
}

// Never run: nothing in these tests may reach another host. An on-demand check runs only when a
// request asks for its probe, and no request asks for liveliness here.
std::string remote_check(const std::string& name, const std::string& host,
                         const std::string& extra = "") {
    return "  - {name: " + name + ", type: tcp, host: " + host +
           ", port: 5432, probes: [liveliness], interval: 0" + extra + "}\n";
}

const std::string local_check =
    "  - {name: local, type: exec, command: 'true', probes: [liveliness], interval: 0}\n";

}  // namespace

BOOST_AUTO_TEST_CASE(a_target_that_fails_twice_passes_within_one_run_with_retries) {
    temp_dir work;
    auto counter = work.path() + "/runs";
    heartbeatd d(
        "checks:\n"
        "  - name: flaky\n"
        "    type: exec\n"
        "    command: n=$(cat '" +
        counter + "' 2>/dev/null || echo 0); n=$((n + 1)); echo $n > '" + counter +
        "'; echo attempt $n; [ $n -ge 3 ]\n"
        "    timeout: 5s\n"
        "    interval: 1h\n"
        "    retries: 2\n"
        "    retry_delay: 100ms\n");
    auto r = d.get(base + "/readiness");
    BOOST_TEST(r.status == 200, r.body);
    auto entry = body_of(r).at("checks").at("flaky").as_object();
    BOOST_TEST(entry.at("attempts").as_int64() == 3);
    BOOST_TEST(entry.at("message").as_string() == "attempt 3");
    BOOST_TEST(entry.at("status").as_bool());
    std::ifstream in(counter);
    int runs = 0;
    in >> runs;
    BOOST_TEST(runs == 3);
}

BOOST_AUTO_TEST_CASE(the_remote_liveliness_warning_is_logged_at_start_and_each_reload) {
    const std::string remote = "check 'remote' is a liveliness check that reaches another host";
    const std::string other = "check 'other' is a liveliness check that reaches another host";
    heartbeatd d("checks:\n" + remote_check("remote", "db.internal") + local_check);
    auto err = d.proc->stderr_text();
    BOOST_TEST(count(err, remote + " (db.internal)") == 1u, err);
    BOOST_TEST(count(err, "every pod that runs this check is restarted, all at once") == 1u, err);
    BOOST_TEST(count(err, "set allow_remote: true") == 1u, err);
    BOOST_TEST(count(err, "'local' is a liveliness") == 0u, err);

    // Another load of the same check: the warning again, once, beside the new check's.
    replace_config(d, "checks:\n" + remote_check("remote", "db.internal") +
                          remote_check("other", "search.internal") + local_check);
    BOOST_TEST_REQUIRE(d.proc->wait_for_line(std::regex("reloaded \\(")).has_value(),
                       d.proc->stderr_text());
    err = d.proc->stderr_text();
    auto reloads = count(err, "reloaded (");
    BOOST_TEST(count(err, remote) == 1 + reloads, err);
    BOOST_TEST(count(err, other) == reloads, err);

    // allow_remote: the warning is gone for that check alone.
    replace_config(d, "checks:\n" + remote_check("remote", "db.internal", ", allow_remote: true") +
                          remote_check("other", "search.internal") + local_check);
    BOOST_TEST_REQUIRE(
        poll_until([&] { return count(d.proc->stderr_text(), "reloaded (") > reloads; }),
        d.proc->stderr_text());
    err = d.proc->stderr_text();
    auto after = count(err, "reloaded (");
    BOOST_TEST(count(err, remote) == 1 + reloads, err);
    BOOST_TEST(count(err, other) == after, err);
    BOOST_TEST(count(err, "refused") == 0u, err);
}
