#include "entry_points.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <boost/json/serialize.hpp>

#include "heartbeat/checks/dns/run.hpp"
#include "heartbeat/checks/expect_json.hpp"
#include "heartbeat/config.hpp"
#include "heartbeat/config_text.hpp"
#include "heartbeat/config_vars.hpp"
#include "heartbeat/environ/pep440.hpp"
#include "heartbeat/environ/pep508.hpp"
#include "heartbeat/http/routes.hpp"
#include "heartbeat/push_listener.hpp"
#include "heartbeat/redact.hpp"
#include "heartbeat/url.hpp"

namespace heartbeat::fuzz {

namespace {

void require(bool holds, std::string_view what) {
    if (!holds) throw broken_invariant(std::string(what));
}

/** The lines of `data` (at most `max`; the last one takes the rest). */
std::vector<std::string_view> split_lines(std::string_view data, std::size_t max) {
    std::vector<std::string_view> lines;
    while (lines.size() + 1 < max) {
        auto nl = data.find('\n');
        if (nl == std::string_view::npos) break;
        lines.push_back(data.substr(0, nl));
        data.remove_prefix(nl + 1);
    }
    lines.push_back(data);
    return lines;
}

bool valid_name(const std::string& name) {
    return !name.empty() && name.size() <= 128 &&
           std::all_of(name.begin(), name.end(), [](unsigned char c) {
               return std::isalnum(c) || c == '_' || c == '-' || c == '.';
           });
}

/** A NUL would cut a path, host or argument short where it meets a C string: refused at load. */
void no_nul(const std::string& s) {
    require(s.find('\0') == std::string::npos, "an accepted value holds a NUL");
}
void no_nul(const std::optional<std::string>& s) {
    if (s) no_nul(*s);
}

/** A loaded expect_json: each path parses back from its text, each ordering holds a number. */
void check_assertions(const json_assertions& all) {
    for (const auto& a : all) {
        std::string why;
        require(parse_json_path(a.path.text, why) == a.path, "a path that does not parse back");
        bool orders = a.expect.op != json_op::equal && a.expect.op != json_op::not_equal;
        require(!orders || a.expect.value.is_number(), "an ordering without a number");
    }
}

void check_spec(const tcp_spec& t) {
    no_nul(t.host);
    no_nul(t.send);
    no_nul(t.expect);
    require(!t.host.empty(), "a tcp check has no host");
    require(t.port >= 1, "a tcp check has port 0");
}

void check_spec(const http_spec& h) {
    no_nul(h.url);
    no_nul(h.expect_body);
    check_assertions(h.expect_json);
    no_nul(h.tls.ca_file);
    require(parse_url(h.url).has_value(), "an http check has a URL parse_url refuses");
    require(h.method == "GET" || h.method == "HEAD", "an http check has a method besides GET/HEAD");
    for (const auto& [name, value] : h.headers) {
        no_nul(name);
        no_nul(value);
        require(name.find_first_of(" :\r\n") == std::string::npos &&
                    value.find_first_of("\r\n") == std::string::npos,
                "a header can split the request");
    }
    for (const auto& m : h.expect_status)
        require(m.class_ ? m.class_ >= 1 && m.class_ <= 5 : m.code >= 100 && m.code <= 599,
                "expect_status holds an impossible status");
}

void check_spec(const exec_spec& e) {
    require(!e.argv.empty() && !e.argv.front().empty(), "an exec check has an empty command");
    for (const auto& arg : e.argv) no_nul(arg);
    no_nul(e.cwd);
    require(e.expect_exit >= 0 && e.expect_exit <= 255, "expect_exit outside 0-255");
    check_assertions(e.expect_json);
    for (const auto& [name, value] : e.env) {
        no_nul(name);
        no_nul(value);
        require(!name.empty() && name.find('=') == std::string::npos, "an env name has '='");
    }
}

void check_spec(const file_spec& f) {
    no_nul(f.path);
    require(!f.path.empty(), "a file check has no path");
}

void check_spec(const postgres_spec& p) {
    no_nul(p.host);
    require(!p.host.empty() && p.host.find(',') == std::string::npos && !p.host.starts_with('/'),
            "a postgres check's host is empty, a list or a socket folder");
    require(p.port >= 1, "a postgres check has port 0");
    for (const auto& value : {p.dbname, p.user}) {
        if (!value) continue;
        no_nul(*value);
        require(!value->empty(), "a postgres check names an empty dbname or user");
    }
}

void check_spec(const dns_spec& d) {
    require(dns_name_problem(d.query).empty(), "a dns check's query is not a DNS name");
    require(!d.server || (!d.server->host.empty() && d.server->port >= 1),
            "a dns check's server has no host or port");
    for (const auto& item : d.expect) {
        std::string why;
        require(expect_form(d.record, item, why).has_value(),
                "a dns check's expect item cannot match its record type");
    }
}

void check_spec(const push_spec& p) {
    require(p.ttl.count() > 0, "a push check with a ttl of zero");
}

void check_spec(const grpc_spec& g) {
    no_nul(g.host);
    no_nul(g.service);
    no_nul(g.tls_options.ca_file);
    require(!g.host.empty(), "a grpc check has no host");
    require(g.port >= 1, "a grpc check has port 0");
}

/** What the scheduler and the server take for granted about a config that loaded. */
void check_config_invariants(const config& cfg) {
    std::set<std::string> names;
    for (const auto& c : cfg.checks) {
        require(valid_name(c.name), "a check name outside letters, digits, '_', '-', '.'");
        require(names.insert(c.name).second, "two checks share a name");
        require(!c.probes.empty(), "a check answers no probe");
        require(c.timeout.count() > 0, "a timeout of zero");
        require(c.interval.count() >= 0, "a negative interval");
        require(c.failure_threshold >= 1 && c.success_threshold >= 1, "a threshold below 1");
        require(c.line >= 1, "a check without a line");
        std::visit([](const auto& spec) { check_spec(spec); }, c.spec);
        require(c.same_definition(c), "a check differs from itself");
    }
    no_nul(cfg.server.host);
    no_nul(cfg.server.base_path);
    no_nul(cfg.server.metrics_path);
    no_nul(cfg.server.push_host);
    no_nul(cfg.server.push_token_file);
    no_nul(cfg.environ.virtualenv);
    for (const auto& v : cfg.environ.variables) no_nul(v);
    require(!cfg.server.base_path.empty() && cfg.server.base_path.front() == '/',
            "base_path does not start with '/'");
    require(!cfg.server.metrics_path.empty() && cfg.server.metrics_path.front() == '/',
            "metrics_path does not start with '/'");
    require(cfg.server.max_connections >= 1, "max_connections of zero");
}

}  // namespace

void config_input(std::string_view data) {
    auto result = parse_config(data, "fuzz.yaml");
    for (const auto& d : result.diagnostics) {
        require(d.line >= 0 && d.column >= 0, "a diagnostic with a negative place");
        require(!d.format("fuzz.yaml").empty(), "an empty diagnostic");
    }
    bool any_error = std::any_of(result.diagnostics.begin(), result.diagnostics.end(),
                                 [](const diagnostic& d) { return !d.warning; });
    require(result.ok() != any_error, "a config both refused and accepted");
    if (result.ok()) check_config_invariants(*result.cfg);
}

namespace {

const pep508::environment& marker_environment() {
    static const pep508::environment env = pep508::environment_for({3, 11, 7});
    return env;
}

/** Whether `candidate` satisfies the clause `text`; nullopt when the clause does not parse. */
std::optional<bool> satisfies(const pep440::version& candidate, const std::string& text) {
    auto s = pep440::parse_specifier(text);
    if (!s) return std::nullopt;
    return pep440::contains(*s, candidate);
}

/** The order of versions is a total order, a normalized spelling means the same version, and a
 * version satisfies the clauses that name it. */
void check_versions(const pep440::version& a, const pep440::version& b, const pep440::version& c) {
    using pep440::compare;
    require(compare(a, a) == 0, "a version differs from itself");
    require(compare(a, b) == -compare(b, a), "compare is not antisymmetric");
    if (compare(a, b) <= 0 && compare(b, c) <= 0)
        require(compare(a, c) <= 0, "compare is not transitive");
    // parse_version refuses more than 256 characters, and normalizing can lengthen a spelling.
    if (a.normalized().size() > 250) return;
    auto again = pep440::parse_version(a.normalized());
    require(again.has_value(), "the normalized spelling of a version does not parse");
    require(compare(*again, a) == 0, "normalizing a version changes it");
    require(satisfies(a, "==" + a.normalized()) == true, "a version is not == itself");
    require(satisfies(a, ">=" + a.public_version().normalized()) == true,
            "a version is not >= itself");
    require(satisfies(a, "==" + a.base_version().normalized() + ".*") == true,
            "a version does not match its own release with .*");
}

}  // namespace

void pep_input(std::string_view data) {
    // The whole input through each parser, then its lines as: version, version, specifier set,
    // requirement.
    (void)pep440::parse_version(data);
    (void)pep440::parse_specifier_set(data);
    (void)pep508::parse_marker(data);
    (void)pep440::normalize_name(data);
    auto lines = split_lines(data, 4);
    lines.resize(4);
    auto a = pep440::parse_version(lines[0]);
    auto b = pep440::parse_version(lines[1]);
    auto set = pep440::parse_specifier_set(lines[2]);
    const pep440::version* c = b ? &*b : a ? &*a : nullptr;
    if (set && !set->empty() && set->front().v) c = &*set->front().v;
    if (a) check_versions(*a, b ? *b : *a, *c);
    if (set) {
        (void)pep440::contains_all(*set, lines[0]);
        auto printed = pep440::to_string(*set);
        require(pep440::parse_specifier_set(printed).has_value(),
                "a printed specifier set does not parse");
    }
    std::string error;
    if (auto r = pep508::parse_requirement(lines[3], &error)) {
        (void)r->applies(marker_environment());
        (void)pep440::contains_all(r->specifiers, lines[0]);
        (void)r->to_string();
    }
}

namespace {

/** The servers a route is resolved against: the default and a few a config can set. */
server_config server_for(unsigned char selector) {
    server_config s;
    switch (selector % 4) {
        case 1:
            s.base_path = "/";
            s.metrics_path = "/m";
            break;
        case 2:
            s.base_path = "/hb";
            s.metrics_path = "/hb/metrics";
            break;
        case 3:
            s.base_path = "/a/b";
            s.metrics_path = "/";
            break;
        default:
            break;
    }
    return s;
}

/** Answers every check name containing an `a`; readiness passes, every other probe fails. */
class fake_state final : public http::state_view {
  public:
    bool has_check(probe, const std::string& name) const override {
        return name.find('a') != std::string::npos;
    }
    probe_answer answer(const http::route& r) const override {
        return {r.which == probe::readiness, R"({"status":true,"checks":{}})"};
    }
    std::string environ() const override { return R"({"status":true})"; }
    std::string metrics() const override { return "heartbeat_build_info{version=\"x\"} 1\n"; }
};

}  // namespace

void routes_input(std::string_view data) {
    if (data.empty()) return;
    auto server = server_for(static_cast<unsigned char>(data.front()));
    data.remove_prefix(1);
    auto space = data.find(' ');
    std::string_view method_text = data.substr(0, space);
    std::string_view target =
        space == std::string_view::npos ? std::string_view() : data.substr(space + 1);
    auto method = http::bhttp::string_to_verb(method_text);

    // Whatever the request, each probe of this server has its place.
    std::string base = server.base_path == "/" ? "" : server.base_path;
    for (auto p : {probe::readiness, probe::liveliness, probe::startup}) {
        auto at = http::parse_route(http::bhttp::verb::get, base + "/" + std::string(probe_name(p)),
                                    server);
        require(at.what == http::route::kind::probe && at.which == p,
                "a probe is not where its base_path puts it");
    }

    // The target doubles as an Accept header: whatever it holds, some format is chosen.
    auto format = http::negotiate_format(target);
    require(format == body_format::standard || format == body_format::health_json,
            "an Accept header chose a format it cannot name");
    auto r = http::parse_route(method, target, server, target);
    using kind = http::route::kind;
    bool get_or_head = method == http::bhttp::verb::get || method == http::bhttp::verb::head;
    if (r.what == kind::method_not_allowed) require(!get_or_head, "GET or HEAD refused");
    if (r.what == kind::probe || r.what == kind::environ || r.what == kind::metrics)
        require(get_or_head, "a method besides GET and HEAD routed");
    require(!r.head || method == http::bhttp::verb::head, "a HEAD route for another method");
    if (r.select.only)
        require(r.what == kind::probe || r.what == kind::method_not_allowed,
                "a single check outside a probe route");
    for (const auto& name : r.select.exclude) require(!name.empty(), "an empty excluded name");

    fake_state state;
    auto res = http::respond(r, state, 11, true);
    if (r.head) require(res.body().empty(), "a HEAD answer with a body");
    require(res.result_int() >= 200 && res.result_int() <= 599, "an impossible status");
    require(res.result() != http::bhttp::status::method_not_allowed ||
                res[http::bhttp::field::allow] == "GET, HEAD",
            "a 405 without Allow: GET, HEAD");
    require(res[http::bhttp::field::cache_control] == "no-store", "an answer without no-store");
}

void push_input(std::string_view data) {
    if (data.empty()) return;
    unsigned char pick = static_cast<unsigned char>(data.front());
    data.remove_prefix(1);
    auto lines = split_lines(data, 3);
    if (lines.size() < 3) return;
    const std::string token = "fuzz-token-5e1f";
    push_settings s;
    s.base_path = (pick & 4) ? "/" : "/.well-known/heartbeat";
    if (pick & 1) s.token = token;
    static const http::bhttp::verb methods[] = {http::bhttp::verb::put, http::bhttp::verb::post,
                                                http::bhttp::verb::get, http::bhttp::verb::delete_};
    push_request req{methods[(pick >> 1) & 1 ? 1 : 0], std::string(lines[0]), 11};
    if (pick & 8) req.method(methods[2 + ((pick >> 4) & 1)]);
    if (!lines[1].empty()) req.set(http::bhttp::field::authorization, std::string(lines[1]));
    req.body() = std::string(lines[2]);

    int recorded = 0;
    report_sink sink{
        [](const std::string& name) -> std::optional<std::string> {
            if (name == "worker") return std::string("push");
            if (name == "db") return std::string("tcp");
            return std::nullopt;
        },
        [&](const std::string& name, check_result r) {
            ++recorded;
            require(name == "worker", "a report recorded for another check");
            require(!r.message.empty(), "a report recorded without a message");
            require(!r.data.contains("status") && !r.data.contains("message"),
                    "status or message left in a report's data");
            // Without a token configured the same text is ordinary data.
            require(s.token.empty() || (r.message.find(token) == std::string::npos &&
                                        json::serialize(r.data).find(token) == std::string::npos),
                    "the token recorded");
        }};
    auto res = answer_push(req, s, sink);
    auto code = res.result_int();
    require(code == 200 || code == 400 || code == 401 || code == 404 || code == 405,
            fmt::format("an answer {}", code));
    require((code == 200) == (recorded == 1) && recorded <= 1, "recorded without a 200, or not");
    require(s.token.empty() || res.body().find(token) == std::string::npos,
            "the token in an answer");
    require(res[http::bhttp::field::cache_control] == "no-store", "an answer without no-store");
}

void url_input(std::string_view data) {
    (void)percent_decode(data, false);
    (void)percent_decode(data, true);
    (void)is_loopback_host(data);
    std::string error;
    auto u = parse_url(data, &error);
    if (!u) {
        require(!error.empty(), "a URL refused without a reason");
        return;
    }
    require(!u->host.empty(), "a URL accepted without a host");
    require(u->port >= 1, "a URL accepted with port 0");
    require(!u->target.empty() && u->target.front() == '/', "a target not starting with '/'");
    require(u->has_userinfo || u->userinfo.empty(), "user-info kept without the flag");
    // The redacted spelling is what messages show: it must name the same place and carry no
    // credential.
    auto shown = u->redacted();
    auto again = parse_url(shown);
    require(again.has_value(), fmt::format("the redacted URL '{}' does not parse", shown));
    require(!again->has_userinfo, "the redacted URL carries user-info");
    require(again->tls == u->tls && again->host == u->host && again->port == u->port &&
                again->target == u->target,
            fmt::format("the redacted URL '{}' names another place", shown));
}

namespace {

std::optional<std::string> fake_environment(std::string_view name) {
    // A value that looks like a variable must never be expanded again.
    static const std::map<std::string, std::string, std::less<>> env = {
        {"HOST", "db.internal"},    {"PORT", "5432"},       {"EMPTY", ""},
        {"SECRET", "s3cr3t-value"}, {"TRICK", "${HOST}$$"}, {"_", "x"}};
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
}

/** A path the parser accepted: each step ends after the last, the last at the text's end, and
 * only a last step is a length. */
void check_path(const json_path& p, std::string_view text) {
    require(p.text == text && !text.empty() && text[0] == '$', "a path not starting with $");
    std::size_t end = 1;
    for (std::size_t i = 0; i < p.steps.size(); ++i) {
        require(p.steps[i].end > end && p.steps[i].end <= text.size(), "a step out of its path");
        require(p.steps[i].what != json_step::kind::length || i + 1 == p.steps.size(),
                "a length that is not the last step");
        end = p.steps[i].end;
    }
    require(end == text.size(), "a path with text after its last step");
}

/** A failure message: one line, within a bound, without the secret. */
void check_message(const std::string& m, std::string_view secret) {
    require(m.size() <= 1000, fmt::format("a message of {} bytes", m.size()));
    require(
        std::none_of(m.begin(), m.end(), [](char c) { return c == '\n' || c == '\r' || c == 0; }),
        "a message that breaks its line");
    require(m.find(secret) == std::string::npos, "the secret in a message");
}

}  // namespace

void expand_input(std::string_view data) {
    auto e = expand_text(data, fake_environment);
    if (e.error) {
        require(e.value.empty() && e.from_environment.empty(), "a failed expansion kept a value");
        // It may quote what is written (a malformed name), never what the environment holds.
        for (const std::string secret : {"db.internal", "s3cr3t-value", "${HOST}$$"})
            require(data.find(secret) != std::string_view::npos ||
                        e.error->find(secret) == std::string::npos,
                    "an error shows a value");
    } else {
        if (data.find('$') == std::string_view::npos)
            require(e.value == data && !e.changed, "text without $ changed");
        require(e.value.size() <= data.size() * 8 + 16, "an expansion grew out of bounds");
        for (const auto& [name, value] : e.from_environment)
            require(!value.empty() && e.value.find(value) != std::string::npos &&
                        fake_environment(name) == value,
                    "a value from the environment is not in the result");
        // What the loader shows of this scalar holds no value from the environment.
        variable_record record;
        variable_record::scalar s{std::string(data), e.value, {}, {}};
        for (const auto& [name, value] : e.from_environment) {
            s.secrets.push_back(value);
            s.names.push_back(name);
        }
        if (!s.secrets.empty()) record.by_position[0] = s;
        auto shown = record.hide("got '" + config_detail::shorten(e.value) + "' in " + e.value);
        for (const auto& [name, value] : e.from_environment)
            require(value.size() < min_secret_size || shown.find(value) == std::string::npos,
                    fmt::format("a message shows {}'s value: {}", name, shown));
    }
    // `$` doubled is the text itself, whatever it holds, and uses no variable.
    std::string escaped;
    for (char c : data) escaped += c == '$' ? std::string("$$") : std::string(1, c);
    auto back = expand_text(escaped, fake_environment);
    require(!back.error && back.value == data && back.from_environment.empty(),
            "escaped text does not expand to itself");
}

void expect_json_input(std::string_view data) {
    if (data.empty()) return;
    const auto flags = static_cast<unsigned char>(data[0]);
    auto lines = split_lines(data.substr(1), 3);
    if (lines.size() < 3) return;
    std::string why;
    auto path = parse_json_path(lines[0], why);
    if (!path) {
        require(!why.empty(), "a path refused without a reason");
        return;
    }
    check_path(*path, lines[0]);
    require(parse_json_path(lines[0], why) == path, "a path parsed two ways");
    why.clear();
    auto expect = parse_json_expectation(lines[1], flags & 1, why);
    if (!expect) {
        require(!why.empty(), "an expectation refused without a reason");
        return;
    }
    (void)describe(*expect);
    // The secret, spelt so that the dictionary and the corpus can put it into documents.
    const std::string secret = "s3cret-fuzz";
    auto failures = judge_json_text({{*path, *expect}}, lines[2], "the body", flags & 2, {secret});
    require(failures.size() <= 1, "more failures than assertions");
    for (const auto& m : failures) check_message(m, secret);
}

}  // namespace heartbeat::fuzz
