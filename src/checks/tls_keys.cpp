#include "heartbeat/checks/tls_keys.hpp"

#include <fmt/format.h>

#include "heartbeat/check.hpp"
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
