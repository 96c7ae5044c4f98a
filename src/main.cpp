// heartbeatd: parse the command line, set up logging, run the command.
#include <exception>
#include <iostream>

#include "heartbeat/app.hpp"
#include "heartbeat/cli.hpp"
#include "heartbeat/logging.hpp"
#include "heartbeat/wait.hpp"

int main(int argc, char** argv) {
    using heartbeat::cli_options;
    auto parsed = heartbeat::parse_cli(std::vector<std::string>(argv + 1, argv + argc));
    if (!parsed.options) {
        std::cerr << "heartbeatd: " << parsed.error << "\n(see heartbeatd --help)\n";
        return 1;
    }
    const auto& o = *parsed.options;
    heartbeat::setup_logging(o.format, o.level);
    // Exit codes are 0 and 1 only (`wait`, no healthcheck, has its own): Docker reserves 2 for
    // healthchecks, so nothing may escape as an abort.
    try {
        switch (o.cmd) {
            case cli_options::command::help:
                std::cout << heartbeat::usage();
                return 0;
            case cli_options::command::version:
                std::cout << "heartbeatd " << HEARTBEAT_VERSION << '\n';
                return 0;
            case cli_options::command::validate:
                return heartbeat::run_validate(o);
            case cli_options::command::check:
                return heartbeat::run_check_once(o);
            case cli_options::command::probe:
                return heartbeat::run_probe(o);
            case cli_options::command::wait:
                return heartbeat::run_wait(o);
            case cli_options::command::serve:
                return heartbeat::run_serve(o);
        }
    } catch (const std::exception& e) {
        std::cerr << "heartbeatd: " << e.what() << '\n';
    }
    return 1;
}
