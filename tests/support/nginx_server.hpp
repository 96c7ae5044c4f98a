#pragma once
// Debian's nginx (nginx-light) on loopback for the http check's tests: one process, a config made
// of the server blocks a test gives, stopped at the end.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "child.hpp"

namespace heartbeat::test {

/** nginx serving `servers` (server blocks, each `listen`ing on `{port0}`, `{port1}`, ... which are
 * replaced by free loopback ports) from files in `dir`. */
class nginx_server {
  public:
    nginx_server(const std::string& dir, std::string servers, int ports);
    /** Why nginx cannot run here, or "". */
    static std::string missing();
    /** Why it did not start (with its log), or "". */
    const std::string& error() const { return error_; }
    std::uint16_t port(int i) const { return ports_.at(static_cast<std::size_t>(i)); }

  private:
    std::vector<std::uint16_t> ports_;
    std::unique_ptr<child> proc_;
    std::string error_;
};

}  // namespace heartbeat::test
