#include "heartbeat/environ/environ.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include <fmt/format.h>
#include <openssl/opensslv.h>
#include <spdlog/spdlog.h>
#include <spdlog/version.h>
#include <boost/version.hpp>

#include "heartbeat/deadline.hpp"
#include "heartbeat/json_text.hpp"
#include "heartbeat/environ/pep508.hpp"

namespace heartbeat {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t metadata_cap = 1
                                     << 20;  // the headers of any real METADATA fit many times over

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return out;
}

/** Reads at most `cap` bytes; nullopt with `why` when the file cannot be read. */
std::optional<std::string> read_file(const fs::path& p, std::string& why,
                                     std::size_t cap = metadata_cap) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
        why = fmt::format("cannot read {}: {}", p.filename().string(), std::strerror(errno));
        return std::nullopt;
    }
    std::string text(cap, '\0');
    in.read(text.data(), static_cast<std::streamsize>(cap));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (in.bad()) {
        why = fmt::format("cannot read {}", p.filename().string());
        return std::nullopt;
    }
    return text;
}

/** egg-info `requires.txt`: plain lines, `[extra]` sections (skipped: extras are never checked),
 * `[:marker]` sections. */
std::vector<std::string> egg_requirements(std::string_view text) {
    std::vector<std::string> out;
    std::string marker;
    bool skip = false;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        auto line = trim(
            text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        if (line.empty() || line.front() == '#') continue;
        if (line.front() == '[' && line.back() == ']') {
            auto section = line.substr(1, line.size() - 2);
            auto colon = section.find(':');
            skip = colon != 0 && !section.empty();  // "[extra]" or "[extra:marker]"
            marker = colon == std::string_view::npos ? "" : std::string(section.substr(colon + 1));
            continue;
        }
        if (skip) continue;
        out.push_back(marker.empty() ? std::string(line) : std::string(line) + " ; " + marker);
    }
    return out;
}

}  // namespace

distribution parse_metadata(std::string_view text, std::string source) {
    distribution d;
    d.source = std::move(source);
    std::string key, value;
    auto flush = [&] {
        if (key.empty()) return;
        auto k = lower(key);
        auto v = std::string(trim(value));
        if (k == "name" && d.name.empty())
            d.name = v;
        else if (k == "version" && d.version.empty())
            d.version = v;
        else if (k == "requires-dist")
            d.requires_dist.push_back(v);
        key.clear();
        value.clear();
    };
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        std::string_view line =
            text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;  // the headers end; the description follows
        if (line.front() == ' ' || line.front() == '\t') {
            value += " ";
            value += trim(line);  // a folded header line
            continue;
        }
        flush();
        auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        key = std::string(line.substr(0, colon));
        value = std::string(line.substr(colon + 1));
    }
    flush();
    if (d.name.empty())
        d.error = "its metadata has no Name";
    else if (d.version.empty())
        d.error = "its metadata has no Version";
    return d;
}

std::optional<std::vector<int>> python_from_pyvenv_cfg(std::string_view text) {
    static const std::regex line_re(
        R"(^\s*(version|version_info|python_version)\s*[=:]\s*(\d+)\.(\d+)(?:\.(\d+))?)",
        std::regex::icase);
    std::optional<std::vector<int>> best;
    std::string t(text);
    std::istringstream lines(t);
    std::string line;
    while (std::getline(lines, line)) {
        std::smatch m;
        if (!std::regex_search(line, m, line_re)) continue;
        std::vector<int> v{std::stoi(m[2]), std::stoi(m[3])};
        if (m[4].matched) v.push_back(std::stoi(m[4]));
        if (!best || v.size() > best->size()) best = v;
    }
    return best;
}

virtualenv_scan scan_virtualenv(const std::string& path) {
    virtualenv_scan scan;
    std::error_code ec;
    fs::path root(path);
    if (!fs::is_directory(root, ec)) {
        scan.error = fmt::format("{} is not a readable folder", path);
        return scan;
    }
    // The folder is a virtualenv root (lib/pythonX.Y/site-packages inside) or site-packages itself.
    fs::path site;
    fs::path venv_root = root;
    for (const char* lib : {"lib", "lib64"}) {
        for (auto it = fs::directory_iterator(root / lib, ec);
             !ec && it != fs::directory_iterator(); it.increment(ec)) {
            auto name = it->path().filename().string();
            if (name.starts_with("python") && fs::is_directory(it->path() / "site-packages", ec)) {
                site = it->path() / "site-packages";
                break;
            }
        }
        if (!site.empty()) break;
        ec.clear();
    }
    if (site.empty()) {
        site = root;
        // lib/pythonX.Y/site-packages given directly: the root is two levels up.
        if (root.filename() == "site-packages")
            venv_root = root.parent_path().parent_path().parent_path();
    }
    scan.site_packages = site.string();

    std::string why;
    if (auto cfg = read_file(venv_root / "pyvenv.cfg", why, 64 * 1024))
        scan.python = python_from_pyvenv_cfg(*cfg);
    if (!scan.python) {
        static const std::regex folder_re(R"(python(\d+)\.(\d+))");
        std::smatch m;
        std::string parent = site.parent_path().filename().string();
        if (std::regex_match(parent, m, folder_re))
            scan.python = std::vector<int>{std::stoi(m[1]), std::stoi(m[2])};
    }

    std::vector<fs::path> entries;
    for (auto it = fs::directory_iterator(site, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
        auto name = it->path().filename().string();
        if (name.ends_with(".dist-info") || name.ends_with(".egg-info"))
            entries.push_back(it->path());
    }
    if (ec) scan.error = fmt::format("cannot list {}: {}", site.string(), ec.message());
    std::sort(entries.begin(), entries.end());
    for (const auto& p : entries) {
        auto name = p.filename().string();
        bool dist_info = name.ends_with(".dist-info");
        fs::path meta = dist_info ? p / "METADATA" : (fs::is_directory(p, ec) ? p / "PKG-INFO" : p);
        std::string err;
        auto text = read_file(meta, err);
        if (!text) {
            distribution d;
            d.source = name;
            d.error = err;
            scan.distributions.push_back(std::move(d));
            continue;
        }
        auto d = parse_metadata(*text, name);
        if (!dist_info && fs::is_directory(p, ec)) {
            std::string ignored;
            if (auto req = read_file(p / "requires.txt", ignored))
                d.requires_dist = egg_requirements(*req);
        }
        scan.distributions.push_back(std::move(d));
    }
    return scan;
}

json::object libraries_json(const virtualenv_scan& scan) {
    // Installed versions by normalized name; the first of duplicates wins, as for pip.
    std::map<std::string, std::string> installed;
    for (const auto& d : scan.distributions)
        if (d.error.empty()) installed.emplace(pep440::normalize_name(d.name), d.version);
    auto env = pep508::environment_for(scan.python.value_or(std::vector<int>{}));

    json::object libs;
    for (const auto& d : scan.distributions) {
        json::object entry;
        if (!d.error.empty()) {
            entry["version"] = d.version.empty() ? json::value(nullptr) : json::value(d.version);
            entry["conflicts"] = nullptr;
            entry["error"] = fmt::format("{}: {}", d.source, d.error);
            libs[d.name.empty() ? d.source : d.name] = std::move(entry);
            continue;
        }
        json::array conflicts;
        std::vector<std::string> unreadable;
        for (const auto& line : d.requires_dist) {
            std::string why;
            auto req = pep508::parse_requirement(line, &why);
            if (!req) {
                unreadable.push_back(fmt::format("'{}' ({})", line, why));
                continue;
            }
            if (!req->applies(env)) continue;  // an extra, or a marker that does not hold here
            auto it = installed.find(pep440::normalize_name(req->name));
            if (it == installed.end()) {
                conflicts.push_back(
                    json::object{{"requirement", req->to_string()}, {"installed", nullptr}});
            } else if (!req->url && !pep440::contains_all(req->specifiers, it->second)) {
                conflicts.push_back(
                    json::object{{"requirement", req->to_string()}, {"installed", it->second}});
            }
        }
        entry["version"] = d.version;
        entry["conflicts"] =
            conflicts.empty() ? json::value(nullptr) : json::value(std::move(conflicts));
        if (!unreadable.empty()) {
            std::string joined;
            for (auto& u : unreadable) joined += (joined.empty() ? "" : "; ") + u;
            entry["error"] = "requirements that could not be read: " + joined;
        }
        libs[d.name] = std::move(entry);
    }
    return libs;
}

environ_reporter::environ_reporter(environ_config cfg)
    : cfg_(std::move(cfg)), started_(steady_clock::now()) {}

void environ_reporter::configure(environ_config cfg) {
    if (cfg.virtualenv != cfg_.virtualenv) {
        checked_.reset();
        stamp_.clear();
    }
    cfg_ = std::move(cfg);
}

json::object environ_reporter::self(const moment& at) const {
    json::object o;
    o["version"] = HEARTBEAT_VERSION;
    o["uptime_s"] =
        std::round(std::chrono::duration<double>(at.steady - started_).count() * 10) / 10;
    json::object libs;
    libs["boost"] = fmt::format("{}.{}.{}", BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000,
                                BOOST_VERSION % 100);
    libs["yaml-cpp"] = "0.7";
    libs["spdlog"] = fmt::format("{}.{}.{}", SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH);
    libs["openssl"] = OPENSSL_VERSION_STR;
    o["libraries"] = std::move(libs);
    return o;
}

namespace {
/** What changes when the virtualenv changes: the folders' and pyvenv.cfg's modification times. */
std::string folder_stamp(const std::string& venv, const std::string& site) {
    std::string stamp;
    for (const auto& p : {venv, site, venv + "/pyvenv.cfg"}) {
        struct stat st {};
        if (::stat(p.c_str(), &st) == 0)
            stamp += fmt::format("{}.{}:{};", st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_ino);
        else
            stamp += "-;";
    }
    return stamp;
}
}  // namespace

bool environ_reporter::due(const moment& at) {
    if (!cfg_.virtualenv) {
        libraries_ = {};
        python_ = nullptr;
        venv_error_.clear();
        return false;
    }
    if (checked_ && at.steady - *checked_ < recheck_every) return false;
    checked_ = at.steady;
    return true;
}

environ_reporter::venv_read environ_reporter::read_virtualenv(const std::string& venv,
                                                              const std::string& site,
                                                              const std::string& stamp) {
    venv_read r;
    r.venv = venv;
    // A cheap look first: only a changed folder is read again.
    if (!stamp.empty() && folder_stamp(venv, site) == stamp) return r;
    auto started = steady_clock::now();
    auto scan = scan_virtualenv(venv);
    r.changed = true;
    r.site = scan.site_packages;
    r.stamp = folder_stamp(venv, r.site);
    r.libraries = libraries_json(scan);
    if (scan.python) {
        json::array v;
        for (int x : *scan.python) v.push_back(x);
        r.python = std::move(v);
    }
    r.error = scan.error;
    spdlog::info("read virtualenv {}: {} distributions in {:.1f} ms{}", venv,
                 scan.distributions.size(),
                 std::chrono::duration<double, std::milli>(steady_clock::now() - started).count(),
                 scan.error.empty() ? "" : " (" + scan.error + ")");
    return r;
}

void environ_reporter::apply(venv_read r) {
    if (!cfg_.virtualenv || r.venv != *cfg_.virtualenv) {
        checked_.reset();  // read for a virtualenv the config no longer names: read the new one
        return;
    }
    if (!r.changed) return;
    site_ = std::move(r.site);
    stamp_ = std::move(r.stamp);
    libraries_ = std::move(r.libraries);
    python_ = std::move(r.python);
    venv_error_ = std::move(r.error);
}

void environ_reporter::refresh(const moment& at) {
    if (due(at)) apply(read_virtualenv(*cfg_.virtualenv, site_, stamp_));
}

net::awaitable<void> environ_reporter::refresh_in(net::thread_pool& pool, const moment& at) {
    if (reading_) {
        // A read is in flight: answer with what was read before, or wait for the first read.
        if (!stamp_.empty()) co_return;
        auto done = read_done_;
        co_await done->async_wait(use_nothrow);
        co_return;
    }
    if (!due(at)) co_return;
    reading_ = true;
    read_done_ = std::make_shared<net::steady_timer>(co_await net::this_coro::executor,
                                                     steady_clock::time_point::max());
    auto done = read_done_;
    // Reading thousands of metadata files takes a while: never on the thread that answers probes.
    // A named lambda: g++ 12 destroys a lambda's captures twice when it is a temporary inside a
    // co_await expression.
    auto read = [venv = *cfg_.virtualenv, site = site_, stamp = stamp_] {
        return read_virtualenv(venv, site, stamp);
    };
    auto r =
        co_await offload_until<venv_read>(pool, steady_clock::time_point::max(), std::move(read));
    reading_ = false;
    if (r) apply(std::move(*r));
    done->cancel();
}

probe_answer environ_reporter::render(const status_list& checks, const moment& at) {
    json::object body;
    body["status"] = true;
    body["libraries"] = libraries_;
    body["python"] = python_;
    body["heartbeat"] = self(at);
    json::object vars;
    for (const auto& name : cfg_.variables) {
        // Only names the config lists; an unset one shows as null so a typo is visible.
        const char* v = std::getenv(name.c_str());
        if (v)
            vars[name] = v;
        else
            vars[name] = nullptr;
    }
    body["variables"] = std::move(vars);
    if (cfg_.virtualenv) {
        body["virtualenv"] = *cfg_.virtualenv;
        if (!venv_error_.empty()) body["virtualenv_error"] = venv_error_;
    }
    bool ok = true;
    json::object list;
    for (const auto& e : checks) {
        auto o = check_json(*e, probe::environ, at);
        ok = ok && o["status"].as_bool();
        // An environ check's data joins the top level, as the signal handlers of the seed did;
        // the keys heartbeatd itself writes keep their meaning.
        for (const auto& [k, v] : e->last.data)
            if (!body.contains(k)) body[k] = v;
        list[e->cfg.name] = std::move(o);
    }
    body["status"] = ok;
    body["checks"] = std::move(list);
    return {ok, to_json_text(body)};
}

}  // namespace heartbeat
