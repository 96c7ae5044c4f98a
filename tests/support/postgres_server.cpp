#include "postgres_server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "loopback.hpp"

namespace heartbeat::test {

namespace {

const std::string bin = "/usr/lib/postgresql/15/bin/";
const std::string setpriv = "/usr/bin/setpriv";

// Who may authenticate how on the primary: the first matching line counts.
const char* const pg_hba = R"(local all all trust
host all scram_user 127.0.0.1/32 scram-sha-256
host all md5_user 127.0.0.1/32 md5
host all rejected 127.0.0.1/32 reject
host all all 127.0.0.1/32 trust
)";

bool as_root() {
    return ::geteuid() == 0;
}

}  // namespace

std::string postgres_servers::missing() {
    for (const char* tool : {"initdb", "pg_ctl"})
        if (::access((bin + tool).c_str(), X_OK) != 0)
            return "needs PostgreSQL 15's " + std::string(tool) + " (Debian's postgresql-15)";
    if (as_root() && ::access(setpriv.c_str(), X_OK) != 0)
        return "needs setpriv (util-linux) to run initdb as nobody";
    return "";
}

postgres_servers::postgres_servers() {
    error_ = init();
    if (error_.empty()) error_ = start(dir_.path() + "/primary", primary_port_);
    if (error_.empty()) error_ = start(dir_.path() + "/standby", standby_port_);
}

postgres_servers::~postgres_servers() {
    for (const auto& data : started_)
        as_owner({bin + "pg_ctl", "stop", "-D", data, "-m", "immediate", "-w"});
}

run_result postgres_servers::as_owner(std::vector<std::string> argv, int timeout_ms) const {
    if (as_root())
        argv.insert(argv.begin(),
                    {setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"});
    // English messages whatever the machine's locale; no password from the test's environment.
    return run(std::move(argv), {{"LC_ALL", "C"}, {"PGPASSWORD", ""}}, timeout_ms);
}

/** A folder in the temporary one that the servers' user owns. */
std::string postgres_servers::make_dir(const std::string& name) const {
    std::string path = dir_.path() + "/" + name;
    ::mkdir(path.c_str(), 0700);
    if (as_root() && ::chown(path.c_str(), 65534, 65534) != 0) return "";
    return path;
}

/** initdb once; the standby is a copy of the fresh cluster, so it needs no base backup. */
std::string postgres_servers::init() {
    if (auto why = missing(); !why.empty()) return why;
    ::chmod(dir_.path().c_str(), 0755);  // nobody must reach its folders
    sockets_ = make_dir("sockets");
    auto primary = make_dir("primary");
    auto standby = make_dir("standby");
    if (sockets_.empty() || primary.empty() || standby.empty()) return "cannot chown to nobody";
    auto r = as_owner({bin + "initdb", "-D", primary, "-U", "heartbeat", "--auth=trust",
                       "--no-sync", "--no-locale", "-E", "UTF8", "--no-instructions"});
    if (r.code != 0) return "initdb failed: " + r.out + r.err;
    // Overwritten in place: the files keep their owner.
    std::ofstream(primary + "/pg_hba.conf", std::ios::trunc) << pg_hba;
    std::ofstream(primary + "/postgresql.conf", std::ios::app)
        << "fsync = off\nlc_messages = 'C'\nlog_min_messages = warning\n";
    r = as_owner({"/bin/cp", "-a", primary + "/.", standby});
    if (r.code != 0) return "copying the cluster failed: " + r.err;
    std::ofstream(standby + "/postgresql.conf", std::ios::app) << "hot_standby = off\n";
    std::ofstream(standby + "/standby.signal");
    return "";
}

std::string postgres_servers::set_password(const std::string& user,
                                           const std::string& password) const {
    // Over the Unix socket, which pg_hba.conf trusts; the password as a literal, quotes doubled.
    std::string quoted;
    for (char ch : password) quoted += ch == '\'' ? std::string("''") : std::string(1, ch);
    auto r = as_owner({bin + "psql", "-h", sockets_, "-p", std::to_string(primary_port_), "-U",
                       "heartbeat", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c",
                       "SET password_encryption = 'scram-sha-256'; CREATE ROLE " + user +
                           " LOGIN PASSWORD '" + quoted + "'"});
    return r.code == 0 ? "" : "psql failed: " + r.out + r.err;
}

/** Starts the server of `data` on a free loopback port; pg_ctl -w waits until it is up (a
 * standby: in recovery). Another process may take the port first: then another one. */
std::string postgres_servers::start(const std::string& data, std::uint16_t& port) {
    std::string why;
    for (int attempt = 0; attempt < 5; ++attempt) {
        port = refused_port();
        auto r = as_owner(
            {bin + "pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", data + "/server.log",
             "-o",
             "-k " + sockets_ + " -p " + std::to_string(port) + " -c listen_addresses=127.0.0.1"});
        if (r.code == 0) {
            started_.push_back(data);
            return "";
        }
        std::ifstream log(data + "/server.log");
        why = "pg_ctl start failed: " + r.out + r.err +
              std::string(std::istreambuf_iterator<char>(log), {});
    }
    return why;
}

}  // namespace heartbeat::test
