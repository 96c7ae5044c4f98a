#define BOOST_TEST_MODULE reload_plan
#include <boost/test/unit_test.hpp>

#include "heartbeat/reload_plan.hpp"

using namespace heartbeat;
using namespace std::chrono_literals;

namespace {

check_config file_check(std::string name, std::string path = "/tmp") {
    check_config c;
    c.name = std::move(name);
    c.spec = file_spec{std::move(path), file_spec::kind::any, {}, {}};
    return c;
}

config with_checks(std::vector<check_config> checks) {
    config c;
    c.checks = std::move(checks);
    return c;
}

using names = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_CASE(the_same_config_changes_nothing) {
    auto cfg = with_checks({file_check("a"), file_check("b")});
    auto plan = plan_reload(cfg, cfg);
    BOOST_TEST(plan.checks.unchanged == (names{"a", "b"}), boost::test_tools::per_element());
    BOOST_TEST(plan.checks.added.empty());
    BOOST_TEST(plan.checks.removed.empty());
    BOOST_TEST(plan.checks.changed.empty());
    BOOST_TEST(plan.wait_for_restart.empty());
    BOOST_TEST(!plan.environ_changed);
    BOOST_TEST(plan.enabled == 2u);
    BOOST_TEST(plan.checks.summary() == "0 added, 0 removed, 0 changed, 2 unchanged");
}

BOOST_AUTO_TEST_CASE(checks_are_sorted_into_added_removed_changed_and_unchanged) {
    auto before = with_checks({file_check("kept"), file_check("gone"), file_check("moved")});
    auto after = with_checks({file_check("new"), file_check("moved", "/var"), file_check("kept")});
    auto plan = plan_reload(before, after);
    BOOST_TEST(plan.checks.added == names{"new"}, boost::test_tools::per_element());
    BOOST_TEST(plan.checks.removed == names{"gone"}, boost::test_tools::per_element());
    BOOST_TEST(plan.checks.changed == names{"moved"}, boost::test_tools::per_element());
    BOOST_TEST(plan.checks.unchanged == names{"kept"}, boost::test_tools::per_element());
    BOOST_TEST(plan.checks.summary() == "1 added, 1 removed, 1 changed, 1 unchanged");
    BOOST_TEST(plan.next.checks.size() == 3u);
    BOOST_TEST(plan.next.checks[0].name == "new");  // the new file's order
}

BOOST_AUTO_TEST_CASE(a_changed_setting_changes_the_check) {
    auto changed = file_check("a");
    changed.interval = 30s;
    auto plan = plan_reload(with_checks({file_check("a")}), with_checks({changed}));
    BOOST_TEST(plan.checks.changed == names{"a"}, boost::test_tools::per_element());
    BOOST_TEST(plan.checks.unchanged.empty());
}

BOOST_AUTO_TEST_CASE(disabled_checks_count_as_absent) {
    auto off = file_check("off");
    off.enabled = false;
    auto was_off = file_check("woken");
    was_off.enabled = false;
    auto plan = plan_reload(with_checks({file_check("a"), was_off}),
                            with_checks({file_check("woken"), off}));
    BOOST_TEST(plan.checks.added == names{"woken"}, boost::test_tools::per_element());
    BOOST_TEST(plan.checks.removed == names{"a"}, boost::test_tools::per_element());
    BOOST_TEST(plan.checks.unchanged.empty());
    BOOST_TEST(plan.enabled == 1u);
    BOOST_TEST(plan.next.checks.size() == 2u);  // disabled ones stay in the config
}

BOOST_AUTO_TEST_CASE(paths_and_shutdown_delay_apply_at_once) {
    config before, after;
    after.server.base_path = "/health";
    after.server.metrics_path = "/stats";
    after.server.shutdown_delay = 5s;
    auto plan = plan_reload(before, after);
    BOOST_TEST(plan.next.server.base_path == "/health");
    BOOST_TEST(plan.next.server.metrics_path == "/stats");
    BOOST_TEST((plan.next.server.shutdown_delay == 5s));
    BOOST_TEST(plan.wait_for_restart.empty());
}

BOOST_AUTO_TEST_CASE(listen_and_max_connections_wait_for_a_restart) {
    config before, after;
    after.server.host = "127.0.0.2";
    after.server.port = 9999;
    after.server.max_connections = 8;
    after.server.base_path = "/health";
    auto plan = plan_reload(before, after);
    BOOST_TEST(plan.wait_for_restart == (names{"listen", "max_connections"}),
               boost::test_tools::per_element());
    // The running values stay what the config in force says.
    BOOST_TEST(plan.next.server.host == before.server.host);
    BOOST_TEST(plan.next.server.port == before.server.port);
    BOOST_TEST(plan.next.server.max_connections == before.server.max_connections);
    BOOST_TEST(plan.next.server.base_path == "/health");
}

BOOST_AUTO_TEST_CASE(a_port_alone_is_a_listen_change) {
    config before, after;
    after.server.port = static_cast<std::uint16_t>(before.server.port + 1);
    BOOST_TEST(plan_reload(before, after).wait_for_restart == names{"listen"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_environ_section_applies_at_once) {
    config before, after;
    after.environ.virtualenv = "/opt/venv";
    after.environ.variables = {"HOME"};
    auto plan = plan_reload(before, after);
    BOOST_TEST(plan.environ_changed);
    BOOST_TEST(plan.next.environ.virtualenv.value() == "/opt/venv");
    BOOST_TEST(plan.next.environ.variables == names{"HOME"}, boost::test_tools::per_element());
    auto vars_only = before;
    vars_only.environ.variables = {"PATH"};
    BOOST_TEST(plan_reload(before, vars_only).environ_changed);
    BOOST_TEST(!plan_reload(after, after).environ_changed);
}
