#include "dnsmasq.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>

#include <boost/test/unit_test.hpp>

namespace heartbeat::test {

namespace {
const char* const dnsmasq_binary = "/usr/sbin/dnsmasq";
}

std::string no_dnsmasq() {
    return ::access(dnsmasq_binary, X_OK) == 0 ? "" : "needs dnsmasq (Debian's dnsmasq-base)";
}

int udp_socket_on_loopback(std::uint16_t& port) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        if (fd >= 0) ::close(fd);
        return -1;
    }
    port = ntohs(a.sin_port);
    return fd;
}

dnsmasq::dnsmasq(std::vector<std::string> options) {
    for (int attempt = 0; attempt < 5 && !proc_; ++attempt) {
        int probe = udp_socket_on_loopback(port_);
        BOOST_TEST_REQUIRE(probe >= 0);
        ::close(probe);  // dnsmasq binds it next; another process could win: then retry
        std::vector<std::string> argv{dnsmasq_binary,
                                      "--keep-in-foreground",
                                      "--conf-file=/dev/null",
                                      "--no-resolv",
                                      "--no-hosts",
                                      "--listen-address=127.0.0.1",
                                      "--bind-interfaces",
                                      "--port=" + std::to_string(port_),
                                      "--pid-file=",
                                      "--log-facility=-",
                                      "--log-queries",
                                      "--domain-needed",
                                      "--local=/test/"};
        argv.insert(argv.end(), options.begin(), options.end());
        auto c = std::make_unique<child>(argv);
        auto m = c->wait_for_line(std::regex("(started, version)|(failed to)"));
        BOOST_TEST_REQUIRE(m.has_value(), c->stderr_text());
        if ((*m)[1].matched) proc_ = std::move(c);
    }
    BOOST_TEST_REQUIRE(proc_ != nullptr, "dnsmasq found no free port in 5 tries");
}

std::vector<std::string> host_records(const std::vector<std::string>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) out.push_back("--host-record=" + r);
    return out;
}

}  // namespace heartbeat::test
