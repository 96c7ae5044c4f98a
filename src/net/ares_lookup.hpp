#pragma once

// The c-ares lookup that resolve_until and dns_query_until drive: private to src/net.

#include <ares.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "heartbeat/net/dns_query.hpp"
#include "heartbeat/net/resolve.hpp"

namespace heartbeat::detail {

/**
 * One name lookup (or one DNS question) on a c-ares channel of its own, driven by the io_context it
 * was made on: c-ares' sockets are watched with Asio, its retry timeouts run on a steady_timer.
 * `done` fires when the answer is in `result` (or `reply`); it expires at the caller's deadline
 * otherwise. `close()` (or the destructor) cancels whatever is in flight and closes every socket.
 *
 * Why a channel per lookup and not one per io_context: c-ares 1.18 can cancel only every query of
 * a channel at once, and a check's deadline must end its own lookup, sockets and all, and no
 * other. A channel costs about 75 KiB (its query tables) while its lookup runs and nothing after
 * (the heap is trimmed when the last lookup ends): an idle daemon holds no channel, no socket and
 * no memory for name lookups.
 */
class ares_lookup : public std::enable_shared_from_this<ares_lookup> {
  public:
    explicit ares_lookup(net::any_io_executor ex);
    ~ares_lookup();
    ares_lookup(const ares_lookup&) = delete;
    ares_lookup& operator=(const ares_lookup&) = delete;

    /** Starts looking `host` up; `result` may already be set when this returns. */
    void start(const std::string& host, const std::string& service, const resolve_options& options);
    /** Starts asking `q`; `reply` may already be set when this returns. `asked` names the
     * servers once the channel is made. */
    void start_query(const dns_question& q);
    /** Cancels what is in flight and closes the channel's sockets; no callback comes after. */
    void close();

    net::steady_timer done;
    std::optional<resolve_outcome> result;
    std::optional<dns_reply> reply;
    std::vector<std::string> asked;

  private:
    /** A socket c-ares asked to have watched; `id` tells it from a later socket on the same fd. */
    struct watch {
        std::uint64_t id = 0;
        int fd = -1;
        std::unique_ptr<net::posix::stream_descriptor> descriptor;
        bool want_read = false, want_write = false;
        bool reading = false, writing = false;
    };

    static void on_socket_state(void* self, ares_socket_t fd, int readable, int writable);
    static void on_answer(void* self, int status, int timeouts, ares_addrinfo* answer);
    static void on_query_answer(void* self, int status, int timeouts, unsigned char* abuf,
                                int alen);
    /** Makes the channel (resolv.conf read, sockets reported to Asio); a c-ares status. */
    int open(const resolve_options& options, int flags, int timeout_ms, int tries);
    /** Points the channel at `servers` instead of resolv.conf's; a c-ares status. */
    int use_servers(const std::vector<net::ip::udp::endpoint>& servers);
    std::vector<std::string> servers_asked() const;
    bool finished() const { return result || reply; }
    void socket_state(int fd, bool readable, bool writable);
    void finish(resolve_outcome outcome);
    void finish(dns_reply r);
    watch* find(std::uint64_t id);
    void arm_all();
    void arm(watch& w);
    void arm_timer();
    void ready(std::uint64_t id, bool for_read, boost::system::error_code ec);
    void process(int read_fd, int write_fd);

    net::any_io_executor ex_;
    net::steady_timer retry_;
    ares_channel channel_ = nullptr;
    bool closing_ = false;
    bool query_mode_ = false;
    bool one_server_ = false;  // a query asks one server: its SERVFAIL or REFUSED is final
    std::vector<watch> watches_;
    std::uint64_t next_id_ = 1;
    std::string host_, service_;
    std::uint16_t port_ = 0;  // resolve_options::dns_port of the channel
};

/** The words for a c-ares status, in the error category that resolve_outcome carries. */
boost::system::error_code dns_error(int ares_status);

}  // namespace heartbeat::detail
