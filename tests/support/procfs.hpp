#pragma once

// What /proc says about processes: descriptors, memory, zombie children, descendants, argv and
// environment. For leak tests.
#include <sys/types.h>

#include <string>
#include <vector>

namespace heartbeat::test {

/** Open descriptors of `pid` (this process by default), not counting the one used to count. */
int open_fds(pid_t pid = 0);

/** Resident memory (VmRSS) of `pid` in KiB; -1 when it cannot be read. */
long resident_kib(pid_t pid);

/** Children of `parent` (this process by default) that exited and were not reaped. */
int zombie_children(pid_t parent = 0);

/** Descendants of `root`, zombies included (they go where `root`'s orphans go). */
std::vector<pid_t> descendants(pid_t root);

/** Whether `pid` is a live process (not a zombie). */
bool running(pid_t pid);

/** One line of the process table. */
struct process_entry {
    pid_t pid = 0;
    pid_t ppid = 0;
    char state = 0;  // 'Z' for a zombie
};

/** Every process /proc shows now. */
std::vector<process_entry> process_table();

/** The processes below `root` in `table` (children, their children, ...), not `root` itself. */
std::vector<process_entry> descendants(const std::vector<process_entry>& table, pid_t root);

/** A process's /proc file (`environ`, `cmdline`: NUL-separated), empty when it is gone. */
std::string proc_file(pid_t pid, const char* name);

/** The value of `name` in the environment `pid` was started with; empty when unset. */
std::string environ_value(pid_t pid, const std::string& name);

/** Live processes anywhere on the machine whose argv or environment holds `token`. */
std::vector<pid_t> processes_with(const std::string& token);

/** Kills, when it goes out of scope, every process that holds `token`: what a failing test would
 * otherwise leave running. */
struct kill_at_exit {
    std::string token;
    ~kill_at_exit();
};

}  // namespace heartbeat::test
