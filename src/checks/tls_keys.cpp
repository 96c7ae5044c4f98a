#include "heartbeat/checks/tls_keys.hpp"

#include <fmt/format.h>

#include "heartbeat/check.hpp"
#include "heartbeat/config_checks.hpp"
#include "heartbeat/net/tls.hpp"
#include "heartbeat/secret_file.hpp"

namespace heartbeat {

bool tls_keys::same(const tls_keys& o) const {
    bool same_identity = identity && o.identity ? *identity == *o.identity : identity == o.identity;
    return verify == o.verify && ca_file == o.ca_file && same_identity;
}

tls_client tls_keys::client() const {
    std::optional<client_identity> id;
    if (identity) id = *identity;
    return slot ? slot->get(verify, ca_file, id) : make_tls_client(verify, ca_file, id);
}

namespace {

/** `cert_file` and `key_file`: both or neither; read now and tried together. */
std::shared_ptr<const client_identity> read_identity(config_detail::check_keys& keys) {
    auto& r = keys.reader;
    const YAML::Node* cert = keys.optional("cert_file");
    const YAML::Node* key = keys.optional("key_file");
    if (!cert && !key) return nullptr;
    if (!cert || !key) {
        r.error((cert ? cert : key)->Mark(),
                fmt::format("'{}' needs '{}' in {}: a client certificate takes both",
                            cert ? "cert_file" : "key_file", cert ? "key_file" : "cert_file",
                            keys.label));
        return nullptr;
    }
    // A certificate chain of a few certificates fits; a larger file is not one.
    constexpr std::size_t cap = 256 * 1024;
    auto cert_pem = read_secret_file(r, *cert, "cert_file", secret_content::whole, cap);
    auto key_pem = read_secret_file(r, *key, "key_file", secret_content::whole, cap);
    if (!cert_pem || !key_pem) return nullptr;
    client_identity id{std::move(*cert_pem), std::move(*key_pem)};
    ssl::context trial(ssl::context::tls_client);
    if (auto why = use_client_identity(trial, id); !why.empty()) {
        r.error(key->Mark(), fmt::format("'cert_file' '{}' and 'key_file' '{}' cannot be used: {}",
                                         config_detail::shorten(cert->Scalar()),
                                         config_detail::shorten(key->Scalar()), why));
        return nullptr;
    }
    return std::make_shared<const client_identity>(std::move(id));
}

}  // namespace

tls_keys read_tls_keys(config_detail::check_keys& keys) {
    auto& r = keys.reader;
    tls_keys t;
    if (auto v = keys.optional("tls_verify"))
        if (auto b = r.bool_value(*v, "tls_verify")) t.verify = *b;
    if (auto ca = keys.optional("ca_file"))
        if (auto s = r.string_value(*ca, "ca_file")) t.ca_file = *s;
    t.identity = read_identity(keys);
    return t;
}

void place_tls_keys(tls_keys& t, const std::filesystem::path& folder) {
    if (t.ca_file && !t.ca_file->starts_with('/')) t.ca_file = (folder / *t.ca_file).string();
}

std::optional<duration> read_min_cert_validity(config_detail::check_keys& keys) {
    auto v = keys.optional("min_cert_validity");
    if (!v) return std::nullopt;
    // 0 is allowed: it fails only a certificate that has expired, which is what a check with
    // tls_verify false has no other way to ask.
    return keys.reader.duration_value(*v, "min_cert_validity", true);
}

void tls_only(config_detail::check_keys& keys, std::initializer_list<std::string_view> names,
              std::string_view needs) {
    for (auto name : names)
        if (auto v = keys.optional(name))
            keys.reader.error(v->Mark(), fmt::format("'{}' in {} needs {}: without TLS there is "
                                                     "no certificate to check",
                                                     name, keys.label, needs));
}

std::string cert_validity_failure(std::string_view peer, std::chrono::sys_seconds not_after,
                                  std::chrono::system_clock::time_point now, duration min) {
    using namespace std::chrono;
    const seconds left = not_after - floor<seconds>(now);
    const std::string when = rfc3339_seconds(not_after);
    if (left <= seconds::zero())
        return fmt::format("certificate of {} expired {} ago ({})", peer, format_span(-left), when);
    if (left >= ceil<seconds>(min)) return "";
    return fmt::format("certificate of {} expires in {} ({}), less than min_cert_validity {}", peer,
                       format_span(left), when, format_duration(min));
}

void note_peer_certificate(check_result& r, std::optional<std::chrono::sys_seconds> not_after) {
    if (not_after) r.facts["cert_not_after"] = rfc3339_seconds(*not_after);
}

void report_peer_certificate(check_result& r, std::string_view peer,
                             std::optional<std::chrono::sys_seconds> not_after,
                             std::optional<duration> min,
                             std::chrono::system_clock::time_point now) {
    std::string why;
    if (not_after) r.facts["cert_not_after"] = rfc3339_seconds(*not_after);
    if (min)
        why = not_after
                  ? cert_validity_failure(peer, *not_after, now, *min)
                  : fmt::format("certificate of {} has no expiry date that can be read", peer);
    if (why.empty()) return;
    // Both are told: a failing status and a certificate about to expire are two things to fix.
    r.message = r.ok ? why : r.message + "; " + why;
    r.ok = false;
}

}  // namespace heartbeat
