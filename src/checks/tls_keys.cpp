#include "heartbeat/checks/tls_keys.hpp"

#include "heartbeat/config_checks.hpp"
#include "heartbeat/net/tls.hpp"

namespace heartbeat {

tls_client tls_keys::client() const {
    return slot ? slot->get(verify, ca_file) : make_tls_client(verify, ca_file);
}

tls_keys read_tls_keys(config_detail::check_keys& keys) {
    auto& r = keys.reader;
    tls_keys t;
    if (auto v = keys.optional("tls_verify"))
        if (auto b = r.bool_value(*v, "tls_verify")) t.verify = *b;
    if (auto ca = keys.optional("ca_file"))
        if (auto s = r.string_value(*ca, "ca_file")) t.ca_file = *s;
    return t;
}

}  // namespace heartbeat
