#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include "heartbeat/config.hpp"
#include "heartbeat/probes.hpp"

namespace heartbeat::http {

namespace bhttp = boost::beast::http;
using response = bhttp::response<bhttp::string_body>;

/** What a request asks for, decided from its method and target alone. */
struct route {
    enum class kind { probe, environ, metrics, not_found, method_not_allowed };
    kind what = kind::not_found;
    probe which = probe::readiness;
    selection select;  // for kind::probe
    bool verbose = false;
    bool head = false;
    body_format format = body_format::standard;  // `?format=`, else the Accept header
};

/**
 * Maps method, target and Accept header onto a route; never looks at any state. `?format=` wins
 * over `?verbose`, which wins over Accept.
 */
route parse_route(bhttp::verb method, std::string_view target, const server_config& server,
                  std::string_view accept = {});

/**
 * The body format an Accept header asks for: health+json when it ranks `application/health+json`
 * above `application/json` by quality, or names it outright at the same quality; the default body
 * otherwise, also when it accepts neither: a probe never gets `406`.
 */
body_format negotiate_format(std::string_view accept);

/** The daemon's state as the answers need it; a fake in unit tests. */
class state_view {
  public:
    virtual ~state_view() = default;
    /** True when probe `p` has an enabled check called `name`. */
    virtual bool has_check(probe p, const std::string& name) const = 0;
    /** The answer of a probe route. */
    virtual probe_answer answer(const route& r) const = 0;
    /** The environ body. */
    virtual std::string environ() const = 0;
    /** The Prometheus text. */
    virtual std::string metrics() const = 0;
};

/** The status of a failing probe answer in format `f`: 503 for MicroProfile, else 500. */
bhttp::status failure_status(body_format f);

/** The Content-Type of a probe answer to `r`. */
std::string_view content_type_of(const route& r);

/** The whole response to a route: status, headers and body (none for HEAD). A pure function. */
response respond(const route& r, const state_view& state, unsigned http_version, bool keep_alive);

}  // namespace heartbeat::http
