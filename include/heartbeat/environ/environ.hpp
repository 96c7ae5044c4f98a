#pragma once

#include <memory>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "heartbeat/probes.hpp"

namespace heartbeat {

/** One installed distribution, from its `*.dist-info/METADATA` or `*.egg-info/PKG-INFO`. */
struct distribution {
    std::string source;                      // the metadata folder or file name, for messages
    std::string name;                        // `Name:` as written
    std::string version;                     // `Version:` as written
    std::vector<std::string> requires_dist;  // raw requirement lines (egg-info markers folded in)
    std::string error;                       // why this one could not be read; empty when fine
};

/** What a virtualenv holds, read from its files without running Python. */
struct virtualenv_scan {
    std::string site_packages;  // where distributions were looked for
    std::optional<std::vector<int>>
        python;  // [major, minor, micro] (or [major, minor] from a folder name)
    std::vector<distribution> distributions;
    std::string error;  // why nothing could be read; empty when fine
};

/** Reads a virtualenv root (or a site-packages folder given directly). Never throws. */
virtualenv_scan scan_virtualenv(const std::string& path);

/** `[major, minor, micro]` from the text of a `pyvenv.cfg` (`version`, `version_info`, any
 * spelling). */
std::optional<std::vector<int>> python_from_pyvenv_cfg(std::string_view text);

/** Fields of an RFC 822 style metadata file: `Name`, `Version`, every `Requires-Dist`. */
distribution parse_metadata(std::string_view text, std::string source);

/**
 * `libraries` of the environ answer: each distribution with its version and `conflicts` — null when
 * every applicable requirement is met, else the unmet ones with the installed version (null when
 * missing) — the verdicts of `pip check`.
 */
json::object libraries_json(const virtualenv_scan& scan);

/** The `environ` answer: the application's environment, the daemon's own, allowed variables,
 * environ checks. */
class environ_reporter {
  public:
    explicit environ_reporter(environ_config cfg);

    /** Takes a new `environ:` section (on reload); the virtualenv is read again if it changed. */
    void configure(environ_config cfg);

    /** Reads the virtualenv again if its folder changed (at most every `recheck_every`), here and
     * now. For one-shot commands and tests; the daemon uses `refresh_in`. */
    void refresh(const moment& at);

    /** As `refresh`, with the reading done in `pool`: the caller's thread goes on answering. Waits
     * only when nothing has been read yet; meanwhile, answers use what was read before. */
    net::awaitable<void> refresh_in(net::thread_pool& pool, const moment& at);

    /** The body of `{base}/environ` from what was last read; its checks are those with `environ` in
     * their probes. Does no I/O. */
    probe_answer render(const status_list& checks, const moment& at);

    /** `{"version": ..., "uptime_s": ..., "libraries": {...}}` of heartbeatd itself. */
    json::object self(const moment& at) const;

    /** How often the virtualenv folder is looked at for changes. */
    duration recheck_every = std::chrono::seconds(2);

  private:
    /** What one look at the virtualenv found; `changed` is false when its folder had not changed.
     */
    struct venv_read {
        std::string venv;
        bool changed = false;
        std::string site;
        std::string stamp;
        json::object libraries;
        json::value python;
        std::string error;
    };
    /** Whether it is time to look at the virtualenv again (and notes that it is being looked at).
     */
    bool due(const moment& at);
    /** Looks at the folder and reads it if its stamp changed. Touches no member: runs anywhere. */
    static venv_read read_virtualenv(const std::string& venv, const std::string& site,
                                     const std::string& stamp);
    void apply(venv_read r);

    environ_config cfg_;
    steady_clock::time_point started_;
    // The virtualenv as last scanned, and what identified that state of its folder.
    std::optional<steady_clock::time_point> checked_;
    std::string site_;
    std::string stamp_;
    json::object libraries_;
    json::value python_;
    std::string venv_error_;
    bool reading_ = false;
    std::shared_ptr<net::steady_timer> read_done_;  // cancelled when a read ends: wakes its waiters
};

}  // namespace heartbeat
