#pragma once
// Values kept out of the config file (a Kubernetes Secret or a compose secret mounted as a file):
// read while the config is, on the loader thread, so that a missing file is a problem of the
// config, shown at the key that names it, and no run ever reads a file.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

namespace heartbeat {

namespace config_detail {
class config_reader;  // heartbeat/config_reader.hpp
}

/** What may be in a secret file: the whole of it (a PEM file) or one value on one line. */
enum class secret_content { whole, one_line };

/**
 * The content of the file that the value `n` of key `key` names, or nullopt after reporting at
 * `n`'s place why it cannot be read (naming the file, never what is in it). A relative path
 * starts at the config file's folder. Only a regular file (or a link to one) is read, at most
 * `cap` bytes. `one_line`: a trailing `\n` or `\r\n` is dropped, and an empty value or one with a
 * control character (another line) is refused.
 */
std::optional<std::string> read_secret_file(config_detail::config_reader& r, const YAML::Node& n,
                                            std::string_view key, secret_content kind,
                                            std::size_t cap = 64 * 1024);

/** The file `path` names, relative to `folder` unless absolute (or `folder` is empty). */
std::string placed_path(const std::string& path, const std::string& folder);

}  // namespace heartbeat
