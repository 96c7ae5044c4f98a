#pragma once
// The config loaders' shared reader (src/config*.cpp): typed values out of a YAML tree, every
// problem kept as a diagnostic with its place rather than stopping at the first.

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "heartbeat/config.hpp"
#include "heartbeat/config_text.hpp"

namespace heartbeat {
struct variable_record;  // heartbeat/config_vars.hpp
}

namespace heartbeat::config_detail {

/** True for a scalar written without quotes (YAML 1.2 resolves its type: `false` is a boolean). */
bool plain_scalar(const YAML::Node& n);

/** Reads values from YAML nodes and collects the diagnostics of what it cannot read. */
class config_reader {
  public:
    std::vector<diagnostic> diags;
    /** The folder of the file being read: where a relative path in it starts ("" = the working
     * directory). Secret files are read while the keys are, so their problems have a place. */
    std::filesystem::path folder;
    /** What the expansion of the file being read recorded (null: none): a check takes the
     * environment values its own scalars used as its secrets. */
    const variable_record* variables = nullptr;
    /** The files that keys named and that were read with the file (secret files, client
     * certificates), whether or not they could be: the watcher watches them with it. */
    std::vector<std::string> key_files;

    void error(const YAML::Mark& m, std::string message) { add(m, std::move(message), false); }
    void warn(const YAML::Mark& m, std::string message) { add(m, std::move(message), true); }
    bool has_errors() const;
    std::size_t error_count() const;

    /** Reports every key and value that holds a NUL (`"\0"`, `"\u0000"`): C strings would cut
     * it short, so that a path, a host or a directory would silently be another one. */
    void find_nul(const YAML::Node& n);

    /** Calls `fn(key, value)` for each key of `map` that is in `allowed`; reports the others
     * (those in `elsewhere` as keys that do not apply, with `elsewhere_hint`). */
    template <class Fn>
    void for_each_key(const YAML::Node& map, const std::vector<std::string_view>& allowed,
                      std::string_view where, Fn&& fn,
                      const std::vector<std::string_view>& elsewhere = {},
                      std::string_view elsewhere_hint = {}) {
        std::set<std::string> seen;
        for (auto it = map.begin(); it != map.end(); ++it) {
            // Copies, not references: the iterator's pair is a temporary that dies with the
            // statement.
            const YAML::Node k = it->first;
            const YAML::Node value = it->second;
            if (auto key = checked_key(k, where, seen)) {
                if (std::find(allowed.begin(), allowed.end(), *key) != allowed.end())
                    fn(*key, value);
                else
                    unknown_key(k, allowed, where, elsewhere, elsewhere_hint);
            }
        }
    }

    /** True for a mapping; reports any other value but an empty one. */
    bool expect_map(const YAML::Node& n, std::string_view what);
    std::optional<std::string> scalar(const YAML::Node& n, std::string_view key);
    std::optional<std::string> string_value(const YAML::Node& n, std::string_view key,
                                            bool allow_empty = false);
    std::optional<long long> int_value(const YAML::Node& n, std::string_view key, long long lo,
                                       long long hi);
    std::optional<bool> bool_value(const YAML::Node& n, std::string_view key);
    std::optional<duration> duration_value(const YAML::Node& n, std::string_view key,
                                           bool allow_zero);
    /** A list of single values (one value alone is a list of one). */
    std::optional<std::vector<std::string>> string_list(const YAML::Node& n, std::string_view key);
    std::optional<std::vector<std::pair<std::string, std::string>>> string_map(
        const YAML::Node& n, std::string_view key);

  private:
    void add(const YAML::Mark& m, std::string message, bool warning);
    void find_nul(const YAML::Node& n, std::set<std::pair<int, int>>& walked);
    /** The key as a word, or nullopt after reporting it (not a word, or seen before). */
    std::optional<std::string> checked_key(const YAML::Node& k, std::string_view where,
                                           std::set<std::string>& seen);
    void unknown_key(const YAML::Node& k, const std::vector<std::string_view>& allowed,
                     std::string_view where, const std::vector<std::string_view>& elsewhere,
                     std::string_view elsewhere_hint);
};

}  // namespace heartbeat::config_detail
