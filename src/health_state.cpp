#include "heartbeat/health_state.hpp"

namespace heartbeat {

std::optional<transition> health_state::on_result(bool ok, time_point now) {
    last_run_ = now;
    if (ok) {
        ++successes_;
        failures_ = 0;
    } else {
        ++failures_;
        successes_ = 0;
    }
    std::optional<bool> before = reported_;
    if (!reported_) {
        // The first result sets the state directly: there is no history to smooth.
        reported_ = ok;
    } else if (*reported_ && !ok && failures_ >= params_.failure_threshold) {
        reported_ = false;
    } else if (!*reported_ && ok && successes_ >= params_.success_threshold) {
        reported_ = true;
    }
    if (*reported_) ever_passed_ = true;
    if (before == reported_) return std::nullopt;
    since_ = now;
    return transition{before, *reported_};
}

duration health_state::interval_in_force() const {
    bool failing = !reported_ok();
    return failing && params_.interval_failing.count() > 0 ? params_.interval_failing
                                                           : params_.interval;
}

std::optional<health_state::time_point> health_state::stale_at() const {
    if (!reported_ || params_.interval.count() == 0) return std::nullopt;
    return last_run_ + 2 * interval_in_force() + params_.timeout;
}

bool health_state::stale(time_point now) const {
    auto at = stale_at();
    return at && now > *at;
}

}  // namespace heartbeat
