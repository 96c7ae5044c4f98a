#include "heartbeat/net/dns_query.hpp"

#include <memory>

#include "ares_lookup.hpp"

namespace heartbeat {

net::awaitable<dns_reply> dns_query_until(dns_question question,
                                          steady_clock::time_point deadline) {
    auto query = std::make_shared<detail::ares_lookup>(co_await net::this_coro::executor);
    query->done.expires_at(deadline);
    query->start_query(question);
    if (!query->reply) co_await query->done.async_wait(use_nothrow);
    // Answered or out of time: the channel goes now, with its sockets and the query if left.
    query->close();
    if (query->reply) co_return std::move(*query->reply);
    dns_reply out;
    out.status = dns_status::timed_out;
    out.servers = query->asked;
    co_return out;
}

}  // namespace heartbeat
