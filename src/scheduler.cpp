#include "heartbeat/scheduler.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>

namespace heartbeat {

namespace {
health_state::params params_of(const check_config& c) {
    return {c.failure_threshold, c.success_threshold, c.interval, c.timeout};
}
}  // namespace

check_entry::check_entry(check_config c, net::any_io_executor ex)
    : cfg(std::move(c)), state(params_of(cfg)), sleep(std::move(ex)) {}

scheduler::scheduler(net::any_io_executor ex, runner run, bool background)
    : ex_(std::move(ex)),
      run_(std::move(run)),
      background_(background),
      rng_(std::random_device{}()) {}

scheduler::~scheduler() {
    stop();
}

void scheduler::apply(const std::vector<check_config>& checks) {
    std::map<std::string, entry_ptr> next;
    std::vector<entry_ptr> order, fresh;
    for (const auto& c : checks) {
        if (!c.enabled) continue;
        auto it = by_name_.find(c.name);
        if (it != by_name_.end() && it->second->cfg.same_definition(c)) {
            it->second->cfg.line =
                c.line;  // same check, moved in the file: keep its state and history
            next[c.name] = it->second;
            order.push_back(it->second);
            by_name_.erase(it);
            continue;
        }
        auto e = std::make_shared<check_entry>(c, ex_);
        next[c.name] = e;
        order.push_back(e);
        fresh.push_back(e);
    }
    for (auto& [name, old] : by_name_) {
        old->stopped = true;
        old->stop_signal.emit(net::cancellation_type::terminal);
        old->sleep.cancel();
    }
    by_name_ = std::move(next);
    order_ = std::move(order);
    ++version_;
    for (auto& e : fresh) start(e);
}

void scheduler::start(const entry_ptr& e) {
    if (!background_ || e->cfg.interval.count() == 0) return;
    net::co_spawn(ex_, loop(e), net::bind_cancellation_slot(e->stop_signal.slot(), net::detached));
}

void scheduler::stop() {
    for (auto& e : order_) {
        e->stopped = true;
        e->stop_signal.emit(net::cancellation_type::terminal);
        e->sleep.cancel();
    }
}

entry_ptr scheduler::find(const std::string& name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
}

duration scheduler::jitter(duration interval) {
    // Up to a tenth of the interval, at most a second: enough to spread checks, too little to
    // matter.
    auto span = std::min<duration>(interval / 10, std::chrono::seconds(1));
    if (span.count() <= 0) return duration{0};
    std::uniform_int_distribution<duration::rep> dist(0, span.count());
    return duration(dist(rng_));
}

net::awaitable<void> scheduler::loop(entry_ptr e) {
    while (!e->stopped) {
        co_await run_once(e);
        if (e->stopped) break;
        e->sleep.expires_after(e->cfg.interval + jitter(e->cfg.interval));
        co_await e->sleep.async_wait(use_nothrow);
    }
}

net::awaitable<void> scheduler::run_once(entry_ptr e) {
    if (e->running) {
        // Single flight: whoever comes while a run is in flight shares its result.
        auto done = e->run_done;
        co_await done->async_wait(use_nothrow);
        co_return;
    }
    e->running = true;
    e->run_done = std::make_shared<net::steady_timer>(ex_, steady_clock::time_point::max());
    check_result r;
    try {
        r = co_await run_(e->cfg);
    } catch (const std::exception& ex) {
        // A check reports failures as results; this is a cancelled run (the check was removed or
        // the daemon is stopping) or a bug. Either way the waiters must wake.
        r = failure(std::string("run aborted: ") + ex.what());
    }
    auto now = steady_clock::now();
    e->checked_at = std::chrono::system_clock::now();
    (r.ok ? e->runs_ok : e->runs_failed)++;
    auto change = e->state.on_result(r.ok, now);
    e->last = std::move(r);
    if (change) e->since = e->checked_at;
    e->running = false;
    e->run_done->cancel();
    ++version_;
    if (on_run) on_run(*e);
    if (change && on_transition) on_transition(*e, *change);
}

bool scheduler::needs_run(const check_entry& e, steady_clock::time_point now) const {
    // No result yet: wait for the first one (joining the run in flight, if any).
    if (!e.state.has_result()) return true;
    // On demand: a result older than the reuse window is refreshed (joining a run in flight).
    if (!background_ || e.cfg.interval.count() == 0) return now - e.state.last_run() >= reuse;
    // In the background: the latest result answers, even while the next run is in flight.
    return false;
}

net::awaitable<void> scheduler::prepare(std::vector<entry_ptr> needed) {
    auto now = steady_clock::now();
    struct join_state {
        explicit join_state(net::any_io_executor ex) : done(ex, steady_clock::time_point::max()) {}
        net::steady_timer done;
        std::size_t pending = 0;
    };
    auto join = std::make_shared<join_state>(ex_);
    for (auto& e : needed) {
        if (!needs_run(*e, now)) continue;
        ++join->pending;
        // Each run is its own coroutine: they go concurrently, and a client that leaves does not
        // stop them.
        net::co_spawn(ex_, run_once(e), [join](std::exception_ptr) {
            if (--join->pending == 0) join->done.cancel();
        });
    }
    if (join->pending > 0) co_await join->done.async_wait(use_nothrow);
}

}  // namespace heartbeat
