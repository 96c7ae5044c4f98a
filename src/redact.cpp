#include "heartbeat/redact.hpp"

#include <algorithm>

#include "heartbeat/url.hpp"

namespace heartbeat {

namespace {

void add(std::vector<std::string>& out, std::string value) {
    if (value.size() >= min_secret_size) out.push_back(std::move(value));
}

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
    const auto* h = std::get_if<http_spec>(&c.spec);
    if (!h) return out;
    for (const auto& [name, value] : h->headers) add(out, value);
    if (auto u = parse_url(h->url); u && u->has_userinfo) {
        std::string plain = percent_decode(u->userinfo);
        add(out, u->userinfo);
        add(out, plain);
        add(out, basic_credentials(u->userinfo));
        auto colon = plain.find(':');
        add(out, plain.substr(0, colon));
        if (colon != std::string::npos) add(out, plain.substr(colon + 1));
    }
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

void redact(check_result& r, const std::vector<std::string>& secrets) {
    if (secrets.empty()) return;
    r.message = redact(std::move(r.message), secrets);
    r.facts = redacted(r.facts, secrets).as_object();
    r.data = redacted(r.data, secrets).as_object();
}

}  // namespace heartbeat
