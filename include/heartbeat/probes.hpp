#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "heartbeat/check_status.hpp"

namespace heartbeat {

namespace http {
struct prepared;  // heartbeat/http/server.hpp
}

/** Which of a probe's checks an answer covers: all, one (`{probe}/{check}`), or all but some
 * (`?exclude=`). */
struct selection {
    std::optional<std::string> only;
    std::vector<std::string> exclude;
};

/** True when check `c` answers probe `p` under `s`. */
bool selected(const check_status& c, probe p, const selection& s);

/** The checks that answer probe `p` under `s`, in config order. */
status_list select_checks(const status_list& all, probe p, const selection& s);

/** One rendered answer: its verdict and its body. */
struct probe_answer {
    bool ok = true;
    std::string body;
};

/** Why readiness fails whatever its checks say. Liveliness and startup are never held. */
enum class hold {
    none,
    maintenance,    // an operator took the pod out of traffic (SIGUSR1, PUT {base}/maintenance)
    shutting_down,  // the drain before a stop (SIGTERM); wins over maintenance
};

/** The shape of a probe body, chosen by `?format=` or the Accept header. */
enum class body_format {
    standard,      // `{"status": true, "checks": {...}}`, the default
    health_json,   // draft-inadarei-api-health-check-06, `application/health+json`
    microprofile,  // MicroProfile Health 3.x, `{"status": "UP", "checks": [...]}`
};

/** How an answer is rendered besides its checks. */
struct render_options {
    enum hold hold = hold::none;
    body_format format = body_format::standard;
    bool verbose = false;  // the `?verbose` text; the format is then ignored
};

/** The instant an answer is rendered for, on both clocks. */
struct moment {
    steady_clock::time_point steady;
    std::chrono::system_clock::time_point wall;
    static moment now() { return {steady_clock::now(), std::chrono::system_clock::now()}; }
};

/** A check's status as probe `p` reports it at `at`: the startup latch, staleness and thresholds
 * applied. */
bool reported_status(const check_status& e, probe p, const moment& at);

/** A check's entry in a probe body: status, message, duration_ms, its data, and when. */
json::object check_json(const check_status& e, probe p, const moment& at);

/** The probe body for these checks, in the format `o` asks for (or the `?verbose` text). */
probe_answer render_probe(probe p, const status_list& checks, const moment& at,
                          const render_options& o);

/**
 * The same body as `render_probe` (not verbose), from each check's rendering kept in its entry:
 * a new result costs the rendering of its own check, not of all of them.
 */
probe_answer render_probe_kept(probe p, const status_list& checks, const moment& at, hold h,
                               body_format f = body_format::standard);

/** The first moment after `now` at which one of `checks`' results turns stale, if any. An already
 * stale result stays stale until its next run, which changes the scheduler's version. */
std::optional<steady_clock::time_point> first_stale_at(const status_list& checks,
                                                       steady_clock::time_point now);

/** RFC 3339 UTC with milliseconds: `2026-11-24T10:00:00.123Z`. */
std::string rfc3339(std::chrono::system_clock::time_point t);

/**
 * The full answers of each probe in each format, rendered once per change: reused until a result
 * changes, the hold changes, or a result turns stale.
 */
class probe_cache {
  public:
    /** Probe `p`'s answer over `all` (the checks at `version`, see scheduler::version). */
    const probe_answer& get(const status_list& all, std::uint64_t version, probe p, hold h,
                            const moment& at, body_format f = body_format::standard);

    /** What the caller made of the answer `get` gave last for `p` and `f` (the response ready for
     * the wire); emptied whenever that answer is rendered again. */
    std::shared_ptr<const http::prepared>& wire(probe p, body_format f) {
        return slots_[static_cast<int>(p)][static_cast<int>(f)].wire;
    }

  private:
    struct slot {
        bool valid = false;
        std::uint64_t version = 0;
        enum hold hold = hold::none;
        std::optional<steady_clock::time_point> expires;  // the first stale_at among its checks
        probe_answer answer;
        std::shared_ptr<const http::prepared> wire;
    };
    slot slots_[4][3];  // by probe, by format
};

}  // namespace heartbeat
