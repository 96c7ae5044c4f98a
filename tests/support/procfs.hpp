#pragma once

// What /proc says about processes: descriptors, memory, zombie children, descendants. For leak
// tests.
#include <sys/types.h>

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

}  // namespace heartbeat::test
