#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "heartbeat/asio.hpp"
#include "heartbeat/durations.hpp"

namespace heartbeat {

/**
 * Notices when a config file's content changes: an in-place write, an editor's rename-over, or a
 * Kubernetes ConfigMap update (which swaps the `..data` symlink in the file's folder). inotify on
 * the folder (and on the symlink target's folder) wakes it; events are debounced; a periodic look
 * catches anything inotify cannot see (some network and overlay filesystems). Only a change of
 * content calls `on_change`: touching the file or rewriting it unchanged does nothing.
 */
class config_watcher {
  public:
    config_watcher(net::any_io_executor ex, std::string path, std::function<void()> on_change,
                   duration debounce = std::chrono::milliseconds(300),
                   duration fallback = std::chrono::seconds(10));
    ~config_watcher();
    config_watcher(const config_watcher&) = delete;
    config_watcher& operator=(const config_watcher&) = delete;

    /** Starts watching; `loaded` is the content the running config came from. */
    void start(std::string loaded);
    /** Stops watching. */
    void stop();
    /** Remembers `content` as seen: a reload read it (whichever way the reload came). */
    void mark_seen(std::string content) { seen_ = std::move(content); }

  private:
    net::awaitable<void> read_events();
    net::awaitable<void> check_loop();
    std::string fingerprint() const;

    net::any_io_executor ex_;
    std::string path_;
    std::function<void()> on_change_;
    duration debounce_;
    duration fallback_;
    std::unique_ptr<net::posix::stream_descriptor> inotify_;
    net::steady_timer timer_;
    std::string seen_;
    bool dirty_ = false;
    bool stopped_ = false;
};

}  // namespace heartbeat
