#include "heartbeat/checks/expect_json.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <compare>
#include <limits>
#include <utility>

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/stream_parser.hpp>

#include "heartbeat/json_text.hpp"
#include "heartbeat/redact.hpp"
#include "heartbeat/text.hpp"

namespace heartbeat {

namespace {

// ---- Paths ------------------------------------------------------------------------------------

/** What a name after `.` may hold: anything but the characters that start or end another step,
 * quotes, the wildcard, spaces and control characters (those names go in brackets). */
bool name_char(unsigned char c) {
    return c != '.' && c != '[' && c != ']' && c != '"' && c != '\'' && c != '*' && c != ' ' &&
           c >= 0x20 && c != 0x7f;
}

/** A character of a path as a message quotes it: `'x'`, or an escape for a control character. */
std::string char_word(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return fmt::format("\\x{:02x}", u);
    return fmt::format("'{}'", c);
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

class path_parser {
  public:
    explicit path_parser(std::string_view text) : text_(text) { path_.text = text; }

    std::optional<json_path> run(std::string& why) {
        if (!parse()) {
            why = std::move(why_);
            return std::nullopt;
        }
        // `.length` is the length only as the last step, written with a dot: `["length"]` stays
        // the member, for documents that have one.
        if (last_dotted_length_) path_.steps.back().what = json_step::kind::length;
        return std::move(path_);
    }

  private:
    bool fail(std::string why) {
        why_ = std::move(why);
        return false;
    }

    bool parse() {
        if (text_.empty() || text_[0] != '$') return fail("a path starts with $" + suggestion());
        at_ = 1;
        while (at_ < text_.size()) {
            last_dotted_length_ = false;
            char c = text_[at_];
            bool ok = c == '.'   ? dot_step()
                      : c == '[' ? bracket_step()
                                 : fail(fmt::format("unexpected {} at character {}: each step "
                                                    "starts with '.' or '['",
                                                    char_word(c), at_ + 1));
            if (!ok) return false;
        }
        return true;
    }

    /** " (did you mean '$.status'?)" for `status`, when that is a path. */
    std::string suggestion() const {
        if (text_.empty()) return ", such as $.status";
        std::string fixed = (text_[0] == '.' || text_[0] == '[' ? "$" : "$.") + std::string(text_);
        std::string ignored;
        if (fixed.size() > 200 || !path_parser(fixed).run(ignored)) return "";
        return fmt::format(" (did you mean '{}'?)", fixed);
    }

    bool not_in_a_name(char c, std::size_t pos) {
        if (c == '*')
            return fail(
                fmt::format("wildcards (*) are not supported (character {}): name each "
                            "member or index",
                            pos + 1));
        return fail(
            fmt::format("{} at character {} cannot be in a name after '.': write such a "
                        "name in brackets and double quotes, [\"...\"]",
                        char_word(c), pos + 1));
    }

    bool dot_step() {
        std::size_t start = ++at_;
        while (at_ < text_.size() && name_char(static_cast<unsigned char>(text_[at_]))) ++at_;
        if (at_ == start) {
            if (at_ == text_.size()) return fail("the path ends with '.': write a name after it");
            if (text_[at_] == '.')
                return fail(
                    fmt::format("'..' at character {}: recursive descent is not "
                                "supported, name each step",
                                start));
            if (text_[at_] == '[')
                return fail(
                    fmt::format("'.[' at character {}: write either .name or [...]", start));
            return not_in_a_name(text_[at_], at_);
        }
        if (at_ < text_.size() && text_[at_] != '.' && text_[at_] != '[')
            return not_in_a_name(text_[at_], at_);
        std::string name(text_.substr(start, at_ - start));
        last_dotted_length_ = name == "length";
        path_.steps.push_back({json_step::kind::member, std::move(name), 0, at_});
        return true;
    }

    bool unclosed(std::size_t open) {
        return fail(fmt::format("the '[' at character {} is not closed by ']'", open + 1));
    }

    bool bracket_step() {
        std::size_t open = at_++;
        if (at_ == text_.size()) return unclosed(open);
        char c = text_[at_];
        if (is_digit(c)) return index_step(open);
        if (c == '"') return quoted_step(open);
        if (c == '-')
            return fail(
                fmt::format("indexes count from 0 (character {}): negative ones, from "
                            "the end, are not supported",
                            at_ + 1));
        if (c == '\'')
            return fail(fmt::format("write the name at character {} in double quotes: [\"name\"]",
                                    at_ + 1));
        if (c == '*')
            return fail(
                fmt::format("wildcards (*) are not supported (character {}): name each "
                            "member or index",
                            at_ + 1));
        if (c == '?')
            return fail(fmt::format("filters ([?...]) are not supported (character {})", at_ + 1));
        return fail(
            fmt::format("the '[' at character {} must hold an index (0, 1, ...) or a name "
                        "in double quotes, [\"name\"]",
                        open + 1));
    }

    bool index_step(std::size_t open) {
        std::size_t start = at_;
        while (at_ < text_.size() && is_digit(text_[at_])) ++at_;
        if (at_ == text_.size()) return unclosed(open);
        if (text_[at_] != ']')
            return fail(
                fmt::format("the '[' at character {} must hold an index (0, 1, ...) "
                            "alone, or a name in double quotes",
                            open + 1));
        std::size_t index = 0;
        auto [end, ec] = std::from_chars(text_.data() + start, text_.data() + at_, index);
        // More elements than a size_t counts: no document has that many, so it is never there.
        if (ec == std::errc::result_out_of_range) index = std::numeric_limits<std::size_t>::max();
        ++at_;
        path_.steps.push_back({json_step::kind::index, {}, index, at_});
        return true;
    }

    bool quoted_step(std::size_t open) {
        std::size_t close = at_ + 1;
        while (close < text_.size() && text_[close] != '"') close += text_[close] == '\\' ? 2 : 1;
        if (close >= text_.size())
            return fail(fmt::format("the name at character {} has no closing '\"'", at_ + 1));
        boost::system::error_code ec;
        auto name = json::parse(text_.substr(at_, close - at_ + 1), ec);
        if (ec || !name.is_string())
            return fail(
                fmt::format("the name at character {} is not a JSON string (inside the "
                            "quotes, write \\\" for a quote and \\\\ for a backslash)",
                            at_ + 1));
        at_ = close + 1;
        if (at_ == text_.size() || text_[at_] != ']') return unclosed(open);
        ++at_;
        path_.steps.push_back({json_step::kind::member, std::string(name.as_string()), 0, at_});
        return true;
    }

    std::string_view text_;
    std::size_t at_ = 0;
    json_path path_;
    std::string why_;
    bool last_dotted_length_ = false;
};

// ---- Values and comparisons -------------------------------------------------------------------

/** A number as YAML's core schema writes one in decimal: `3`, `-1.5`, `.5`, `1e3`, `+2.`. */
bool is_number_text(std::string_view s) {
    std::size_t i = 0, n = s.size();
    auto digits = [&] {
        std::size_t from = i;
        while (i < n && is_digit(s[i])) ++i;
        return i - from;
    };
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t whole = digits(), fraction = 0;
    if (i < n && s[i] == '.') {
        ++i;
        fraction = digits();
    }
    if (whole + fraction == 0) return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
        if (digits() == 0) return false;
    }
    return i == n;
}

/** The value of a number text (is_number_text): an integer when written as one and it fits. */
std::optional<json::value> number_value(std::string_view s, std::string& why) {
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    const char* first = s.data();
    const char* last = s.data() + s.size();
    if (s.find_first_of(".eE") == std::string_view::npos) {
        std::int64_t i = 0;
        if (auto [p, ec] = std::from_chars(first, last, i); ec == std::errc{} && p == last)
            return json::value(i);
        std::uint64_t u = 0;
        if (auto [p, ec] = std::from_chars(first, last, u); ec == std::errc{} && p == last)
            return json::value(u);
    }
    double d = 0;
    auto [p, ec] = std::from_chars(first, last, d);
    if (ec != std::errc{} || p != last) {
        why = fmt::format("{} is outside the range of numbers", s);
        return std::nullopt;
    }
    return json::value(d);
}

/** A plain YAML scalar as the core schema reads it: null, a boolean, a number, else the string. */
std::optional<json::value> plain_value(std::string_view s, std::string& why) {
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return json::value();
    if (s == "true" || s == "True" || s == "TRUE") return json::value(true);
    if (s == "false" || s == "False" || s == "FALSE") return json::value(false);
    if (is_number_text(s)) return number_value(s, why);
    return json::value(json::string(s));
}

constexpr std::array<std::pair<std::string_view, json_op>, 6> operators = {{
    {"==", json_op::equal},
    {"!=", json_op::not_equal},
    {">=", json_op::at_least},
    {"<=", json_op::at_most},
    {">", json_op::greater},
    {"<", json_op::less},
}};

std::string_view op_word(json_op op) {
    for (const auto& [word, o] : operators)
        if (o == op) return word;
    return "?";
}

bool orders(json_op op) {
    return op != json_op::equal && op != json_op::not_equal;
}

std::string_view trimmed(std::string_view s) {
    auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

/** A value as a validate message quotes it: cut short, control characters escaped. */
std::string quoted(std::string_view s) {
    return printable(s);
}

/** The value after an operator: a JSON string in double quotes, else as a plain scalar. */
std::optional<json::value> value_after(std::string_view op, std::string_view rest,
                                       std::string& why) {
    auto text = trimmed(rest);
    if (text.empty()) {
        why = fmt::format("'{}' needs a value after it (for the empty string, write '{} \"\"')", op,
                          op);
        return std::nullopt;
    }
    if (text[0] != '"') return plain_value(text, why);
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_string()) {
        why = fmt::format(
            "after '{}', '{}' is not one JSON string: a value that starts with '\"' "
            "must end with the closing '\"' (write \\\" for a quote inside)",
            op, quoted(text));
        return std::nullopt;
    }
    return v;
}

// ---- Evaluation -------------------------------------------------------------------------------

/** The secrets, also as a JSON text writes them (a quote or a backslash escaped), longest first.
 */
std::vector<std::string> with_json_spellings(const std::vector<std::string>& secrets) {
    std::vector<std::string> all = secrets;
    for (const auto& s : secrets) {
        std::string literal;
        append_json_string(literal, s);
        literal = literal.substr(1, literal.size() - 2);
        if (literal != s) all.push_back(std::move(literal));
    }
    std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.size() > b.size(); });
    return all;
}

/** `text` cut to `keep` bytes (on a character boundary), with "..." when cut. */
std::string cut(std::string text, std::size_t keep) {
    if (text.size() <= keep) return text;
    while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
    text.resize(keep);
    return text + "...";
}

/** Evaluates assertions on one document, with the words of its messages. */
class evaluator {
  public:
    explicit evaluator(const std::vector<std::string>& secrets)
        : secrets_(with_json_spellings(secrets)) {}

    std::optional<std::string> failure(const json_assertion& a, const json::value& doc) const {
        auto detail = check(a, doc);
        if (!detail) return std::nullopt;
        // Redacted again whole: a secret may span a path and a value.
        return redact(fmt::format("expect_json {}: {}", cut(a.path.text, 120), *detail), secrets_);
    }

    /** A value as JSON, secrets replaced, then cut to a readable length. */
    std::string shown(const json::value& v, std::size_t keep = 60) const {
        return cut(redact(to_json_text(v), secrets_), keep);
    }

  private:
    std::string what_is(const json::value& v) const {
        switch (v.kind()) {
            case json::kind::object:
                return "an object";
            case json::kind::array:
                return "an array";
            case json::kind::string:
                return fmt::format("a string ({})", shown(v));
            case json::kind::bool_:
                return fmt::format("a boolean ({})", shown(v));
            case json::kind::null:
                return "null";
            default:
                return fmt::format("a number ({})", shown(v));
        }
    }

    /** "the object has "a", "b", and 3 more". */
    std::string members_of(const json::object& o) const {
        if (o.empty()) return "the object is empty";
        std::string out = "the object has ";
        std::size_t listed = 0;
        for (const auto& [key, value] : o) {
            if (listed == 5) break;
            if (listed++) out += ", ";
            out += shown(json::string(key), 30);
        }
        if (o.size() > listed) out += fmt::format(", and {} more", o.size() - listed);
        return out;
    }

    /** Why the step cannot be taken from `at` (reached by `reached`), or "" with `at` moved on. */
    std::string step(const json_step& s, const json::value*& at, json::value& length,
                     std::string_view reached) const {
        using kind = json_step::kind;
        if (s.what == kind::member) {
            const auto* o = at->if_object();
            if (!o) return fmt::format("{} is {}, not an object", reached, what_is(*at));
            const auto* next = o->if_contains(s.name);
            if (!next) return fmt::format("no such member ({})", members_of(*o));
            at = next;
        } else if (s.what == kind::index) {
            const auto* a = at->if_array();
            if (!a) return fmt::format("{} is {}, not an array", reached, what_is(*at));
            if (s.index >= a->size())
                return a->empty() ? "no such element (the array is empty)"
                                  : fmt::format("no such element (the array has {})", a->size());
            at = &(*a)[s.index];
        } else {
            if (const auto* a = at->if_array())
                length = a->size();
            else if (const auto* o = at->if_object())
                length = o->size();
            else if (const auto* str = at->if_string())
                length = characters(*str);
            else
                return fmt::format("{} is {}, which has no length", reached, what_is(*at));
            at = &length;
        }
        return "";
    }

    /** Characters, not bytes: a parsed JSON string is valid UTF-8. */
    static std::size_t characters(const json::string& s) {
        return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
            return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        }));
    }

    std::optional<std::string> check(const json_assertion& a, const json::value& doc) const {
        const json::value* at = &doc;
        json::value length;
        std::size_t reached = 1;  // "$"
        for (const auto& s : a.path.steps) {
            auto why = step(s, at, length, cut(a.path.text.substr(0, reached), 120));
            if (!why.empty()) return why;
            reached = s.end;
        }
        return compare(a.expect, *at);
    }

    std::optional<std::string> compare(const json_expectation& e, const json::value& got) const;

    std::vector<std::string> secrets_;
};

/** Integers exactly (int64 and uint64 alike), else as long double: exact for both on x86-64. */
std::partial_ordering compare_numbers(const json::value& a, const json::value& b) {
    auto integral = [](const json::value& v) { return v.is_int64() || v.is_uint64(); };
    if (integral(a) && integral(b)) {
        bool a_negative = a.is_int64() && a.get_int64() < 0;
        bool b_negative = b.is_int64() && b.get_int64() < 0;
        if (a_negative != b_negative) return b_negative <=> a_negative;
        if (a_negative) return a.get_int64() <=> b.get_int64();
        auto magnitude = [](const json::value& v) {
            return v.is_uint64() ? v.get_uint64() : static_cast<std::uint64_t>(v.get_int64());
        };
        return magnitude(a) <=> magnitude(b);
    }
    auto wide = [](const json::value& v) -> long double {
        if (v.is_int64()) return static_cast<long double>(v.get_int64());
        if (v.is_uint64()) return static_cast<long double>(v.get_uint64());
        return v.get_double();
    };
    return wide(a) <=> wide(b);
}

/** Equal as the README says: numbers by value (1 equals 1.0), anything else by kind and value. */
bool same_value(const json::value& a, const json::value& b) {
    if (a.is_number() && b.is_number()) return compare_numbers(a, b) == 0;
    return a == b;
}

bool holds(json_op op, std::partial_ordering order) {
    switch (op) {
        case json_op::at_least:
            return order >= 0;
        case json_op::at_most:
            return order <= 0;
        case json_op::greater:
            return order > 0;
        case json_op::less:
            return order < 0;
        default:
            return false;
    }
}

std::optional<std::string> evaluator::compare(const json_expectation& e,
                                              const json::value& got) const {
    if (e.op == json_op::equal) {
        if (same_value(got, e.value)) return std::nullopt;
        return fmt::format("expected {}, got {}", shown(e.value), shown(got));
    }
    if (e.op == json_op::not_equal) {
        if (!same_value(got, e.value)) return std::nullopt;
        return fmt::format("expected anything but {}, got {}", shown(e.value), shown(got));
    }
    if (!got.is_number())
        return fmt::format("expected a number {} {}, got {}: >=, <=, > and < compare numbers only",
                           op_word(e.op), shown(e.value), what_is(got));
    if (holds(e.op, compare_numbers(got, e.value))) return std::nullopt;
    return fmt::format("expected {} {}, got {}", op_word(e.op), shown(e.value), shown(got));
}

}  // namespace

std::optional<json_path> parse_json_path(std::string_view text, std::string& why) {
    return path_parser(text).run(why);
}

std::optional<json_expectation> parse_json_expectation(std::string_view text, bool plain,
                                                       std::string& why) {
    for (const auto& [word, op] : operators) {
        if (!text.starts_with(word)) continue;
        auto v = value_after(word, text.substr(word.size()), why);
        if (!v) return std::nullopt;
        if (orders(op) && !v->is_number()) {
            why = fmt::format("'{}' compares numbers: write a number after it, not '{}'", word,
                              quoted(trimmed(text.substr(word.size()))));
            return std::nullopt;
        }
        return json_expectation{op, std::move(*v)};
    }
    if (!plain) return json_expectation{json_op::equal, json::string(text)};
    auto v = plain_value(text, why);
    if (!v) return std::nullopt;
    return json_expectation{json_op::equal, std::move(*v)};
}

std::string describe(const json_expectation& e) {
    evaluator words({});
    if (e.op == json_op::equal) return words.shown(e.value);
    if (e.op == json_op::not_equal) return "anything but " + words.shown(e.value);
    return fmt::format("{} {}", op_word(e.op), words.shown(e.value));
}

std::vector<std::string> evaluate_json(const json_assertions& assertions, const json::value& doc,
                                       const std::vector<std::string>& secrets) {
    evaluator e(secrets);
    std::vector<std::string> failures;
    for (const auto& a : assertions)
        if (auto why = e.failure(a, doc)) failures.push_back(std::move(*why));
    return failures;
}

std::vector<std::string> judge_json_text(const json_assertions& assertions, std::string_view text,
                                         std::string_view what, bool cut_short,
                                         const std::vector<std::string>& secrets) {
    if (assertions.empty()) return {};
    if (cut_short)
        // The JSON parser would only say "incomplete JSON", and send the reader looking for a
        // broken server.
        return {
            fmt::format("{} was cut at 64 KiB (no more is read): expect_json needs the whole "
                        "document",
                        what)};
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
        return {fmt::format("{} is not JSON: it is empty", what)};
    json::parse_options options;
    options.max_depth = 64;
    json::stream_parser parser({}, options);
    boost::system::error_code ec;
    std::size_t used = parser.write(text.data(), text.size(), ec);
    if (!ec) parser.finish(ec);
    if (ec) {
        // Redacted whole, then cut: a secret cut in two would no longer be found.
        auto start = redact(std::string(text), with_json_spellings(secrets)).substr(0, 200);
        return {fmt::format("{} is not JSON ({} at byte {}): '{}'", what, describe(ec), used,
                            printable(start))};
    }
    return evaluate_json(assertions, parser.release(), secrets);
}

}  // namespace heartbeat
