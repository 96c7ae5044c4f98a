// What one probe answer costs inside heartbeatd, side by side in one run: the cached answer that
// requests get, against rendering the same body afresh (what a request would cost without the
// cache). Prints nanoseconds per operation and their ratio.
#include <chrono>
#include <cstdio>

#include "heartbeat/http/routes.hpp"
#include "heartbeat/probes.hpp"
#include "heartbeat/scheduler.hpp"

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

class cached_view final : public http::state_view {
  public:
    cached_view(scheduler& s, probe_cache& c) : s_(s), c_(c) {}
    bool has_check(probe, const std::string&) const override { return true; }
    probe_answer answer(const http::route& r) const override {
        return c_.get(s_.statuses(), s_.version(), r.which, false, moment::now());
    }
    std::string environ() const override { return {}; }
    std::string metrics() const override { return {}; }

  private:
    scheduler& s_;
    probe_cache& c_;
};

}  // namespace

int main() {
    net::io_context ioc;
    scheduler sched(
        ioc.get_executor(),
        [](check_config) -> net::awaitable<check_result> { co_return success(); },
        schedule::mode::on_demand);
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
    probe_cache cache;
    cached_view view(sched, cache);
    server_config srv;
    auto route = http::parse_route(http::bhttp::verb::get, "/.well-known/heartbeat/readiness", srv);
    const int n = 200000;
    std::size_t sink = 0;
    double cached =
        ns_per_op(n, [&] { sink += http::respond(route, view, 11, true).body().size(); });
    double fresh = ns_per_op(n / 10, [&] {
        sink += render_probe(probe::readiness, sched.statuses(), moment::now(), false, false)
                    .body.size();
    });
    std::printf("readiness answer, 20 checks, body %zu bytes\n",
                cache.get(sched.statuses(), sched.version(), probe::readiness, false, moment::now()).body.size());
    std::printf("  cached answer + response object: %8.0f ns/op\n", cached);
    std::printf("  fresh render of the same body:   %8.0f ns/op\n", fresh);
    std::printf("  ratio fresh/cached:              %8.1f x\n", fresh / cached);
    return sink == 0;
}
