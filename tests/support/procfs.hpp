#pragma once

// What /proc says about a process: its descriptors and its zombie children. For leak tests.
#include <sys/types.h>

namespace heartbeat::test {

/** Open descriptors of `pid` (this process by default), not counting the one used to count. */
int open_fds(pid_t pid = 0);

/** Resident memory (VmRSS) of `pid` in KiB; -1 when it cannot be read. */
long resident_kib(pid_t pid);

/** Children of `parent` (this process by default) that exited and were not reaped. */
int zombie_children(pid_t parent = 0);

}  // namespace heartbeat::test
