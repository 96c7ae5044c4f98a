#define BOOST_TEST_MODULE dns
// dns checks against Debian's dnsmasq on loopback, a responder that answers SERVFAIL, and a server
// that never answers.
#include <boost/test/unit_test.hpp>

#include <dirent.h>
#include <unistd.h>

#include <array>
#include <optional>

#include <boost/asio/ip/udp.hpp>

#include "child.hpp"
#include "dnsmasq.hpp"
#include "heartbeat/checks/dns/run.hpp"
#include "loopback.hpp"
#include "procfs.hpp"
#include "run_check.hpp"
#include "skip.hpp"

using namespace heartbeat;
using namespace heartbeat::test;
using namespace std::chrono_literals;

namespace {

/** One record of each type, and names that have none. */
std::vector<std::string> zone() {
    return {"--host-record=a.test,127.0.0.5",
            "--host-record=a.test,127.0.0.6",
            "--host-record=six.test,::1",
            "--cname=www.test,a.test",
            "--mx-host=mx.test,mail.test,10",
            "--mx-host=mx.test,mail2.test,20",
            "--srv-host=_ldap._tcp.test,ldap.test,389,1,2",
            "--txt-record=txt.test,v=spf1 -all,second part"};
}

dns_spec at(std::uint16_t port, std::string query, dns_record record,
            std::vector<std::string> expect = {}) {
    dns_spec s;
    s.query = std::move(query);
    s.record = record;
    s.server = dns_spec::server_address{"127.0.0.1", port};
    s.expect = std::move(expect);
    return s;
}

std::vector<std::string> answers(const check_result& r) {
    std::vector<std::string> out;
    if (auto* a = r.facts.if_contains("answers"))
        for (const auto& v : a->as_array()) out.emplace_back(v.as_string());
    std::sort(out.begin(), out.end());
    return out;
}

/** The check as the daemon runs it. */
check_result run(const dns_spec& s, duration timeout = 5s) {
    return run_once(make_check(s, timeout)).result;
}

net::awaitable<void> run_into(std::optional<check_result>* out, dns_spec s, duration timeout,
                              resolve_options options) {
    *out =
        co_await run_dns(std::move(s), timeout, steady_clock::now() + timeout, std::move(options));
}

/** The check with the resolver's files and DNS port from `options`, on an io_context of its own. */
check_result run_with(const dns_spec& s, const resolve_options& options, duration timeout = 5s) {
    net::io_context ctx;
    std::optional<check_result> out;
    net::co_spawn(ctx, run_into(&out, s, timeout, options), net::detached);
    ctx.run();
    BOOST_TEST_REQUIRE(out.has_value());
    return std::move(*out);
}

/** Answers every question it gets with SERVFAIL, until its socket is closed. */
net::awaitable<void> answer_servfail(net::ip::udp::socket* socket) {
    std::array<unsigned char, 512> buf{};
    for (;;) {
        net::ip::udp::endpoint from;
        auto [ec, n] = co_await socket->async_receive_from(net::buffer(buf), from, use_nothrow);
        if (ec) co_return;
        if (n < 12) continue;
        buf[2] |= 0x80;                                            // QR: a response
        buf[3] = static_cast<unsigned char>((buf[3] & 0xf0) | 2);  // RCODE 2: SERVFAIL
        co_await socket->async_send_to(net::buffer(buf.data(), n), from, use_nothrow);
    }
}

net::awaitable<void> run_then_close(std::optional<check_result>* out, dns_spec s,
                                    net::ip::udp::socket* socket) {
    // A named local, not a temporary in the co_await expression: g++ 12 would destroy that twice.
    resolve_options system;
    *out = co_await run_dns(std::move(s), 2s, steady_clock::now() + 2s, system);
    socket->close();
}

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

BOOST_AUTO_TEST_SUITE(against_dnsmasq, *skip_if(no_dnsmasq))

BOOST_AUTO_TEST_CASE(every_record_type_answers_in_its_text_form_and_meets_expect) {
    dnsmasq dns(zone());
    int fds_before = open_fds();
    struct want {
        dns_spec spec;
        std::vector<std::string> answers;
    };
    auto p = dns.port();
    std::vector<want> cases{
        {at(p, "a.test", dns_record::a, {"127.0.0.6"}), {"127.0.0.5", "127.0.0.6"}},
        {at(p, "six.test", dns_record::aaaa, {"0::1"}), {"::1"}},
        {at(p, "www.test", dns_record::cname, {"A.test."}), {"a.test"}},
        {at(p, "mx.test", dns_record::mx, {"10 mail.test", "mail2.test"}),
         {"10 mail.test", "20 mail2.test"}},
        {at(p, "_ldap._tcp.test", dns_record::srv, {"1 2 389 ldap.test", "ldap.test:389"}),
         {"1 2 389 ldap.test"}},
        {at(p, "txt.test", dns_record::txt, {"v=spf1 -allsecond part"}),
         {"v=spf1 -allsecond part"}}};
    for (const auto& c : cases) {
        auto r = run(c.spec);
        BOOST_TEST_CONTEXT(c.spec.query << " " << record_name(c.spec.record)) {
            BOOST_TEST(r.ok, r.message);
            BOOST_TEST(r.message == "ok");
            BOOST_TEST(answers(r) == c.answers, boost::test_tools::per_element());
        }
    }
    BOOST_TEST(open_fds() == fds_before);
}

BOOST_AUTO_TEST_CASE(an_unmet_expectation_fails_with_the_answers_in_message_and_facts) {
    dnsmasq dns(zone());
    auto r = run(at(dns.port(), "a.test", dns_record::a, {"10.0.0.9"}));
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.message.starts_with("expected 10.0.0.9 among the answers; got 127.0.0."),
               r.message);
    BOOST_TEST(answers(r) == (std::vector<std::string>{"127.0.0.5", "127.0.0.6"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(nxdomain_no_data_and_refused_each_say_so) {
    dnsmasq dns(zone());
    auto p = dns.port();
    auto nx = run(at(p, "missing.test", dns_record::a));
    BOOST_TEST(nx.message == "no such name: missing.test");
    auto nodata = run(at(p, "a.test", dns_record::mx));
    BOOST_TEST(nodata.message == "a.test has no MX records");
    BOOST_TEST(!nodata.facts.contains("answers"));
    // An A question for a name that is only an alias of a name outside the zone.
    auto refused = run(at(p, "elsewhere.example", dns_record::a));
    BOOST_TEST(refused.message ==
               "the server failed: REFUSED (127.0.0.1:" + std::to_string(p) + ")");
    for (const auto* r : {&nx, &nodata, &refused}) BOOST_TEST(!r->ok);
}

// Without `server`: resolv.conf's one server, search domains and ndots, as a pod's lookups; with
// it, the name as written.
BOOST_AUTO_TEST_CASE(the_systems_resolver_searches_a_named_server_does_not) {
    dnsmasq dns(zone());
    temp_dir dir;
    resolve_options o;
    o.resolv_conf = dir.write("resolv.conf",
                              "nameserver 127.0.0.1\nsearch ns1.test test\n"
                              "options ndots:5\n");
    o.hosts = dir.write("hosts", "127.0.0.1 dns.local\n");
    o.dns_port = dns.port();
    dns_spec system;
    system.query = "a";
    auto r = run_with(system, o);
    BOOST_TEST(r.ok, r.message);
    BOOST_TEST(answers(r) == (std::vector<std::string>{"127.0.0.5", "127.0.0.6"}),
               boost::test_tools::per_element());
    BOOST_TEST(dns.log().find("query[A] a.ns1.test") != std::string::npos, dns.log());
    // The one server's REFUSED is said as such, as when it is named.
    system.query = "elsewhere.example.";
    BOOST_TEST(run_with(system, o).message ==
               "the server failed: REFUSED (127.0.0.1:" + std::to_string(dns.port()) + ")");
    // A server named by a host name: found in the hosts file, then asked "a" as written.
    dns_spec named = at(dns.port(), "a", dns_record::a);
    named.server->host = "dns.local";
    BOOST_TEST(run_with(named, o).message == "no such name: a");
}

// Two servers in resolv.conf, both failing (one refuses the question, nothing listens at the
// other): each is tried, as the C library would, and the message says each failed.
BOOST_AUTO_TEST_CASE(when_every_server_of_several_fails_the_message_names_them) {
    dnsmasq dns(zone());
    temp_dir dir;
    resolve_options o;
    o.resolv_conf = dir.write("resolv.conf",
                              "nameserver 127.0.0.1\nnameserver 127.0.0.2\n"
                              "options attempts:1\n");
    o.dns_port = dns.port();
    dns_spec s;
    s.query = "elsewhere.example.";
    auto port = std::to_string(dns.port());
    BOOST_TEST(run_with(s, o).message == "the servers failed: 127.0.0.1:" + port +
                                             " and 127.0.0.2:" + port +
                                             " each answered SERVFAIL or REFUSED, or refused "
                                             "the connection");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(a_servfail_answer_is_a_server_failure) {
    net::io_context ctx;
    net::ip::udp::socket socket(ctx, net::ip::udp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    auto port = socket.local_endpoint().port();
    std::optional<check_result> out;
    net::co_spawn(ctx, answer_servfail(&socket), net::detached);
    net::co_spawn(ctx, run_then_close(&out, at(port, "x.test", dns_record::srv), &socket),
                  net::detached);
    ctx.run();
    BOOST_TEST_REQUIRE(out.has_value());
    BOOST_TEST(!out->ok);
    BOOST_TEST(out->message ==
               "the server failed: SERVFAIL (127.0.0.1:" + std::to_string(port) + ")");
}

BOOST_AUTO_TEST_CASE(a_port_where_nothing_listens_refuses_at_once) {
    auto port = refused_port();
    auto started = steady_clock::now();
    auto r = run(at(port, "x.test", dns_record::a), 5s);
    BOOST_TEST(r.message == "nothing answers DNS at 127.0.0.1:" + std::to_string(port) +
                                " (connection refused)");
    auto took = steady_clock::now() - started;
    BOOST_TEST(took < 4s);  // not waiting for the timeout
}

// A server that never answers: the check fails at its timeout, with no thread made to wait and
// its socket closed.
BOOST_AUTO_TEST_CASE(a_silent_server_fails_the_check_at_its_timeout_with_no_thread) {
    int fds_before = open_fds();
    std::uint16_t port = 0;
    int silent = udp_socket_on_loopback(port);
    BOOST_TEST_REQUIRE(silent >= 0);
    int threads_before = threads_now(), threads_during = -1;
    std::optional<check_result> out;
    auto start = steady_clock::now();
    {
        net::io_context ctx;
        net::co_spawn(ctx, run_into(&out, at(port, "x.test", dns_record::a), 1s, {}),
                      net::detached);
        net::co_spawn(ctx, count_threads_after(&threads_during, 500ms), net::detached);
        ctx.run();
    }
    auto took = steady_clock::now() - start;
    BOOST_TEST_REQUIRE(out.has_value());
    BOOST_TEST(!out->ok);
    BOOST_TEST(out->message == "no answer from 127.0.0.1:" + std::to_string(port) + " within 1s");
    BOOST_TEST(took >= 1s);
    BOOST_TEST(took < 1300ms);
    BOOST_TEST(threads_during == threads_before);
    BOOST_TEST(threads_now() == threads_before);
    char query[512];
    BOOST_TEST(::recv(silent, query, sizeof query, MSG_DONTWAIT) > 0);  // it was asked
    ::close(silent);
    BOOST_TEST(open_fds() == fds_before);
}
