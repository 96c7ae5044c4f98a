#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/signal_set.hpp>

#include "heartbeat/answers.hpp"
#include "heartbeat/config_watch.hpp"
#include "heartbeat/http/server.hpp"
#include "heartbeat/push_listener.hpp"
#include "heartbeat/runtime.hpp"
#include "heartbeat/scheduler.hpp"

namespace heartbeat {

/** Logs a load's problems: the first few, then how many more (`validate` prints them all). */
void log_diagnostics(const load_result& r, const std::string& path);

/**
 * The running daemon, as wiring: the config, the check runtime, the scheduler, the answers, the
 * server and the config watch; and what happens on signals: drain, stop, reload.
 */
class daemon {
  public:
    /** Builds everything; threads started here inherit the caller's signal mask. */
    daemon(net::io_context& ioc, config cfg, std::optional<std::string> path);
    ~daemon();
    daemon(const daemon&) = delete;
    daemon& operator=(const daemon&) = delete;

    /** Binds, starts checks, the config watch and signal handling. False when the address cannot
     * be bound. */
    bool start(const std::string& host, std::uint16_t port, config_sources loaded);

  private:
    bool listen(const std::string& host, std::uint16_t port);
    /** Opens the push listener when the config has push checks or the maintenance switch (and
     * push_listen is not off); false when it cannot be bound. */
    bool open_push_listener();
    net::awaitable<http::reply> answer_main(push_request req);
    std::string push_address() const;
    void log_started() const;
    net::awaitable<void> handle_signals();
    /** Turns maintenance on or off, and logs it with who did (`by`). */
    void set_maintenance(bool on, std::string_view by);
    void drain(int sig);
    net::awaitable<void> drain_then_stop();
    void shutdown();
    void reload(std::string_view why);
    net::awaitable<void> reload_loop(std::string why);
    net::awaitable<void> trim_memory_after(duration wait);
    void apply_reload(const std::string& why, load_result r);

    // Declared in the order they depend on each other: each is destroyed before what it uses.
    net::io_context& ioc_;
    config cfg_;
    std::optional<std::string> path_;
    check_runtime runtime_;
    net::thread_pool loader_{1};  // reads configs and the virtualenv, off the answering thread
    scheduler sched_;
    answers answers_;
    http::server server_;
    std::unique_ptr<push_listener> push_;  // open once the config has a push check or the switch
    std::uint16_t push_port_ = 0;          // the port it is bound to (push_listen may say 0)
    net::signal_set signals_;
    std::unique_ptr<config_watcher> watcher_;
    bool stopping_ = false;
    bool reloading_ = false;
    std::optional<std::string> reload_again_;
};

}  // namespace heartbeat
