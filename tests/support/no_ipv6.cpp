// Preloaded (LD_PRELOAD) into a heartbeatd under test: socket(AF_INET6, ...) fails with
// EAFNOSUPPORT, as on a kernel booted without IPv6, and every other socket is made as usual. Lets a
// test see what the daemon does on such a kernel without needing one.
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

extern "C" int socket(int domain, int type, int protocol) {
    if (domain == AF_INET6) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    return static_cast<int>(::syscall(SYS_socket, domain, type, protocol));
}
