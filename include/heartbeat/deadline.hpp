#pragma once

#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/post.hpp>

#include "heartbeat/asio.hpp"

namespace heartbeat {

/**
 * Waits for a completion that cannot itself be cancelled (a stat on a hung mount)
 * at most until `deadline`. A steady_timer serves as the "done" signal: the work cancels it when it
 * finishes, and the deadline fires it otherwise. The shared state outlives an abandoned wait, so
 * late work writes into memory that is still there.
 */
template <class T>
struct deadline_slot {
    explicit deadline_slot(net::any_io_executor ex) : signal(std::move(ex)) {}
    net::steady_timer signal;
    std::optional<T> value;

    void set(T v) {
        value = std::move(v);
        signal.cancel();
    }
};

/** Runs `fn()` on `pool` and returns its value, or nullopt when `deadline` comes first. */
template <class T, class Fn>
net::awaitable<std::optional<T>> offload_until(net::thread_pool& pool,
                                               steady_clock::time_point deadline, Fn fn) {
    auto ex = co_await net::this_coro::executor;
    auto slot = std::make_shared<deadline_slot<T>>(ex);
    slot->signal.expires_at(deadline);
    // The worker holds the slot only weakly: the last owner of its timer must be the io_context's
    // own thread, never a worker that finishes after the wait was abandoned.
    net::post(pool, [weak = std::weak_ptr(slot), fn = std::move(fn), ex]() mutable {
        T v = fn();
        // Back on the io_context thread before touching the slot: one thread owns all state.
        net::post(ex, [weak, v = std::move(v)]() mutable {
            if (auto s = weak.lock()) s->set(std::move(v));
        });
    });
    co_await slot->signal.async_wait(use_nothrow);
    co_return std::move(slot->value);
}

}  // namespace heartbeat
