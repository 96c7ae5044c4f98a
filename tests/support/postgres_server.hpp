#pragma once
// Debian's PostgreSQL 15 on loopback for the postgres check's tests: one initdb per test program,
// a primary and a standby started from it, stopped and removed at the end.
#include <cstdint>
#include <string>
#include <vector>

#include "child.hpp"
#include "procfs.hpp"

namespace heartbeat::test {

/**
 * One cluster made by initdb (as `nobody` when the tests run as root: initdb refuses root), and
 * two servers on 127.0.0.1 started from it, both in messages of the C locale:
 * - the primary, whose pg_hba.conf says: user `scram_user` must give a SCRAM password, `md5_user`
 *   an MD5 one, `rejected` is turned away by a `reject` line, anyone else is trusted;
 * - a standby made from a copy of the same files, kept in recovery with `hot_standby = off`: it
 *   answers every connection with SQLSTATE 57P03.
 * Set up fails softly: `error()` says why, and the tests that need it fail with that.
 */
class postgres_servers {
  public:
    postgres_servers();
    ~postgres_servers();
    postgres_servers(const postgres_servers&) = delete;
    postgres_servers& operator=(const postgres_servers&) = delete;

    /** Why PostgreSQL cannot run on this machine ("needs ..."), or "". */
    static std::string missing();

    const std::string& error() const { return error_; }
    std::uint16_t primary_port() const { return primary_port_; }
    std::uint16_t standby_port() const { return standby_port_; }
    /** Makes `user` a login role of the primary with this password (stored as SCRAM); "" or why
     * not. pg_hba.conf makes `scram_user` give it. */
    std::string set_password(const std::string& user, const std::string& password) const;

  private:
    run_result as_owner(std::vector<std::string> argv, int timeout_ms = 60000) const;
    std::string make_dir(const std::string& name) const;
    std::string init();
    std::string start(const std::string& data, std::uint16_t& port);

    temp_dir dir_;
    kill_at_exit leftovers_{dir_.path()};  // a server a failed stop left running
    std::string sockets_;
    std::vector<std::string> started_;
    std::uint16_t primary_port_ = 0;
    std::uint16_t standby_port_ = 0;
    std::string error_;
};

}  // namespace heartbeat::test
