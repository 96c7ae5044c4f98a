#include "heartbeat/checks/http.hpp"

namespace heartbeat {

net::awaitable<check_result> run_http(http_spec, duration, steady_clock::time_point) {
    co_return failure("http checks are not implemented yet");
}

}  // namespace heartbeat
