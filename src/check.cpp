#include "heartbeat/check.hpp"

namespace heartbeat {

check_result failure(std::string message) {
    check_result r;
    r.ok = false;
    r.message = std::move(message);
    return r;
}

check_result success() {
    check_result r;
    r.ok = true;
    r.message = "ok";
    return r;
}

}  // namespace heartbeat
