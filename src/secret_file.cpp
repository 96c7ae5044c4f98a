#include "heartbeat/secret_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "heartbeat/config_reader.hpp"
#include "heartbeat/text.hpp"

namespace heartbeat {

using config_detail::shorten;

namespace {

/** The file's bytes, at most `cap + 1` (so that a larger one shows), or why it cannot be read. */
std::optional<std::string> read_capped(const std::filesystem::path& path, std::size_t cap,
                                       std::string& why) {
    // Only a regular file: opening a FIFO or reading a device would hold the loader forever.
    std::error_code ec;
    auto kind = std::filesystem::status(path, ec).type();
    if (ec) {
        why = lowered(ec.message());
        return std::nullopt;
    }
    if (kind != std::filesystem::file_type::regular) {
        why =
            kind == std::filesystem::file_type::directory ? "it is a folder" : "not a regular file";
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        why = lowered(std::strerror(errno));
        return std::nullopt;
    }
    std::string text(cap + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) {
        why = lowered(std::strerror(errno));
        return std::nullopt;
    }
    text.resize(static_cast<std::size_t>(in.gcount()));
    return text;
}

/** The reason a one-line value cannot be used, or "". */
std::string one_line_problem(std::string& value) {
    if (value.ends_with('\n')) value.pop_back();
    if (value.ends_with('\r')) value.pop_back();
    if (value.empty()) return "it is empty";
    bool control = std::any_of(value.begin(), value.end(),
                               [](unsigned char ch) { return ch < ' ' ? ch != '\t' : ch == 0x7f; });
    if (control)
        return "it must hold one line without control characters (a trailing newline is "
               "dropped)";
    return "";
}

}  // namespace

std::string placed_path(const std::string& path, const std::string& folder) {
    std::filesystem::path p(path);
    if (p.is_relative() && !folder.empty()) p = std::filesystem::path(folder) / p;
    return p.string();
}

std::optional<std::string> read_secret_file(config_detail::config_reader& r, const YAML::Node& n,
                                            std::string_view key, secret_content kind,
                                            std::size_t cap) {
    auto name = r.string_value(n, key);
    if (!name) return std::nullopt;
    const std::string path = placed_path(*name, r.folder.string());
    // Watched with the config, so that a rotated Secret reloads it, and a missing one's arrival.
    r.key_files.push_back(path);
    std::string why;
    auto text = read_capped(path, cap, why);
    if (text && text->size() > cap)
        why = fmt::format("it is larger than {} KiB: is it the right file?", cap / 1024);
    else if (text && kind == secret_content::one_line)
        why = one_line_problem(*text);
    if (!why.empty()) {
        // Never the content: even a value that cannot be used may be a secret.
        r.error(n.Mark(), fmt::format("cannot use '{}' file '{}': {}", key, shorten(path), why));
        return std::nullopt;
    }
    return text;
}

}  // namespace heartbeat
