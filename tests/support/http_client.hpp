#pragma once

// A deliberately plain HTTP/1.x client for tests: raw bytes out, raw bytes in, every wait capped.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace heartbeat::test {

/** One parsed response. */
struct http_reply {
    int status = 0;  // 0: no response (refused, closed, timed out)
    std::string version;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

/** Connects to 127.0.0.1:port, sends `request` verbatim, reads until the peer closes or
 * `timeout_ms`. */
std::string raw_exchange(std::uint16_t port, const std::string& request, int timeout_ms = 5000);

/** Parses the first response in `raw`; with `head`, expects no body whatever Content-Length says.
 */
http_reply parse_reply(const std::string& raw, bool head = false, std::size_t* consumed = nullptr);

/** GET (or another method) with `Connection: close`, parsed. */
http_reply request(std::uint16_t port, const std::string& target, const std::string& method = "GET",
                   int timeout_ms = 5000);

}  // namespace heartbeat::test
