#include "heartbeat/checks/push/run.hpp"

#include <boost/json/parse.hpp>

namespace heartbeat {

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
    for (auto& [key, value] : o)
        if (key != "status" && key != "message") r.data[key] = std::move(value);
    return r;
}

check_result missed_report(duration ttl) {
    return failure("no report for " + format_duration(ttl));
}

}  // namespace heartbeat
