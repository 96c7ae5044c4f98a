#pragma once
// The tests' gRPC health server (grpc_health_server.py, on Debian's python3-grpcio), started as a
// child process on 127.0.0.1 at a port it picks. Header-only: it needs Boost.Test's macros.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "child.hpp"

namespace heartbeat::test {

/** Debian's python3 (with python3-grpcio), wherever the PATH points. */
inline std::string grpc_python() {
    return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

/** Why the server cannot run here (no python3-grpcio), or "". */
inline std::string grpc_server_missing() {
    auto r = run({grpc_python(), "-c", "import grpc"});
    return r.code == 0 ? "" : "python3-grpcio is not installed (scripts/setup.sh installs it)";
}

/** The server, answering Check with a status per service (`"=SERVING"`, `"down=NOT_SERVING"`)
 * and NOT_FOUND for any other; over TLS with `cert`/`key` when given; UNAUTHENTICATED for a call
 * without `authorization: Bearer <token>` when `token` is given; refusing a TLS client without a
 * certificate that `client_ca` signs, when given. */
struct grpc_health_server {
    std::unique_ptr<child> proc;
    std::uint16_t port = 0;

    explicit grpc_health_server(const std::vector<std::string>& statuses,
                                const std::string& cert = "", const std::string& key = "",
                                const std::string& token = "",
                                const std::string& client_ca = "") {
        std::vector<std::string> argv = {grpc_python(), std::string(HEARTBEAT_SOURCE_DIR) +
                                                            "/tests/support/grpc_health_server.py"};
        for (const auto& s : statuses) argv.insert(argv.end(), {"--status", s});
        if (!cert.empty()) argv.insert(argv.end(), {"--cert", cert, "--key", key});
        if (!token.empty()) argv.insert(argv.end(), {"--token", token});
        if (!client_ca.empty()) argv.insert(argv.end(), {"--client-ca", client_ca});
        proc = std::make_unique<child>(argv);
        auto m = proc->wait_for_line(std::regex("^port (\\d+)"), 20000);
        BOOST_TEST_REQUIRE(m.has_value(), proc->stderr_text());
        port = static_cast<std::uint16_t>(std::stoi((*m)[1]));
    }
};

}  // namespace heartbeat::test
