#include "heartbeat/checks/exec.hpp"

namespace heartbeat {

net::awaitable<check_result> run_exec(exec_spec, duration, steady_clock::time_point, run_context) {
    co_return failure("exec checks are not implemented yet");
}

}  // namespace heartbeat
