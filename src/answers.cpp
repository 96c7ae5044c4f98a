#include "heartbeat/answers.hpp"

#include <iterator>

namespace heartbeat {

/**
 * One request's answer, gathered before `http::respond` runs: the response stays a pure function
 * of the route and this, and nothing is computed from a const method.
 */
class answers::resolved final : public http::state_view {
  public:
    bool has = true;
    const probe_answer* answer_of = nullptr;
    std::string environ_body;
    std::string metrics_body;

    bool has_check(probe, const std::string&) const override { return has; }
    probe_answer answer(const http::route&) const override { return *answer_of; }
    std::string environ() const override { return environ_body; }
    std::string metrics() const override { return metrics_body; }
};

answers::answers(scheduler& sched, const check_runtime& runtime, net::thread_pool& reader,
                 const config& cfg)
    : sched_(sched),
      runtime_(runtime),
      reader_(reader),
      server_(cfg.server),
      environ_(cfg.environ) {}

void answers::configure(const server_config& server, environ_config environ) {
    server_ = server;
    environ_.configure(std::move(environ));
}

net::awaitable<http::reply> answers::handle(http::bhttp::request<http::bhttp::string_body> req) {
    auto started = steady_clock::now();
    // Several Accept headers are one list (RFC 9110 5.3); one is read as it is.
    auto [first, last] = req.equal_range(http::bhttp::field::accept);
    std::string joined;
    std::string_view accept;
    if (first != last) accept = first->value();
    if (first != last && std::next(first) != last) {
        for (auto it = first; it != last; ++it)
            joined.append(joined.empty() ? "" : ",").append(it->value());
        accept = joined;
    }
    auto r = http::parse_route(req.method(), req.target(), server_, accept);
    if (r.what == http::route::kind::environ) co_await environ_.refresh_in(reader_, moment::now());
    if (r.what == http::route::kind::probe || r.what == http::route::kind::environ) {
        // The only wait an answer may have: first results, and on-demand checks.
        co_await sched_.prepare(
            [&r](const check_status& c) { return selected(c, r.which, r.select); });
    }
    if (auto ready = prepared_probe(r, req.version())) {
        requests_.observe(handler_label(r), ready->ok ? 200 : ready->failed,
                          steady_clock::now() - started);
        co_return http::reply(std::move(ready->wire), req.keep_alive(), r.head);
    }
    auto res = respond(r, req.version(), req.keep_alive());
    requests_.observe(handler_label(r), res.result_int(), steady_clock::now() - started);
    co_return res;
}

// A whole probe, asked for plainly over HTTP/1.1 (what the kubelet and compose healthchecks send):
// the response was made ready for the wire when the answer was rendered, and every request it
// answers writes it as it is.
std::optional<answers::ready_probe> answers::prepared_probe(const http::route& r,
                                                            unsigned version) {
    if (r.what != http::route::kind::probe || r.select.only || !r.select.exclude.empty() ||
        r.verbose || version != 11)
        return std::nullopt;
    auto at = moment::now();
    const auto& a = cache_.get(sched_.statuses(), sched_.version(), r.which, hold(), at, r.format);
    auto& wire = cache_.wire(r.which, r.format);
    auto failed = http::failure_status(r.format);
    if (!wire)
        wire = http::prepare(a.ok ? http::bhttp::status::ok : failed, http::content_type_of(r),
                             a.body);
    return ready_probe{wire, a.ok, static_cast<int>(failed)};
}

http::response answers::respond(const http::route& r, unsigned version, bool keep_alive) {
    auto at = moment::now();
    resolved state;
    std::optional<probe_answer> own;
    switch (r.what) {
        case http::route::kind::metrics:
            state.metrics_body = metrics_body(at);
            break;
        case http::route::kind::environ:
            state.environ_body =
                environ_.render(select_checks(sched_.statuses(), probe::environ, {}), at).body;
            break;
        case http::route::kind::probe:
            if (r.select.only) {
                auto e = sched_.find(*r.select.only);
                state.has = e && e->cfg.probes.count(r.which);
            }
            if (state.has) state.answer_of = &probe_body(r, at, own);
            break;
        default:
            break;
    }
    return http::respond(r, state, version, keep_alive);
}

const probe_answer& answers::probe_body(const http::route& r, const moment& at,
                                        std::optional<probe_answer>& own) {
    if (!r.select.only && r.select.exclude.empty() && !r.verbose)
        return cache_.get(sched_.statuses(), sched_.version(), r.which, hold(), at, r.format);
    own = render_probe(r.which, select_checks(sched_.statuses(), r.which, r.select), at,
                       {hold(), r.format, r.verbose});
    return *own;
}

std::string answers::metrics_body(const moment& at) {
    const auto& all = sched_.statuses();
    auto version = sched_.version();
    std::array<bool, 3> up{cache_.get(all, version, probe::readiness, hold(), at).ok,
                           cache_.get(all, version, probe::liveliness, hold(), at).ok,
                           cache_.get(all, version, probe::startup, hold(), at).ok};
    std::size_t connections = open_connections ? open_connections() : 0;
    return metrics_.get({all, version, up, reload_, requests_, at, connections,
                         runtime_.reaper().orphans_reaped(), maintenance_});
}

std::string_view answers::handler_label(const http::route& r) {
    switch (r.what) {
        case http::route::kind::metrics:
            return "metrics";
        case http::route::kind::environ:
            return "environ";
        case http::route::kind::probe:
            return r.select.only ? "check" : probe_name(r.which);
        default:
            return "other";
    }
}

}  // namespace heartbeat
