#include "heartbeat/redact.hpp"

#include <algorithm>

#include "heartbeat/checks/unit.hpp"
#include "heartbeat/text.hpp"

namespace heartbeat {

void add_secret(std::vector<std::string>& out, std::string value) {
    if (value.size() >= min_secret_size) out.push_back(std::move(value));
}

namespace {

json::value redacted(const json::value& v, const std::vector<std::string>& secrets) {
    if (v.is_string()) return json::string(redact(std::string(v.as_string()), secrets));
    if (v.is_array()) {
        json::array a;
        for (const auto& x : v.as_array()) a.push_back(redacted(x, secrets));
        return a;
    }
    if (v.is_object()) {
        json::object o;
        for (const auto& [k, x] : v.as_object())
            o[redact(std::string(k), secrets)] = redacted(x, secrets);
        return o;
    }
    return v;
}

}  // namespace

std::vector<std::string> secret_values(const check_config& c) {
    std::vector<std::string> out;
    if (auto secrets = unit_of(c.spec).secrets) secrets(c.spec, out);
    for (const auto& v : c.variable_secrets) add_secret(out, v);
    // Longest first: a secret that contains another is replaced whole.
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.size() > b.size(); });
    return out;
}

std::string redact(std::string text, const std::vector<std::string>& secrets) {
    for (const auto& s : secrets) {
        for (auto at = text.find(s); at != std::string::npos; at = text.find(s, at + 10))
            text.replace(at, s.size(), "[redacted]");
    }
    return text;
}

std::string printable_redacted(std::string_view bytes, const std::vector<std::string>& secrets) {
    if (secrets.empty()) return printable(bytes);
    return printable(redact(std::string(bytes), secrets));
}

void redact(check_result& r, const std::vector<std::string>& secrets) {
    if (secrets.empty()) return;
    r.message = redact(std::move(r.message), secrets);
    r.facts = redacted(r.facts, secrets).as_object();
    r.data = redacted(r.data, secrets).as_object();
}

}  // namespace heartbeat
