#pragma once
// `include:` (src/config_include.cpp): the files a main config names, read through the same steps
// as the main file, their checks merged after its own.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "heartbeat/config.hpp"
#include "heartbeat/config_reader.hpp"
#include "heartbeat/config_vars.hpp"

namespace heartbeat::config_detail {

/**
 * A file's text as a YAML tree: the one step every config file goes through, main or included.
 * Reports what makes it no tree (too large, NUL bytes, YAML syntax, nesting too deep) and gives
 * nullopt then. Its variables are expanded (load_tree), and `vars` records which values came from
 * the environment.
 */
std::optional<YAML::Node> read_tree(config_reader& r, std::string_view text, variable_record& vars);

/** Reads the `checks` of an included file into the config, with that file's reader. */
using checks_loader =
    std::function<void(config_reader& r, const YAML::Node& checks, const std::string& file)>;

/**
 * Reads each file that `include` (a pattern or a list of them, each relative to `folder`) names,
 * in the order written, each pattern's matches sorted, and hands its `checks` to `load`. Problems
 * of an included file are added to `r` naming that file; `sources` gets each file and pattern.
 * `main_file` (the including file) is never included again.
 */
void load_includes(config_reader& r, const YAML::Node& include, const std::string& main_file,
                   const checks_loader& load, config_sources& sources);

/** The folder of a file as named: "" for a bare name (the working directory). */
std::string folder_of(const std::string& file);

}  // namespace heartbeat::config_detail
