#include "heartbeat/net/resolve.hpp"

#include <fstream>
#include <iterator>
#include <vector>

#include <fmt/format.h>

#include "ares_lookup.hpp"
#include "heartbeat/net/hosts_file.hpp"
#include "heartbeat/text.hpp"

namespace heartbeat {

namespace {

using results = net::ip::tcp::resolver::results_type;

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

results at_port(const std::vector<net::ip::address>& addresses, const std::string& host,
                const std::string& service) {
    auto port = static_cast<unsigned short>(std::stoul(service));
    std::vector<net::ip::tcp::endpoint> eps;
    for (const auto& a : addresses) eps.emplace_back(a, port);
    return results::create(eps.begin(), eps.end(), host, service);
}

/** The hosts file's answer, as the C library gives it before asking DNS ("hosts: files dns"),
 * then the loopback addresses for `localhost` should the file not name it. */
std::vector<net::ip::address> from_files(const std::string& host, const std::string& hosts) {
    auto found = addresses_in_hosts(read_file(hosts), host);
    return found.empty() ? localhost_addresses(host) : found;
}

}  // namespace

// Not a coroutine itself: it hands its arguments to the one that is. (g++ 12 destroys a temporary
// twice when it is made inside a co_await expression, as `resolve_options{}` would be.)
net::awaitable<resolve_outcome> resolve_until(std::string host, std::string service,
                                              steady_clock::time_point deadline) {
    return resolve_until(std::move(host), std::move(service), deadline, resolve_options{});
}

net::awaitable<resolve_outcome> resolve_until(std::string host, std::string service,
                                              steady_clock::time_point deadline,
                                              resolve_options options) {
    resolve_outcome out;
    boost::system::error_code ec;
    if (auto literal = net::ip::make_address(host, ec); !ec) {
        // A literal address: no lookup, no wait.
        out.endpoints = at_port({literal}, host, service);
        co_return out;
    }
    if (auto found = from_files(host, options.hosts); !found.empty()) {
        out.endpoints = at_port(found, host, service);
        co_return out;
    }
    auto lookup = std::make_shared<detail::ares_lookup>(co_await net::this_coro::executor);
    lookup->done.expires_at(deadline);
    lookup->start(host, service, options);
    if (!lookup->result) co_await lookup->done.async_wait(use_nothrow);
    // Whether answered or out of time: the channel goes now, with its sockets and any query left.
    lookup->close();
    if (lookup->result) co_return std::move(*lookup->result);
    out.timed_out = true;
    co_return out;
}

std::string resolve_failure(const resolve_outcome& r, duration timeout, const std::string& host) {
    if (r.timed_out) return timed_out_message(timeout, "resolving " + host);
    if (r.ec) return fmt::format("resolve {}: {}", host, describe(r.ec));
    return {};
}

}  // namespace heartbeat
