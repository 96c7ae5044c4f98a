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
};

/** Maps method and target onto a route; never looks at any state. */
route parse_route(bhttp::verb method, std::string_view target, const server_config& server);

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

/** The whole response to a route: status, headers and body (none for HEAD). A pure function. */
response respond(const route& r, const state_view& state, unsigned http_version, bool keep_alive);

}  // namespace heartbeat::http
