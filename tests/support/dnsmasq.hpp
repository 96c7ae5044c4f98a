#pragma once
// Debian's dnsmasq as a DNS server on loopback, for the tests of name lookups and dns checks.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "child.hpp"

namespace heartbeat::test {

/** Why dnsmasq cannot run here (Debian's dnsmasq-base is missing), or "". */
std::string no_dnsmasq();

/** A UDP socket on 127.0.0.1 at a port the kernel picks, its port in `port`; -1 when none can be
 * made. Bound and never read, it is a DNS server that never answers. */
int udp_socket_on_loopback(std::uint16_t& port);

/**
 * dnsmasq on 127.0.0.1 at a free port, knowing only the records its `options` give
 * (`--host-record=...`, `--mx-host=...`): every name under `.test` that it has no record for is
 * NXDOMAIN, a name without a dot too, and any other name is REFUSED (it has no upstream server).
 * It logs each question (`query[A] NAME`) to its stderr.
 */
class dnsmasq {
  public:
    explicit dnsmasq(std::vector<std::string> options);
    std::uint16_t port() const { return port_; }
    /** What dnsmasq logged so far. */
    const std::string& log() { return proc_->stderr_text(); }

  private:
    std::uint16_t port_ = 0;
    std::unique_ptr<child> proc_;
};

/** `--host-record=` options for each of `records` ("name,address[,address]"). */
std::vector<std::string> host_records(const std::vector<std::string>& records);

}  // namespace heartbeat::test
