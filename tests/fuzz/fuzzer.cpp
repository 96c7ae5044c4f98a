// One libFuzzer executable per entry point: HEARTBEAT_FUZZ_ENTRY names which (see CMakeLists.txt).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // A broken invariant escapes as an exception: libFuzzer reports the uncaught exception's
    // abort as a crash and saves the input.
    heartbeat::fuzz::HEARTBEAT_FUZZ_ENTRY(
        std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
