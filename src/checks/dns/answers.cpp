// The dns check's pure parts: record names, the texts of answers and of `expect` items, decoding
// (through c-ares' parsers) and the verdict.
#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <array>
#include <charconv>

#include <fmt/format.h>

#include "heartbeat/checks/dns/run.hpp"
#include "heartbeat/text.hpp"

namespace heartbeat {

namespace {

struct record_info {
    dns_record record;
    std::string_view name;
    int number;
};

constexpr std::array<record_info, 6> records{{{dns_record::a, "A", 1},
                                              {dns_record::aaaa, "AAAA", 28},
                                              {dns_record::cname, "CNAME", 5},
                                              {dns_record::srv, "SRV", 33},
                                              {dns_record::txt, "TXT", 16},
                                              {dns_record::mx, "MX", 15}}};

const record_info& info(dns_record r) {
    return records[static_cast<std::size_t>(r)];
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/** A name as answers show it: without the trailing dot; the root as ".". */
std::string shown_name(std::string_view name) {
    if (name.ends_with('.')) name.remove_suffix(1);
    return name.empty() ? "." : std::string(name);
}

/** A name as it is compared: DNS names match in any case. */
std::string name_form(std::string_view name) {
    std::string out = shown_name(name);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
}

std::optional<unsigned> number(std::string_view text, unsigned max) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || v > max)
        return std::nullopt;
    return v;
}

std::vector<std::string_view> words(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        auto start = text.find_first_not_of(' ');
        if (start == std::string_view::npos) break;
        auto end = text.find(' ', start);
        out.push_back(text.substr(start, end - start));
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end);
    }
    return out;
}

std::optional<std::string> name_expect(std::string_view item, std::string& why) {
    if (auto problem = dns_name_problem(item); !problem.empty()) {
        why = "is not a DNS name: it " + problem;
        return std::nullopt;
    }
    return name_form(item);
}

std::optional<std::string> mx_expect(std::string_view item, std::string& why) {
    auto w = words(item);
    if (w.size() == 1) return name_expect(w[0], why);
    auto preference = w.size() == 2 ? number(w[0], 65535) : std::nullopt;
    if (!preference || !dns_name_problem(w[1]).empty()) {
        why = "is neither 'PREFERENCE EXCHANGE' nor 'EXCHANGE' (as in '10 mail.example.com')";
        return std::nullopt;
    }
    return fmt::format("{} {}", *preference, name_form(w[1]));
}

std::optional<std::string> srv_expect(std::string_view item, std::string& why) {
    auto w = words(item);
    why =
        "is neither 'PRIORITY WEIGHT PORT TARGET' nor 'TARGET:PORT' (as in '0 5 5060 "
        "sip.example.com' or 'sip.example.com:5060')";
    if (w.size() == 4) {
        auto priority = number(w[0], 65535), weight = number(w[1], 65535),
             port = number(w[2], 65535);
        if (!priority || !weight || !port || !dns_name_problem(w[3]).empty()) return std::nullopt;
        return fmt::format("{} {} {} {}", *priority, *weight, *port, name_form(w[3]));
    }
    auto colon = item.rfind(':');
    if (w.size() != 1 || colon == std::string_view::npos) return std::nullopt;
    auto port = number(item.substr(colon + 1), 65535);
    auto target = item.substr(0, colon);
    if (!port || !dns_name_problem(target).empty()) return std::nullopt;
    return fmt::format("{}:{}", name_form(target), *port);
}

std::optional<std::string> address_expect(std::string_view item, bool v6, std::string& why) {
    boost::system::error_code ec;
    auto a = boost::asio::ip::make_address(std::string(item), ec);
    if (ec || a.is_v6() != v6) {
        why = v6 ? "is not an IPv6 address" : "is not an IPv4 address";
        return std::nullopt;
    }
    return a.to_string();
}

}  // namespace

std::string_view record_name(dns_record r) {
    return info(r).name;
}

int record_number(dns_record r) {
    return info(r).number;
}

std::optional<dns_record> parse_record(std::string_view text) {
    for (const auto& r : records)
        if (std::equal(text.begin(), text.end(), r.name.begin(), r.name.end(),
                       [](char a, char b) { return lower(a) == lower(b); }))
            return r.record;
    return std::nullopt;
}

std::optional<dns_spec::server_address> parse_dns_server(std::string_view text, std::string& why) {
    dns_spec::server_address s;
    std::string_view host = text, port;
    if (text.starts_with('[')) {
        auto close = text.find(']');
        if (close == std::string_view::npos) {
            why = "has '[' without ']'";
            return std::nullopt;
        }
        host = text.substr(1, close - 1);
        auto rest = text.substr(close + 1);
        if (!rest.empty() && !rest.starts_with(':')) {
            why = "has something other than ':PORT' after ']'";
            return std::nullopt;
        }
        if (!rest.empty()) port = rest.substr(1);
        boost::system::error_code ec;
        boost::asio::ip::make_address_v6(std::string(host), ec);
        if (ec) {
            why = "has no IPv6 address between '[' and ']'";
            return std::nullopt;
        }
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        auto colon = text.find(':');
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    } else if (text.find(':') != std::string_view::npos) {
        // More than one ':': an IPv6 address alone, or one whose port needs brackets.
        boost::system::error_code ec;
        boost::asio::ip::make_address_v6(std::string(text), ec);
        if (ec) {
            why =
                "is not host[:port]: an IPv6 address with a port goes in brackets, as "
                "[::1]:53";
            return std::nullopt;
        }
    }
    if (host.empty()) {
        why = "has no host";
        return std::nullopt;
    }
    if (!host.starts_with('[') && host.find(':') == std::string_view::npos) {
        if (auto problem = dns_name_problem(host); !problem.empty()) {
            why = "names no host: it " + problem;
            return std::nullopt;
        }
    }
    if (text.ends_with(':') || !port.empty()) {
        auto p = number(port, 65535);
        if (!p || *p == 0) {
            why = "has a port outside 1-65535";
            return std::nullopt;
        }
        s.port = static_cast<std::uint16_t>(*p);
    }
    s.host = std::string(host);
    return s;
}

std::string dns_name_problem(std::string_view name) {
    if (name.ends_with('.') && name.size() > 1) name.remove_suffix(1);
    if (name.empty() || name == ".") return "is empty";
    if (name.size() > 253) return "is longer than 253 characters";
    for (unsigned char c : name)
        if (c <= ' ' || c == 0x7f) return "has a space or a control character";
    std::size_t start = 0;
    while (start <= name.size()) {
        auto end = name.find('.', start);
        if (end == std::string_view::npos) end = name.size();
        if (end == start) return "has an empty label (two dots in a row, or a leading dot)";
        if (end - start > 63) return "has a label longer than 63 characters";
        start = end + 1;
    }
    return "";
}

dns_answer address_answer(const boost::asio::ip::address& a) {
    auto text = a.to_string();
    return {text, {text}};
}

dns_answer cname_answer(std::string_view target) {
    return {shown_name(target), {name_form(target)}};
}

dns_answer mx_answer(unsigned preference, std::string_view exchange) {
    return {fmt::format("{} {}", preference, shown_name(exchange)),
            {fmt::format("{} {}", preference, name_form(exchange)), name_form(exchange)}};
}

dns_answer srv_answer(unsigned priority, unsigned weight, unsigned port, std::string_view target) {
    return {fmt::format("{} {} {} {}", priority, weight, port, shown_name(target)),
            {fmt::format("{} {} {} {}", priority, weight, port, name_form(target)),
             fmt::format("{}:{}", name_form(target), port)}};
}

dns_answer txt_answer(std::string joined) {
    return {joined, {joined}};
}

std::optional<std::string> expect_form(dns_record record, std::string_view item, std::string& why) {
    switch (record) {
        case dns_record::a:
            return address_expect(item, false, why);
        case dns_record::aaaa:
            return address_expect(item, true, why);
        case dns_record::cname:
            return name_expect(item, why);
        case dns_record::mx:
            return mx_expect(item, why);
        case dns_record::srv:
            return srv_expect(item, why);
        case dns_record::txt:
            break;
    }
    return std::string(item);
}

std::vector<std::string> unmet_expectations(dns_record record,
                                            const std::vector<std::string>& expect,
                                            const std::vector<dns_answer>& answers) {
    std::vector<std::string> unmet;
    for (const auto& item : expect) {
        std::string why;
        auto form = expect_form(record, item, why);
        bool met = form && std::any_of(answers.begin(), answers.end(), [&](const dns_answer& a) {
                       return std::find(a.forms.begin(), a.forms.end(), *form) != a.forms.end();
                   });
        if (!met) unmet.push_back(item);
    }
    return unmet;
}

namespace {

using message_bytes = std::vector<unsigned char>;

/** A and AAAA through ares_parse_a_reply / ares_parse_aaaa_reply: the addresses, and the alias
 * chain c-ares reads on the way (the hostent's aliases are the owners, h_name the last target). */
dns_decoded decode_addresses(dns_record record, const message_bytes& m) {
    dns_decoded out;
    hostent* host = nullptr;
    int status =
        record == dns_record::a
            ? ares_parse_a_reply(m.data(), static_cast<int>(m.size()), &host, nullptr, nullptr)
            : ares_parse_aaaa_reply(m.data(), static_cast<int>(m.size()), &host, nullptr, nullptr);
    if (status != ARES_SUCCESS) {
        out.malformed = status != ARES_ENODATA;
        return out;
    }
    for (char** p = host->h_addr_list; p && *p; ++p) {
        if (host->h_addrtype == AF_INET) {
            boost::asio::ip::address_v4::bytes_type b;
            std::copy_n(reinterpret_cast<const unsigned char*>(*p), b.size(), b.begin());
            out.answers.push_back(address_answer(boost::asio::ip::address_v4(b)));
        } else {
            boost::asio::ip::address_v6::bytes_type b;
            std::copy_n(reinterpret_cast<const unsigned char*>(*p), b.size(), b.begin());
            out.answers.push_back(address_answer(boost::asio::ip::address_v6(b)));
        }
    }
    if (host->h_aliases && host->h_aliases[0] && host->h_name)
        out.alias_of = shown_name(host->h_name);
    ares_free_hostent(host);
    return out;
}

/** CNAME through ares_parse_a_reply, which reads CNAME records on its way to addresses: the owners
 * of the chain are its aliases, in order, and h_name is the last target; so each record's target
 * is the next alias, the last one's h_name. */
dns_decoded decode_cname(const message_bytes& m) {
    dns_decoded out;
    hostent* host = nullptr;
    int status = ares_parse_a_reply(m.data(), static_cast<int>(m.size()), &host, nullptr, nullptr);
    if (status != ARES_SUCCESS) {
        out.malformed = status != ARES_ENODATA;
        return out;
    }
    for (char** p = host->h_aliases; p && *p; ++p)
        out.answers.push_back(cname_answer(p[1] ? std::string_view(p[1]) : host->h_name));
    ares_free_hostent(host);
    return out;
}

dns_decoded decode_mx(const message_bytes& m) {
    dns_decoded out;
    ares_mx_reply* list = nullptr;
    int status = ares_parse_mx_reply(m.data(), static_cast<int>(m.size()), &list);
    if (status != ARES_SUCCESS) {
        out.malformed = status != ARES_ENODATA;
        return out;
    }
    for (auto* r = list; r; r = r->next) out.answers.push_back(mx_answer(r->priority, r->host));
    ares_free_data(list);
    return out;
}

dns_decoded decode_srv(const message_bytes& m) {
    dns_decoded out;
    ares_srv_reply* list = nullptr;
    int status = ares_parse_srv_reply(m.data(), static_cast<int>(m.size()), &list);
    if (status != ARES_SUCCESS) {
        out.malformed = status != ARES_ENODATA;
        return out;
    }
    for (auto* r = list; r; r = r->next)
        out.answers.push_back(srv_answer(r->priority, r->weight, r->port, r->host));
    ares_free_data(list);
    return out;
}

/** TXT: a record holds one or more strings; c-ares gives them in order, marking each record's
 * first. */
dns_decoded decode_txt(const message_bytes& m) {
    dns_decoded out;
    ares_txt_ext* list = nullptr;
    int status = ares_parse_txt_reply_ext(m.data(), static_cast<int>(m.size()), &list);
    if (status != ARES_SUCCESS) {
        out.malformed = status != ARES_ENODATA;
        return out;
    }
    std::vector<std::string> joined;
    for (auto* r = list; r; r = r->next) {
        if (r->record_start || joined.empty()) joined.emplace_back();
        joined.back().append(reinterpret_cast<const char*>(r->txt), r->length);
    }
    ares_free_data(list);
    for (auto& t : joined) out.answers.push_back(txt_answer(std::move(t)));
    return out;
}

std::string listed(const std::vector<std::string>& items, std::string_view last) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += i + 1 == items.size() ? fmt::format(" {} ", last) : ", ";
        out += items[i];
    }
    return out;
}

/** How an answer or an item reads in a message: TXT quoted (it may hold spaces and commas), each
 * cut short and escaped like any text from a peer. */
std::string quoted(dns_record record, std::string_view text) {
    return record == dns_record::txt ? "\"" + printable(text) + "\"" : printable(text);
}

/** At most 10 answers in a message; the facts carry them all. */
std::string got_answers(dns_record record, const std::vector<dns_answer>& answers) {
    constexpr std::size_t shown = 10;
    std::vector<std::string> texts;
    for (std::size_t i = 0; i < answers.size() && i < shown; ++i)
        texts.push_back(quoted(record, answers[i].text));
    auto out = listed(texts, "and");
    if (answers.size() > shown) out += fmt::format(" (and {} more)", answers.size() - shown);
    return out;
}

std::string servers_text(const dns_reply& reply) {
    return reply.servers.empty() ? std::string("the DNS servers") : listed(reply.servers, "and");
}

std::string failure_words(const dns_spec& spec, const dns_reply& reply, duration timeout) {
    auto rcode = [&](std::string_view code) {
        return fmt::format("the server failed: {} ({})", code, servers_text(reply));
    };
    switch (reply.status) {
        case dns_status::no_such_name:
            return "no such name: " + shown_name(spec.query);
        case dns_status::no_data:
            return fmt::format("{} has no {} records", shown_name(spec.query),
                               record_name(spec.record));
        case dns_status::server_failure:
            return rcode("SERVFAIL");
        case dns_status::refused:
            return rcode("REFUSED");
        case dns_status::not_implemented:
            return rcode("NOTIMP");
        case dns_status::format_error:
            return rcode("FORMERR");
        case dns_status::every_server_failed:
            return fmt::format(
                "the servers failed: {} each answered SERVFAIL or REFUSED, or refused the "
                "connection",
                servers_text(reply));
        case dns_status::unreachable:
            return fmt::format("nothing answers DNS at {} (connection refused)",
                               servers_text(reply));
        case dns_status::no_answer:
            return fmt::format("no answer from {}: every try timed out", servers_text(reply));
        case dns_status::timed_out:
            return fmt::format("no answer from {} within {}", servers_text(reply),
                               format_duration(timeout));
        case dns_status::other:
        case dns_status::answered:
            break;
    }
    return fmt::format("asking for {} {}: {}", record_name(spec.record), shown_name(spec.query),
                       reply.error);
}

}  // namespace

dns_decoded decode_answers(dns_record record, const std::vector<unsigned char>& message) {
    switch (record) {
        case dns_record::a:
        case dns_record::aaaa:
            return decode_addresses(record, message);
        case dns_record::cname:
            return decode_cname(message);
        case dns_record::mx:
            return decode_mx(message);
        case dns_record::srv:
            return decode_srv(message);
        case dns_record::txt:
            break;
    }
    return decode_txt(message);
}

check_result judge_dns(const dns_spec& spec, const dns_reply& reply, const dns_decoded& decoded,
                       duration timeout) {
    check_result r;
    if (reply.status != dns_status::answered)
        r = failure(failure_words(spec, reply, timeout));
    else if (decoded.malformed)
        r = failure(fmt::format("malformed answer from {}", servers_text(reply)));
    else if (decoded.answers.empty())
        r = failure(fmt::format(
            "{} has no {} records{}", shown_name(spec.query), record_name(spec.record),
            decoded.alias_of.empty() ? std::string()
                                     : fmt::format(" (it is an alias of {})", decoded.alias_of)));
    else if (auto unmet = unmet_expectations(spec.record, spec.expect, decoded.answers);
             !unmet.empty()) {
        for (auto& item : unmet) item = quoted(spec.record, item);
        r = failure(fmt::format("expected {} among the answers; got {}", listed(unmet, "and"),
                                got_answers(spec.record, decoded.answers)));
    } else
        r = success();
    if (!decoded.answers.empty()) {
        json::array answers;
        for (const auto& a : decoded.answers) answers.emplace_back(a.text);
        r.facts["answers"] = std::move(answers);
    }
    return r;
}

}  // namespace heartbeat
