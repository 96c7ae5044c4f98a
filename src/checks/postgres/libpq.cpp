#include "libpq.hpp"

#include <dlfcn.h>

#include <mutex>
#include <optional>

namespace heartbeat::libpq {

namespace {

/** The soname of Debian 12's libpq5: the ABI the declarations in libpq-fe.h describe. */
constexpr const char* soname = "libpq.so.5";

template <class Fn>
bool find(void* library, const char* name, Fn& fn, std::string& why) {
    fn = reinterpret_cast<Fn>(::dlsym(library, name));
    if (!fn) why = std::string(soname) + " has no " + name;
    return fn != nullptr;
}

std::optional<api> open_library(std::string& why) {
    void* library = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        const char* error = ::dlerror();
        why = error ? error : std::string(soname) + " cannot be loaded";
        return std::nullopt;
    }
    api a{};
    bool all = find(library, "PQconnectStartParams", a.connect_start_params, why) &&
               find(library, "PQconnectPoll", a.connect_poll, why) &&
               find(library, "PQsocket", a.socket, why) &&
               find(library, "PQstatus", a.status, why) &&
               find(library, "PQerrorMessage", a.error_message, why) &&
               find(library, "PQsetErrorVerbosity", a.set_error_verbosity, why) &&
               find(library, "PQsetNoticeProcessor", a.set_notice_processor, why) &&
               find(library, "PQconnectionUsedPassword", a.connection_used_password, why) &&
               find(library, "PQfinish", a.finish, why);
    if (!all) {
        ::dlclose(library);
        return std::nullopt;
    }
    return a;  // never closed: runs may hold connections until the process ends
}

}  // namespace

const api* load(std::string& why) {
    // The loader thread (prepare) and the I/O thread (a run) may both ask.
    static std::mutex mutex;
    static std::optional<api> loaded;
    std::lock_guard lock(mutex);
    if (!loaded) loaded = open_library(why);
    return loaded ? &*loaded : nullptr;
}

}  // namespace heartbeat::libpq
