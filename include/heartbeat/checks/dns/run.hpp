#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "heartbeat/check.hpp"
#include "heartbeat/net/dns_query.hpp"

namespace heartbeat {

/** Asks `spec.query` before `deadline`: of `spec.server`, else as resolv.conf says (whose paths,
 * and a test's DNS port, come from `options`). */
net::awaitable<check_result> run_dns(dns_spec spec, duration timeout,
                                     steady_clock::time_point deadline, resolve_options options);

/** The record type as written in messages and the README: `A`, `MX`. */
std::string_view record_name(dns_record r);
/** Its number in DNS messages (A 1, MX 15). */
int record_number(dns_record r);
/** `a`, `Mx`, `SRV`: the names of record_name in any case. */
std::optional<dns_record> parse_record(std::string_view text);

/** `host[:port]`, `[v6]:port`, or an IPv6 address alone; nullopt with `why` (a sentence
 * fragment: "has no host before ':53'") otherwise. */
std::optional<dns_spec::server_address> parse_dns_server(std::string_view text, std::string& why);

/** Why `name` cannot be asked for ("has an empty label"), or "" when it can: labels of 1 to 63
 * characters, 253 in all, no space or control character; one trailing dot allowed. */
std::string dns_name_problem(std::string_view name);

/** One answer: its text as shown, and the texts an `expect` item may take to match it, each in
 * the form expect_form gives (names in lower case, without the trailing dot). */
struct dns_answer {
    std::string text;
    std::vector<std::string> forms;
};

/** A and AAAA: the address as inet_ntop writes it. */
dns_answer address_answer(const boost::asio::ip::address& a);
/** CNAME: the target name. */
dns_answer cname_answer(std::string_view target);
/** MX: "10 mail.example"; also matched by the exchange alone. */
dns_answer mx_answer(unsigned preference, std::string_view exchange);
/** SRV: "0 5 5060 sip.example"; also matched by "sip.example:5060". */
dns_answer srv_answer(unsigned priority, unsigned weight, unsigned port, std::string_view target);
/** TXT: the record's strings joined with nothing between them; matched exactly. */
dns_answer txt_answer(std::string joined);

/** The answers of type `record` in a DNS message, decoded by c-ares' parsers. */
struct dns_decoded {
    bool malformed = false;
    std::vector<dns_answer> answers;
    std::string alias_of;  // A, AAAA: the name the queried one is an alias of, if it is one
};
dns_decoded decode_answers(dns_record record, const std::vector<unsigned char>& message);

/** An `expect` item in the form that dns_answer::forms holds, or nullopt with `why` it cannot
 * match a record of that type ("is not an IPv4 address"). */
std::optional<std::string> expect_form(dns_record record, std::string_view item, std::string& why);

/** The `expect` items (as written) that none of `answers` matches. */
std::vector<std::string> unmet_expectations(dns_record record,
                                            const std::vector<std::string>& expect,
                                            const std::vector<dns_answer>& answers);

/**
 * The verdict: an answer of the record type that holds every `expect` item passes; NXDOMAIN,
 * no records, a server failure, no answer and unmet items fail, each in words of its own. The
 * answers' texts go in the facts as `answers` whenever there are some.
 */
check_result judge_dns(const dns_spec& spec, const dns_reply& reply, const dns_decoded& decoded,
                       duration timeout);

}  // namespace heartbeat
