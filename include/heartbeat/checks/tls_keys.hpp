#pragma once
// The TLS keys that several check types share (`tls_verify`, `ca_file`), and the context each
// definition builds from them once.

#include <memory>
#include <optional>
#include <string>

namespace heartbeat {

namespace config_detail {
struct check_keys;  // heartbeat/config_checks.hpp
}
class tls_slot;     // heartbeat/net/tls.hpp
struct tls_client;  // heartbeat/net/tls.hpp
/** A new, empty place for the TLS context of one check definition. */
std::shared_ptr<tls_slot> new_tls_slot();

/** `tls_verify` and `ca_file`, with the context a definition builds from them. */
struct tls_keys {
    bool verify = true;
    std::optional<std::string> ca_file;
    // Not configuration: made with each parsed definition and shared by its copies, so that the
    // context is built once per definition (see tls_slot) and a reload keeps it with the check.
    std::shared_ptr<tls_slot> slot = new_tls_slot();

    /** The keys alone: two definitions with the same keys make the same context. */
    bool same(const tls_keys& o) const { return verify == o.verify && ca_file == o.ca_file; }
    /** The context: built at the first call (reading the CA file: blocking), kept afterwards. */
    tls_client client() const;
};

/** Reads `tls_verify` and `ca_file` from a check's keys, reporting a wrong value at its place. */
tls_keys read_tls_keys(config_detail::check_keys& keys);

}  // namespace heartbeat
