#include "heartbeat/config_watch.hpp"

#include <sys/inotify.h>

#include <filesystem>
#include <set>

#include <spdlog/spdlog.h>

#include "heartbeat/config.hpp"

namespace heartbeat {

namespace fs = std::filesystem;

namespace {
constexpr std::uint32_t watch_mask = IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM |
                                     IN_CREATE | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF |
                                     IN_MOVE_SELF;
}  // namespace

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

void config_watcher::start(config_sources loaded) {
    // What was loaded, not what is on disk now: a change made since loading must still count.
    seen_ = std::move(loaded);
    if (seen_.files.empty()) seen_.files.emplace_back(path_, content_hash(read_config_text(path_)));
    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd >= 0) {
        inotify_ = std::make_unique<net::posix::stream_descriptor>(ex_, fd);
        update_watches();
        if (watches_.empty()) {
            boost::system::error_code ignored;
            inotify_->close(ignored);
            inotify_.reset();
        } else {
            net::co_spawn(ex_, read_events(), net::detached);
        }
    }
    // Whatever changed before the watch was set up is caught by a first look right away.
    dirty_ = true;
    if (!inotify_)
        spdlog::warn("cannot watch {} with inotify; looking for changes every {} instead", path_,
                     format_duration(fallback_));
    net::co_spawn(ex_, check_loop(), net::detached);
}

void config_watcher::mark_seen(config_sources sources) {
    seen_ = std::move(sources);
    update_watches();
}

std::vector<std::string> config_watcher::watched() const {
    std::vector<std::string> out;
    for (const auto& [wd, folder] : watches_) out.push_back(folder);
    return out;
}

void config_watcher::update_watches() {
    if (!inotify_ || stopped_) return;
    // Folders, not files: a rename-over or a symlink swap replaces a file itself. Each file's link
    // target's folder too: a config may be a link into a folder elsewhere.
    std::set<std::string> wanted;
    for (auto& folder : seen_.folders()) wanted.insert(std::move(folder));
    for (const auto& [file, content] : seen_.files) {
        std::error_code ec;
        auto target = fs::canonical(file, ec);
        if (!ec) wanted.insert(target.parent_path().string());
    }
    // A folder watched already keeps its descriptor; one that does not exist (yet) is left to the
    // periodic look and tried again at the next.
    std::map<int, std::string> now;
    for (const auto& folder : wanted) {
        int wd = ::inotify_add_watch(inotify_->native_handle(), folder.c_str(), watch_mask);
        if (wd >= 0) now.emplace(wd, folder);
    }
    for (const auto& [wd, folder] : watches_)
        if (!now.count(wd)) ::inotify_rm_watch(inotify_->native_handle(), wd);
    watches_ = std::move(now);
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
        // The folders first: a ConfigMap swap or a new pattern's folder may need a watch of its
        // own.
        update_watches();
        // The contents and matches themselves, read as a reload reads them: a change of them, and
        // nothing else, is a change.
        auto now = reread_sources(seen_);
        if (now == seen_) continue;
        seen_ = std::move(now);
        on_change_();
    }
}

}  // namespace heartbeat
