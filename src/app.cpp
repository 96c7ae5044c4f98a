#include "heartbeat/app.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "heartbeat/checks/http/run.hpp"
#include "heartbeat/checks/unit.hpp"
#include "heartbeat/daemon.hpp"
#include "heartbeat/environ/environ.hpp"
#include "heartbeat/probes.hpp"
#include "heartbeat/process/reaper.hpp"
#include "heartbeat/process/signals.hpp"
#include "heartbeat/redact.hpp"
#include "heartbeat/runtime.hpp"
#include "heartbeat/scheduler.hpp"
#include "heartbeat/url.hpp"

namespace heartbeat {

namespace {

constexpr const char* default_config_path = "/etc/heartbeat/heartbeat.yaml";

/** Where the config comes from: --config, then $HEARTBEAT_CONFIG, then the default path if it
 * exists. */
struct config_source {
    std::optional<std::string> path;  // none: run with no checks
    bool named = false;               // named by the user: a missing file is an error
};

config_source find_config(const cli_options& o) {
    if (o.config_path) return {o.config_path, true};
    if (const char* env = std::getenv("HEARTBEAT_CONFIG"); env && *env)
        return {std::string(env), true};
    std::error_code ec;
    if (std::filesystem::exists(default_config_path, ec))
        return {std::string(default_config_path), false};
    return {};
}

/** Loads the config a command needs, logging its problems; nullopt when it must not go on. */
std::optional<config> load_or_report(const config_source& src, config_sources* sources = nullptr) {
    if (!src.path) {
        spdlog::warn(
            "no config file: neither --config, $HEARTBEAT_CONFIG nor {} names one; running with no "
            "checks "
            "(every probe answers 200)",
            default_config_path);
        return config{};
    }
    auto r = load_config(*src.path);
    log_diagnostics(r, *src.path);
    if (!r.ok()) {
        spdlog::error("{}: the configuration has errors; not starting", *src.path);
        return std::nullopt;
    }
    if (sources) *sources = std::move(r.sources);
    prepare_checks(*r.cfg);
    return std::move(r.cfg);
}

/**
 * Where `heartbeatd probe` asks without a URL: the probe at the config's server.listen and
 * base_path (found as `serve` finds it). A file that does not load still gives what can be read of
 * them, and the defaults for the rest; stderr says so, as the answer may then come from elsewhere.
 */
std::string url_from_config(const cli_options& o, std::vector<std::string>& secrets) {
    server_config server;
    std::string note;
    if (auto src = find_config(o); src.path) {
        auto r = load_config(*src.path);
        if (r.ok()) {
            server = r.cfg->server;
            secrets = r.cfg->variable_secrets;
        } else {
            auto section = read_server_section(r.text);
            server = section.server;
            secrets = section.variable_secrets;
            auto errors = std::count_if(r.diagnostics.begin(), r.diagnostics.end(),
                                        [](const diagnostic& d) { return !d.warning; });
            auto first = std::find_if(r.diagnostics.begin(), r.diagnostics.end(),
                                      [](const diagnostic& d) { return !d.warning; });
            note = fmt::format(
                "the config does not load ({}{})",
                first == r.diagnostics.end() ? *src.path : first->format(*src.path),
                errors > 1 ? fmt::format("; {} more problem{}", errors - 1, errors > 2 ? "s" : "")
                           : "");
            for (std::size_t i = 0; i < section.unread.size(); ++i)
                note += fmt::format("{}server.{}", i == 0 ? "; using the default " : " and ",
                                    section.unread[i]);
        }
    }
    if (o.listen) std::tie(server.host, server.port) = *parse_listen(*o.listen);
    std::string path = server.base_path == "/" ? std::string() : server.base_path;
    path += '/';
    path += probe_name(parse_probe(o.probe).value_or(probe::readiness));
    auto url = local_url(server.host, server.port, path, ipv6_loopback_works());
    // The address may come from environment variables: secrets, never printed.
    if (!note.empty())
        std::cerr << "heartbeatd probe: " << redact(note + ", asking " + url, secrets) << '\n';
    return url;
}

}  // namespace

/** True when this kernel has IPv6: a daemon on `[::]` then listens on IPv6 (and IPv4) and `[::1]`
 * reaches it; without, the daemon falls back to `0.0.0.0`, reached at `127.0.0.1`. */
bool ipv6_loopback_works() {
    int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

int run_serve(const cli_options& options) {
    auto src = find_config(options);
    config_sources sources;
    auto cfg = load_or_report(src, &sources);
    if (!cfg) return 1;
    std::string host = cfg->server.host;
    std::uint16_t port = cfg->server.port;
    if (options.listen) std::tie(host, port) = *parse_listen(*options.listen);

    // Orphaned grandchildren of exec checks come back to us to be reaped (as they do to PID 1).
    if (!process_reaper::become_subreaper())
        spdlog::warn("cannot become a child subreaper: {}", std::strerror(errno));
    if (::getpid() == 1) spdlog::info("running as PID 1: reaping every orphan");
    net::io_context ioc(1);
    std::optional<daemon> d;
    {
        signals_blocked in_workers;  // the daemon's threads start here; signals go to this one
        d.emplace(ioc, std::move(*cfg), src.path);
    }
    if (!d->start(host, port, std::move(sources))) return 1;
    ioc.run();
    return 0;
}

int run_validate(const cli_options& options) {
    auto r = load_config(*options.config_path);
    for (const auto& d : r.diagnostics) std::cout << d.format(*options.config_path) << '\n';
    if (!r.ok()) return 1;
    std::cout << "ok: " << r.cfg->checks.size() << " checks\n";
    return 0;
}

int run_check_once(const cli_options& options) {
    auto src = find_config(options);
    auto cfg = load_or_report(src);
    if (!cfg) return 1;
    probe p = *parse_probe(options.probe);

    // As in serve: what a command leaves behind comes back to us, to be ended with its run.
    process_reaper::become_subreaper();
    net::io_context ioc(1);
    check_runtime runtime(ioc.get_executor());
    scheduler sched(ioc.get_executor(), runtime.runner(), schedule::mode::on_demand);
    sched.apply(cfg->checks);
    auto checks = select_checks(sched.statuses(), p, {});
    bool ok = false;
    std::string body;
    auto wanted = [p](const check_status& c) { return selected(c, p, {}); };
    net::co_spawn(ioc, sched.prepare(wanted), [&](std::exception_ptr) {
        auto at = moment::now();
        environ_reporter environ(cfg->environ);
        if (p == probe::environ) environ.refresh(at);
        auto a = p == probe::environ ? environ.render(checks, at) : render_probe(p, checks, at, {});
        ok = a.ok;
        body = std::move(a.body);
        ioc.stop();  // the SIGCHLD watch would keep run() going forever
    });
    ioc.run();
    sched.stop();
    runtime.shutdown(std::chrono::seconds(5));
    std::cout << body << '\n';
    return ok ? 0 : 1;
}

int run_probe(const cli_options& options) {
    std::vector<std::string> secrets;
    std::string target = options.url ? *options.url : url_from_config(options, secrets);
    std::string why;
    if (!parse_url(target, &why)) {
        std::cerr << "heartbeatd probe: the URL " << why << '\n';
        return 1;
    }
    http_spec spec;
    spec.url = target;
    net::io_context ioc(1);
    std::optional<check_result> result;
    net::co_spawn(ioc, run_http(spec, options.timeout, steady_clock::now() + options.timeout),
                  [&](std::exception_ptr e, check_result r) {
                      if (!e) result = std::move(r);
                  });
    // The check ends within its timeout; the cap here only guards against the impossible.
    ioc.run_for(options.timeout + std::chrono::seconds(5));
    if (!result) {
        std::cerr << "heartbeatd probe: no answer\n";
        return 1;
    }
    if (!result->ok) std::cerr << "heartbeatd probe: " << redact(result->message, secrets) << '\n';
    return result->ok ? 0 : 1;
}

}  // namespace heartbeat
