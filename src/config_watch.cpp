#include "heartbeat/config_watch.hpp"

#include <sys/inotify.h>

#include <filesystem>

#include <spdlog/spdlog.h>

#include "heartbeat/config.hpp"

namespace heartbeat {

namespace fs = std::filesystem;

config_watcher::config_watcher(net::any_io_executor ex, std::string path,
                               std::function<void()> on_change, duration debounce,
                               duration fallback)
    : ex_(ex),
      path_(std::move(path)),
      on_change_(std::move(on_change)),
      debounce_(debounce),
      fallback_(fallback),
      timer_(ex) {}

config_watcher::~config_watcher() {
    stop();
}

std::string config_watcher::fingerprint() const {
    // The content itself, read as a reload reads it: a change of content, and nothing else, is a
    // change.
    return read_config_text(path_);
}

void config_watcher::start(std::string loaded) {
    // What was loaded, not what is on disk now: a change made since loading must still count.
    seen_ = std::move(loaded);
    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd >= 0) {
        constexpr std::uint32_t mask = IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM |
                                       IN_CREATE | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF |
                                       IN_MOVE_SELF;
        // The folder, not the file: a rename-over or a symlink swap replaces the file itself.
        std::error_code ec;
        fs::path given(path_);
        fs::path folder = given.has_parent_path() ? given.parent_path() : fs::path(".");
        int watches = ::inotify_add_watch(fd, folder.c_str(), mask) >= 0 ? 1 : 0;
        auto target = fs::canonical(given, ec);
        if (!ec && target.parent_path() != fs::canonical(folder, ec))
            watches += ::inotify_add_watch(fd, target.parent_path().c_str(), mask) >= 0 ? 1 : 0;
        if (watches > 0) {
            inotify_ = std::make_unique<net::posix::stream_descriptor>(ex_, fd);
            net::co_spawn(ex_, read_events(), net::detached);
        } else {
            ::close(fd);
        }
    }
    // Whatever changed before the watch was set up is caught by a first look right away.
    dirty_ = true;
    if (!inotify_)
        spdlog::warn("cannot watch {} with inotify; looking for changes every {} instead", path_,
                     format_duration(fallback_));
    net::co_spawn(ex_, check_loop(), net::detached);
}

void config_watcher::stop() {
    stopped_ = true;
    timer_.cancel();
    if (inotify_) {
        boost::system::error_code ignored;
        inotify_->close(ignored);
    }
}

net::awaitable<void> config_watcher::read_events() {
    alignas(inotify_event) char buf[8192];
    while (!stopped_) {
        auto [ec, n] = co_await inotify_->async_read_some(net::buffer(buf), use_nothrow);
        if (ec || stopped_) co_return;
        // What happened does not matter: any event in the folder makes a (debounced) look at the
        // content.
        dirty_ = true;
        timer_.cancel();
    }
}

net::awaitable<void> config_watcher::check_loop() {
    while (!stopped_) {
        if (!dirty_) {
            timer_.expires_after(fallback_);
            co_await timer_.async_wait(use_nothrow);
            if (stopped_) break;
        }
        if (dirty_) {
            // Debounce: an editor or a ConfigMap update makes several events; wait until they stop,
            // but not forever: in a busy folder (the config in /tmp) events may never stop.
            auto give_up =
                steady_clock::now() + std::max<duration>(10 * debounce_, std::chrono::seconds(1));
            for (;;) {
                dirty_ = false;
                timer_.expires_after(debounce_);
                auto [ec] = co_await timer_.async_wait(use_nothrow);
                if (stopped_) co_return;
                if ((!ec && !dirty_) || steady_clock::now() >= give_up) break;
            }
        }
        auto now = fingerprint();
        if (now == seen_) continue;
        seen_ = std::move(now);
        on_change_();
    }
}

}  // namespace heartbeat
