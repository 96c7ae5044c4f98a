#include "heartbeat/checks/push/run.hpp"

#include <boost/json/parse.hpp>

namespace heartbeat {

namespace {

/** Control characters in a report's text become spaces, in keys and values at any depth: shown
 * escaped (`\u000f`), one could end in the first characters of the token and spell it out beside
 * the rest, which redaction, matching the text as sent, would not see. */
void without_controls(std::string& s) {
    for (char& c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
}

json::value without_controls(json::value v) {
    if (v.is_string()) {
        std::string s(v.as_string());
        without_controls(s);
        return json::string(s);
    }
    if (v.is_array()) {
        json::array a;
        for (auto& x : v.as_array()) a.push_back(without_controls(std::move(x)));
        return a;
    }
    if (v.is_object()) {
        json::object o;
        for (auto& [k, x] : v.as_object()) {
            std::string key(k);
            without_controls(key);
            o[key] = without_controls(std::move(x));
        }
        return o;
    }
    return v;
}

}  // namespace

std::variant<check_result, report_refusal> parse_report(std::string_view body) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec) return report_refusal{"the body is not JSON: " + ec.message()};
    if (!v.is_object()) return report_refusal{"the body must be a JSON object"};
    auto& o = v.as_object();
    const auto* status = o.if_contains("status");
    if (!status) return report_refusal{"the body has no \"status\" (true or false)"};
    if (!status->is_bool()) return report_refusal{"\"status\" must be true or false"};
    const auto* message = o.if_contains("message");
    if (message && !message->is_string()) return report_refusal{"\"message\" must be a string"};
    check_result r;
    r.ok = status->as_bool();
    if (message && !message->as_string().empty())
        r.message = std::string(message->as_string());
    else
        r.message = r.ok ? "ok" : "reported failing";
    without_controls(r.message);
    for (auto& [key, value] : o)
        if (key != "status" && key != "message") {
            std::string k(key);
            without_controls(k);
            r.data[k] = without_controls(std::move(value));
        }
    return r;
}

check_result missed_report(duration ttl) {
    return failure("no report for " + format_duration(ttl));
}

}  // namespace heartbeat
