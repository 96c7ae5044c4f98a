#pragma once
// What an http check asserts of a response beyond its status and `expect_body`: a regular
// expression on the body, and substrings of headers. Pure: no I/O.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/regex.hpp>

namespace heartbeat {

/** `expect_body_regex`, compiled once when the config is read. */
struct body_pattern {
    std::string source;  // as written in the config
    boost::regex regex;
};

/**
 * `source` compiled as a Perl-style regular expression (Boost.Regex), or null with `why` set to the
 * library's reason and the place of the fault in the pattern.
 */
std::shared_ptr<const body_pattern> compile_body_pattern(const std::string& source,
                                                         std::string& why);

/**
 * "" when `pattern` matches somewhere in `body`; else what went wrong after "but ": that it does
 * not match (showing the body), or that the pattern is too complex to search this body with (Boost
 * counts the steps of a search and gives up instead of running away or overflowing the stack).
 */
std::string body_regex_failure(const body_pattern& pattern, std::string_view body, bool truncated,
                               const std::vector<std::string>& secrets = {});

/**
 * "" when each expected header (name compared without case) is in `got` with a value containing
 * its substring (any value, when the header is repeated); else, for the first that is not, what
 * went wrong after "but ": which header, and what was there or that it was missing.
 */
std::string header_failure(const std::vector<std::pair<std::string, std::string>>& expect,
                           const std::vector<std::pair<std::string, std::string>>& got,
                           const std::vector<std::string>& secrets = {});

}  // namespace heartbeat
