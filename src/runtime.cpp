#include "heartbeat/runtime.hpp"

#include "heartbeat/dispatch.hpp"
#include "heartbeat/process/signals.hpp"

namespace heartbeat {

namespace {

/** A thread inherits its creator's signal mask: blocked here, the signals stay with the caller. */
std::unique_ptr<net::thread_pool> start_pool() {
    signals_blocked in_workers;
    return std::make_unique<net::thread_pool>(2);
}

}  // namespace

check_runtime::check_runtime(net::any_io_executor ex) : ex_(ex), pool_(start_pool()), reaper_(ex) {}

check_runtime::~check_runtime() {
    join();
}

run_context check_runtime::context() {
    return {ex_, pool_.get(), &reaper_};
}

scheduler::runner check_runtime::runner() {
    return [this](check_config c) { return run_check(std::move(c), context()); };
}

std::size_t check_runtime::shutdown(duration grace) {
    return reaper_.kill_all_and_reap(grace);
}

void check_runtime::join() {
    pool_->stop();
    pool_->join();
}

}  // namespace heartbeat
