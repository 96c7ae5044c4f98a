#include "heartbeat/cli.hpp"

#include <fmt/format.h>

#include "heartbeat/config.hpp"

namespace heartbeat {

std::string usage() {
    return R"(heartbeatd - health-check sidecar: readiness, liveliness, startup and environ endpoints

Usage:
  heartbeatd [serve] [--config PATH] [--listen HOST:PORT]   run the daemon
  heartbeatd validate --config PATH                       check a config file, print every problem
  heartbeatd check --config PATH [PROBE]                  run a probe's checks once, print the JSON answer
  heartbeatd probe [URL | PROBE] [--timeout DURATION]     GET URL, exit 0 on 200-399, else 1; without
                                                          a URL, GET PROBE (default readiness) where
                                                          the config (as for serve) says it listens
  heartbeatd --version | --help

Options:
  --config PATH          config file (default: $HEARTBEAT_CONFIG, else /etc/heartbeat/heartbeat.yaml)
  --listen HOST:PORT     overrides server.listen ("[::]:8080" for IPv6; for `probe`: where to ask)
  --log-format text|json log line format (default text), to stderr
  --log-level LEVEL      trace, debug, info, warn, error, critical, off (default info)
  --timeout DURATION     for `probe` (default 1s)

Probes: readiness, liveliness (or liveness), startup, environ.
Exit codes: 0 success, 1 failure or bad configuration.
)";
}

cli_result parse_cli(const std::vector<std::string>& args) {
    cli_options o;
    cli_result r;
    bool command_seen = false;
    std::vector<std::string> positional;
    auto fail = [&](std::string why) {
        r.error = std::move(why);
        return r;
    };
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string arg = args[i];
        std::optional<std::string> inline_value;
        if (arg.starts_with("--") && arg.find('=') != std::string::npos) {
            inline_value = arg.substr(arg.find('=') + 1);
            arg = arg.substr(0, arg.find('='));
        }
        auto value = [&]() -> std::optional<std::string> {
            if (inline_value) return inline_value;
            if (i + 1 < args.size()) return args[++i];
            return std::nullopt;
        };
        if (arg == "--help" || arg == "-h") {
            o.cmd = cli_options::command::help;
            r.options = o;
            return r;
        }
        if (arg == "--version" || arg == "-V") {
            o.cmd = cli_options::command::version;
            r.options = o;
            return r;
        }
        if (arg == "--config" || arg == "-c") {
            auto v = value();
            if (!v) return fail("--config needs a path");
            o.config_path = *v;
        } else if (arg == "--listen") {
            auto v = value();
            if (!v || !parse_listen(*v))
                return fail("--listen needs HOST:PORT, e.g. 0.0.0.0:8080 or [::]:8080");
            o.listen = *v;
        } else if (arg == "--log-format") {
            auto v = value();
            if (v == "text")
                o.format = log_format::text;
            else if (v == "json")
                o.format = log_format::json;
            else
                return fail("--log-format is text or json");
        } else if (arg == "--log-level") {
            auto v = value();
            if (!v) return fail("--log-level needs a level");
            auto level = spdlog::level::from_str(*v);
            if (level == spdlog::level::off && *v != "off")
                return fail("unknown --log-level '" + *v + "'");
            o.level = level;
        } else if (arg == "--timeout") {
            auto v = value();
            auto d = v ? parse_duration(*v) : std::nullopt;
            if (!d || d->count() == 0)
                return fail("--timeout needs a duration such as 2s or 500ms");
            o.timeout = *d;
        } else if (arg.starts_with("-") && arg != "-") {
            return fail("unknown option '" + arg + "'");
        } else if (!command_seen && positional.empty() &&
                   (arg == "serve" || arg == "validate" || arg == "check" || arg == "probe")) {
            command_seen = true;
            if (arg == "validate")
                o.cmd = cli_options::command::validate;
            else if (arg == "check")
                o.cmd = cli_options::command::check;
            else if (arg == "probe")
                o.cmd = cli_options::command::probe;
        } else {
            positional.push_back(arg);
        }
    }
    using c = cli_options::command;
    if (o.cmd == c::check && !positional.empty()) {
        o.probe = positional.front();
        if (!parse_probe(o.probe))
            return fail("unknown probe '" + o.probe + "': readiness, liveliness, startup, environ");
        positional.erase(positional.begin());
    } else if (o.cmd == c::probe && !positional.empty()) {
        // A probe's name is never a URL (a URL starts with a scheme), so one positional serves
        // both.
        if (parse_probe(positional.front()))
            o.probe = positional.front();
        else
            o.url = positional.front();
        positional.erase(positional.begin());
    }
    if (!positional.empty()) return fail("unexpected argument '" + positional.front() + "'");
    if (o.cmd == c::validate && !o.config_path) return fail("validate needs --config PATH");
    r.options = o;
    return r;
}

}  // namespace heartbeat
