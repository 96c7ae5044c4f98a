#pragma once
// libpq, loaded the first time a postgres check needs it rather than linked: linked, it and the
// libraries it needs (Kerberos, LDAP, GnuTLS, SASL) cost megabytes of resident memory in every
// heartbeatd, also in those that check no PostgreSQL at all.

#include <string>

#include <libpq-fe.h>

namespace heartbeat::libpq {

/** The few functions of libpq a postgres check calls. */
struct api {
    decltype(&PQconnectStartParams) connect_start_params;
    decltype(&PQconnectPoll) connect_poll;
    decltype(&PQsocket) socket;
    decltype(&PQstatus) status;
    decltype(&PQerrorMessage) error_message;
    decltype(&PQsetErrorVerbosity) set_error_verbosity;
    decltype(&PQsetNoticeProcessor) set_notice_processor;
    decltype(&PQconnectionUsedPassword) connection_used_password;
    decltype(&PQfinish) finish;
};

/** libpq's functions, loading libpq.so.5 on the first call (it reads files: may block); nullptr
 * with `why` set when it cannot be loaded, and the next call tries again. Thread-safe. */
const api* load(std::string& why);

}  // namespace heartbeat::libpq
