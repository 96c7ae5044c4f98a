#pragma once
// Python's http.server over a folder, on 127.0.0.1 at a port it picks: a real HTTP server for
// checks that read bodies (JSON files as health endpoints). Header-only: it needs Boost.Test's
// macros.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <memory>
#include <regex>
#include <string>

#include "child.hpp"

namespace heartbeat::test {

/** Debian's python3, wherever the PATH points. */
inline std::string file_server_python() {
    return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

/** Why the server cannot run here, or "". */
inline std::string file_server_missing() {
    auto r = run({file_server_python(), "-c", "import http.server"});
    return r.code == 0 ? "" : "python3 is not installed (scripts/setup.sh installs it)";
}

/** `python3 -m http.server 0 --bind 127.0.0.1 --directory FOLDER`, until destroyed. */
struct file_server {
    std::unique_ptr<child> proc;
    std::uint16_t port = 0;

    explicit file_server(const std::string& folder) {
        // It prints its port on stdout, which the child runner reads only after the exit: sent
        // to stderr instead, unbuffered (-u), to be read as it comes.
        proc = std::make_unique<child>(std::vector<std::string>{
            "/bin/sh", "-c",
            "exec \"$0\" -u -m http.server 0 --bind 127.0.0.1 --directory \"$1\" 1>&2",
            file_server_python(), folder});
        auto m = proc->wait_for_line(std::regex("port (\\d+)"), 20000);
        BOOST_TEST_REQUIRE(m.has_value(), proc->stderr_text());
        port = static_cast<std::uint16_t>(std::stoi((*m)[1]));
    }

    std::string url(const std::string& file) const {
        return "http://127.0.0.1:" + std::to_string(port) + "/" + file;
    }
};

}  // namespace heartbeat::test
