#include "heartbeat/environ.hpp"

#include <cstdlib>

#include "heartbeat/json_text.hpp"
#include <boost/version.hpp>
#include <fmt/format.h>
#include <openssl/opensslv.h>
#include <spdlog/version.h>
#include <yaml-cpp/yaml.h>

namespace heartbeat {

environ_reporter::environ_reporter(environ_config cfg) : cfg_(std::move(cfg)), started_(steady_clock::now()) {}

void environ_reporter::configure(environ_config cfg) { cfg_ = std::move(cfg); }

json::object environ_reporter::self(const moment& at) const {
    json::object o;
    o["version"] = HEARTBEAT_VERSION;
    o["uptime_s"] = std::round(std::chrono::duration<double>(at.steady - started_).count() * 10) / 10;
    json::object libs;
    libs["boost"] = fmt::format("{}.{}.{}", BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100);
    libs["yaml-cpp"] = "0.7";
    libs["spdlog"] = fmt::format("{}.{}.{}", SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH);
    libs["openssl"] = OPENSSL_VERSION_STR;
    o["libraries"] = std::move(libs);
    return o;
}

probe_answer environ_reporter::render(const std::vector<entry_ptr>& checks, const moment& at) const {
    json::object body;
    body["status"] = true;
    body["libraries"] = json::object();
    body["python"] = nullptr;
    body["heartbeat"] = self(at);
    json::object vars;
    for (const auto& name : cfg_.variables) {
        // Only names the config lists; an unset one shows as null so a typo is visible.
        const char* v = std::getenv(name.c_str());
        if (v) vars[name] = v;
        else vars[name] = nullptr;
    }
    body["variables"] = std::move(vars);
    bool ok = true;
    json::object list;
    for (const auto& e : checks) {
        auto o = check_json(*e, probe::environ, at);
        ok = ok && o["status"].as_bool();
        // An environ check's data joins the top level, as the signal handlers of the seed did;
        // the keys heartbeatd itself writes keep their meaning.
        for (const auto& [k, v] : e->last.data)
            if (!body.contains(k) && k != "checks") body[k] = v;
        list[e->cfg.name] = std::move(o);
    }
    body["status"] = ok;
    body["checks"] = std::move(list);
    return {ok, to_json_text(body)};
}

}  // namespace heartbeat
