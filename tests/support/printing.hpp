#pragma once

// Lets Boost.Test print std::chrono durations in failed assertions.
#include <chrono>
#include <ostream>

namespace std::chrono {
template <class Rep, class Period>
std::ostream& boost_test_print_type(std::ostream& os, const duration<Rep, Period>& d) {
    return os << std::chrono::duration<double, std::milli>(d).count() << " ms";
}
}  // namespace std::chrono
