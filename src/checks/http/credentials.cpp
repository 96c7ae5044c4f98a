// The http unit's keys for requests and assertions beyond unit.cpp's: method and body,
// expect_body_regex and expect_headers, and the credentials read from secret files.
#include <algorithm>

#include <fmt/format.h>
#include <boost/beast/core/detail/base64.hpp>

#include "heartbeat/checks/http/assertions.hpp"
#include "heartbeat/redact.hpp"
#include "heartbeat/secret_file.hpp"
#include "heartbeat/url.hpp"
#include "keys.hpp"

namespace heartbeat::http_keys {

using config_detail::check_keys;
using config_detail::shorten;

namespace {

bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

bool bad_header_name(const std::string& name) {
    return name.empty() || name.find_first_of(" :\r\n\t") != std::string::npos;
}

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char ch) { return std::toupper(ch); });
    return s;
}

/** A header named in `headers` (the plain map), if any, compared without case. */
bool in_headers(const http_spec& h, std::string_view name) {
    return std::any_of(h.headers.begin(), h.headers.end(),
                       [&](const auto& kv) { return same_name(kv.first, name); });
}

/** Every entry of a mapping with its value node, or nullopt after reporting why not. */
std::optional<std::vector<std::pair<std::string, YAML::Node>>> entries(check_keys& keys,
                                                                       const YAML::Node& n,
                                                                       std::string_view key) {
    if (!n.IsMap()) {
        keys.reader.error(n.Mark(), fmt::format("'{}' must be a mapping of names to values", key));
        return std::nullopt;
    }
    std::vector<std::pair<std::string, YAML::Node>> out;
    for (auto it = n.begin(); it != n.end(); ++it) {
        const YAML::Node name = it->first;
        const YAML::Node value = it->second;
        if (!name.IsScalar() || bad_header_name(name.Scalar())) {
            keys.reader.error(name.Mark(),
                              fmt::format("each name in '{}' must be a header name (no spaces, "
                                          "':' or line breaks)",
                                          key));
            continue;
        }
        out.emplace_back(name.Scalar(), value);
    }
    return out;
}

/** What in `h` already sets its Authorization header, quoted for a message; "" when nothing. */
std::string authorization_source(const http_spec& h) {
    if (in_headers(h, "Authorization")) return "'headers'";
    if (h.credentials.username) return "'username'";
    if (auto u = parse_url(h.url); u && u->has_userinfo) return "the url's user-info";
    return "";
}

/** An Authorization header in `headers` beside user-info in the url: two sets of credentials. */
void refuse_userinfo_with_header(check_keys& keys, const http_spec& h) {
    auto u = parse_url(h.url);
    if (!u || !u->has_userinfo || !in_headers(h, "Authorization")) return;
    const YAML::Node* headers = keys.optional("headers");
    keys.reader.error((headers ? *headers : keys.check).Mark(),
                      fmt::format("'headers' of {} sets the Authorization header, which the url's "
                                  "user-info sets too: keep one",
                                  keys.label));
}

/** `username` and `password_file`: both or neither, and not with user-info in the url. */
void read_basic(check_keys& keys, http_spec& h) {
    auto& r = keys.reader;
    const YAML::Node* user = keys.optional("username");
    const YAML::Node* file = keys.optional("password_file");
    if (!user && !file) return;
    if (!user || !file) {
        const YAML::Node* given = user ? user : file;
        r.error(given->Mark(), fmt::format("'{}' needs '{}' in {}: Basic auth takes both",
                                           user ? "username" : "password_file",
                                           user ? "password_file" : "username", keys.label));
        return;
    }
    if (auto u = parse_url(h.url); u && u->has_userinfo) {
        r.error(user->Mark(), fmt::format("'username' and 'password_file' in {} clash with the "
                                          "user-info of its url: give the credentials one way",
                                          keys.label));
        return;
    }
    auto name = r.string_value(*user, "username");
    if (name && name->find(':') != std::string::npos) {
        r.error(user->Mark(),
                "'username' cannot contain ':' (Basic auth separates the password "
                "with it)");
        name.reset();
    }
    auto password = read_secret_file(r, *file, "password_file", secret_content::one_line);
    if (!name || !password) return;
    h.credentials.username = *name;
    h.credentials.password = *password;
    if (in_headers(h, "Authorization"))
        r.error(user->Mark(), fmt::format("'username' and 'password_file' set the Authorization "
                                          "header, which 'headers' of {} sets too: keep one",
                                          keys.label));
}

void read_file_headers(check_keys& keys, http_spec& h) {
    auto n = keys.optional("headers_from_files");
    if (!n) return;
    auto list = entries(keys, *n, "headers_from_files");
    if (!list) return;
    for (auto& [name, value] : *list) {
        auto content =
            read_secret_file(keys.reader, value, "headers_from_files", secret_content::one_line);
        std::string other = in_headers(h, name)                  ? "'headers'"
                            : same_name(name, "Authorization") ? authorization_source(h)
                                                               : "";
        if (!other.empty())
            keys.reader.error(value.Mark(),
                              fmt::format("header '{}' of 'headers_from_files' is set by {} "
                                          "too in {}: keep one",
                                          shorten(name), other, keys.label));
        else if (content)
            h.credentials.headers.emplace_back(name, *content);
    }
}

void read_token(check_keys& keys, http_spec& h) {
    auto n = keys.optional("token_file");
    if (!n) return;
    auto token = read_secret_file(keys.reader, *n, "token_file", secret_content::one_line);
    auto u = parse_url(h.url);
    bool file_auth =
        std::any_of(h.credentials.headers.begin(), h.credentials.headers.end(),
                    [](const auto& kv) { return same_name(kv.first, "Authorization"); });
    if (in_headers(h, "Authorization") || file_auth || h.credentials.username ||
        (u && u->has_userinfo)) {
        keys.reader.error(n->Mark(),
                          fmt::format("'token_file' sets the Authorization header, which {} sets "
                                      "another way too (headers, headers_from_files, username or "
                                      "url user-info): keep one",
                                      keys.label));
        return;
    }
    if (token) h.credentials.token = *token;
}

}  // namespace

void read_method_and_body(check_keys& keys, http_spec& h) {
    if (auto m = keys.optional("method")) {
        if (auto s = keys.reader.string_value(*m, "method")) {
            std::string verb = upper(*s);
            if (verb != "GET" && verb != "HEAD" && verb != "POST" && verb != "PUT")
                keys.reader.error(
                    m->Mark(),
                    fmt::format("'method' must be GET, HEAD, POST or "
                                "PUT, got '{}'{}",
                                shorten(*s),
                                config_detail::did_you_mean(verb, {"GET", "HEAD", "POST", "PUT"})));
            else
                h.method = verb;
        }
    }
    auto b = keys.optional("body");
    if (!b) return;
    auto s = keys.reader.string_value(*b, "body", true);
    if (!s) return;
    if (h.method != "POST" && h.method != "PUT")
        keys.reader.error(b->Mark(), fmt::format("'body' needs method POST or PUT in {}: a {} "
                                                 "request carries none",
                                                 keys.label, h.method));
    else
        h.body = *s;
}

void read_assertions(check_keys& keys, http_spec& h) {
    if (auto n = keys.optional("expect_body_regex")) {
        if (auto s = keys.reader.string_value(*n, "expect_body_regex")) {
            std::string why;
            h.expect_body_regex = compile_body_pattern(*s, why);
            if (!h.expect_body_regex)
                keys.reader.error(n->Mark(), fmt::format("'expect_body_regex' is not a valid "
                                                         "regular expression: {}",
                                                         why));
        }
    }
    if (auto n = keys.optional("expect_headers")) {
        if (auto map = keys.reader.string_map(*n, "expect_headers")) {
            for (const auto& [name, part] : *map)
                if (bad_header_name(name))
                    keys.reader.error(n->Mark(),
                                      fmt::format("'expect_headers' names '{}', which is not a "
                                                  "header name (no spaces, ':' or line breaks)",
                                                  shorten(name)));
            h.expect_headers = *map;
        }
    }
}

void read_credentials(check_keys& keys, http_spec& h) {
    refuse_userinfo_with_header(keys, h);
    read_basic(keys, h);
    read_file_headers(keys, h);
    read_token(keys, h);
}

std::string basic_authorization(const std::string& user, const std::string& password) {
    namespace b64 = boost::beast::detail::base64;
    const std::string plain = user + ":" + password;
    std::string encoded(b64::encoded_size(plain.size()), '\0');
    encoded.resize(b64::encode(encoded.data(), plain.data(), plain.size()));
    return "Basic " + encoded;
}

std::vector<std::pair<std::string, std::string>> credential_fields(const http_credentials& c) {
    std::vector<std::pair<std::string, std::string>> out = c.headers;
    if (c.username && c.password)
        out.emplace_back("Authorization", basic_authorization(*c.username, *c.password));
    if (c.token) out.emplace_back("Authorization", "Bearer " + *c.token);
    return out;
}

void add_credential_secrets(const http_credentials& c, std::vector<std::string>& out) {
    // The values as read, and as the request carries them (a Basic value is base64: the password
    // would not be found in it).
    for (const auto& [name, value] : c.headers) add_secret(out, value);
    if (c.password) add_secret(out, *c.password);
    if (c.token) add_secret(out, *c.token);
    for (const auto& [name, value] : credential_fields(c)) add_secret(out, value);
    if (c.username && c.password) {
        auto basic = basic_authorization(*c.username, *c.password);
        add_secret(out, basic.substr(6));
    }
}

}  // namespace heartbeat::http_keys
