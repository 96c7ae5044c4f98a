#pragma once

#include <string_view>

#include <spdlog/common.h>

namespace heartbeat {

/** How log lines look: readable text, or one JSON object per line. */
enum class log_format { text, json };

/** Sends every log line to stderr in `format`, from `level` up. */
void setup_logging(log_format format, spdlog::level::level_enum level);

}  // namespace heartbeat
