#pragma once

// Tools for hostile-client tests: a steady well-behaved prober running beside an attack, and what
// /proc says about a process's memory and a connection's send queue.
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace heartbeat::test {

/** Raises this process's soft RLIMIT_NOFILE to its hard limit (children inherit it); the new one.
 */
long raise_fd_limit();

/** VmRSS of `pid` in KiB, or -1. */
long vm_rss_kib(pid_t pid);

/** One TCP connection as /proc/net/tcp shows it. */
struct tcp_entry {
    int state = 0;        // 1 established, 4 FIN-WAIT-1, ... (include/net/tcp_states.h)
    long send_queue = 0;  // bytes the kernel holds unsent or unacknowledged
};

/** The connection from local port `local` to port `remote` on 127.0.0.1, if there is one. */
std::optional<tcp_entry> tcp_connection(std::uint16_t local, std::uint16_t remote);

/** The local port of a connected socket. */
std::uint16_t local_port(int fd);

/**
 * A TCP client socket connected to 127.0.0.1:port, made non-blocking once connected; -1 when the
 * connect fails. `rcvbuf` > 0 sets SO_RCVBUF before connecting (the window it advertises).
 */
int open_client(std::uint16_t port, int rcvbuf = 0);

/** Closes `fd` with SO_LINGER 0: the peer gets a reset instead of a FIN. */
void reset_close(int fd);

/** One answer the prober got: its status (0: none) and how long it took. */
struct probe_sample {
    int status = 0;
    double ms = 0;
};

/**
 * Asks GET `target` every `period_ms` on a fresh connection (as the kubelet does) in a thread of
 * its own, each ask capped at `timeout_ms`, until stop().
 */
class steady_prober {
  public:
    steady_prober(std::uint16_t port, std::string target, int period_ms = 50,
                  int timeout_ms = 2000);
    ~steady_prober();
    steady_prober(const steady_prober&) = delete;
    steady_prober& operator=(const steady_prober&) = delete;
    /** Stops and joins; the samples taken. */
    std::vector<probe_sample> stop();

  private:
    void loop();

    std::uint16_t port_;
    std::string target_;
    int period_ms_;
    int timeout_ms_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::vector<probe_sample> samples_;
    std::thread thread_;
};

}  // namespace heartbeat::test
