#include "heartbeat/scheduler.hpp"

#include <algorithm>

#include <boost/asio/bind_cancellation_slot.hpp>

#include "heartbeat/checks/push/run.hpp"
#include "heartbeat/checks/unit.hpp"

namespace heartbeat {

check_entry::check_entry(check_config c, net::any_io_executor ex)
    : check_status(std::move(c)), sleep(std::move(ex)) {}

scheduler::scheduler(net::any_io_executor ex, runner run, schedule::mode mode,
                     scheduler_clocks clocks)
    : ex_(std::move(ex)),
      run_(std::move(run)),
      mode_(mode),
      clocks_(std::move(clocks)),
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
            // The same check: its state and history stay; the config is the new load's (its
            // line in the file, and its TLS context, made from the CA file as it is now).
            it->second->cfg = c;
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
    statuses_.assign(order_.begin(), order_.end());
    ++version_;
    for (auto& e : fresh) start(e);
}

void scheduler::start(const entry_ptr& e) {
    if (auto ttl = reported_ttl(e->cfg); ttl && mode_ == schedule::mode::background) {
        // The ttl runs from the start, or from the reload that made the check.
        e->report_due = clocks_.steady() + *ttl;
        net::co_spawn(ex_, watch_reports(e),
                      net::bind_cancellation_slot(e->stop_signal.slot(), net::detached));
        return;
    }
    if (!schedule::loops(e->cfg, mode_)) return;
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

net::awaitable<void> scheduler::loop(entry_ptr e) {
    while (!e->stopped) {
        co_await run_once(e);
        if (e->stopped) break;
        e->sleep.expires_after(
            schedule::next_pause(*e, schedule::draw_jitter(schedule::interval_in_force(*e), rng_)));
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
    record(e, std::move(r));
    e->run_done->cancel();
}

void scheduler::record(const entry_ptr& e, check_result r) {
    auto change = e->record(std::move(r), clocks_.steady(), clocks_.wall());
    ++version_;
    if (change && on_transition) on_transition(*e, *change);
}

scheduler::report_outcome scheduler::report(const std::string& name, check_result r) {
    auto e = find(name);
    if (!e) return report_outcome::unknown_check;
    auto ttl = reported_ttl(e->cfg);
    if (!ttl) return report_outcome::not_push;
    e->report_due = clocks_.steady() + *ttl;
    record(e, std::move(r));
    // The watch wakes and waits for the new due time.
    e->sleep.cancel();
    return report_outcome::recorded;
}

// A push check's timer: each ttl that passes without a report records a failure, as a run that
// failed would, so thresholds count missed reports the way they count failed runs.
net::awaitable<void> scheduler::watch_reports(entry_ptr e) {
    while (!e->stopped) {
        auto ttl = *reported_ttl(e->cfg);
        auto now = clocks_.steady();
        if (now >= e->report_due) {
            e->report_due = now + ttl;
            record(e, missed_report(ttl));
        }
        e->sleep.expires_after(e->report_due - now);
        co_await e->sleep.async_wait(use_nothrow);
    }
}

net::awaitable<void> scheduler::prepare(std::function<bool(const check_status&)> wanted) {
    auto now = clocks_.steady();
    // Most requests need no run: they cost no allocation either.
    if (std::none_of(order_.begin(), order_.end(), [&](const entry_ptr& e) {
            return schedule::needs_run(*e, mode_, reuse, now) && wanted(*e);
        }))
        co_return;
    struct join_state {
        explicit join_state(net::any_io_executor ex) : done(ex, steady_clock::time_point::max()) {}
        net::steady_timer done;
        std::size_t pending = 0;
    };
    auto join = std::make_shared<join_state>(ex_);
    for (const auto& e : order_) {
        if (!schedule::needs_run(*e, mode_, reuse, now) || !wanted(*e)) continue;
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
