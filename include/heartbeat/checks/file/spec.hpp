#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "heartbeat/durations.hpp"

namespace heartbeat {

struct check_unit;  // heartbeat/checks/unit.hpp

/** `type: file` — a path that must exist, optionally fresh and large enough. */
struct file_spec {
    enum class kind { any, file, dir };
    std::string path;  // a relative one is made relative to the config file's folder at load
    kind kind_ = kind::any;
    std::optional<duration> max_age;
    std::optional<std::uint64_t> min_size;

    /** Everything the generic code knows of the type (src/checks/file/unit.cpp). */
    static const check_unit& unit();
};

}  // namespace heartbeat
