#pragma once

#include <optional>
#include <string>
#include <vector>

#include <spdlog/common.h>

#include "heartbeat/durations.hpp"
#include "heartbeat/logging.hpp"

namespace heartbeat {

/** The command line, parsed. */
struct cli_options {
    enum class command { serve, validate, check, probe, wait, version, help };
    command cmd = command::serve;
    std::optional<std::string> config_path;
    std::optional<std::string> listen;
    std::string probe = "readiness";             // for `check`, `probe` and `wait`
    std::optional<std::string> url;              // for `probe`; none: where the config listens
    duration timeout = std::chrono::seconds(1);  // for `probe`; `wait` has its own default
    bool timeout_given = false;                  // --timeout was on the command line
    log_format format = log_format::text;
    spdlog::level::level_enum level = spdlog::level::info;
};

/** Options, or the reason they are wrong. */
struct cli_result {
    std::optional<cli_options> options;
    std::string error;
};

/** Parses argv (without argv[0]). */
cli_result parse_cli(const std::vector<std::string>& args);

/** The `--help` text. */
std::string usage();

}  // namespace heartbeat
