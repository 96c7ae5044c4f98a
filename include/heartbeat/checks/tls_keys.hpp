#pragma once
// The TLS keys that several check types share (`tls_verify`, `ca_file`), and the context each
// definition builds from them once; `min_cert_validity` and what a check reports of its peer's
// certificate.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "heartbeat/durations.hpp"

namespace heartbeat {

namespace config_detail {
struct check_keys;  // heartbeat/config_checks.hpp
}
struct check_result;     // heartbeat/check.hpp
class tls_slot;          // heartbeat/net/tls.hpp
struct tls_client;       // heartbeat/net/tls.hpp
struct client_identity;  // heartbeat/net/tls.hpp
/** A new, empty place for the TLS context of one check definition. */
std::shared_ptr<tls_slot> new_tls_slot();

/** `tls_verify`, `ca_file`, `cert_file` and `key_file`, with the context a definition builds from
 * them. */
struct tls_keys {
    bool verify = true;
    std::optional<std::string> ca_file;
    // `cert_file` and `key_file` as read at load (the names are not kept: a change of content, as
    // when a Secret is rotated and the config reloaded, is what makes another context).
    std::shared_ptr<const client_identity> identity;
    // Not configuration: made with each parsed definition and shared by its copies, so that the
    // context is built once per definition (see tls_slot) and a reload keeps it with the check.
    std::shared_ptr<tls_slot> slot = new_tls_slot();

    /** The keys alone: two definitions with the same keys make the same context. */
    bool same(const tls_keys& o) const;
    /** The context: built at the first call (reading the CA file: blocking), kept afterwards. */
    tls_client client() const;
};

/**
 * Reads `tls_verify`, `ca_file`, `cert_file` and `key_file` from a check's keys, reporting a wrong
 * value at its place; the certificate and key files are read now, and must be PEM and belong
 * together.
 */
tls_keys read_tls_keys(config_detail::check_keys& keys);

/** Takes a relative `ca_file` from `folder`, the folder of the config file that names it. */
void place_tls_keys(tls_keys& t, const std::filesystem::path& folder);

/**
 * Reads `min_cert_validity` (a duration, `0` allowed) from a check's keys; nullopt when absent or
 * wrong (reported at its place). A type that reads it must also accept it only where it shakes
 * hands: see tls_only.
 */
std::optional<duration> read_min_cert_validity(config_detail::check_keys& keys);

/**
 * Reports each of `names` that the check sets when it speaks no TLS, at its place, saying that it
 * needs `needs` (`an https:// url`, `tls: true`).
 */
void tls_only(config_detail::check_keys& keys, std::initializer_list<std::string_view> names,
              std::string_view needs);

/**
 * Why a certificate valid until `not_after` fails `min_cert_validity` `min` at `now`, naming the
 * peer as `peer` (`db:5432`); "" when it stays valid at least that long.
 */
std::string cert_validity_failure(std::string_view peer, std::chrono::sys_seconds not_after,
                                  std::chrono::system_clock::time_point now, duration min);

/**
 * What a check reports once its handshake completed: `cert_not_after` in the facts of `r` and,
 * when the certificate fails `min` (or its notAfter cannot be read), that failure, after any `r`
 * already has.
 */
void report_peer_certificate(check_result& r, std::string_view peer,
                             std::optional<std::chrono::sys_seconds> not_after,
                             std::optional<duration> min,
                             std::chrono::system_clock::time_point now);

/** What a check reports when its handshake failed after the peer sent a certificate (expired,
 * untrusted, for another name): its `cert_not_after`, so that the entry tells when it expires. */
void note_peer_certificate(check_result& r, std::optional<std::chrono::sys_seconds> not_after);

}  // namespace heartbeat
