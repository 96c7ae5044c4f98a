#include "heartbeat/config_include.hpp"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

namespace heartbeat {

namespace fs = std::filesystem;

namespace {

// A glob reads no more files than this: a pattern that matches a whole disk must not make the
// loader read it.
constexpr std::size_t max_included_files = 256;

bool is_regular(const std::string& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

/** `folder/name`, or `name` alone when it is absolute or the folder is the working directory. */
std::string joined(const std::string& folder, const std::string& name) {
    if (folder.empty() || name.starts_with('/')) return name;
    return (fs::path(folder) / name).string();
}

std::string escape_glob(const std::string& text) {
    std::string out;
    for (char ch : text) {
        if (ch == '*' || ch == '?' || ch == '[' || ch == '\\') out += '\\';
        out += ch;
    }
    return out;
}

/** What read_config_text gives for a file it cannot read: no content equals it. */
std::string unreadable() {
    return read_config_text(std::string());
}

/**
 * An included file's content, read up to a byte past what read_tree accepts; unreadable() (and
 * why, in `error`) when it is no regular file or cannot be read. Opened non-blocking and checked
 * once open: a FIFO, or a regular file whose read never ends (/proc/kmsg), cannot hold the loader.
 */
std::string read_regular(const std::string& path, std::string* error = nullptr) {
    constexpr std::size_t cap = (1 << 20) + 1;
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    struct stat st {};
    std::string why;
    if (fd < 0 || ::fstat(fd, &st) != 0)
        why = std::strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = "not a regular file";
    std::string text;
    char buf[65536];
    while (why.empty() && text.size() < cap) {
        auto n = ::read(fd, buf, std::min(sizeof buf, cap - text.size()));
        if (n > 0)
            text.append(buf, static_cast<std::size_t>(n));
        else if (n == 0)
            break;
        else if (errno != EINTR)
            why = std::strerror(errno);
    }
    if (fd >= 0) ::close(fd);
    if (why.empty()) return text;
    if (error) *error = why;
    return unreadable();
}

}  // namespace

std::size_t content_hash(std::string_view text) {
    return std::hash<std::string_view>{}(text);
}

bool is_glob_pattern(std::string_view text) {
    return text.find_first_of("*?[") != std::string_view::npos;
}

std::vector<std::string> glob_files(const std::string& folder, const std::string& pattern) {
    std::string full = pattern.starts_with('/') || folder.empty()
                           ? pattern
                           : escape_glob(folder) + (folder.ends_with('/') ? "" : "/") + pattern;
    glob_t g{};
    std::vector<std::string> out;
    if (::glob(full.c_str(), GLOB_NOSORT, nullptr, &g) == 0)
        for (std::size_t i = 0; i < g.gl_pathc; ++i)
            if (is_regular(g.gl_pathv[i])) out.emplace_back(g.gl_pathv[i]);
    ::globfree(&g);
    // Byte order, whatever the locale: the order of checks must not depend on LANG.
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> config_sources::folders() const {
    std::vector<std::string> out;
    auto add = [&](std::string folder) {
        if (folder.empty()) folder = ".";
        if (std::find(out.begin(), out.end(), folder) == out.end())
            out.push_back(std::move(folder));
    };
    for (const auto& [file, content] : files) add(config_detail::folder_of(file));
    for (const auto& g : globs) {
        // The deepest folder of the pattern without glob characters: inotify is not recursive,
        // so a pattern with a glob in a folder name is seen there and by the periodic look.
        // Only the pattern's own part is looked at: the folder's glob characters are literal.
        fs::path p = fs::path(g.pattern).parent_path();
        while (is_glob_pattern(p.string())) p = p.parent_path();
        add(p.empty() ? g.folder : joined(g.folder, p.string()));
    }
    return out;
}

config_sources reread_sources(const config_sources& before) {
    config_sources now;
    for (std::size_t i = 0; i < before.files.size(); ++i) {
        const auto& path = before.files[i].first;
        // The main file as load_config reads it (its errors come from there); included ones only
        // when they are regular files.
        now.files.emplace_back(path,
                               content_hash(i == 0 ? read_config_text(path) : read_regular(path)));
    }
    for (const auto& g : before.globs)
        now.globs.push_back({g.folder, g.pattern, glob_files(g.folder, g.pattern)});
    return now;
}

void add_key_files(config_sources& sources, const std::vector<std::string>& paths) {
    for (const auto& path : paths) {
        bool known = std::any_of(sources.files.begin(), sources.files.end(),
                                 [&](const auto& f) { return f.first == path; });
        if (!known) sources.files.emplace_back(path, content_hash(read_regular(path)));
    }
}

namespace config_detail {

std::string folder_of(const std::string& file) {
    return fs::path(file).parent_path().string();
}

namespace {

/** The same file, whichever name (a link, `./`) reaches it. */
std::string identity(const std::string& path) {
    std::error_code ec;
    auto p = fs::canonical(path, ec);
    return ec ? fs::absolute(path, ec).lexically_normal().string() : p.string();
}

/** The keys that an included file may not hold: they belong to the main file. */
const std::vector<std::string_view> main_only = {"server", "defaults", "environ", "include"};

void read_included_tree(config_reader& r, const YAML::Node& root, const std::string& file,
                        const checks_loader& load) {
    auto errors_before = r.error_count();
    r.find_nul(root);
    if (r.error_count() != errors_before) return;
    if (!root.IsMap()) {
        r.error(root.Mark(), "an included file must be a mapping with the key checks");
        return;
    }
    r.for_each_key(
        root, {"checks"}, "in an included file",
        [&](const std::string&, const YAML::Node& checks) { load(r, checks, file); }, main_only,
        "in an included file: it belongs in the main file");
}

/** One included file: its `checks` through `load`, every problem named with this file. */
void read_included(config_reader& main, const std::string& file, const checks_loader& load,
                   config_sources& sources) {
    std::string error;
    std::string text = read_regular(file, &error);
    sources.files.emplace_back(file, content_hash(text));
    config_reader r;
    variable_record vars;
    r.variables = &vars;
    if (!error.empty()) {
        r.error(YAML::Mark(), "cannot read the file: " + error);
    } else if (auto root = read_tree(r, text, vars); root && root->IsDefined() && !root->IsNull()) {
        const auto from = r.diags.size();
        read_included_tree(r, *root, file, load);
        apply_variable_record(vars, *root, r.diags, from, nullptr);
    }
    std::stable_sort(r.diags.begin(), r.diags.end(), [](const diagnostic& a, const diagnostic& b) {
        return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    add_key_files(sources, r.key_files);
    for (auto& d : r.diags) {
        d.file = file;
        main.diags.push_back(std::move(d));
    }
}

/** The files of one `include` entry, or none after reporting why. */
std::vector<std::string> entry_files(config_reader& r, const YAML::Node& at,
                                     const std::string& entry, const std::string& folder,
                                     config_sources& sources) {
    if (entry.empty()) {
        r.error(at.Mark(), "an entry of 'include' must not be empty: name a file or a pattern");
        return {};
    }
    if (is_glob_pattern(entry)) {
        // No match is no error: a conf.d folder may be empty.
        auto matches = glob_files(folder, entry);
        sources.globs.push_back({folder, entry, matches});
        return matches;
    }
    std::string path = joined(folder, entry);
    std::error_code ec;
    auto kind = fs::status(path, ec).type();
    if (kind == fs::file_type::regular) return {path};
    // Watched all the same: the file showing up is a change that makes the config load.
    sources.files.emplace_back(path, content_hash(read_regular(path)));
    r.error(at.Mark(), fmt::format("cannot include '{}': {} {}", shorten(entry), shorten(path),
                                   kind == fs::file_type::not_found || kind == fs::file_type::none
                                       ? "does not exist"
                                       : "is not a regular file"));
    return {};
}

}  // namespace

void load_includes(config_reader& r, const YAML::Node& include, const std::string& main_file,
                   const checks_loader& load, config_sources& sources) {
    if (!include.IsDefined() || include.IsNull()) return;
    auto entries = r.string_list(include, "include");
    if (!entries) return;
    const std::string folder = folder_of(main_file);
    const std::string main_id = identity(main_file);
    std::set<std::string> seen = {main_id};
    std::size_t count = 0;
    for (std::size_t i = 0; i < entries->size(); ++i) {
        const YAML::Node at = include.IsSequence() ? include[i] : include;
        const auto& entry = (*entries)[i];
        for (const auto& file : entry_files(r, at, entry, folder, sources)) {
            auto id = identity(file);
            if (id == main_id && !is_glob_pattern(entry)) {
                r.error(at.Mark(), fmt::format("'{}' is this file itself: a file cannot include "
                                               "itself",
                                               shorten(entry)));
                continue;
            }
            // A file matched again (by `*.yaml` next to the main file, or by two patterns) is
            // read once, where it came first.
            if (!seen.insert(id).second) continue;
            if (++count > max_included_files) {
                r.error(at.Mark(), fmt::format("'include' names more than {} files: is '{}' the "
                                               "pattern you meant?",
                                               max_included_files, shorten(entry)));
                return;
            }
            read_included(r, file, load, sources);
        }
    }
}

}  // namespace config_detail

}  // namespace heartbeat
