#pragma once
// The registry of check types. Each type is a unit of its own (include/heartbeat/checks/<type>/,
// src/checks/<type>/); adding one is its folder and its line here. The order of the alternatives
// is the order of check_units() and of the types in messages and in the schema.

#include <variant>

#include "heartbeat/checks/dns/spec.hpp"
#include "heartbeat/checks/exec/spec.hpp"
#include "heartbeat/checks/file/spec.hpp"
#include "heartbeat/checks/grpc/spec.hpp"
#include "heartbeat/checks/http/spec.hpp"
#include "heartbeat/checks/postgres/spec.hpp"
#include "heartbeat/checks/push/spec.hpp"
#include "heartbeat/checks/tcp/spec.hpp"

namespace heartbeat {

/** What one check runs: the keys of its type. */
using check_spec = std::variant<tcp_spec, http_spec, exec_spec, file_spec, postgres_spec, dns_spec,
                                push_spec, grpc_spec>;

}  // namespace heartbeat
