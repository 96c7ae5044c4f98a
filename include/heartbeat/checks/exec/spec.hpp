#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "heartbeat/checks/expect_json.hpp"

namespace heartbeat {

struct check_unit;  // heartbeat/checks/unit.hpp

/** `type: exec` — a command, as argv or through `/bin/sh -c`. */
struct exec_spec {
    std::vector<std::string> argv;  // for a string command: {"/bin/sh", "-c", command}
    std::map<std::string, std::string> env;
    std::optional<std::string> cwd;
    int expect_exit = 0;
    json_assertions expect_json;  // on stdout; empty: none

    /** Everything the generic code knows of the type (src/checks/exec/unit.cpp). */
    static const check_unit& unit();
};

}  // namespace heartbeat
