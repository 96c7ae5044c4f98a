#include "skip.hpp"

#include <iostream>
#include <set>

namespace heartbeat::test {

namespace {
std::set<boost::unit_test::test_unit_id>& skipped_ids() {
    static std::set<boost::unit_test::test_unit_id> ids;
    return ids;
}
}  // namespace

boost::unit_test::decorator::precondition skip_if(std::function<std::string()> why_not) {
    return boost::unit_test::precondition(
        [why_not](boost::unit_test::test_unit_id) -> boost::test_tools::assertion_result {
            auto why = why_not();
            if (why.empty()) return true;
            boost::test_tools::assertion_result skipped(false);
            skipped.message() << why;
            return skipped;
        });
}

void skip(const std::string& reason) {
    auto& tc = boost::unit_test::framework::current_test_case();
    skipped_ids().insert(tc.p_id);
    print_skip(tc.full_name(), reason);
}

bool skipped_while_running(boost::unit_test::test_unit_id id) {
    return skipped_ids().count(id) > 0;
}

void print_skip(const std::string& test_case, const std::string& reason) {
    // Straight to stdout (what CTest records), whatever --log_level says.
    std::cout << "SKIPPED " << test_case << ": " << reason << std::endl;
}

}  // namespace heartbeat::test
