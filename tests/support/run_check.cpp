#include "run_check.hpp"

namespace heartbeat::test {

timed_result run_once(const check_config& c) {
    net::io_context ioc;
    net::thread_pool pool(1);
    timed_result t;
    auto start = steady_clock::now();
    net::co_spawn(ioc, run_check(c, run_context{ioc.get_executor(), &pool, nullptr}),
                  [&](std::exception_ptr, check_result r) { t.result = std::move(r); });
    ioc.run_for(std::chrono::seconds(20));
    t.took = steady_clock::now() - start;
    return t;
}

}  // namespace heartbeat::test
