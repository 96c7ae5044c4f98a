#include "heartbeat/checks/postgres/run.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "heartbeat/net/resolve.hpp"
#include "heartbeat/text.hpp"
#include "libpq.hpp"

namespace heartbeat {

using namespace boost::asio::experimental::awaitable_operators;

// The verdict follows libpq 15's own rule for PQping (internal_ping in fe-connect.c), rebuilt from
// what libpq lets a caller see, since the fields it reads (auth_req_received, last_sqlstate) are
// not public:
//   - connected, or any authentication request from the server: accepting. A server that asks for
//     a password answered, whether or not we have one (PQconnectionUsedPassword is true once it
//     asked); so did one that got us past CONNECTION_AWAITING_RESPONSE (authentication done), and
//     one whose GSSAPI/SSPI request libpq could not meet (its text names the method).
//   - else the SQLSTATE of the server's error, which libpq writes into the connection's message
//     once the verbosity is PQERRORS_VERBOSE ("FATAL:  57P03: ..."): 57P03 (cannot connect now:
//     starting up, shutting down, in recovery without hot standby) is rejecting; any other
//     SQLSTATE (a pg_hba `reject` line, a bad password, an unknown database or user) means the
//     server answered: accepting.
//   - no SQLSTATE: the server never answered (refused, unreachable, closed, timed out, not
//     PostgreSQL): no response. libpq 15 gives no SQLSTATE to errors of its own.

namespace {

std::string host_port(std::string_view host, unsigned port) {
    bool v6 = host.find(':') != std::string_view::npos;
    return fmt::format("{}{}{}:{}", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

bool sqlstate_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

/** libpq's texts for an authentication request of the server's that it cannot meet. */
bool unmet_auth_request(std::string_view error) {
    return contains(error, "GSSAPI") || contains(error, "SSPI") ||
           contains(error, "authentication method");
}

/** Why nobody answered, in our words: the system error libpq quotes, matched against the texts
 * of the errors a connect can end with, or what libpq says in its own fixed words. */
std::string no_response_reason(std::string_view error) {
    for (int e : {ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH, ECONNRESET, EADDRNOTAVAIL,
                  ENETDOWN, EHOSTDOWN, EACCES, EPERM, EPIPE, ECONNABORTED})
        if (contains(error, std::strerror(e)))
            return describe(boost::system::error_code(e, boost::system::system_category()));
    if (contains(error, "server closed the connection unexpectedly"))
        return "it closed the connection without answering";
    if (contains(error, "SSL negotiation") || contains(error, "expected authentication request") ||
        contains(error, "invalid"))
        return "the peer does not speak PostgreSQL's protocol";
    return "the connection failed before the server answered";
}

/** What a 57P03 says, from the server's (English) message; only our words are shown. */
std::string rejecting_reason(std::string_view error) {
    if (contains(error, "starting up")) return "is starting up";
    if (contains(error, "shutting down")) return "is shutting down";
    if (contains(error, "recovery mode")) return "is in crash recovery";
    if (contains(error, "not yet accepting")) return "is in recovery, not yet consistent";
    if (contains(error, "not accepting connections"))
        return "is in recovery and hot standby is off";
    return "cannot take connections now";
}

struct pg_finish {
    const libpq::api* pq;
    void operator()(PGconn* c) const { pq->finish(c); }
};
using pg_connection = std::unique_ptr<PGconn, pg_finish>;

/** libpq's descriptor watched by Asio for one wait, then handed back: Asio never closes it, even
 * when the coroutine is destroyed mid-wait (libpq closes it in PQfinish). */
struct borrowed_socket {
    net::posix::stream_descriptor watched;
    borrowed_socket(const net::any_io_executor& ex, int fd) : watched(ex, fd) {}
    ~borrowed_socket() { watched.release(); }
    borrowed_socket(const borrowed_socket&) = delete;
    borrowed_socket& operator=(const borrowed_socket&) = delete;
};

/**
 * Starts the connection. The name was resolved by us (libpq would call a blocking getaddrinfo):
 * each address goes in `hostaddr`, the name in `host`. Everything a connection could read from
 * the environment or files that would change the verdict or block is set: no password file, no
 * GSSAPI encryption, no TLS (a verdict needs no privacy, and a plaintext answer is as good as an
 * encrypted one: a server that only takes TLS still answers, with a pg_hba error), any target.
 */
pg_connection start(const libpq::api& pq, const postgres_spec& spec,
                    const resolve_outcome& resolved) {
    std::string hosts, addrs;
    for (const auto& entry : resolved.endpoints) {
        if (!addrs.empty()) hosts += ',', addrs += ',';
        hosts += spec.host;
        addrs += entry.endpoint().address().to_string();
    }
    const std::string port = std::to_string(spec.port);
    std::vector<const char*> keys = {"host",
                                     "hostaddr",
                                     "port",
                                     "passfile",
                                     "sslmode",
                                     "gssencmode",
                                     "application_name",
                                     "target_session_attrs"};
    // No password file: a path that cannot exist is ignored silently (libpq warns on stderr about
    // one that exists but is not a plain file, such as /dev/null itself).
    std::vector<const char*> values = {hosts.c_str(), addrs.c_str(), port.c_str(), "/dev/null/none",
                                       "disable",     "disable",     "heartbeatd", "any"};
    if (spec.dbname) keys.push_back("dbname"), values.push_back(spec.dbname->c_str());
    if (spec.user) keys.push_back("user"), values.push_back(spec.user->c_str());
    if (spec.password) keys.push_back("password"), values.push_back(spec.password->c_str());
    keys.push_back(nullptr);
    values.push_back(nullptr);
    // expand_dbname 0: a dbname is a name, never a connection string.
    return pg_connection(pq.connect_start_params(keys.data(), values.data(), 0), pg_finish{&pq});
}

/** What the state after one poll tells: the server answered, or at least the socket connected. */
void note(const libpq::api& pq, pg_attempt& a, const PGconn* conn) {
    if (pq.connection_used_password(conn)) a.password_demanded = true;
    switch (pq.status(conn)) {
        case CONNECTION_AUTH_OK:
        case CONNECTION_CHECK_WRITABLE:
        case CONNECTION_CONSUME:
        case CONNECTION_CHECK_TARGET:
        case CONNECTION_CHECK_STANDBY:
        case CONNECTION_OK:
            a.past_awaiting_response = true;
            a.socket_connected = true;
            break;
        case CONNECTION_MADE:
        case CONNECTION_AWAITING_RESPONSE:
        case CONNECTION_SSL_STARTUP:
        case CONNECTION_GSS_STARTUP:
            a.socket_connected = true;
            break;
        default:
            break;
    }
}

/** Drives PQconnectPoll: waits on libpq's socket as each poll asks, until it ends or `deadline`.
 */
net::awaitable<pg_attempt> drive(const libpq::api& pq, PGconn* conn,
                                 steady_clock::time_point deadline) {
    auto ex = co_await net::this_coro::executor;
    net::steady_timer timer(ex, deadline);
    pg_attempt a;
    // PQconnectStartParams has polled once already: a connect refused at once (as on loopback)
    // ends the attempt there. Else, before our first poll, libpq's documentation says to behave
    // as if it asked for writing.
    note(pq, a, conn);
    PostgresPollingStatusType want =
        pq.status(conn) == CONNECTION_BAD ? PGRES_POLLING_FAILED : PGRES_POLLING_WRITING;
    while (want == PGRES_POLLING_READING || want == PGRES_POLLING_WRITING) {
        // The socket can change between polls (libpq tries the next address): watch anew each time.
        int fd = pq.socket(conn);
        if (fd < 0) break;
        {
            borrowed_socket socket(ex, fd);
            auto which = want == PGRES_POLLING_READING ? net::posix::descriptor_base::wait_read
                                                       : net::posix::descriptor_base::wait_write;
            auto waited = co_await (socket.watched.async_wait(which, use_nothrow) ||
                                    timer.async_wait(use_nothrow));
            if (waited.index() == 1) {
                a.timed_out = true;
                break;
            }
        }
        // An error on the wait is left to libpq: the poll reads the socket's error itself.
        want = pq.connect_poll(conn);
        note(pq, a, conn);
    }
    a.connected = want == PGRES_POLLING_OK;
    a.error = pq.error_message(conn);
    co_return a;
}

check_result verdict_result(pg_verdict v, std::string message, const std::string& sqlstate) {
    check_result r = v == pg_verdict::accepting ? success() : failure("");
    r.message = std::move(message);
    r.facts["verdict"] = verdict_name(v);
    if (!sqlstate.empty()) r.facts["sqlstate"] = sqlstate;
    return r;
}

}  // namespace

std::string_view verdict_name(pg_verdict v) {
    switch (v) {
        case pg_verdict::accepting:
            return "accepting";
        case pg_verdict::rejecting:
            return "rejecting";
        case pg_verdict::no_response:
            break;
    }
    return "no_response";
}

std::string server_sqlstate(std::string_view error) {
    // "SEVERITY:  XXXXX: message": the severity may be translated, the code never is. The last
    // one counts: libpq keeps the messages of earlier attempts (other addresses) before it.
    std::string found;
    for (auto at = error.find(":  "); at != std::string_view::npos;
         at = error.find(":  ", at + 1)) {
        auto code = error.substr(at + 3, 7);
        if (code.size() == 7 && code.substr(5) == ": " &&
            std::all_of(code.begin(), code.begin() + 5, sqlstate_char))
            found = std::string(code.substr(0, 5));
    }
    return found;
}

pg_verdict judge_verdict(const pg_attempt& a) {
    if (a.connected || a.password_demanded || a.past_awaiting_response ||
        unmet_auth_request(a.error))
        return pg_verdict::accepting;
    auto sqlstate = server_sqlstate(a.error);
    if (sqlstate == "57P03") return pg_verdict::rejecting;
    return sqlstate.empty() ? pg_verdict::no_response : pg_verdict::accepting;
}

check_result judge_postgres(const pg_attempt& a, duration timeout, std::string_view target) {
    auto sqlstate = a.connected ? std::string() : server_sqlstate(a.error);
    // Given a password, the check is a login: the server answering is not enough.
    if (a.logs_in && sqlstate.starts_with("28")) {
        auto r = verdict_result(pg_verdict::accepting,
                                fmt::format("{} refused the login with the password of "
                                            "password_file (SQLSTATE {})",
                                            target, sqlstate),
                                sqlstate);
        r.ok = false;
        return r;
    }
    switch (judge_verdict(a)) {
        case pg_verdict::accepting:
            return verdict_result(pg_verdict::accepting, "accepting connections", sqlstate);
        case pg_verdict::rejecting:
            return verdict_result(pg_verdict::rejecting,
                                  fmt::format("rejecting connections: {} {} (SQLSTATE 57P03)",
                                              target, rejecting_reason(a.error)),
                                  sqlstate);
        case pg_verdict::no_response:
            break;
    }
    if (a.timed_out) {
        // Connected and silent is another fault than no connection: a hung server, not a network.
        auto doing = a.socket_connected ? fmt::format("waiting for {} to answer", target)
                                        : fmt::format("connecting to {}", target);
        return verdict_result(pg_verdict::no_response, timed_out_message(timeout, doing), "");
    }
    return verdict_result(
        pg_verdict::no_response,
        fmt::format("no response from {}: {}", target, no_response_reason(a.error)), "");
}

net::awaitable<check_result> run_postgres(postgres_spec spec, duration timeout,
                                          steady_clock::time_point deadline) {
    const std::string target = host_port(spec.host, spec.port);
    std::string why;
    const auto* pq = libpq::load(why);
    if (!pq) co_return failure("cannot check " + target + ": " + why);
    auto resolved = co_await resolve_until(spec.host, std::to_string(spec.port), deadline);
    if (auto failed = resolve_failure(resolved, timeout, spec.host); !failed.empty())
        co_return verdict_result(pg_verdict::no_response, failed, "");

    auto conn = start(*pq, spec, resolved);
    if (!conn) co_return failure("cannot check " + target + ": libpq is out of memory");
    // Makes the server's error carry its SQLSTATE in the message: the verdict needs it.
    pq->set_error_verbosity(conn.get(), PQERRORS_VERBOSE);
    // A notice the server sends would go to our stderr unfiltered by default.
    pq->set_notice_processor(
        conn.get(), [](void*, const char*) {}, nullptr);
    auto attempt = co_await drive(*pq, conn.get(), deadline);
    attempt.logs_in = spec.password.has_value();
    co_return judge_postgres(attempt, timeout, target);
}

void load_libpq() {
    std::string ignored;  // a run that cannot load it says why
    libpq::load(ignored);
}

}  // namespace heartbeat
