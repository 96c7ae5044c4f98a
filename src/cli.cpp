#include "heartbeat/cli.hpp"

#include <optional>
#include <utility>

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
  heartbeatd wait [--config PATH] [--probe PROBE] [--timeout DURATION]
                                                          run PROBE's checks (default readiness) as
                                                          serve does, with no listener, until all
                                                          pass at once (default timeout 5m)
  heartbeatd --version | --help

Options:
  --config PATH          config file (default: $HEARTBEAT_CONFIG, else /etc/heartbeat/heartbeat.yaml)
  --listen HOST:PORT     overrides server.listen ("[::]:8080" for IPv6; for `probe`: where to ask)
  --log-format text|json log line format (default text), to stderr
  --log-level LEVEL      trace, debug, info, warn, error, critical, off (default info)
  --timeout DURATION     for `probe` (default 1s), for `wait` (default 5m)
  --probe PROBE          for `wait` (default readiness)

Probes: readiness, liveliness (or liveness), startup, environ.
Exit codes: 0 success, 1 failure or bad configuration.
  wait: 0 all checks pass, 1 timed out (the failing checks on stderr), 2 bad configuration,
  130 on SIGINT, 143 on SIGTERM.
)";
}

namespace {

using command = cli_options::command;

/** What the words read so far say: the options, whether the command word came, the other words.
 */
struct parse_state {
    cli_options options;
    bool command_seen = false;
    std::vector<std::string> positional;
};

/** A word split as `--name=value` (only a long option carries its value in the word itself). */
std::pair<std::string, std::optional<std::string>> split_option(const std::string& word) {
    auto eq = word.find('=');
    if (!word.starts_with("--") || eq == std::string::npos) return {word, std::nullopt};
    return {word.substr(0, eq), word.substr(eq + 1)};
}

/** The command of an option that ends the parse at once, whatever follows it. */
std::optional<command> command_of_flag(const std::string& name) {
    if (name == "--help" || name == "-h") return command::help;
    if (name == "--version" || name == "-V") return command::version;
    return std::nullopt;
}

bool takes_value(const std::string& name) {
    return name == "--config" || name == "-c" || name == "--listen" || name == "--log-format" ||
           name == "--log-level" || name == "--timeout" || name == "--probe";
}

/** Sets the option `name` (one that takes_value) to `v`; what is wrong with it, or "". */
std::string set_option(const std::string& name, const std::optional<std::string>& v,
                       cli_options& o) {
    if (name == "--config" || name == "-c") {
        if (!v) return "--config needs a path";
        o.config_path = *v;
    } else if (name == "--listen") {
        if (!v || !parse_listen(*v))
            return "--listen needs HOST:PORT, e.g. 0.0.0.0:8080 or [::]:8080";
        o.listen = *v;
    } else if (name == "--log-format") {
        if (v != "text" && v != "json") return "--log-format is text or json";
        o.format = v == "json" ? log_format::json : log_format::text;
    } else if (name == "--log-level") {
        if (!v) return "--log-level needs a level";
        auto level = spdlog::level::from_str(*v);
        // from_str answers `off` for any name it does not know.
        if (level == spdlog::level::off && *v != "off") return "unknown --log-level '" + *v + "'";
        o.level = level;
    } else if (name == "--timeout") {
        auto d = v ? parse_duration(*v) : std::nullopt;
        if (!d || d->count() == 0) return "--timeout needs a duration such as 2s or 500ms";
        o.timeout = *d;
        o.timeout_given = true;
    } else if (name == "--probe") {
        if (!v || !parse_probe(*v))
            return "--probe needs a probe: readiness, liveliness, startup or environ";
        o.probe = *v;
    }
    return "";
}

/** A word that is no option: the command when it comes first, else a positional argument. */
void take_word(const std::string& word, parse_state& s) {
    bool is_command = word == "serve" || word == "validate" || word == "check" || word == "probe" ||
                      word == "wait";
    if (s.command_seen || !s.positional.empty() || !is_command) {
        s.positional.push_back(word);
        return;
    }
    s.command_seen = true;
    if (word == "validate")
        s.options.cmd = command::validate;
    else if (word == "check")
        s.options.cmd = command::check;
    else if (word == "probe")
        s.options.cmd = command::probe;
    else if (word == "wait")
        s.options.cmd = command::wait;
}

/** Gives the first positional argument to the command that takes one; what is wrong, or "". */
std::string take_positionals(parse_state& s) {
    auto& o = s.options;
    auto& positional = s.positional;
    if (o.cmd == command::check && !positional.empty()) {
        o.probe = positional.front();
        if (!parse_probe(o.probe))
            return "unknown probe '" + o.probe + "': readiness, liveliness, startup, environ";
        positional.erase(positional.begin());
    } else if (o.cmd == command::probe && !positional.empty()) {
        // A probe's name is never a URL (a URL starts with a scheme), so one positional serves
        // both.
        if (parse_probe(positional.front()))
            o.probe = positional.front();
        else
            o.url = positional.front();
        positional.erase(positional.begin());
    }
    if (!positional.empty()) return "unexpected argument '" + positional.front() + "'";
    if (o.cmd == command::validate && !o.config_path) return "validate needs --config PATH";
    return "";
}

cli_result failed(std::string why) {
    return cli_result{std::nullopt, std::move(why)};
}

}  // namespace

cli_result parse_cli(const std::vector<std::string>& args) {
    parse_state s;
    for (std::size_t i = 0; i < args.size(); ++i) {
        auto [name, inline_value] = split_option(args[i]);
        if (auto cmd = command_of_flag(name)) {
            s.options.cmd = *cmd;
            return cli_result{s.options, ""};
        }
        if (takes_value(name)) {
            auto value = inline_value;
            if (!value && i + 1 < args.size()) value = args[++i];
            if (auto why = set_option(name, value, s.options); !why.empty()) return failed(why);
        } else if (name.starts_with("-") && name != "-") {
            return failed("unknown option '" + name + "'");
        } else {
            take_word(name, s);
        }
    }
    if (auto why = take_positionals(s); !why.empty()) return failed(why);
    return cli_result{s.options, ""};
}

}  // namespace heartbeat
