#pragma once

#include <memory>

#include <boost/asio/thread_pool.hpp>

#include "heartbeat/check.hpp"
#include "heartbeat/process/reaper.hpp"
#include "heartbeat/scheduler.hpp"

namespace heartbeat {

/**
 * What running checks needs, built in one place for the daemon, `heartbeatd check`, the tests and
 * the benches: the executor, a pool of two threads for calls that can block, and the reaper of the
 * processes exec checks start.
 */
class check_runtime {
  public:
    /** The pool's threads start with the daemon's signals blocked: those go to the I/O thread. */
    explicit check_runtime(net::any_io_executor ex);
    /** Stops the pool and waits for its threads. */
    ~check_runtime();
    check_runtime(const check_runtime&) = delete;
    check_runtime& operator=(const check_runtime&) = delete;

    /** What one run is given: this executor, this pool, this reaper. */
    run_context context();
    /** The scheduler's runner: runs one check once, under its timeout, with this runtime. */
    scheduler::runner runner();
    /** Kills what exec checks left running and reaps it, waiting at most `grace`; how many. */
    std::size_t shutdown(duration grace);
    /** Stops the pool and waits for its threads; before the io_context they post to goes. */
    void join();

    /** The pool for blocking calls (at most two at once). */
    net::thread_pool& pool() { return *pool_; }
    /** The reaper of exec checks' processes and of the orphans handed to us. */
    process_reaper& reaper() { return reaper_; }
    /** The same, to read its counts. */
    const process_reaper& reaper() const { return reaper_; }

  private:
    net::any_io_executor ex_;
    std::unique_ptr<net::thread_pool> pool_;
    process_reaper reaper_;
};

}  // namespace heartbeat
