#include "heartbeat/process/signals.hpp"

#include <pthread.h>

#include <initializer_list>

namespace heartbeat {

signals_blocked::signals_blocked() {
    sigset_t handled;
    ::sigemptyset(&handled);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2}) ::sigaddset(&handled, sig);
    ::pthread_sigmask(SIG_BLOCK, &handled, &old_);
}

signals_blocked::~signals_blocked() {
    ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

}  // namespace heartbeat
