#include "heartbeat/checks/http/assertions.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "heartbeat/redact.hpp"
#include "heartbeat/text.hpp"

namespace heartbeat {

namespace {

bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

/** The first sentence of Boost.Regex's reason: the rest repeats the whole pattern. */
std::string first_sentence(std::string_view what) {
    auto end = what.find(".  ");
    return std::string(what.substr(0, end == std::string_view::npos ? what.size() : end));
}

}  // namespace

std::shared_ptr<const body_pattern> compile_body_pattern(const std::string& source,
                                                         std::string& why) {
    try {
        return std::make_shared<const body_pattern>(
            body_pattern{source, boost::regex(source, boost::regex::perl)});
    } catch (const boost::regex_error& e) {
        why = fmt::format("{} (at character {} of the pattern)", first_sentence(e.what()),
                          e.position() + 1);
    }
    return nullptr;
}

std::string body_regex_failure(const body_pattern& pattern, std::string_view body, bool truncated,
                               const std::vector<std::string>& secrets) {
    const char* where = truncated ? "the body (first 64 KiB)" : "the body";
    try {
        if (boost::regex_search(body.begin(), body.end(), pattern.regex)) return "";
    } catch (const std::runtime_error&) {
        // Boost's bound on the work of one search (error_complexity, error_stack): an expression
        // that backtracks without end on this body.
        return fmt::format(
            "expect_body_regex '{}' is too complex to search {} of {} bytes with: "
            "simplify it",
            printable_redacted(pattern.source, secrets), where, body.size());
    }
    return fmt::format("{} does not match expect_body_regex '{}': got '{}'", where,
                       printable_redacted(pattern.source, secrets),
                       printable_redacted(body, secrets));
}

std::string header_failure(const std::vector<std::pair<std::string, std::string>>& expect,
                           const std::vector<std::pair<std::string, std::string>>& got,
                           const std::vector<std::string>& secrets) {
    for (const auto& wanted : expect) {
        // Named copies, not structured bindings: clang 14 (the fuzz build) cannot capture those.
        const std::string& name = wanted.first;
        const std::string& part = wanted.second;
        const std::string* seen = nullptr;
        bool found = std::any_of(got.begin(), got.end(), [&](const auto& h) {
            if (!same_name(h.first, name)) return false;
            seen = &h.second;
            return h.second.find(part) != std::string::npos;
        });
        if (found) continue;
        if (!seen) return fmt::format("the response has no header '{}'", name);
        return fmt::format("header '{}' is '{}', which does not contain '{}'", name,
                           printable_redacted(*seen, secrets), printable_redacted(part, secrets));
    }
    return "";
}

}  // namespace heartbeat
