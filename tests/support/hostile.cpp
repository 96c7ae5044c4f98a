#include "hostile.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "http_client.hpp"

namespace heartbeat::test {

long raise_fd_limit() {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return -1;
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    ::getrlimit(RLIMIT_NOFILE, &lim);
    return static_cast<long>(lim.rlim_cur);
}

long vm_rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

std::optional<tcp_entry> tcp_connection(std::uint16_t local, std::uint16_t remote) {
    // Each line: "sl local_address rem_address st tx_queue:rx_queue ...", addresses as HEX:PORT.
    std::ifstream in("/proc/net/tcp");
    std::string line;
    std::getline(in, line);  // the column titles
    while (std::getline(in, line)) {
        unsigned lport = 0, rport = 0, st = 0;
        unsigned long tx = 0, rx = 0;
        if (std::sscanf(line.c_str(), " %*d: %*8X:%X %*8X:%X %X %lX:%lX", &lport, &rport, &st, &tx,
                        &rx) != 5)
            continue;
        if (lport == local && rport == remote)
            return tcp_entry{static_cast<int>(st), static_cast<long>(tx)};
    }
    return std::nullopt;
}

std::uint16_t local_port(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return 0;
    return ntohs(a.sin_port);
}

int open_client(std::uint16_t port, int rcvbuf) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

void reset_close(int fd) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
}

steady_prober::steady_prober(std::uint16_t port, std::string target, int period_ms, int timeout_ms)
    : port_(port), target_(std::move(target)), period_ms_(period_ms), timeout_ms_(timeout_ms) {
    thread_ = std::thread([this] { loop(); });
}

steady_prober::~steady_prober() {
    stop();
}

std::vector<probe_sample> steady_prober::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return samples_;
}

void steady_prober::loop() {
    using clock = std::chrono::steady_clock;
    auto next = clock::now();
    for (;;) {
        auto start = clock::now();
        auto reply = request(port_, target_, "GET", timeout_ms_);
        std::chrono::duration<double, std::milli> took = clock::now() - start;
        std::unique_lock lock(mutex_);
        samples_.push_back({reply.status, took.count()});
        // The pace of a probe, not a synchronisation: wake at the next period or at stop().
        next += std::chrono::milliseconds(period_ms_);
        if (cv_.wait_until(lock, next, [this] { return stopping_; })) return;
    }
}

}  // namespace heartbeat::test
