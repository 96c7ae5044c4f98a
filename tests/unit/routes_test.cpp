#define BOOST_TEST_MODULE routes
#include <boost/test/unit_test.hpp>

#include "heartbeat/http/routes.hpp"

using namespace heartbeat;
using namespace heartbeat::http;
using bhttp::verb;

namespace {
server_config srv;

route get(std::string_view target) {
    return parse_route(verb::get, target, srv);
}

/** A state with fixed answers: readiness passes with checks a and b; liveliness fails. */
class fake_state final : public state_view {
  public:
    mutable std::vector<route> asked;
    bool has_check(probe p, const std::string& name) const override {
        return p == probe::readiness && (name == "a" || name == "b");
    }
    probe_answer answer(const route& r) const override {
        asked.push_back(r);
        if (r.verbose) return {r.which == probe::readiness, "[+]a ok\nreadiness check passed\n"};
        return {r.which == probe::readiness, R"({"status":true,"checks":{}})"};
    }
    std::string environ() const override { return R"({"status":false})"; }
    std::string metrics() const override { return "heartbeat_build_info{version=\"x\"} 1\n"; }
};
}  // namespace

BOOST_AUTO_TEST_CASE(probe_paths) {
    BOOST_TEST((get("/.well-known/heartbeat/readiness").what == route::kind::probe));
    BOOST_TEST((get("/.well-known/heartbeat/readiness/").which == probe::readiness));
    BOOST_TEST((get("/.well-known/heartbeat/liveliness").which == probe::liveliness));
    BOOST_TEST((get("/.well-known/heartbeat/liveness").which == probe::liveliness));
    BOOST_TEST((get("/.well-known/heartbeat/startup").which == probe::startup));
    BOOST_TEST((get("/.well-known/heartbeat/environ").what == route::kind::environ));
    BOOST_TEST((get("/metrics").what == route::kind::metrics));
    BOOST_TEST((get("/metrics/").what == route::kind::metrics));
}

BOOST_AUTO_TEST_CASE(unknown_paths_are_not_found) {
    for (auto t :
         {"/", "/.well-known/heartbeat", "/.well-known/heartbeat/", "/.well-known/heartbeat/ready",
          "/.well-known/heartbeatx/readiness", "/.well-known/heartbeat/readiness/a/b",
          "/.well-known/heartbeat/readiness//", "/metricsx", "readiness", ""})
        BOOST_TEST((get(t).what == route::kind::not_found), t);
}

BOOST_AUTO_TEST_CASE(per_check_paths_and_queries) {
    auto r = get("/.well-known/heartbeat/readiness/database");
    BOOST_TEST(r.select.only.value() == "database");
    auto e = get("/.well-known/heartbeat/readiness?exclude=a&exclude=b%2Dc&exclude=d,e");
    BOOST_TEST((e.select.exclude == std::vector<std::string>{"a", "b-c", "d", "e"}));
    BOOST_TEST(!e.verbose);
    BOOST_TEST(get("/.well-known/heartbeat/readiness?verbose").verbose);
    BOOST_TEST(get("/.well-known/heartbeat/readiness?verbose=1").verbose);
    BOOST_TEST(!get("/.well-known/heartbeat/readiness?verbose=false").verbose);
    BOOST_TEST(get("/.well-known/heartbeat/readiness/?verbose&exclude=x").verbose);
    auto env_check = get("/.well-known/heartbeat/environ/versions");
    BOOST_TEST((env_check.what == route::kind::probe));
    BOOST_TEST((env_check.which == probe::environ));
}

BOOST_AUTO_TEST_CASE(methods) {
    BOOST_TEST(parse_route(verb::head, "/.well-known/heartbeat/readiness", srv).head);
    for (auto m : {verb::post, verb::put, verb::delete_, verb::options, verb::patch})
        BOOST_TEST((parse_route(m, "/.well-known/heartbeat/readiness", srv).what ==
                    route::kind::method_not_allowed));
    // An unknown path stays 404 whatever the method.
    BOOST_TEST((parse_route(verb::post, "/nope", srv).what == route::kind::not_found));
}

BOOST_AUTO_TEST_CASE(configured_base_and_metrics_paths) {
    server_config s;
    s.base_path = "/health";
    s.metrics_path = "/internal/metrics";
    BOOST_TEST((parse_route(verb::get, "/health/readiness", s).what == route::kind::probe));
    BOOST_TEST((parse_route(verb::get, "/.well-known/heartbeat/readiness", s).what ==
                route::kind::not_found));
    BOOST_TEST((parse_route(verb::get, "/internal/metrics", s).what == route::kind::metrics));
    BOOST_TEST((parse_route(verb::get, "/metrics", s).what == route::kind::not_found));
}

BOOST_AUTO_TEST_CASE(responses_carry_status_headers_and_body) {
    fake_state st;
    auto ok = respond(get("/.well-known/heartbeat/readiness"), st, 11, true);
    BOOST_TEST(ok.result_int() == 200);
    BOOST_TEST(ok[bhttp::field::content_type] == "application/json");
    BOOST_TEST(ok[bhttp::field::cache_control] == "no-store");
    BOOST_TEST(ok.body() == R"({"status":true,"checks":{}})");
    BOOST_TEST(ok.keep_alive());

    auto bad = respond(get("/.well-known/heartbeat/liveliness"), st, 11, false);
    BOOST_TEST(bad.result_int() == 500);
    BOOST_TEST(!bad.keep_alive());

    auto env = respond(get("/.well-known/heartbeat/environ"), st, 11, true);
    BOOST_TEST(env.result_int() == 200);  // environ describes; it never fails the request

    auto nf = respond(get("/nope"), st, 11, true);
    BOOST_TEST(nf.result_int() == 404);
    BOOST_TEST(nf[bhttp::field::content_type] == "application/json");

    auto na =
        respond(parse_route(verb::post, "/.well-known/heartbeat/readiness", srv), st, 11, true);
    BOOST_TEST(na.result_int() == 405);
    BOOST_TEST(na[bhttp::field::allow] == "GET, HEAD");

    auto m = respond(get("/metrics"), st, 11, true);
    BOOST_TEST(m[bhttp::field::content_type] == "text/plain; version=0.0.4; charset=utf-8");
}

BOOST_AUTO_TEST_CASE(head_has_the_headers_of_get_and_no_body) {
    fake_state st;
    auto g = respond(get("/.well-known/heartbeat/readiness"), st, 11, true);
    auto h =
        respond(parse_route(verb::head, "/.well-known/heartbeat/readiness", srv), st, 11, true);
    BOOST_TEST(h.result_int() == g.result_int());
    BOOST_TEST(h.body().empty());
    BOOST_TEST(h[bhttp::field::content_length] == g[bhttp::field::content_length]);
    BOOST_TEST(h[bhttp::field::content_type] == g[bhttp::field::content_type]);
}

BOOST_AUTO_TEST_CASE(per_check_of_an_unknown_check_is_404_and_asks_nothing) {
    fake_state st;
    auto r = respond(get("/.well-known/heartbeat/readiness/zzz"), st, 11, true);
    BOOST_TEST(r.result_int() == 404);
    BOOST_TEST(st.asked.empty());
    auto k = respond(get("/.well-known/heartbeat/readiness/a"), st, 11, true);
    BOOST_TEST(k.result_int() == 200);
    BOOST_TEST(st.asked.at(0).select.only.value() == "a");
    auto l = respond(get("/.well-known/heartbeat/liveliness/a"), st, 11, true);
    BOOST_TEST(l.result_int() == 404);
}

BOOST_AUTO_TEST_CASE(verbose_is_plain_text) {
    fake_state st;
    auto r = respond(get("/.well-known/heartbeat/readiness?verbose"), st, 11, true);
    BOOST_TEST(r[bhttp::field::content_type] == "text/plain; charset=utf-8");
    BOOST_TEST(r.body().ends_with("readiness check passed\n"));
}

BOOST_AUTO_TEST_CASE(http_10_is_answered_in_kind) {
    fake_state st;
    auto r = respond(get("/.well-known/heartbeat/readiness"), st, 10, false);
    BOOST_TEST(r.version() == 10u);
    BOOST_TEST(!r.keep_alive());
}

// Content negotiation: health+json only when the Accept header ranks it above plain JSON; anything
// else, including a header that accepts neither, gets the default body (a probe never gets 406).
BOOST_AUTO_TEST_CASE(accept_chooses_health_json_only_when_it_ranks_first) {
    auto f = [](std::string_view accept) { return negotiate_format(accept); };
    const auto health = body_format::health_json, standard = body_format::standard;
    BOOST_TEST((f("") == standard));
    BOOST_TEST((f("*/*") == standard));
    BOOST_TEST((f("application/json") == standard));
    BOOST_TEST((f("application/*") == standard));
    BOOST_TEST((f("text/html") == standard));
    BOOST_TEST((f("application/health+json") == health));
    BOOST_TEST((f("Application/Health+JSON") == health));
    BOOST_TEST((f("application/health+json, */*;q=0.8") == health));
    BOOST_TEST((f("application/health+json, */*") == health));  // named, it wins a tie
    BOOST_TEST((f("application/health+json, application/json") == health));
    BOOST_TEST((f("application/json, application/health+json;q=0.5") == standard));
    BOOST_TEST((f("application/health+json;q=0.9, application/json;q=0.8") == health));
    BOOST_TEST((f("application/health+json;q=0") == standard));
    BOOST_TEST((f("application/health+json ; q=1.0 ; charset=utf-8") == health));
    BOOST_TEST((f("application/health+json;q=high") == standard));
    BOOST_TEST((f("application/health+json;q=nan") == standard));
    BOOST_TEST((f("application/health+json;q = 0.1, application/json;q=0.5") == standard));
    BOOST_TEST((f("application/json;q=0, */*") == health));  // plain JSON refused outright
    BOOST_TEST((f("application/health+json;q=2") == standard));
    BOOST_TEST((f("application/health+jsonx") == standard));
    BOOST_TEST((f(",,;;/") == standard));
}

// ?format= wins over ?verbose, which wins over Accept; `+` in the query stays a plus.
BOOST_AUTO_TEST_CASE(the_format_query_wins_over_verbose_and_accept) {
    const std::string ready = "/.well-known/heartbeat/readiness";
    auto route_of = [&](std::string query, std::string_view accept = {}) {
        return parse_route(verb::get, ready + query, srv, accept);
    };
    BOOST_TEST((route_of("?format=health+json").format == body_format::health_json));
    BOOST_TEST((route_of("?format=health%2Bjson").format == body_format::health_json));
    BOOST_TEST((route_of("?format=microprofile").format == body_format::microprofile));
    BOOST_TEST(
        (route_of("?format=json", "application/health+json").format == body_format::standard));
    BOOST_TEST((route_of("?format=nonsense").format == body_format::standard));
    BOOST_TEST((route_of("", "application/health+json").format == body_format::health_json));
    auto verbose = route_of("?verbose", "application/health+json");
    BOOST_TEST(verbose.verbose);
    BOOST_TEST((verbose.format == body_format::standard));
    auto both = route_of("?verbose&format=microprofile");
    BOOST_TEST(!both.verbose);
    BOOST_TEST((both.format == body_format::microprofile));
    // Per-check paths take it too.
    BOOST_TEST((route_of("/a?format=microprofile").format == body_format::microprofile));
}

// health+json has its own media type; MicroProfile answers 503 when down, as its specification
// says; the default body keeps 500.
BOOST_AUTO_TEST_CASE(each_format_has_its_content_type_and_status_codes) {
    fake_state st;
    const std::string base = "/.well-known/heartbeat";
    auto res = [&](const std::string& target, std::string_view accept = {}) {
        return respond(parse_route(verb::get, target, srv, accept), st, 11, true);
    };
    auto health = res(base + "/readiness", "application/health+json");
    BOOST_TEST(health.result_int() == 200);
    BOOST_TEST(health[bhttp::field::content_type] == "application/health+json");
    BOOST_TEST(res(base + "/liveliness?format=health+json").result_int() == 500);
    auto up = res(base + "/readiness?format=microprofile");
    BOOST_TEST(up.result_int() == 200);
    BOOST_TEST(up[bhttp::field::content_type] == "application/json");
    BOOST_TEST(res(base + "/liveliness?format=microprofile").result_int() == 503);
    BOOST_TEST(res(base + "/liveliness", "text/html").result_int() == 500);
    BOOST_TEST(res(base + "/liveliness", "text/html")[bhttp::field::content_type] ==
               "application/json");
    BOOST_TEST((st.asked.at(0).format == body_format::health_json));
}
