#include "nginx_server.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "loopback.hpp"

namespace heartbeat::test {

namespace {
const std::string binary = "/usr/sbin/nginx";

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}
}  // namespace

std::string nginx_server::missing() {
    return ::access(binary.c_str(), X_OK) == 0
               ? ""
               : "needs " + binary + " (Debian's nginx-light; scripts/setup.sh installs it)";
}

nginx_server::nginx_server(const std::string& dir, std::string servers, int ports) {
    if (error_ = missing(); !error_.empty()) return;
    for (int i = 0; i < ports; ++i) {
        ports_.push_back(refused_port());
        servers =
            replace_all(servers, "{port" + std::to_string(i) + "}", std::to_string(ports_.back()));
    }
    auto root = dir + "/nginx";
    std::filesystem::create_directories(root);
    const std::string conf = root + "/nginx.conf";
    // One process (master_process off): the test's child is the server, and killing it ends it.
    std::ofstream(conf) << "daemon off;\nmaster_process off;\nworker_processes 1;\n"
                        << "pid " << root << "/nginx.pid;\nerror_log stderr;\n"
                        << "events { worker_connections 64; }\nhttp {\n  access_log off;\n"
                        << "  client_body_temp_path " << root << "/body;\n"
                        << "  proxy_temp_path " << root << "/proxy;\n"
                        << "  fastcgi_temp_path " << root << "/fastcgi;\n"
                        << "  uwsgi_temp_path " << root << "/uwsgi;\n"
                        << "  scgi_temp_path " << root << "/scgi;\n"
                        << servers << "\n}\n";
    proc_ = std::make_unique<child>(
        std::vector<std::string>{binary, "-p", root + "/", "-c", conf, "-e", "stderr"});
    bool up = poll_until(
        [&] {
            for (auto p : ports_) {
                int fd = connect_loopback(p);
                if (fd < 0) return false;
                ::close(fd);
            }
            return true;
        },
        20000);
    if (!up) error_ = "nginx did not start: " + proc_->stderr_text();
}

}  // namespace heartbeat::test
