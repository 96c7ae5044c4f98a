#pragma once
// Skips that CTest reports as skips. A test case that cannot run here (a tool or a privilege is
// missing) must not pass having asserted nothing: it is skipped with its reason, and a program
// whose every test case was skipped exits with `skip_exit_code`, which heartbeat_test() registers
// as CTest's SKIP_RETURN_CODE (see test_main.cpp).

#include <functional>
#include <string>

#include <boost/test/unit_test.hpp>

namespace heartbeat::test {

/** The exit code of a test program whose every test case that ran was skipped. */
inline constexpr int skip_exit_code = 77;

/**
 * A decorator, `*skip_if(why_not)`: the test case is skipped when `why_not()` gives a reason,
 * and runs when it gives "". `why_not` is called only when the case is about to run.
 */
boost::unit_test::decorator::precondition skip_if(std::function<std::string()> why_not);

/**
 * Ends the running test case as skipped, for a reason known only once it has started (then
 * `return`): it is counted as skipped, not passed, whatever it asserted before.
 */
void skip(const std::string& reason);

/** Whether `skip` was called in that test case. */
bool skipped_while_running(boost::unit_test::test_unit_id id);

/** Prints why a test case is skipped, in the words CTest's log shows. */
void print_skip(const std::string& test_case, const std::string& reason);

}  // namespace heartbeat::test
