#define BOOST_TEST_MODULE integration_config_watch
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "child.hpp"
#include "heartbeat/config_watch.hpp"

// The config watcher on real files and inotify: a change to an included file, a file added to an
// included folder, a ConfigMap-style swap there. The periodic look is set to an hour, so only
// inotify on the right folders can notice in time.

using namespace heartbeat;
using namespace heartbeat::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A main config that includes conf.d/*.yaml, and a watcher on it that counts the changes.
struct watched_tree {
    temp_dir dir;
    fs::path root{dir.path()};
    std::string main = (root / "heartbeat.yaml").string();
    net::io_context ioc;
    int changes = 0;
    std::unique_ptr<config_watcher> watcher;

    explicit watched_tree(const std::string& main_text = "include: [conf.d/*.yaml]\n") {
        fs::create_directory(root / "conf.d");
        write("heartbeat.yaml", main_text);
        write("conf.d/a.yaml", "checks: []\n");
    }
    ~watched_tree() {
        if (watcher) watcher->stop();
        ioc.run_for(1s);  // lets the watcher's coroutines see the stop and end
    }
    /** Writes a file whole at once (a rename over it), so that one write is one change. The
     * temporary name matches no pattern. */
    void write(const std::string& name, const std::string& text) const {
        std::ofstream(root / (name + ".tmp"), std::ios::trunc) << text;
        fs::rename(root / (name + ".tmp"), root / name);
    }
    void start() {
        watcher = std::make_unique<config_watcher>(
            ioc.get_executor(), main, [this] { ++changes; }, 50ms, 1h);
        watcher->start(load_config(main).sources);
    }
    /** Runs the watcher until `done` holds, at most `ms`. */
    bool run_until(const std::function<bool()>& done, int ms) {
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        while (std::chrono::steady_clock::now() < until) {
            if (ioc.stopped()) ioc.restart();
            ioc.run_for(20ms);
            if (done()) return true;
        }
        return done();
    }
    /** Waits for the next change, as a reload would then read the sources again. */
    bool next_change(int before) {
        bool seen = run_until([&] { return changes > before; }, 5000);
        if (seen) watcher->mark_seen(load_config(main).sources);
        return seen;
    }
    bool watches(const fs::path& folder) const {
        auto w = watcher->watched();
        return std::find(w.begin(), w.end(), folder.string()) != w.end();
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_change_in_an_included_file_is_a_change) {
    watched_tree t;
    t.start();
    BOOST_TEST(t.watches(t.root / "conf.d"));
    t.write("conf.d/a.yaml", "checks:\n  - {name: a, type: file, path: /}\n");
    BOOST_TEST(t.next_change(0));
    BOOST_TEST(t.changes == 1);
}

BOOST_AUTO_TEST_CASE(a_file_added_to_or_removed_from_an_included_folder_is_a_change) {
    watched_tree t;
    t.start();
    t.write("conf.d/b.yaml", "checks: []\n");
    BOOST_TEST(t.next_change(0));
    fs::remove(t.root / "conf.d" / "b.yaml");
    BOOST_TEST(t.next_change(1));
    // A file the pattern does not match changes nothing; a matching one after it still counts,
    // once.
    t.write("conf.d/notes.txt", "x");
    t.write("conf.d/c.yaml", "checks: []\n");
    BOOST_TEST(t.next_change(2));
    BOOST_TEST(t.changes == 3);
}

BOOST_AUTO_TEST_CASE(a_configmap_swap_in_an_included_folder_is_a_change) {
    // conf.d as the kubelet mounts a ConfigMap: a.yaml -> ..data/a.yaml, ..data -> ..v1.
    watched_tree t("include: [cm/*.yaml]\n");
    fs::path cm = t.root / "cm";
    fs::create_directories(cm / "..v1");
    t.write("cm/..v1/a.yaml", "checks: []\n");
    fs::create_directory_symlink("..v1", cm / "..data");
    fs::create_symlink("..data/a.yaml", cm / "a.yaml");
    t.start();
    BOOST_TEST(t.watches(cm));
    // The update: a new folder, a temporary link renamed over ..data, the old folder removed.
    fs::create_directory(cm / "..v2");
    t.write("cm/..v2/a.yaml", "checks:\n  - {name: v2, type: file, path: /}\n");
    fs::create_directory_symlink("..v2", cm / "..data_tmp");
    fs::rename(cm / "..data_tmp", cm / "..data");
    fs::remove_all(cm / "..v1");
    BOOST_TEST(t.next_change(0));
    // A key added to the ConfigMap: a new link in the folder, through the next swap.
    fs::create_directory(cm / "..v3");
    t.write("cm/..v3/a.yaml", "checks:\n  - {name: v2, type: file, path: /}\n");
    t.write("cm/..v3/b.yaml", "checks: []\n");
    fs::create_directory_symlink("..v3", cm / "..data_tmp");
    fs::rename(cm / "..data_tmp", cm / "..data");
    fs::create_symlink("..data/b.yaml", cm / "b.yaml");
    fs::remove_all(cm / "..v2");
    BOOST_TEST(t.next_change(1));
}

BOOST_AUTO_TEST_CASE(the_watched_folders_follow_the_config_at_every_reload) {
    watched_tree t;
    fs::create_directory(t.root / "other.d");
    t.start();
    BOOST_TEST(!t.watches(t.root / "other.d"));
    t.write("heartbeat.yaml", "include: [other.d/*.yaml]\n");
    BOOST_TEST(t.next_change(0));
    BOOST_TEST(t.watches(t.root / "other.d"));
    BOOST_TEST(!t.watches(t.root / "conf.d"));
    t.write("other.d/x.yaml", "checks: []\n");
    BOOST_TEST(t.next_change(1));
    // conf.d is no longer read: a change there is none.
    t.write("conf.d/a.yaml", "checks:\n  - {name: gone, type: file, path: /}\n");
    t.write("other.d/y.yaml", "checks: []\n");
    BOOST_TEST(t.next_change(2));
    BOOST_TEST(t.changes == 3);
}

// The files keys name are watched with the config: a Kubernetes Secret swapped under a check's
// token_file, a password_file named in an included file, and a push token file that is missing
// at first and then arrives.
BOOST_AUTO_TEST_CASE(a_secret_file_changed_or_arriving_is_a_change) {
    watched_tree t("include: [conf.d/*.yaml]\n"
                   "server: {push_token_file: late/push-token}\n"
                   "checks:\n"
                   "  - {name: api, type: http, url: 'http://127.0.0.1:1/', token_file: "
                   "secret/token}\n"
                   "  - {name: p, type: push, ttl: 1m}\n");
    fs::path secret = t.root / "secret";
    fs::create_directories(secret / "..v1");
    t.write("secret/..v1/token", "one\n");
    fs::create_directory_symlink("..v1", secret / "..data");
    fs::create_symlink("..data/token", secret / "token");
    t.write("conf.d/a.yaml", "checks:\n  - {name: db, type: postgres, host: 127.0.0.1, user: u, "
                             "password_file: ../db-password}\n");
    t.write("db-password", "first\n");
    t.start();
    BOOST_TEST(t.watches(secret));
    BOOST_TEST(!t.watches(t.root / "late"), "a folder that does not exist yet is not watched");
    // The Secret rotated: a new folder, ..data swapped, the old folder removed.
    fs::create_directory(secret / "..v2");
    t.write("secret/..v2/token", "two\n");
    fs::create_directory_symlink("..v2", secret / "..data_tmp");
    fs::rename(secret / "..data_tmp", secret / "..data");
    fs::remove_all(secret / "..v1");
    BOOST_TEST(t.next_change(0));
    t.write("db-password", "second\n");
    BOOST_TEST(t.next_change(1));
    // The token file's folder appears (the root folder is watched), then the file in it: the
    // periodic look is an hour, so inotify must see both.
    fs::create_directory(t.root / "late");
    t.write("late/push-token", "tok-late-arrival\n");
    BOOST_TEST(t.run_until([&] { return t.changes > 2; }, 5000));
}
