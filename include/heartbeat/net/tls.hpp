#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

namespace heartbeat {

namespace ssl = boost::asio::ssl;

/** A TLS client context for one check's settings, or why it could not be made. */
struct tls_client {
    std::shared_ptr<ssl::context> context;  // null when `error` says why
    std::string error;  // "cannot load CA certificates from /etc/ca.pem: no such file or directory"
};

/** A client certificate (with its chain) and its private key, as PEM text: read from the files at
 * load, so that a context is built without reading them again. */
struct client_identity {
    std::string cert_pem;
    std::string key_pem;
    bool operator==(const client_identity&) const = default;
};

/**
 * Makes `ctx` present `id` to servers that ask for a certificate; "" or why it cannot (a PEM that
 * does not parse, a key that does not belong to the certificate), never showing the key.
 */
std::string use_client_identity(ssl::context& ctx, const client_identity& id);

/**
 * A client context that verifies the peer against `ca_file` (else the system's CAs), or does not
 * verify at all when `verify` is false. Reads the CA file: a blocking call.
 */
tls_client make_tls_client(bool verify, const std::optional<std::string>& ca_file,
                           const std::optional<client_identity>& identity = std::nullopt);

/**
 * The TLS context of one http check definition. Every copy of the definition shares its slot, and
 * each parse makes a new one: a check changed by a reload gets a new context, an unchanged one
 * keeps its own, and no run loads CA certificates again.
 */
class tls_slot {
  public:
    /**
     * The context for these settings: built at the first call, the same one afterwards. A failure
     * is not kept, so a CA file that appears later is read then. Settings other than those it was
     * built for (a copied definition changed afterwards) build a new one.
     */
    tls_client get(bool verify, const std::optional<std::string>& ca_file,
                   const std::optional<client_identity>& identity = std::nullopt);

  private:
    std::mutex mutex_;  // runs are on one thread, but nothing stops two from sharing a copy
    bool verify_ = true;
    std::optional<std::string> ca_file_;
    std::optional<client_identity> identity_;
    std::shared_ptr<ssl::context> context_;
};

/** A new, empty slot: what a parsed http check definition holds (declared for it in config.hpp). */
std::shared_ptr<tls_slot> new_tls_slot();

/**
 * Names the peer on a connection about to shake hands: SNI for a DNS name (never for an address),
 * and, when `verify`, the DNS name or IP address its certificate must carry.
 */
void expect_peer(SSL* ssl, const std::string& host, bool verify);

/** Why a handshake failed, in words: the certificate's verification error, else the TLS reason. */
std::string tls_error(const boost::system::error_code& ec, SSL* ssl);

/**
 * The notAfter of the peer's leaf certificate, once a handshake has completed or failed after the
 * peer sent its certificates (an expired or untrusted one); nullopt when the peer showed none or
 * its time cannot be read.
 */
std::optional<std::chrono::sys_seconds> peer_not_after(SSL* ssl);

/**
 * An ASN.1 time (UTCTime or GeneralizedTime, as certificates carry them) as a point on the wall
 * clock, in seconds: year 9999, which RFC 5280 writes for "no expiry", is past what nanoseconds
 * count. nullopt for null or a malformed time.
 */
std::optional<std::chrono::sys_seconds> asn1_time_point(const ASN1_TIME* t);

/** A wall-clock time as RFC 3339 in UTC to the second: `2026-12-01T10:00:00Z`. */
std::string rfc3339_seconds(std::chrono::sys_seconds t);

}  // namespace heartbeat
