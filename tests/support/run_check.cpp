#include "run_check.hpp"

#include "heartbeat/runtime.hpp"

namespace heartbeat::test {

timed_result run_once(const check_config& c) {
    net::io_context ioc;
    check_runtime runtime(ioc.get_executor());
    timed_result t;
    auto start = steady_clock::now();
    net::co_spawn(ioc, run_check(c, runtime.context()), [&](std::exception_ptr, check_result r) {
        t.result = std::move(r);
        ioc.stop();  // the reaper's SIGCHLD watch would keep run_for() going to its cap
    });
    ioc.run_for(std::chrono::seconds(20));
    t.took = steady_clock::now() - start;
    return t;
}

}  // namespace heartbeat::test
