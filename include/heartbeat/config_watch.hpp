#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "heartbeat/asio.hpp"
#include "heartbeat/config.hpp"
#include "heartbeat/durations.hpp"

namespace heartbeat {

/**
 * Notices when a config changes: the content of its file or of a file it includes (an in-place
 * write, an editor's rename-over, or a Kubernetes ConfigMap update, which swaps the `..data`
 * symlink in the file's folder), or the files that an `include` pattern matches (one added to or
 * removed from a conf.d folder). inotify on each of their folders (and on each symlink target's
 * folder) wakes it; events are debounced; a periodic look catches anything inotify cannot see
 * (some network and overlay filesystems). Only a change of content or of matches calls
 * `on_change`: touching a file or rewriting it unchanged does nothing.
 */
class config_watcher {
  public:
    config_watcher(net::any_io_executor ex, std::string path, std::function<void()> on_change,
                   duration debounce = std::chrono::milliseconds(300),
                   duration fallback = std::chrono::seconds(10));
    ~config_watcher();
    config_watcher(const config_watcher&) = delete;
    config_watcher& operator=(const config_watcher&) = delete;

    /** Starts watching; `loaded` is what the running config came from. */
    void start(config_sources loaded);
    /** Stops watching. */
    void stop();
    /** Remembers `sources` as seen: a reload read them (whichever way the reload came). Its files
     * and patterns are the ones watched from now on. */
    void mark_seen(config_sources sources);
    /** The folders inotify watches now. */
    std::vector<std::string> watched() const;

  private:
    net::awaitable<void> read_events();
    net::awaitable<void> check_loop();
    /** Watches the folders of what `seen_` names, and no others. */
    void update_watches();

    net::any_io_executor ex_;
    std::string path_;
    std::function<void()> on_change_;
    duration debounce_;
    duration fallback_;
    std::unique_ptr<net::posix::stream_descriptor> inotify_;
    std::map<int, std::string> watches_;  // inotify's descriptor of each watched folder
    net::steady_timer timer_;
    config_sources seen_;
    bool dirty_ = false;
    bool stopped_ = false;
};

}  // namespace heartbeat
