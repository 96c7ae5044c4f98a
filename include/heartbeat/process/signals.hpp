#pragma once

#include <signal.h>

namespace heartbeat {

/**
 * While alive, the calling thread blocks the asynchronous signals the daemon handles (TERM, INT,
 * HUP, CHLD, USR1, USR2). A thread started meanwhile inherits that mask, so those signals always
 * go to the I/O thread and never to a worker, where a sanitizer's runtime may hold one back until
 * that worker next wakes.
 */
class signals_blocked {
  public:
    signals_blocked();
    ~signals_blocked();
    signals_blocked(const signals_blocked&) = delete;
    signals_blocked& operator=(const signals_blocked&) = delete;

  private:
    sigset_t old_;
};

}  // namespace heartbeat
