#pragma once

// The built heartbeatd, started as a user starts it, for the end-to-end tier. Header-only: it needs
// Boost.Test's macros of the test that includes it.
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <memory>
#include <regex>

#include "child.hpp"
#include "http_client.hpp"

namespace heartbeat::test {

inline const std::string base = "/.well-known/heartbeat";

/** heartbeatd serving `config` (written to a fresh folder) on 127.0.0.1 at a free port. */
struct heartbeatd {
    temp_dir dir;
    std::string config_path;
    std::unique_ptr<child> proc;
    std::uint16_t port = 0;

    explicit heartbeatd(const std::string& config, std::vector<std::string> extra = {},
                        std::map<std::string, std::string> env = {},
                        std::string config_name = "heartbeat.yaml") {
        config_path = dir.write(config_name, config);
        start(std::move(extra), std::move(env));
    }
    /** For a config already in place (a symlink, a ConfigMap layout): `config_path` must be set. */
    heartbeatd() = default;
    void start(std::vector<std::string> extra = {}, std::map<std::string, std::string> env = {}) {
        std::vector<std::string> argv = {HEARTBEAT_BINARY, "serve",    "--config",
                                         config_path,      "--listen", "127.0.0.1:0"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        proc = std::make_unique<child>(argv, env);
        auto m = proc->wait_for_line(std::regex("listening on 127\\.0\\.0\\.1:(\\d+)"));
        BOOST_TEST_REQUIRE(m.has_value(), proc->stderr_text());
        port = static_cast<std::uint16_t>(std::stoi((*m)[1]));
    }
    http_reply get(const std::string& target, const std::string& method = "GET") {
        return request(port, target, method, 10000);
    }
};

inline boost::json::object body_of(const http_reply& r) {
    return boost::json::parse(r.body).as_object();
}

}  // namespace heartbeat::test
