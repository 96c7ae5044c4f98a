#define BOOST_TEST_MODULE misc
#include <boost/test/unit_test.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "heartbeat/checks/exec/spec.hpp"
#include "heartbeat/checks/file/run.hpp"
#include "heartbeat/checks/postgres/spec.hpp"
#include "heartbeat/cli.hpp"
#include "heartbeat/http/server.hpp"
#include "heartbeat/json_text.hpp"
#include "heartbeat/probes.hpp"
#include "heartbeat/text.hpp"
#include "heartbeat/url.hpp"

using namespace heartbeat;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(json_text_is_plain_and_valid) {
    json::object o;
    o["a"] = 0.4;
    o["b"] = 12.0;
    o["c"] = "line\n\"q\"\x01";
    o["d"] = std::string("bad \xff utf8 \xc3\xa9");
    o["e"] = json::array{1, true, nullptr};
    auto text = to_json_text(o);
    BOOST_TEST(
        text ==
        R"({"a":0.4,"b":12,"c":"line\n\"q\"\u0001","d":"bad \ufffd utf8 é","e":[1,true,null]})");
    BOOST_CHECK_NO_THROW(boost::json::parse(text));
}

BOOST_AUTO_TEST_CASE(urls) {
    auto u = parse_url("https://user:pw@example.com:8443/a/b?x=1#frag");
    BOOST_TEST_REQUIRE(u.has_value());
    BOOST_TEST(u->tls);
    BOOST_TEST(u->host == "example.com");
    BOOST_TEST(u->port == 8443);
    BOOST_TEST(u->target == "/a/b?x=1");
    BOOST_TEST(u->userinfo == "user:pw");
    BOOST_TEST(u->redacted() == "https://example.com:8443/a/b?x=1");
    auto v6 = parse_url("http://[::1]/");
    BOOST_TEST(v6->host == "::1");
    BOOST_TEST(v6->port == 80);
    BOOST_TEST(v6->redacted() == "http://[::1]:80/");
    BOOST_TEST(parse_url("http://h?q")->target == "/?q");
    std::string why;
    BOOST_TEST(!parse_url("ftp://x", &why));
    BOOST_TEST(why == "must start with http:// or https://");
    BOOST_TEST(!parse_url("http://", &why));
    BOOST_TEST(!parse_url("http://h:0/"));
    BOOST_TEST(!parse_url("http://h:99999/"));
    BOOST_TEST(!parse_url("http://h/a b"));
    BOOST_TEST(is_loopback_host("127.0.0.1"));
    BOOST_TEST(is_loopback_host("localhost"));
    BOOST_TEST(is_loopback_host("[::1]"));
    BOOST_TEST(!is_loopback_host("postgres"));
}

BOOST_AUTO_TEST_CASE(url_refusals_name_their_first_fault) {
    // Each text below is wrong in one place only, so its message says which check ran first.
    std::pair<const char*, const char*> cases[] = {
        {"http://[::1/", "has an unclosed '[' in its host"},
        {"http://[::1]x/", "has junk after its IPv6 host"},
        {"http://:80/", "has no host"},
        {"http://u@/", "has no host"},
        {"http://a:b:80/", "has a malformed host"},  // a colon outside brackets
        {"http://[a]b]:80/", "has junk after its IPv6 host"},
        {"http://h\\x/", "has a malformed host"},
        {"http://h:8x/", "has a port that is not a number"},
        {"http://h:-1/", "has a port outside 1-65535"},
        {"http://h/a\tb", "has a space or control character in its path"},
        {"http://h/?\x7f", "has a space or control character in its path"},
    };
    for (auto [text, message] : cases) {
        std::string why;
        BOOST_TEST(!parse_url(text, &why), text);
        BOOST_TEST(why == message, text);
    }
}

BOOST_AUTO_TEST_CASE(url_edges_parse) {
    std::string why = "untouched";
    auto u = parse_url("https://h", &why);
    BOOST_TEST_REQUIRE(u.has_value());
    BOOST_TEST(why == "untouched");  // set only when the URL is refused
    BOOST_TEST(u->port == 443);
    BOOST_TEST(u->target == "/");
    BOOST_TEST(!u->has_userinfo);
    u = parse_url("http://[fd00::2]:8080?q#f");
    BOOST_TEST_REQUIRE(u.has_value());
    BOOST_TEST(u->host == "fd00::2");
    BOOST_TEST(u->port == 8080);
    BOOST_TEST(u->target == "/?q");
    // The last '@' ends the user-info: a password may hold one.
    u = parse_url("http://u:p@ss@h:81/#top");
    BOOST_TEST_REQUIRE(u.has_value());
    BOOST_TEST(u->userinfo == "u:p@ss");
    BOOST_TEST(u->host == "h");
    BOOST_TEST(u->target == "/");
    BOOST_TEST(u->redacted() == "http://h:81/");
    BOOST_TEST(parse_url("http://h:/")->port == 80);  // an empty port is the scheme's
    BOOST_TEST(parse_url("http://h:65535/")->port == 65535);
    BOOST_TEST(parse_url("http://@h/")->has_userinfo);
}

BOOST_AUTO_TEST_CASE(local_urls_turn_wildcards_into_loopback) {
    BOOST_TEST(local_url("127.0.0.1", 8080, "/hb/readiness", true) ==
               "http://127.0.0.1:8080/hb/readiness");
    BOOST_TEST(local_url("0.0.0.0", 9000, "/readiness", true) == "http://127.0.0.1:9000/readiness");
    BOOST_TEST(local_url("", 9000, "/readiness", true) == "http://127.0.0.1:9000/readiness");
    BOOST_TEST(local_url("::", 9000, "/r", true) == "http://[::1]:9000/r");
    BOOST_TEST(local_url("[::]", 9000, "/r", true) == "http://[::1]:9000/r");
    BOOST_TEST(local_url("0:0:0:0:0:0:0:0", 9000, "/r", true) == "http://[::1]:9000/r");
    // Without IPv6 the daemon falls back to 0.0.0.0: ask it there.
    BOOST_TEST(local_url("::", 9000, "/r", false) == "http://127.0.0.1:9000/r");
    BOOST_TEST(local_url("::1", 1, "/r", true) == "http://[::1]:1/r");
    BOOST_TEST(local_url("fd00::2", 1, "/r", true) == "http://[fd00::2]:1/r");
    BOOST_TEST(local_url("localhost", 1, "/r", true) == "http://localhost:1/r");
    for (auto h : {"127.0.0.1", "0.0.0.0", "::", "fd00::2", "localhost"})
        BOOST_TEST(
            parse_url(local_url(h, 8080, "/.well-known/heartbeat/readiness", true)).has_value(), h);
}

BOOST_AUTO_TEST_CASE(only_the_ipv6_wildcard_falls_back_and_only_for_want_of_ipv6) {
    namespace errc = boost::system::errc;
    auto no_family = errc::make_error_code(errc::address_family_not_supported);
    auto no_address = errc::make_error_code(errc::address_not_available);
    BOOST_TEST(http::falls_back_to_ipv4("::", no_family));
    BOOST_TEST(http::falls_back_to_ipv4("::", no_address));
    BOOST_TEST(http::falls_back_to_ipv4("0:0::0", no_family));
    // As Asio reports it (system category) too.
    BOOST_TEST(http::falls_back_to_ipv4("::", net::error::address_family_not_supported));
    BOOST_TEST(!http::falls_back_to_ipv4("::", errc::make_error_code(errc::address_in_use)));
    BOOST_TEST(!http::falls_back_to_ipv4("::", errc::make_error_code(errc::permission_denied)));
    BOOST_TEST(!http::falls_back_to_ipv4("::1", no_family));
    BOOST_TEST(!http::falls_back_to_ipv4("fd00::2", no_address));
    BOOST_TEST(!http::falls_back_to_ipv4("0.0.0.0", no_family));
    BOOST_TEST(!http::falls_back_to_ipv4("localhost", no_family));
}

BOOST_AUTO_TEST_CASE(command_lines) {
    auto r = parse_cli({});
    BOOST_TEST((r.options->cmd == cli_options::command::serve));
    r = parse_cli({"serve", "--config", "x.yaml", "--listen", "[::]:9000", "--log-format=json",
                   "--log-level", "debug"});
    BOOST_TEST_REQUIRE(r.options.has_value());
    BOOST_TEST(r.options->config_path.value() == "x.yaml");
    BOOST_TEST(r.options->listen.value() == "[::]:9000");
    BOOST_TEST((r.options->format == log_format::json));
    BOOST_TEST((r.options->level == spdlog::level::debug));
    r = parse_cli({"check", "--config", "x", "liveness"});
    BOOST_TEST(r.options->probe == "liveness");
    r = parse_cli({"probe", "http://127.0.0.1:1/x", "--timeout", "250ms"});
    BOOST_TEST(r.options->url.value() == "http://127.0.0.1:1/x");
    BOOST_TEST((r.options->timeout == 250ms));
    // `probe` alone, or with a probe's name: no URL, the config says where.
    r = parse_cli({"probe"});
    BOOST_TEST(!r.options->url);
    BOOST_TEST(r.options->probe == "readiness");
    r = parse_cli({"probe", "--config", "x.yaml", "liveness"});
    BOOST_TEST(!r.options->url);
    BOOST_TEST(r.options->probe == "liveness");
    BOOST_TEST(r.options->config_path.value() == "x.yaml");
    BOOST_TEST(parse_cli({"probe", "nosuchprobe"}).options->url.value() == "nosuchprobe");
    BOOST_TEST(!parse_cli({"probe", "startup", "http://x/"}).options);
    BOOST_TEST((parse_cli({"--version"}).options->cmd == cli_options::command::version));
    BOOST_TEST((parse_cli({"validate", "--help"}).options->cmd == cli_options::command::help));
    BOOST_TEST(!parse_cli({"validate"}).options);
    BOOST_TEST(!parse_cli({"--bogus"}).options);
    BOOST_TEST(!parse_cli({"check", "--config", "x", "nosuchprobe"}).options);
    BOOST_TEST(!parse_cli({"--listen", "nope"}).options);
    BOOST_TEST(!parse_cli({"--log-level", "loud"}).options);
    BOOST_TEST(!parse_cli({"serve", "extra"}).options);
    BOOST_TEST(usage().find("heartbeatd validate --config PATH") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(command_line_errors_and_precedence) {
    auto error_of = [](std::vector<std::string> args) {
        auto r = parse_cli(args);
        BOOST_TEST(!r.options);
        return r.error;
    };
    BOOST_TEST(error_of({"--config"}) == "--config needs a path");
    BOOST_TEST(error_of({"--log-level"}) == "--log-level needs a level");
    BOOST_TEST(error_of({"--log-format"}) == "--log-format is text or json");
    BOOST_TEST(error_of({"--timeout", "0s"}) == "--timeout needs a duration such as 2s or 500ms");
    BOOST_TEST(error_of({"--bogus=1"}) == "unknown option '--bogus'");  // named without its value
    BOOST_TEST(error_of({"-"}) == "unexpected argument '-'");
    // The command word counts only first; later it is a positional argument.
    BOOST_TEST(error_of({"check", "serve"}) ==
               "unknown probe 'serve': readiness, liveliness, startup, environ");
    BOOST_TEST(error_of({"liveness", "check"}) == "unexpected argument 'liveness'");
    BOOST_TEST(error_of({"--bogus", "--version"}) == "unknown option '--bogus'");
    // --help and --version end the parse: nothing after them is read.
    auto r = parse_cli({"-c", "a.yaml", "-V", "--bogus"});
    BOOST_TEST_REQUIRE(r.options.has_value());
    BOOST_TEST((r.options->cmd == cli_options::command::version));
    BOOST_TEST(r.options->config_path.value() == "a.yaml");
    r = parse_cli({"validate", "--config=", "--listen=127.0.0.1:9", "--log-level=off"});
    BOOST_TEST_REQUIRE(r.options.has_value());
    BOOST_TEST((r.options->cmd == cli_options::command::validate));
    BOOST_TEST(r.options->config_path.value() == "");
    BOOST_TEST(r.options->listen.value() == "127.0.0.1:9");
    BOOST_TEST((r.options->level == spdlog::level::off));
}

BOOST_AUTO_TEST_CASE(file_verdicts) {
    auto now = std::chrono::system_clock::now();
    file_spec s;
    s.path = "/x";
    file_facts missing;
    missing.error = ENOENT;
    BOOST_TEST(judge_file(s, missing, now).message == "/x does not exist");
    file_facts f;
    f.is_regular = true;
    f.size = 10;
    f.modified = now - 40s;
    BOOST_TEST(judge_file(s, f, now).ok);
    s.kind_ = file_spec::kind::dir;
    BOOST_TEST(judge_file(s, f, now).message == "/x exists but is not a directory");
    s.kind_ = file_spec::kind::file;
    s.min_size = 11;
    BOOST_TEST(judge_file(s, f, now).message == "/x is 10 bytes, less than min_size 11");
    s.min_size.reset();
    s.max_age = 30s;
    BOOST_TEST(judge_file(s, f, now).message ==
               "/x was last modified 40s ago, more than max_age 30s");
    s.max_age = 1min;
    BOOST_TEST(judge_file(s, f, now).ok);
    file_facts denied;
    denied.error = EACCES;
    BOOST_TEST(judge_file(s, denied, now).message == "cannot stat /x: Permission denied");
}

BOOST_AUTO_TEST_CASE(printable_peer_bytes) {
    BOOST_TEST(printable("+PONG\r\n") == "+PONG\\r\\n");
    BOOST_TEST(printable(std::string("\x00\x7f", 2)) == "\\x00\\x7f");
    BOOST_TEST(printable(std::string(100, 'a')).size() == 83u);
}

BOOST_AUTO_TEST_CASE(times_are_rfc3339) {
    std::chrono::system_clock::time_point t{std::chrono::milliseconds(1'700'000'000'123)};
    BOOST_TEST(rfc3339(t) == "2023-11-14T22:13:20.123Z");
}

namespace {
/** Check statuses for rendering tests, set up by hand: no scheduler, no io_context. */
struct entries {
    status_ptr add(std::string name, std::set<probe> probes, std::optional<bool> ok,
                   duration interval = 10s) {
        check_config c;
        c.name = std::move(name);
        c.probes = std::move(probes);
        c.interval = interval;
        c.spec = tcp_spec{"127.0.0.1", 1, {}, {}};
        auto e = std::make_shared<check_status>(c);
        if (ok) {
            e->last = *ok ? success() : failure("connect 127.0.0.1:1: connection refused");
            e->last.elapsed = 1500us;
            e->last.facts["status_code"] = 503;
            e->last.data["status"] = "data loses to status";
            e->state.on_result(*ok, steady_clock::now());
        }
        all.push_back(e);
        return e;
    }
    status_list all;
};
}  // namespace

BOOST_AUTO_TEST_CASE(probe_bodies) {
    entries es;
    es.add("db", {probe::readiness, probe::liveliness}, false);
    es.add("cache", {probe::readiness}, true);
    es.add("boot", {probe::startup}, true);
    es.add("pending", {probe::liveliness}, std::nullopt);
    auto at = moment::now();

    auto ready =
        render_probe(probe::readiness, select_checks(es.all, probe::readiness, {}), at, {});
    BOOST_TEST(!ready.ok);
    auto body = boost::json::parse(ready.body).as_object();
    BOOST_TEST(body.at("status").as_bool() == false);
    auto& db = body.at("checks").at("db").as_object();
    BOOST_TEST(db.at("status").as_bool() == false);
    BOOST_TEST(db.at("message").as_string() == "connect 127.0.0.1:1: connection refused");
    BOOST_TEST(db.at("duration_ms").as_double() == 1.5);
    BOOST_TEST(db.at("status_code").as_int64() == 503);
    BOOST_TEST(db.at("consecutive_failures").as_int64() == 1);
    BOOST_TEST(db.contains("checked_at"));
    BOOST_TEST(db.contains("since"));
    BOOST_TEST(body.at("checks").at("cache").at("status").as_bool() == true);
    BOOST_TEST(!body.at("checks").as_object().contains("boot"));

    auto excluded = render_probe(probe::readiness,
                                 select_checks(es.all, probe::readiness, {{}, {"db"}}), at, {});
    BOOST_TEST(excluded.ok);
    auto only =
        render_probe(probe::readiness, select_checks(es.all, probe::readiness, {"db", {}}), at, {});
    BOOST_TEST(boost::json::parse(only.body).at("checks").as_object().size() == 1u);

    auto live =
        render_probe(probe::liveliness, select_checks(es.all, probe::liveliness, {}), at, {});
    auto lb = boost::json::parse(live.body);
    BOOST_TEST(lb.at("checks").at("pending").at("message").as_string() == "not run yet");

    auto verbose = render_probe(probe::readiness, select_checks(es.all, probe::readiness, {}), at,
                                {.verbose = true});
    BOOST_TEST(verbose.body ==
               "[-]db failed: connect 127.0.0.1:1: connection refused\n[+]cache ok\nreadiness "
               "check failed\n");

    auto empty = render_probe(probe::startup, {}, at, {});
    BOOST_TEST(empty.ok);
    BOOST_TEST(empty.body == R"({"status":true,"checks":{}})");
}

// critical: false: the entry shows the real status, the probe's verdict ignores it, the body lists
// it in warnings while it fails, ?verbose marks it [!]; both renderings agree.
BOOST_AUTO_TEST_CASE(a_non_critical_check_warns_and_fails_no_probe) {
    entries es;
    es.add("db", {probe::readiness, probe::startup}, true);
    auto cache = es.add("cache", {probe::readiness, probe::startup}, false);
    cache->cfg.critical = false;
    auto at = moment::now();
    for (probe p : {probe::readiness, probe::startup}) {
        auto checks = select_checks(es.all, p, {});
        auto fresh = render_probe(p, checks, at, {});
        auto kept = render_probe_kept(p, checks, at, hold::none);
        BOOST_TEST(fresh.ok, probe_name(p));
        BOOST_TEST(kept.ok);
        BOOST_TEST(kept.body == fresh.body);
        auto body = boost::json::parse(fresh.body).as_object();
        BOOST_TEST(body.at("status").as_bool());
        BOOST_TEST(!body.at("checks").at("cache").at("status").as_bool());
        BOOST_TEST(boost::json::serialize(body.at("warnings")) == R"(["cache"])");
        BOOST_TEST(fresh.body.ends_with(R"(},"warnings":["cache"]})"), fresh.body);
    }
    auto verbose = render_probe(probe::readiness, select_checks(es.all, probe::readiness, {}), at,
                                {.verbose = true});
    BOOST_TEST(verbose.body ==
               "[+]db ok\n[!]cache warn: connect 127.0.0.1:1: connection refused\nreadiness "
               "check passed\n");
    // A critical failure still fails the probe; the warning stays beside it.
    auto db = es.all.front();
    db->last = failure("down");
    db->state.on_result(false, steady_clock::now());
    auto both = render_probe(probe::readiness, select_checks(es.all, probe::readiness, {}), at, {});
    BOOST_TEST(!both.ok);
    BOOST_TEST(both.body.ends_with(R"(,"warnings":["cache"]})"), both.body);
    // Passing again: no warnings key at all, the body as it always was.
    cache->last = success();
    cache->state.on_result(true, steady_clock::now());
    ++cache->runs_ok;
    auto clean = render_probe_kept(probe::readiness, select_checks(es.all, probe::readiness, {}),
                                   at, hold::none);
    BOOST_TEST(clean.body.find("warnings") == std::string::npos, clean.body);
}

BOOST_AUTO_TEST_CASE(kept_renderings_give_the_same_bodies_and_follow_new_results) {
    entries es;
    auto db = es.add("db", {probe::readiness, probe::liveliness}, false);
    es.add("cache", {probe::readiness, probe::startup}, true);
    es.add("pending", {probe::readiness, probe::liveliness}, std::nullopt);
    auto at = moment::now();
    for (probe p : {probe::readiness, probe::liveliness, probe::startup})
        for (hold h : {hold::none, hold::maintenance, hold::shutting_down})
            for (auto f :
                 {body_format::standard, body_format::health_json, body_format::microprofile}) {
                auto checks = select_checks(es.all, p, {});
                auto want = render_probe(p, checks, at, {h, f});
                auto kept = render_probe_kept(p, checks, at, h, f);
                BOOST_TEST(kept.body == want.body);
                BOOST_TEST(kept.ok == want.ok);
                BOOST_TEST(boost::json::parse(kept.body).is_object(), kept.body);
            }
    // A new result of one check: its own entry is rendered again.
    db->last = success();
    db->state.on_result(true, steady_clock::now());
    ++db->runs_ok;
    auto checks = select_checks(es.all, probe::readiness, {});
    auto kept = render_probe_kept(probe::readiness, checks, at, hold::none);
    BOOST_TEST(kept.body == render_probe(probe::readiness, checks, at, {}).body);
    BOOST_TEST(boost::json::parse(kept.body).at("checks").at("db").at("status").as_bool());
    // So is one that turned stale, without a run.
    moment later{steady_clock::now() + 1h, std::chrono::system_clock::now() + 1h};
    auto stale = render_probe_kept(probe::readiness, checks, later, hold::none);
    BOOST_TEST(stale.body == render_probe(probe::readiness, checks, later, {}).body);
    BOOST_TEST(!stale.ok);
    // The other formats' kept entries follow the same changes.
    for (auto f : {body_format::health_json, body_format::microprofile}) {
        auto e = es.add("late-" + std::to_string(static_cast<int>(f)), {probe::readiness}, false);
        auto all = select_checks(es.all, probe::readiness, {});
        BOOST_TEST(!render_probe_kept(probe::readiness, all, at, hold::none, f).ok);
        e->last = success();
        e->state.on_result(true, steady_clock::now());
        ++e->runs_ok;
        auto fresh = render_probe_kept(probe::readiness, all, at, hold::none, f);
        BOOST_TEST(fresh.body == render_probe(probe::readiness, all, at, {hold::none, f}).body);
        auto old = render_probe_kept(probe::readiness, all, later, hold::none, f);
        BOOST_TEST(old.body == render_probe(probe::readiness, all, later, {hold::none, f}).body);
        BOOST_TEST(old.body.find("stale: last run") != std::string::npos, old.body);
        es.all.pop_back();
    }
}

BOOST_AUTO_TEST_CASE(draining_fails_readiness_only) {
    entries es;
    es.add("cache", {probe::readiness, probe::liveliness}, true);
    auto at = moment::now();
    auto ready = render_probe(probe::readiness, es.all, at, {hold::shutting_down});
    BOOST_TEST(!ready.ok);
    BOOST_TEST(boost::json::parse(ready.body).at("message").as_string() == "shutting down");
    BOOST_TEST(render_probe(probe::liveliness, es.all, at, {hold::shutting_down}).ok);
}

// Maintenance, like the drain, fails readiness alone, whatever its checks say, and says so in
// every format; liveliness and startup answer as their checks do.
BOOST_AUTO_TEST_CASE(maintenance_fails_readiness_only_in_every_format) {
    entries es;
    es.add("cache", {probe::readiness, probe::liveliness, probe::startup}, true);
    auto at = moment::now();
    auto ready = render_probe(probe::readiness, es.all, at, {hold::maintenance});
    BOOST_TEST(!ready.ok);
    // The body as without maintenance, the verdict and the message aside.
    auto plain = render_probe(probe::readiness, es.all, at, {}).body;
    const std::string was = R"({"status":true,)";
    BOOST_TEST_REQUIRE(plain.starts_with(was));
    BOOST_TEST(ready.body ==
               R"({"status":false,"message":"maintenance",)" + plain.substr(was.size()));
    for (probe p : {probe::liveliness, probe::startup})
        BOOST_TEST(render_probe(p, es.all, at, {hold::maintenance}).ok, probe_name(p));
    auto health = boost::json::parse(
        render_probe(probe::readiness, es.all, at, {hold::maintenance, body_format::health_json})
            .body);
    BOOST_TEST(health.at("status").as_string() == "fail");
    BOOST_TEST(health.at("output").as_string() == "maintenance");
    auto mp = boost::json::parse(
        render_probe(probe::readiness, es.all, at, {hold::maintenance, body_format::microprofile})
            .body);
    BOOST_TEST(mp.at("status").as_string() == "DOWN");
    BOOST_TEST(boost::json::serialize(mp.at("checks").at(0)) ==
               R"({"name":"heartbeatd:maintenance","status":"DOWN","data":{"message":"maintenance"}})");
    BOOST_TEST(mp.at("checks").at(1).at("name").as_string() == "cache");
    auto verbose = render_probe(probe::readiness, es.all, at, {hold::maintenance, {}, true});
    BOOST_TEST(verbose.body.find("[-]maintenance failed: maintenance is on; SIGUSR1 again") !=
                   std::string::npos,
               verbose.body);
    BOOST_TEST(verbose.body.ends_with("readiness check failed\n"));
    // The drain wins: a pod that is stopping says so.
    auto both = render_probe(probe::readiness, es.all, at, {hold::shutting_down});
    BOOST_TEST(boost::json::parse(both.body).at("message").as_string() == "shutting down");
}

// The cache follows the hold: turning maintenance on and off changes readiness at once, not at
// the next result, and each format has its own slot.
BOOST_AUTO_TEST_CASE(the_probe_cache_follows_the_hold_and_keeps_formats_apart) {
    entries es;
    es.add("cache", {probe::readiness}, true);
    probe_cache cache;
    auto at = moment::now();
    BOOST_TEST(cache.get(es.all, 1, probe::readiness, hold::none, at).ok);
    BOOST_TEST(!cache.get(es.all, 1, probe::readiness, hold::maintenance, at).ok);
    BOOST_TEST(cache.get(es.all, 1, probe::readiness, hold::maintenance, at)
                   .body.find("\"message\":\"maintenance\"") != std::string::npos);
    BOOST_TEST(cache.get(es.all, 1, probe::readiness, hold::none, at).ok);
    auto standard = cache.get(es.all, 1, probe::readiness, hold::none, at).body;
    auto health =
        cache.get(es.all, 1, probe::readiness, hold::none, at, body_format::health_json).body;
    BOOST_TEST(health.starts_with(R"({"status":"pass")"), health);
    BOOST_TEST(cache.get(es.all, 1, probe::readiness, hold::none, at).body == standard);
    BOOST_TEST(
        cache.get(es.all, 1, probe::readiness, hold::shutting_down, at, body_format::microprofile)
            .body.starts_with(R"({"status":"DOWN")"));
}

// health+json (draft-inadarei-api-health-check-06): pass, warn for a failing non-critical check,
// fail for a critical one; each check a `name:responseTime` array with its component type, time
// in ms, the run's time, and its message only when it does not pass.
BOOST_AUTO_TEST_CASE(health_json_bodies) {
    entries es;
    auto disk = es.add("disk", {probe::readiness, probe::liveliness}, true);
    disk->cfg.spec = file_spec{"/", {}, {}, {}};
    auto cache = es.add("cache", {probe::readiness}, false);
    cache->cfg.critical = false;
    auto db = es.add("db", {probe::liveliness}, false);
    postgres_spec pg;
    pg.host = "127.0.0.1";
    db->cfg.spec = pg;
    auto job = es.add("job", {probe::startup}, std::nullopt);
    exec_spec exec;
    exec.argv = {"true"};
    job->cfg.spec = exec;
    auto at = moment::now();
    auto render = [&](probe p) {
        auto a = render_probe(p, select_checks(es.all, p, {}), at,
                              {hold::none, body_format::health_json});
        return std::pair{a.ok, boost::json::parse(a.body).as_object()};
    };
    auto [ready_ok, ready] = render(probe::readiness);
    BOOST_TEST(ready_ok);
    BOOST_TEST(ready.at("status").as_string() == "warn");
    BOOST_TEST(ready.at("output").as_string() == "non-critical checks failing: cache");
    BOOST_TEST(ready.at("description").as_string() == "heartbeatd readiness probe");
    auto& d = ready.at("checks").at("disk:responseTime").as_array().at(0).as_object();
    BOOST_TEST(d.at("componentType").as_string() == "system");
    BOOST_TEST(d.at("status").as_string() == "pass");
    BOOST_TEST(d.at("observedValue").as_double() == 1.5);
    BOOST_TEST(d.at("observedUnit").as_string() == "ms");
    BOOST_TEST(d.at("time").as_string() == rfc3339(disk->checked_at));
    BOOST_TEST(!d.contains("output"));
    auto& c = ready.at("checks").at("cache:responseTime").as_array().at(0).as_object();
    BOOST_TEST(c.at("componentType").as_string() == "component");
    BOOST_TEST(c.at("status").as_string() == "warn");
    BOOST_TEST(c.at("output").as_string() == "connect 127.0.0.1:1: connection refused");

    auto [live_ok, live] = render(probe::liveliness);
    BOOST_TEST(!live_ok);
    BOOST_TEST(live.at("status").as_string() == "fail");
    BOOST_TEST(live.at("output").as_string() == "failing: db");
    auto& p = live.at("checks").at("db:responseTime").as_array().at(0).as_object();
    BOOST_TEST(p.at("componentType").as_string() == "datastore");
    BOOST_TEST(p.at("status").as_string() == "fail");

    // Before its first result: failing, with why, and no measurement to show.
    auto [start_ok, start] = render(probe::startup);
    BOOST_TEST(!start_ok);
    auto& j = start.at("checks").at("job:responseTime").as_array().at(0).as_object();
    BOOST_TEST(j.at("componentType").as_string() == "system");
    BOOST_TEST(j.at("output").as_string() == "not run yet");
    BOOST_TEST(!j.contains("observedValue"));
    BOOST_TEST(!j.contains("time"));

    auto all_pass =
        render_probe(probe::readiness, {disk}, at, {hold::none, body_format::health_json});
    BOOST_TEST(boost::json::parse(all_pass.body).at("status").as_string() == "pass");
    BOOST_TEST(!boost::json::parse(all_pass.body).as_object().contains("output"));
}

// MicroProfile Health 3.x: UP or DOWN by the probe's verdict, a check list with the entry's facts
// in data (structured values as their JSON text: data takes only strings, numbers and booleans).
BOOST_AUTO_TEST_CASE(microprofile_bodies) {
    entries es;
    auto cache = es.add("cache", {probe::readiness}, false);
    cache->cfg.critical = false;
    cache->last.data["nested"] = boost::json::object{{"a", 1}};
    auto db = es.add("db", {probe::liveliness}, false);
    auto at = moment::now();
    auto ready = render_probe(probe::readiness, select_checks(es.all, probe::readiness, {}), at,
                              {hold::none, body_format::microprofile});
    BOOST_TEST(ready.ok);
    auto body = boost::json::parse(ready.body);
    BOOST_TEST(body.at("status").as_string() == "UP");
    // The top status is the AND of the entries': the failing non-critical check is UP, with a
    // warning and its message in data.
    auto& entry = body.at("checks").at(0).as_object();
    BOOST_TEST(entry.at("name").as_string() == "cache");
    BOOST_TEST(entry.at("status").as_string() == "UP");
    auto& data = entry.at("data").as_object();
    BOOST_TEST(data.at("message").as_string() == "connect 127.0.0.1:1: connection refused");
    BOOST_TEST(data.at("critical").as_bool() == false);
    BOOST_TEST(data.at("warning").as_bool() == true);
    BOOST_TEST(data.at("nested").as_string() == R"({"a":1})");
    BOOST_TEST(!data.contains("status"));
    for (const auto& [k, v] : data) BOOST_TEST(!v.is_structured(), k);
    auto live = render_probe(probe::liveliness, {db}, at, {hold::none, body_format::microprofile});
    BOOST_TEST(!live.ok);
    BOOST_TEST(boost::json::parse(live.body).at("status").as_string() == "DOWN");
    BOOST_TEST(boost::json::parse(live.body).at("checks").at(0).at("status").as_string() == "DOWN");
    BOOST_TEST(!boost::json::parse(live.body).at("checks").at(0).at("data").as_object().contains(
        "warning"));
}

BOOST_AUTO_TEST_CASE(stale_results_fail_with_a_reason_and_startup_latches) {
    entries es;
    auto e = es.add("cache", {probe::readiness, probe::startup}, true, 1s);
    moment later{steady_clock::now() + 10s, std::chrono::system_clock::now() + 10s};
    auto o = check_json(*e, probe::readiness, later);
    BOOST_TEST(o.at("status").as_bool() == false);
    BOOST_TEST(
        o.at("message").as_string().starts_with("stale: last run 10s ago, expected every 1s"));
    BOOST_TEST(check_json(*e, probe::startup, later).at("status").as_bool() == true);
    e->state.on_result(false, steady_clock::now());
    BOOST_TEST(check_json(*e, probe::startup, moment::now()).at("status").as_bool() == true);
}
