#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "heartbeat/durations.hpp"

namespace heartbeat {

/** The probes a check can answer. */
enum class probe { readiness, liveliness, startup, environ };

/** The probe's name as it appears in paths and in the YAML. */
std::string_view probe_name(probe p);

/** Parses a probe name (`liveness` is an alias of `liveliness`). */
std::optional<probe> parse_probe(std::string_view name);

/** `type: tcp` — a TCP connect, optionally a send and an expected reply. */
struct tcp_spec {
    std::string host;
    std::uint16_t port = 0;
    std::optional<std::string> send;
    std::optional<std::string> expect;
};

/** An expected HTTP status: one code (`200`) or a class (`2xx`). */
struct status_match {
    int code = 0;    // 100..599 for an exact code
    int class_ = 0;  // 1..5 for `Nxx`, 0 otherwise
    bool matches(int status) const { return class_ ? status / 100 == class_ : status == code; }
    bool operator==(const status_match&) const = default;
};

class tls_slot;  // heartbeat/net/tls.hpp
/** A new, empty place for the TLS context of one http check definition. */
std::shared_ptr<tls_slot> new_tls_slot();

/** `type: http` — one request, no redirects followed. */
struct http_spec {
    std::string url;
    std::string method = "GET";
    std::vector<std::pair<std::string, std::string>> headers;
    std::vector<status_match> expect_status;  // empty: 200..399
    std::optional<std::string> expect_body;
    bool tls_verify = true;
    std::optional<std::string> ca_file;
    // Not configuration: made with each parsed definition and shared by its copies, so that the
    // TLS context is built once per definition (see tls_slot) and a reload keeps it with the check.
    std::shared_ptr<tls_slot> tls = new_tls_slot();
};

/** `type: exec` — a command, as argv or through `/bin/sh -c`. */
struct exec_spec {
    std::vector<std::string> argv;  // for a string command: {"/bin/sh", "-c", command}
    std::map<std::string, std::string> env;
    std::optional<std::string> cwd;
    int expect_exit = 0;
};

/** `type: file` — a path that must exist, optionally fresh and large enough. */
struct file_spec {
    enum class kind { any, file, dir };
    std::string path;  // a relative one is made relative to the config file's folder at load
    kind kind_ = kind::any;
    std::optional<duration> max_age;
    std::optional<std::uint64_t> min_size;
};

/** One entry of `checks:`. */
struct check_config {
    std::string name;
    std::set<probe> probes{probe::readiness};
    duration timeout = std::chrono::seconds(1);
    duration interval = std::chrono::seconds(10);
    int failure_threshold = 1;
    int success_threshold = 1;
    bool enabled = true;
    std::variant<tcp_spec, http_spec, exec_spec, file_spec> spec;
    int line = 0;  // where the entry starts in the file, 1-based

    /** `tcp`, `http`, `exec` or `file`. */
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
};

/** A problem (or a warning) found in a config file, with its place. */
struct diagnostic {
    int line = 0;    // 1-based; 0 when the problem has no place (unreadable file)
    int column = 0;  // 1-based
    std::string message;
    bool warning = false;
    /** `PATH:LINE:COLUMN: message` (or `PATH:LINE:COLUMN: warning: message`). */
    std::string format(std::string_view path) const;
};

/** The outcome of loading: a config when there is no error, and every diagnostic found. */
struct load_result {
    std::optional<config> cfg;
    std::string text;  // the file's content as read (to tell a later change from this one)
    std::vector<diagnostic> diagnostics;
    bool ok() const { return cfg.has_value(); }
};

/** Parses YAML text; `path` names it in diagnostics, and a file check's relative `path` is taken
 * relative to its folder. Never throws. */
load_result parse_config(std::string_view text, std::string path);

/** Reads and parses a file. Never throws. */
load_result load_config(const std::string& path);

/** What `heartbeatd probe` could read of the `server:` section of a file that does not load. */
struct server_section {
    server_config server;             // the defaults for what could not be read
    std::vector<std::string> unread;  // the keys of `server` (listen, base_path) left at their
                                      // default although the file may set them
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
