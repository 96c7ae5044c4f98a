#pragma once

// A self-signed certificate made in the test, and a TLS responder on loopback that uses it.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "loopback.hpp"

namespace heartbeat::test {

/**
 * A fresh EC key and a self-signed certificate for `names` (DNS names or IP literals), as PEM
 * files in `dir`, valid from `not_before` to `not_after` (both counted from now; an hour ago to a
 * day from now unless given).
 */
struct self_signed {
    self_signed(const std::string& dir, const std::vector<std::string>& names,
                std::chrono::seconds not_before = std::chrono::hours(-1),
                std::chrono::seconds not_after = std::chrono::hours(24));
    std::string cert_file;
    std::string key_file;
    /** The certificate's notAfter as OpenSSL reads it back from the file. */
    std::chrono::sys_seconds not_after() const;
};

/** Answers each TLS connection with `reply` after the request head arrives; records the SNI it was
 * sent. With `client_ca` (a PEM file), it asks for a client certificate and refuses a client
 * without one that file's certificates sign (mTLS). */
class tls_server {
  public:
    tls_server(const self_signed& cert, std::string reply, const std::string& client_ca = "");
    ~tls_server();
    std::uint16_t port() const { return server_->port(); }
    std::string last_sni() const;
    std::string last_request() const;

  private:
    struct state;
    std::shared_ptr<state> state_;
    std::unique_ptr<scripted_server> server_;
};

}  // namespace heartbeat::test
