#pragma once

// What each fuzz target does with one input. The libFuzzer executables call these, and so does
// tests/unit/fuzz_regressions_test.cpp with every saved input: a crash found by clang's fuzzers is
// replayed by the ordinary g++ builds (ASan + UBSan included) from then on.

#include <stdexcept>
#include <string_view>

namespace heartbeat::fuzz {

/** Thrown when a parser accepts an input but its result breaks a promise of the contract. */
struct broken_invariant : std::logic_error {
    using std::logic_error::logic_error;
};

/** YAML text through `parse_config`: every accepted config must be one the daemon can run. */
void config_input(std::string_view data);

/** PEP 440 versions and specifiers, PEP 508 requirements and markers, one per line. */
void pep_input(std::string_view data);

/** `METHOD target` (the first byte picks a server config) through `parse_route` and `respond`. */
void routes_input(std::string_view data);

/** A push report: the first byte picks the method and whether a token is set, then the target and
 * an Authorization header each on a line, then the body, through `answer_push`. */
void push_input(std::string_view data);

/** A URL through `parse_url`; an accepted one must survive its own redacted spelling. */
void url_input(std::string_view data);

/** One config scalar through `expand_text` with a fixed fake environment; what the loader then
 * shows of it must hold no value from that environment. */
void expand_input(std::string_view data);
/** expect_json: the first byte picks a quoted or plain expectation and a cut document, then a path
 * and an expectation each on a line, then the document, through the parsers and the evaluation. */
void expect_json_input(std::string_view data);

}  // namespace heartbeat::fuzz
