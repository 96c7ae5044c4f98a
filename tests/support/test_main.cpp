// The main() of every test program (heartbeat_test() defines BOOST_TEST_NO_MAIN): Boost.Test's
// own, plus an observer that keeps two promises Boost.Test leaves to us.
// - A skipped test case is not a passed one: a program whose every test case that ran was skipped
//   exits with skip_exit_code, which CTest reports as "Skipped". A program where some cases pass
//   and others skip exits as Boost.Test says (its passes are real); each skip is printed, and
//   tests/CMakeLists.txt runs a case that may skip on its own as a CTest test of its own.
// - No test case passes without asserting: one that checked nothing makes the program fail.
#include <boost/cstdlib.hpp>
#include <boost/test/results_collector.hpp>
#include <boost/test/tree/observer.hpp>
#include <boost/test/unit_test.hpp>

#include <iostream>
#include <string>
#include <vector>

#include "skip.hpp"

bool init_unit_test();  // defined in the test's own source by BOOST_TEST_MODULE

namespace {

namespace utf = boost::unit_test;
using heartbeat::test::skipped_while_running;

class skip_counter : public utf::test_observer {
  public:
    void test_unit_skipped(const utf::test_unit& tu, utf::const_string reason) override {
        std::string why(reason.begin(), reason.end());
        if (why == "disabled") return;  // left out by --run_test: not a skip of ours
        const std::string prefix = "precondition failed: ";
        if (why.starts_with(prefix)) why.erase(0, prefix.size());
        heartbeat::test::print_skip(tu.full_name(), why);
        ++skipped_;
    }

    void test_unit_finish(const utf::test_unit& tu, unsigned long) override {
        if (tu.p_type != utf::TUT_CASE) return;
        if (skipped_while_running(tu.p_id)) {
            ++skipped_;
            return;
        }
        ++ran_;
        const auto& r = utf::results_collector.results(tu.p_id);
        if (r.p_assertions_passed == 0 && r.p_assertions_failed == 0 && !r.aborted())
            asserted_nothing_.push_back(tu.full_name());
    }

    /** The program's exit code, given Boost.Test's. */
    int verdict(int boost_code) const {
        if (boost_code != 0) return boost_code;
        for (const auto& name : asserted_nothing_)
            std::cout << "FAILED " << name << ": it passed without asserting anything" << std::endl;
        if (!asserted_nothing_.empty()) return boost::exit_test_failure;
        if (ran_ == 0 && skipped_ > 0) {
            std::cout << "every test case that ran was skipped (" << skipped_ << ")" << std::endl;
            return heartbeat::test::skip_exit_code;
        }
        if (skipped_ > 0)
            std::cout << skipped_ << " test case(s) skipped, " << ran_ << " ran" << std::endl;
        return boost_code;
    }

  private:
    int ran_ = 0;
    int skipped_ = 0;
    std::vector<std::string> asserted_nothing_;
};

skip_counter counter;

bool init_with_counter() {
    utf::framework::register_observer(counter);
    return init_unit_test();
}

}  // namespace

int main(int argc, char* argv[]) {
    return counter.verdict(utf::unit_test_main(&init_with_counter, argc, argv));
}
