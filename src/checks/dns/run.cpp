#include "heartbeat/checks/dns/run.hpp"

namespace heartbeat {

net::awaitable<check_result> run_dns(dns_spec spec, duration timeout,
                                     steady_clock::time_point deadline, resolve_options options) {
    dns_question q;
    q.name = spec.query;
    q.type = record_number(spec.record);
    q.options = options;
    if (spec.server) {
        // A server given by name is found as tcp and http find their hosts; each of its
        // addresses is then a server to ask, as resolv.conf's would be.
        std::string host = spec.server->host, port = std::to_string(spec.server->port);
        auto resolved = co_await resolve_until(host, port, deadline, options);
        if (auto why = resolve_failure(resolved, timeout, host); !why.empty())
            co_return failure(why);
        for (const auto& e : resolved.endpoints)
            q.servers.emplace_back(e.endpoint().address(), e.endpoint().port());
        // One retry for a lost datagram, after half the timeout; the retry waits twice as long,
        // so the check's deadline, not c-ares, ends a server that never answers.
        q.try_timeout = timeout / 2;
        q.tries = 2;
    }
    auto reply = co_await dns_query_until(std::move(q), deadline);
    dns_decoded decoded;
    if (reply.status == dns_status::answered) decoded = decode_answers(spec.record, reply.message);
    co_return judge_dns(spec, reply, decoded, timeout);
}

}  // namespace heartbeat
