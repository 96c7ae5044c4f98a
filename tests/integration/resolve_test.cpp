#define BOOST_TEST_MODULE resolve
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <regex>

#include "child.hpp"
#include "dnsmasq.hpp"
#include "heartbeat/net/hosts_file.hpp"
#include "heartbeat/net/resolve.hpp"
#include "loopback.hpp"
#include "procfs.hpp"
#include "skip.hpp"

using namespace heartbeat;
using namespace heartbeat::test;
using namespace std::chrono_literals;

namespace {

/** The records the tests look up: a service in a namespace's search domains, as Kubernetes. */
std::vector<std::string> cluster_records() {
    return host_records({"db.svc.test,127.0.0.7", "web.ns1.svc.test,127.0.0.8,::1"});
}

/** A resolv.conf as the kubelet writes it for a pod in namespace `ns1`, naming a loopback
 * server (asked at `resolve_options::dns_port`). */
std::string kubernetes_resolv_conf(int ndots = 5) {
    return "nameserver 127.0.0.1\nsearch ns1.svc.test svc.test test\noptions ndots:" +
           std::to_string(ndots) + "\n";
}

struct fixture {
    temp_dir dir;
    resolve_options options;

    /** Options that read `resolv_conf` and `hosts` (the texts) and ask DNS at `port`. */
    fixture(const std::string& resolv_conf, std::uint16_t port, const std::string& hosts = "") {
        options.resolv_conf = dir.write("resolv.conf", resolv_conf);
        options.hosts = dir.write("hosts", hosts);
        options.dns_port = port;
    }
};

net::awaitable<void> resolve_into(std::optional<resolve_outcome>* out, std::string host,
                                  steady_clock::time_point deadline, resolve_options options) {
    *out = co_await resolve_until(std::move(host), "80", deadline, std::move(options));
}

net::awaitable<void> resolve_with_defaults_into(std::optional<resolve_outcome>* out,
                                                std::string host) {
    *out = co_await resolve_until(std::move(host), "80", steady_clock::now() + 5s);
}

/** Resolves `host` on an io_context of its own, in this thread. */
resolve_outcome resolve(const std::string& host, const resolve_options& options,
                        duration timeout = 5s) {
    net::io_context ctx;
    std::optional<resolve_outcome> out;
    net::co_spawn(ctx, resolve_into(&out, host, steady_clock::now() + timeout, options),
                  net::detached);
    ctx.run();
    BOOST_TEST_REQUIRE(out.has_value());
    return std::move(*out);
}

std::vector<std::string> addresses(const resolve_outcome& r) {
    std::vector<std::string> out;
    for (const auto& e : r.endpoints) out.push_back(e.endpoint().address().to_string());
    return out;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

/** Threads of this process now (entries of /proc/self/task). */
int threads_now() {
    int n = 0;
    if (DIR* d = ::opendir("/proc/self/task")) {
        while (dirent* e = ::readdir(d))
            if (e->d_name[0] != '.') ++n;
        ::closedir(d);
    }
    return n;
}

net::awaitable<void> count_threads_after(int* out, duration pause) {
    net::steady_timer t(co_await net::this_coro::executor, pause);
    co_await t.async_wait(use_nothrow);
    *out = threads_now();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hosts_file)

BOOST_AUTO_TEST_CASE(names_and_aliases_match_in_any_case_comments_ignored) {
    std::string text =
        "# comment 127.0.0.1 db\n127.0.0.9\tcache.internal  cache # the cache\n"
        "::1 cache6 CACHE\n127.0.0.9 cache\nnot-an-address cache\n10.0.0.1\n";
    auto a = addresses_in_hosts(text, "Cache");
    BOOST_TEST_REQUIRE(a.size() == 2u);
    BOOST_TEST(a[0].to_string() == "127.0.0.9");
    BOOST_TEST(a[1].to_string() == "::1");
    BOOST_TEST(addresses_in_hosts(text, "cache.internal.").size() == 1u);
    BOOST_TEST(addresses_in_hosts(text, "db").empty());
    BOOST_TEST(addresses_in_hosts(text, "internal").empty());
}

BOOST_AUTO_TEST_CASE(localhost_is_loopback_whatever_the_file_says) {
    BOOST_TEST(localhost_addresses("LocalHost.").size() == 2u);
    BOOST_TEST(localhost_addresses("localhost.example").empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(through_dns, *skip_if(no_dnsmasq))

BOOST_AUTO_TEST_CASE(a_short_name_is_found_through_a_search_domain_with_ndots_5) {
    dnsmasq dns(cluster_records());
    fixture f(kubernetes_resolv_conf(), dns.port());
    auto r = resolve("db", f.options);
    BOOST_TEST_REQUIRE(!r.ec, r.ec.message());
    BOOST_TEST(addresses(r) == std::vector<std::string>{"127.0.0.7"});
    BOOST_TEST(r.endpoints.begin()->endpoint().port() == 80);
    // ndots:5 puts the search domains first for a name with dots too: "web.ns1" is found as
    // web.ns1.svc.test; asked as it stands first (ndots:1), the server refuses it.
    auto web = resolve("web.ns1", f.options);
    BOOST_TEST_REQUIRE(!web.ec, web.ec.message());
    BOOST_TEST(has(addresses(web), "127.0.0.8"));
    BOOST_TEST(has(addresses(web), "::1"));
    BOOST_TEST(dns.log().find("query[A] db.ns1.svc.test") != std::string::npos, dns.log());
    fixture one_dot(kubernetes_resolv_conf(1), dns.port());
    BOOST_TEST(resolve("web.ns1", one_dot.options).ec);
}

BOOST_AUTO_TEST_CASE(the_hosts_file_at_its_injected_path_answers_before_dns) {
    dnsmasq dns(cluster_records());
    fixture f(kubernetes_resolv_conf(), dns.port(),
              "127.0.0.1 localhost\n127.0.0.9 cache.internal cache\n127.0.0.10 db\n");
    auto cache = resolve("cache", f.options);
    BOOST_TEST_REQUIRE(!cache.ec, cache.ec.message());
    BOOST_TEST(addresses(cache) == std::vector<std::string>{"127.0.0.9"});
    auto db = resolve("DB", f.options);  // DNS knows db too (db.svc.test): the file comes first
    BOOST_TEST(addresses(db) == std::vector<std::string>{"127.0.0.10"});
    BOOST_TEST(dns.log().find("] cache") == std::string::npos, dns.log());
}

BOOST_AUTO_TEST_CASE(nxdomain_says_no_such_host) {
    dnsmasq dns(cluster_records());
    fixture f(kubernetes_resolv_conf(), dns.port());
    auto r = resolve("missing.svc.test", f.options);
    BOOST_TEST(!r.timed_out);
    BOOST_TEST(resolve_failure(r, 5s, "missing.svc.test") ==
               "resolve missing.svc.test: no such host");
}

BOOST_AUTO_TEST_CASE(a_server_that_refuses_is_a_server_failure) {
    dnsmasq dns(cluster_records());
    fixture f("nameserver 127.0.0.1\noptions attempts:2\n", dns.port());
    auto r = resolve("elsewhere.example.", f.options);
    BOOST_TEST(!r.timed_out);
    auto why = resolve_failure(r, 5s, "elsewhere.example.");
    BOOST_TEST(why.rfind("resolve elsewhere.example.: server failure: ", 0) == 0u, why);
}

// 40 A records do not fit the 512 bytes of a plain UDP answer: the server sets TC and c-ares asks
// again over TCP, whose answer it reads in several steps from one readiness.
BOOST_AUTO_TEST_CASE(a_truncated_answer_is_fetched_again_over_tcp) {
    std::vector<std::string> records;
    for (int i = 1; i <= 40; ++i) records.push_back("big.test,127.0.1." + std::to_string(i));
    dnsmasq dns(host_records(records));
    fixture f(kubernetes_resolv_conf(), dns.port());
    int fds_before = open_fds();
    auto r = resolve("big.test.", f.options);
    BOOST_TEST_REQUIRE(!r.ec, r.ec.message());
    BOOST_TEST(r.endpoints.size() == 40u);
    BOOST_TEST(has(addresses(r), "127.0.1.40"));
    BOOST_TEST(open_fds() == fds_before);
}

BOOST_AUTO_TEST_CASE(many_concurrent_lookups_all_answer_and_leave_no_descriptor) {
    dnsmasq dns(cluster_records());
    fixture f(kubernetes_resolv_conf(), dns.port());
    int fds_before = open_fds();
    constexpr int n = 100;
    std::vector<std::optional<resolve_outcome>> out(n);
    {
        net::io_context ctx;  // its own descriptors (epoll, eventfd, timerfd) go with it
        auto deadline = steady_clock::now() + 20s;
        for (int i = 0; i < n; ++i)
            net::co_spawn(ctx, resolve_into(&out[i], i % 2 ? "db" : "web.ns1", deadline, f.options),
                          net::detached);
        ctx.run();
    }
    int answered = 0;
    for (int i = 0; i < n; ++i)
        if (out[i] && !out[i]->ec && !out[i]->timed_out &&
            has(addresses(*out[i]), i % 2 ? "127.0.0.7" : "127.0.0.8"))
            ++answered;
    BOOST_TEST(answered == n);
    BOOST_TEST(open_fds() == fds_before);
}

BOOST_AUTO_TEST_SUITE_END()

// A server that never answers: the lookup ends at the caller's deadline, with no thread made to
// wait for it and its socket closed.
BOOST_AUTO_TEST_CASE(a_silent_server_fails_the_lookup_at_its_deadline_with_no_thread) {
    int fds_before = open_fds();
    std::uint16_t port = 0;
    int silent = udp_socket_on_loopback(port);
    BOOST_TEST_REQUIRE(silent >= 0);
    fixture f(kubernetes_resolv_conf() + "options timeout:5 attempts:2\n", port);
    int threads_before = threads_now(), threads_during = -1;
    std::optional<resolve_outcome> out;
    auto start = steady_clock::now();
    {
        net::io_context ctx;
        net::co_spawn(ctx, resolve_into(&out, "db", start + 500ms, f.options), net::detached);
        net::co_spawn(ctx, count_threads_after(&threads_during, 250ms), net::detached);
        ctx.run();
    }
    auto took = steady_clock::now() - start;
    BOOST_TEST_REQUIRE(out.has_value());
    BOOST_TEST(out->timed_out);
    BOOST_TEST(resolve_failure(*out, 500ms, "db") == "timed out after 500ms resolving db");
    BOOST_TEST(took >= 500ms);
    BOOST_TEST(took < 800ms);
    BOOST_TEST(threads_during == threads_before);
    BOOST_TEST(threads_now() == threads_before);
    char query[512];
    BOOST_TEST(::recv(silent, query, sizeof query, MSG_DONTWAIT) > 0);  // it was asked
    ::close(silent);
    BOOST_TEST(open_fds() == fds_before);
}

// The io_context goes away with a lookup in flight (the daemon exits): the channel is destroyed
// with it, and nothing is left open.
BOOST_AUTO_TEST_CASE(a_lookup_in_flight_goes_with_its_io_context) {
    std::uint16_t port = 0;
    int silent = udp_socket_on_loopback(port);
    BOOST_TEST_REQUIRE(silent >= 0);
    fixture f(kubernetes_resolv_conf(), port);
    int fds_before = open_fds();
    std::optional<resolve_outcome> out;
    {
        net::io_context ctx;
        net::co_spawn(ctx, resolve_into(&out, "db", steady_clock::now() + 30s, f.options),
                      net::detached);
        // Until the query's socket is open (at most 10 s): the lookup is then in flight.
        auto until = steady_clock::now() + 10s;
        while (open_fds() <= fds_before && steady_clock::now() < until) ctx.run_one_for(10ms);
        BOOST_TEST(open_fds() > fds_before);
    }
    BOOST_TEST(!out.has_value());
    BOOST_TEST(open_fds() == fds_before);
    ::close(silent);
}

BOOST_AUTO_TEST_CASE(a_literal_address_needs_no_configuration) {
    resolve_options nowhere{"/nonexistent/resolv.conf", "/nonexistent/hosts", 0};
    auto r = resolve("::1", nowhere, 1ms);
    BOOST_TEST_REQUIRE(!r.ec);
    BOOST_TEST(addresses(r) == std::vector<std::string>{"::1"});
    auto l = resolve("localhost", nowhere);
    BOOST_TEST(addresses(l) == (std::vector<std::string>{"127.0.0.1", "::1"}));
}

// What tcp and http checks call: the system's files, through the overload without options.
BOOST_AUTO_TEST_CASE(the_system_configuration_answers_literals_and_localhost) {
    for (std::string host : {"127.0.0.1", "localhost"}) {
        std::optional<resolve_outcome> out;
        net::io_context ctx;
        net::co_spawn(ctx, resolve_with_defaults_into(&out, host), net::detached);
        ctx.run();
        BOOST_TEST_REQUIRE(out.has_value());
        BOOST_TEST(!out->ec, out->ec.message());
        BOOST_TEST(has(addresses(*out), "127.0.0.1"), host);
    }
}
