#pragma once

// Loopback peers for tests: a port that refuses, a listener that never answers, a scripted server.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "printing.hpp"

namespace heartbeat::test {

/** A port that was bound and closed again: connecting to it is refused. */
std::uint16_t refused_port();

/** Why ::1 cannot be bound here (no IPv6 on the loopback interface), or "" when it can. */
std::string ipv6_loopback_missing();

/** Listens on 127.0.0.1 and never accepts: the kernel completes the handshake, nobody ever answers.
 */
class silent_listener {
  public:
    silent_listener();
    ~silent_listener();
    silent_listener(const silent_listener&) = delete;
    silent_listener& operator=(const silent_listener&) = delete;
    std::uint16_t port() const { return port_; }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

/**
 * Accepts connections on 127.0.0.1 in a thread of its own and gives each connected socket (a plain
 * blocking fd) to `serve`, one after another. Stops and joins on destruction.
 */
class scripted_server {
  public:
    explicit scripted_server(std::function<void(int fd)> serve);
    ~scripted_server();
    scripted_server(const scripted_server&) = delete;
    scripted_server& operator=(const scripted_server&) = delete;
    std::uint16_t port() const { return port_; }
    /** Connections accepted so far. */
    int accepted() const { return accepted_.load(); }

  private:
    int fd_ = -1;
    int wake_[2] = {-1, -1};
    std::uint16_t port_ = 0;
    std::atomic<int> accepted_{0};
    std::thread thread_;
};

/** A blocking TCP connection to 127.0.0.1:port; -1 when refused. */
int connect_loopback(std::uint16_t port);

/** Reads from `fd` until `needle` has arrived, EOF, or `timeout_ms`; returns what was read. */
std::string read_until(int fd, const std::string& needle, int timeout_ms = 5000);
/** Writes all of `data`; false on error. */
bool write_all(int fd, const std::string& data);

}  // namespace heartbeat::test
