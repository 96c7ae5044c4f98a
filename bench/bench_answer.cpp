// What one probe answer costs inside heartbeatd, side by side in one run: the cached answer that
// requests get, against rendering the same body afresh (what a request would cost without the
// cache). Prints nanoseconds per operation and their ratio.
#include <chrono>
#include <cstdio>

#include "heartbeat/answers.hpp"
#include "heartbeat/runtime.hpp"

using namespace heartbeat;
using namespace std::chrono_literals;

namespace {

template <class Fn>
double ns_per_op(int iterations, Fn&& fn) {
    auto start = steady_clock::now();
    for (int i = 0; i < iterations; ++i) fn();
    return std::chrono::duration<double, std::nano>(steady_clock::now() - start).count() /
           iterations;
}

}  // namespace

int main() {
    net::io_context ioc;
    check_runtime runtime(ioc.get_executor());
    scheduler sched(ioc.get_executor(), runtime.runner(), schedule::mode::on_demand);
    std::vector<check_config> cs;
    for (int i = 0; i < 20; ++i) {
        check_config c;
        c.name = "check-" + std::to_string(i);
        c.interval = 10s;
        c.spec = tcp_spec{"127.0.0.1", 5432, {}, {}};
        cs.push_back(c);
    }
    sched.apply(cs);
    for (auto& e : sched.entries()) {
        e->last = success();
        e->last.elapsed = 1200us;
        e->state.on_result(true, steady_clock::now());
    }
    config cfg;
    cfg.checks = cs;
    // The daemon's own answers, with its cache policy: nothing here runs a check.
    answers daemon_answers(sched, runtime, runtime.pool(), cfg);
    auto route =
        http::parse_route(http::bhttp::verb::get, "/.well-known/heartbeat/readiness", cfg.server);
    const int n = 200000;
    std::size_t sink = 0;
    double cached =
        ns_per_op(n, [&] { sink += daemon_answers.respond(route, 11, true).body().size(); });
    double fresh = ns_per_op(n / 10, [&] {
        sink += render_probe(probe::readiness, sched.statuses(), moment::now(), {}).body.size();
    });
    std::printf("readiness answer, 20 checks, body %zu bytes\n",
                daemon_answers.respond(route, 11, true).body().size());
    std::printf("  cached answer + response object: %8.0f ns/op\n", cached);
    std::printf("  fresh render of the same body:   %8.0f ns/op\n", fresh);
    std::printf("  ratio fresh/cached:              %8.1f x\n", fresh / cached);
    return sink == 0;
}
