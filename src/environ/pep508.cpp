#include "heartbeat/environ/pep508.hpp"

#include <sys/utsname.h>

#include <fmt/format.h>
#include <algorithm>

namespace heartbeat::pep508 {

namespace {

bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

/** A tiny recursive-descent reader over one line. */
class reader {
  public:
    explicit reader(std::string_view s) : s_(s) {}
    void skip_ws() {
        while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    bool done() {
        skip_ws();
        return pos_ >= s_.size();
    }
    char peek() {
        skip_ws();
        return pos_ < s_.size() ? s_[pos_] : '\0';
    }
    bool eat(char c) {
        if (peek() != c) return false;
        ++pos_;
        return true;
    }
    bool eat_word(std::string_view w) {
        skip_ws();
        if (s_.substr(pos_, w.size()) != w) return false;
        std::size_t end = pos_ + w.size();
        if (end < s_.size() &&
            (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_'))
            return false;
        pos_ = end;
        return true;
    }
    std::string name() {
        skip_ws();
        std::size_t start = pos_;
        while (pos_ < s_.size() && is_name_char(s_[pos_])) ++pos_;
        return std::string(s_.substr(start, pos_ - start));
    }
    std::string until(std::string_view stops) {
        std::size_t start = pos_;
        while (pos_ < s_.size() && stops.find(s_[pos_]) == std::string_view::npos) ++pos_;
        return std::string(s_.substr(start, pos_ - start));
    }
    std::string rest() {
        auto r = std::string(s_.substr(pos_));
        pos_ = s_.size();
        return r;
    }
    std::optional<std::string> quoted() {
        char q = peek();
        if (q != '"' && q != '\'') return std::nullopt;
        ++pos_;
        auto end = s_.find(q, pos_);
        if (end == std::string_view::npos) return std::nullopt;
        std::string v(s_.substr(pos_, end - pos_));
        pos_ = end + 1;
        return v;
    }
    std::string_view remaining() const { return s_.substr(pos_); }
    std::size_t pos_ = 0;

  private:
    std::string_view s_;
};

const std::vector<std::string_view> variables = {
    "python_version", "python_full_version", "os_name", "sys_platform", "platform_release",
    "platform_system", "platform_version", "platform_machine", "platform_python_implementation",
    "implementation_name", "implementation_version", "extra",
    // Old spellings that setuptools still writes now and then.
    "os.name", "sys.platform", "platform.version", "platform.machine",
    "platform.python_implementation", "python_implementation"};

std::string canonical_variable(std::string_view v) {
    if (v == "os.name") return "os_name";
    if (v == "sys.platform") return "sys_platform";
    if (v == "platform.version") return "platform_version";
    if (v == "platform.machine") return "platform_machine";
    if (v == "platform.python_implementation" || v == "python_implementation")
        return "platform_python_implementation";
    return std::string(v);
}

/** One side of a comparison: a variable or a literal. */
struct operand {
    bool is_variable = false;
    std::string value;  // the variable's name, or the literal
};

class comparison final : public marker {
  public:
    comparison(operand l, std::string op, operand r)
        : l_(std::move(l)), op_(std::move(op)), r_(std::move(r)) {}
    bool evaluate(const environment& env) const override {
        std::string lhs = resolve(l_, env), rhs = resolve(r_, env);
        // `extra` compares by normalized name, as packaging does.
        if ((l_.is_variable && l_.value == "extra") || (r_.is_variable && r_.value == "extra")) {
            lhs = pep440::normalize_name(lhs);
            rhs = pep440::normalize_name(rhs);
        }
        if (op_ == "in") return rhs.find(lhs) != std::string::npos;
        if (op_ == "not in") return rhs.find(lhs) == std::string::npos;
        // A version comparison when the right side makes a valid specifier, else plain strings.
        if (auto spec = pep440::parse_specifier(op_ + rhs)) {
            if (auto v = pep440::parse_version(lhs)) return pep440::contains(*spec, *v);
            if (op_ == "===") return lhs == rhs;
        }
        if (op_ == "==" || op_ == "===") return lhs == rhs;
        if (op_ == "!=") return lhs != rhs;
        if (op_ == "<") return lhs < rhs;
        if (op_ == "<=") return lhs <= rhs;
        if (op_ == ">") return lhs > rhs;
        if (op_ == ">=") return lhs >= rhs;
        return false;  // ~= between non-versions: undefined, treated as not holding
    }

  private:
    static std::string resolve(const operand& o, const environment& env) {
        if (!o.is_variable) return o.value;
        auto it = env.find(o.value);
        return it == env.end() ? std::string() : it->second;
    }
    operand l_;
    std::string op_;
    operand r_;
};

class junction final : public marker {
  public:
    junction(bool all, std::vector<std::shared_ptr<const marker>> parts)
        : all_(all), parts_(std::move(parts)) {}
    bool evaluate(const environment& env) const override {
        for (const auto& p : parts_) {
            bool v = p->evaluate(env);
            if (all_ && !v) return false;
            if (!all_ && v) return true;
        }
        return all_;
    }

  private:
    bool all_;
    std::vector<std::shared_ptr<const marker>> parts_;
};

struct marker_parser {
    reader& in;
    std::string error;
    int depth = 0;

    std::optional<operand> parse_operand() {
        if (auto q = in.quoted()) return operand{false, *q};
        in.skip_ws();
        std::size_t start = in.pos_;
        std::string word = in.name();
        if (std::find(variables.begin(), variables.end(), word) != variables.end())
            return operand{true, canonical_variable(word)};
        in.pos_ = start;
        error = "expected a marker variable or a quoted string at '" +
                std::string(in.remaining().substr(0, 20)) + "'";
        return std::nullopt;
    }
    std::optional<std::string> parse_op() {
        for (std::string_view op : {"===", "==", "!=", "<=", ">=", "~=", "<", ">"}) {
            in.skip_ws();
            if (in.remaining().starts_with(op)) {
                in.pos_ += op.size();
                return std::string(op);
            }
        }
        if (in.eat_word("in")) return std::string("in");
        if (in.eat_word("not")) {
            if (in.eat_word("in")) return std::string("not in");
        }
        error = "expected a comparison operator";
        return std::nullopt;
    }
    std::shared_ptr<const marker> parse_atom() {
        if (++depth > 50) {
            error = "marker nested too deeply";
            return nullptr;
        }
        if (in.eat('(')) {
            auto inner = parse_or();
            if (!inner) return nullptr;
            if (!in.eat(')')) {
                error = "missing ')' in marker";
                return nullptr;
            }
            --depth;
            return inner;
        }
        auto l = parse_operand();
        if (!l) return nullptr;
        auto op = parse_op();
        if (!op) return nullptr;
        auto r = parse_operand();
        if (!r) return nullptr;
        --depth;
        return std::make_shared<comparison>(*l, *op, *r);
    }
    std::shared_ptr<const marker> parse_and() {
        std::vector<std::shared_ptr<const marker>> parts;
        do {
            auto a = parse_atom();
            if (!a) return nullptr;
            parts.push_back(a);
        } while (in.eat_word("and"));
        return parts.size() == 1 ? parts[0] : std::make_shared<junction>(true, std::move(parts));
    }
    std::shared_ptr<const marker> parse_or() {
        std::vector<std::shared_ptr<const marker>> parts;
        do {
            auto a = parse_and();
            if (!a) return nullptr;
            parts.push_back(a);
        } while (in.eat_word("or"));
        return parts.size() == 1 ? parts[0] : std::make_shared<junction>(false, std::move(parts));
    }
};

}  // namespace

std::shared_ptr<const marker> parse_marker(std::string_view text, std::string* error) {
    reader in(text);
    marker_parser p{in, {}};
    auto m = p.parse_or();
    if (m && !in.done()) {
        p.error = "unexpected '" + std::string(in.remaining().substr(0, 20)) + "' in marker";
        m = nullptr;
    }
    if (!m && error) *error = p.error;
    return m;
}

std::optional<requirement> parse_requirement(std::string_view text, std::string* error) {
    auto fail = [&](std::string why) -> std::optional<requirement> {
        if (error) *error = std::move(why);
        return std::nullopt;
    };
    reader in(text);
    requirement r;
    r.name = in.name();
    if (r.name.empty() || !std::isalnum(static_cast<unsigned char>(r.name.front())) ||
        !std::isalnum(static_cast<unsigned char>(r.name.back())))
        return fail("no valid distribution name");
    if (in.eat('[')) {
        while (!in.eat(']')) {
            auto extra = in.name();
            if (extra.empty()) return fail("malformed extras");
            r.extras.push_back(extra);
            if (!in.eat(',') && in.peek() != ']') return fail("malformed extras");
        }
    }
    if (in.eat('@')) {
        in.skip_ws();
        // A URL ends at whitespace; a marker may follow after " ;".
        std::string url = in.until(" \t");
        if (url.empty()) return fail("empty URL");
        r.url = url;
    } else {
        bool paren = in.eat('(');
        std::string spec = in.until(paren ? ")" : ";");
        if (paren && !in.eat(')')) return fail("missing ')'");
        auto set = pep440::parse_specifier_set(spec);
        if (!set) return fail("bad version specifier '" + spec + "'");
        r.specifiers = std::move(*set);
    }
    if (in.eat(';')) {
        std::string why;
        r.when = parse_marker(in.rest(), &why);
        if (!r.when) return fail(why);
    }
    if (!in.done()) return fail("unexpected '" + std::string(in.remaining()) + "'");
    return r;
}

std::string requirement::to_string() const {
    std::string out = name;
    if (!extras.empty()) {
        auto sorted = extras;
        std::sort(sorted.begin(), sorted.end());
        out += "[";
        for (std::size_t i = 0; i < sorted.size(); ++i) out += (i ? "," : "") + sorted[i];
        out += "]";
    }
    if (url)
        out += " @ " + *url;
    else
        out += pep440::to_string(specifiers);
    return out;
}

environment environment_for(const std::vector<int>& python) {
    environment env;
    std::string full;
    if (python.size() >= 2) env["python_version"] = fmt::format("{}.{}", python[0], python[1]);
    if (python.size() >= 3)
        full = fmt::format("{}.{}.{}", python[0], python[1], python[2]);
    else if (python.size() == 2)
        full = env["python_version"] + ".0";
    env["python_full_version"] = full;
    env["implementation_version"] = full;
    env["implementation_name"] = "cpython";
    env["platform_python_implementation"] = "CPython";
    env["os_name"] = "posix";
    env["sys_platform"] = "linux";
    env["platform_system"] = "Linux";
    // The application's container runs on the same node: its kernel and machine are ours.
    utsname u{};
    if (::uname(&u) == 0) {
        env["platform_machine"] = u.machine;
        env["platform_release"] = u.release;
        env["platform_version"] = u.version;
    }
    env["extra"] = "";
    return env;
}

}  // namespace heartbeat::pep508
