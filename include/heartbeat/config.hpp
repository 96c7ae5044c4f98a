#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "heartbeat/checks/specs.hpp"
#include "heartbeat/durations.hpp"

namespace heartbeat {

/** The probes a check can answer. */
enum class probe { readiness, liveliness, startup, environ };

/** The probe's name as it appears in paths and in the YAML. */
std::string_view probe_name(probe p);

/** Parses a probe name (`liveness` is an alias of `liveliness`). */
std::optional<probe> parse_probe(std::string_view name);

/** One entry of `checks:`. */
struct check_config {
    std::string name;
    std::set<probe> probes{probe::readiness};
    duration timeout = std::chrono::seconds(1);
    duration interval = std::chrono::seconds(10);
    /** The interval while the check is reported failing, or has not passed yet; none: `interval`.
     */
    std::optional<duration> interval_failing;
    int failure_threshold = 1;
    int success_threshold = 1;
    bool enabled = true;
    /** More attempts within one run, after a failing one, each `retry_delay` after the last. */
    int retries = 0;
    /** The pause between attempts. 200ms: two retries and their attempts still fit the default
     * 1s timeout (with 1s, a single retry could never start there). */
    duration retry_delay = std::chrono::milliseconds(200);
    /** A liveliness check that reaches another host on purpose: no warning about it. */
    bool allow_remote = false;
    /** `critical: false`: reported with its real status, but it fails no probe (a warning). */
    bool critical = true;
    check_spec spec;
    /** Values of environment variables its keys were expanded from: secrets, never shown. */
    std::vector<std::string> variable_secrets;
    int line = 0;  // where the entry starts in the file, 1-based

    /** The name of its type (`tcp`, `http`, ...). */
    std::string_view type() const;
    /** True when two definitions would run the same check the same way. */
    bool same_definition(const check_config& other) const;
};

/** `server:` */
struct server_config {
    std::string host = "0.0.0.0";
    std::uint16_t port = 8080;
    std::string base_path = "/.well-known/heartbeat";
    std::string metrics_path = "/metrics";
    duration shutdown_delay{0};
    std::size_t max_connections = 256;
    /** `push_listen`: where push checks' reports are taken; off with `""` or `false`. */
    bool push_enabled = true;
    std::string push_host = "127.0.0.1";
    std::uint16_t push_port = 8081;
    /** `maintenance_switch`: opens the push listener for `{base}/maintenance` even without push
     * checks. */
    bool maintenance_switch = false;
    /** `push_token_file`, as written; empty: reports need no token. */
    std::string push_token_file;
    /** The token the file held when the config was loaded (never shown, never logged). */
    std::string push_token;
};

/** `environ:` */
struct environ_config {
    std::optional<std::string> virtualenv;
    std::vector<std::string> variables;
};

/** The whole file. */
struct config {
    std::string path;  // where it was read from; empty for the built-in empty config
    server_config server;
    environ_config environ;
    std::vector<check_config> checks;  // enabled and disabled, in file order
    /** Every value of an environment variable the file's values were expanded from (secrets). */
    std::vector<std::string> variable_secrets;
};

/** A problem (or a warning) found in a config file, with its place. */
struct diagnostic {
    int line = 0;    // 1-based; 0 when the problem has no place (unreadable file)
    int column = 0;  // 1-based
    std::string message;
    bool warning = false;
    std::string file;  // the included file it is in, as named; empty: the main file
    /** `PATH:LINE:COLUMN: message` (or `PATH:LINE:COLUMN: warning: message`); PATH is `file`, or
     * `path` (the main file's) when empty. */
    std::string format(std::string_view path) const;
};

/** One glob pattern of `include` and what it matched. */
struct include_glob {
    std::string folder;   // the including file's folder, as named ("" for the working directory)
    std::string pattern;  // as written
    std::vector<std::string> matches;
    bool operator==(const include_glob&) const = default;
};

/** What a config was read from: the files and the `include` patterns whose matches may change. */
struct config_sources {
    /** Each file read (the main one first), as named, with the content_hash of what was read. */
    std::vector<std::pair<std::string, std::size_t>> files;
    /** Each glob pattern of `include`, with the files it matched. */
    std::vector<include_glob> globs;

    /** The folders whose changes may change the config: each file's, and each pattern's. */
    std::vector<std::string> folders() const;
    /** Equal for two sources when no file content and no pattern's matches differ. */
    bool operator==(const config_sources&) const = default;
};

/** A hash of a file's content: what the watcher keeps to tell a change, rather than a copy of up
 * to a MiB per file held for the daemon's lifetime. */
std::size_t content_hash(std::string_view text);

/** The same files and patterns as `before`, as they are on disk now (read and matched again). */
config_sources reread_sources(const config_sources& before);

/** Adds each file of `paths` to `sources` with the content_hash of what it holds now, as
 * reread_sources will read it ("" when it cannot be read). */
void add_key_files(config_sources& sources, const std::vector<std::string>& paths);

/** The matches of `pattern` (relative ones taken from `folder`), sorted: only regular files (or
 * links to them). Glob characters in `folder` stand for themselves. */
std::vector<std::string> glob_files(const std::string& folder, const std::string& pattern);

/** True when `text` has a glob character (`*`, `?`, `[`): a pattern, not a literal path. */
bool is_glob_pattern(std::string_view text);

/** The outcome of loading: a config when there is no error, and every diagnostic found. */
struct load_result {
    std::optional<config> cfg;
    std::string text;        // the file's content as read (to tell a later change from this one)
    config_sources sources;  // the main file and the files it includes, as read
    std::vector<diagnostic> diagnostics;
    bool ok() const { return cfg.has_value(); }
};

/** Parses YAML text; `path` names it in diagnostics, and a file check's relative `path` is taken
 * relative to its folder, as are `include` patterns (whose files it reads). Never throws. */
load_result parse_config(std::string_view text, std::string path);

/** Reads and parses a file. Never throws. */
load_result load_config(const std::string& path);

/** What `heartbeatd probe` could read of the `server:` section of a file that does not load. */
struct server_section {
    server_config server;             // the defaults for what could not be read
    std::vector<std::string> unread;  // the keys of `server` (listen, base_path) left at their
                                      // default although the file may set them
    std::vector<std::string> variable_secrets;  // values it took from the environment
};

/**
 * Reads `listen` and `base_path` from `server:` alone, each on its own: a bad value, or a problem
 * elsewhere in the file, leaves the other one usable. Never throws.
 */
server_section read_server_section(std::string_view text);

/**
 * A config file's content as `load_config` reads it (capped a little past the size limit), or a
 * marker that no file content can equal when it cannot be read: what a change is measured against.
 */
std::string read_config_text(const std::string& path, std::string* error = nullptr);

/** Splits `host:port` / `[v6]:port`; nullopt when malformed. */
std::optional<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view text);

}  // namespace heartbeat
