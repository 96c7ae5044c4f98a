#include "heartbeat/reload_plan.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace heartbeat {

std::string check_changes::summary() const {
    return fmt::format("{} added, {} removed, {} changed, {} unchanged", added.size(),
                       removed.size(), changed.size(), unchanged.size());
}

check_changes compare_checks(const std::vector<check_config>& before,
                             const std::vector<check_config>& after) {
    std::map<std::string, const check_config*> old;
    for (const auto& c : before)
        if (c.enabled) old[c.name] = &c;
    check_changes out;
    for (const auto& c : after) {
        if (!c.enabled) continue;
        auto it = old.find(c.name);
        if (it == old.end())
            out.added.push_back(c.name);
        else if (it->second->same_definition(c))
            out.unchanged.push_back(c.name);
        else
            out.changed.push_back(c.name);
    }
    std::map<std::string, bool> kept;
    for (const auto& c : after)
        if (c.enabled) kept[c.name] = true;
    for (const auto& c : before)
        if (c.enabled && !kept.count(c.name)) out.removed.push_back(c.name);
    return out;
}

std::size_t enabled_count(const config& c) {
    return static_cast<std::size_t>(
        std::count_if(c.checks.begin(), c.checks.end(), [](auto& x) { return x.enabled; }));
}

reload_plan plan_reload(const config& before, const config& after) {
    reload_plan plan;
    plan.next = after;
    plan.checks = compare_checks(before.checks, after.checks);
    // The listening socket and its connection cap belong to the server as it was started.
    const auto& was = before.server;
    if (after.server.host != was.host || after.server.port != was.port)
        plan.wait_for_restart.push_back("listen");
    if (after.server.max_connections != was.max_connections)
        plan.wait_for_restart.push_back("max_connections");
    if (after.server.push_enabled != was.push_enabled || after.server.push_host != was.push_host ||
        after.server.push_port != was.push_port)
        plan.wait_for_restart.push_back("push_listen");
    plan.next.server.host = was.host;
    plan.next.server.port = was.port;
    plan.next.server.max_connections = was.max_connections;
    plan.next.server.push_enabled = was.push_enabled;
    plan.next.server.push_host = was.push_host;
    plan.next.server.push_port = was.push_port;
    plan.environ_changed = after.environ.virtualenv != before.environ.virtualenv ||
                           after.environ.variables != before.environ.variables;
    plan.enabled = enabled_count(plan.next);
    return plan;
}

}  // namespace heartbeat
