// The keys of each check type. Each reader reports what it cannot read through keys.reader and
// returns what it could: read_check drops the check when any error was reported.
#include <charconv>
#include <limits>

#include "heartbeat/config_checks.hpp"
#include "heartbeat/url.hpp"

namespace heartbeat::config_detail {

namespace {

check_spec read_tcp(check_keys& keys) {
    auto& r = keys.reader;
    tcp_spec t;
    if (auto h = keys.required("host"))
        if (auto s = r.string_value(*h, "host")) t.host = *s;
    if (auto p = keys.required("port"))
        if (auto v = r.int_value(*p, "port", 1, 65535)) t.port = static_cast<std::uint16_t>(*v);
    if (auto s = keys.optional("send"))
        if (auto v = r.string_value(*s, "send")) t.send = *v;
    if (auto e = keys.optional("expect"))
        if (auto v = r.string_value(*e, "expect")) t.expect = *v;
    return t;
}

/** One item of `expect_status`: a code (`200`) or a class (`2xx`). */
std::optional<status_match> parse_status_match(const std::string& item) {
    status_match m;
    if (item.size() == 3 && item[0] >= '1' && item[0] <= '5' &&
        (item.substr(1) == "xx" || item.substr(1) == "XX")) {
        m.class_ = item[0] - '0';
        return m;
    }
    int code = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), code);
    if (ec != std::errc{} || end != item.data() + item.size() || code < 100 || code > 599)
        return std::nullopt;
    m.code = code;
    return m;
}

void read_expect_status(check_keys& keys, http_spec& h) {
    auto es = keys.optional("expect_status");
    if (!es) return;
    auto list = keys.reader.string_list(*es, "expect_status");
    if (!list) return;
    for (auto& item : *list) {
        if (auto m = parse_status_match(item))
            h.expect_status.push_back(*m);
        else
            keys.reader.error(es->Mark(),
                              fmt::format("'expect_status' takes codes from 100 to 599 or classes "
                                          "like 2xx, got '{}'",
                                          shorten(item)));
    }
}

void read_http_headers(check_keys& keys, http_spec& h) {
    auto hs = keys.optional("headers");
    if (!hs) return;
    auto map = keys.reader.string_map(*hs, "headers");
    if (!map) return;
    for (auto& [k, v] : *map) {
        bool bad = k.find_first_of(" :\r\n\t") != std::string::npos ||
                   v.find_first_of("\r\n") != std::string::npos;
        if (bad)
            keys.reader.error(
                hs->Mark(),
                fmt::format("header '{}' has a character a header cannot carry", shorten(k)));
    }
    h.headers = *map;
}

check_spec read_http(check_keys& keys) {
    auto& r = keys.reader;
    http_spec h;
    if (auto u = keys.required("url")) {
        if (auto s = r.string_value(*u, "url")) {
            std::string why;
            if (parse_url(*s, &why))
                h.url = *s;
            else
                r.error(u->Mark(), fmt::format("'url' {}", why));
        }
    }
    if (auto m = keys.optional("method")) {
        if (auto s = r.string_value(*m, "method")) {
            std::string upper = *s;
            std::transform(upper.begin(), upper.end(), upper.begin(),
                           [](unsigned char ch) { return std::toupper(ch); });
            if (upper != "GET" && upper != "HEAD")
                r.error(m->Mark(), "'method' must be GET or HEAD");
            else
                h.method = upper;
        }
    }
    read_http_headers(keys, h);
    read_expect_status(keys, h);
    if (auto b = keys.optional("expect_body"))
        if (auto s = r.string_value(*b, "expect_body")) h.expect_body = *s;
    if (auto v = keys.optional("tls_verify"))
        if (auto b = r.bool_value(*v, "tls_verify")) h.tls_verify = *b;
    if (auto ca = keys.optional("ca_file"))
        if (auto s = r.string_value(*ca, "ca_file")) h.ca_file = *s;
    return h;
}

void read_command(check_keys& keys, exec_spec& e) {
    auto cmd = keys.required("command");
    if (!cmd) return;
    constexpr const char* empty =
        "'command' is empty: give a list (run as argv) or a string (run by /bin/sh -c)";
    if (cmd->IsScalar()) {
        if (cmd->Scalar().find_first_not_of(" \t\n") == std::string::npos)
            keys.reader.error(cmd->Mark(), empty);
        else
            e.argv = {"/bin/sh", "-c", cmd->Scalar()};
    } else if (auto list = keys.reader.string_list(*cmd, "command")) {
        if (list->empty() || list->front().empty())
            keys.reader.error(cmd->Mark(), empty);
        else
            e.argv = *list;
    }
}

check_spec read_exec(check_keys& keys) {
    auto& r = keys.reader;
    exec_spec e;
    read_command(keys, e);
    if (auto env = keys.optional("env")) {
        if (auto map = r.string_map(*env, "env")) {
            for (auto& [k, v] : *map) {
                if (k.find('=') != std::string::npos)
                    r.error(env->Mark(), fmt::format("env name '{}' contains '='", shorten(k)));
                else
                    e.env[k] = v;
            }
        }
    }
    if (auto cwd = keys.optional("cwd"))
        if (auto s = r.string_value(*cwd, "cwd")) e.cwd = *s;
    if (auto x = keys.optional("expect_exit"))
        if (auto v = r.int_value(*x, "expect_exit", 0, 255)) e.expect_exit = static_cast<int>(*v);
    return e;
}

check_spec read_file(check_keys& keys) {
    auto& r = keys.reader;
    file_spec f;
    if (auto p = keys.required("path"))
        if (auto s = r.string_value(*p, "path")) f.path = *s;
    if (auto k = keys.optional("kind")) {
        if (auto s = r.string_value(*k, "kind")) {
            if (*s == "any")
                f.kind_ = file_spec::kind::any;
            else if (*s == "file")
                f.kind_ = file_spec::kind::file;
            else if (*s == "dir")
                f.kind_ = file_spec::kind::dir;
            else
                r.error(k->Mark(),
                        fmt::format("'kind' must be file, dir or any, got '{}'{}", shorten(*s),
                                    did_you_mean(*s, {"file", "dir", "any"})));
        }
    }
    if (auto a = keys.optional("max_age"))
        if (auto d = r.duration_value(*a, "max_age", false)) f.max_age = *d;
    if (auto m = keys.optional("min_size"))
        if (auto v = r.int_value(*m, "min_size", 0, std::numeric_limits<long long>::max()))
            f.min_size = static_cast<std::uint64_t>(*v);
    return f;
}

}  // namespace

const std::vector<check_type>& check_types() {
    static const std::vector<check_type> types = {
        {"tcp", {"host", "port", "send", "expect"}, read_tcp},
        {"http",
         {"url", "method", "headers", "expect_status", "expect_body", "tls_verify", "ca_file"},
         read_http},
        {"exec", {"command", "env", "cwd", "expect_exit"}, read_exec},
        {"file", {"path", "kind", "max_age", "min_size"}, read_file},
    };
    return types;
}

}  // namespace heartbeat::config_detail
