#include "heartbeat/process/spawn_failure.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>

#include <fmt/format.h>

namespace heartbeat {

namespace {

/** The file posix_spawnp runs for `program`: itself when it holds a '/', else the first match
 * along PATH (glibc's default path when PATH is unset). */
std::optional<std::string> program_file(const std::string& program) {
    if (program.find('/') != std::string::npos) return program;
    const char* path = ::getenv("PATH");
    std::string_view dirs = path ? path : "/bin:/usr/bin";
    for (;;) {
        auto colon = dirs.find(':');
        std::string dir(dirs.substr(0, colon));
        auto candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
        if (::access(candidate.c_str(), F_OK) == 0) return candidate;
        if (colon == std::string_view::npos) return std::nullopt;
        dirs.remove_prefix(colon + 1);
    }
}

/** The interpreter a script's `#!` line names, as the kernel reads it (up to a space, a tab or the
 * end of the line; a carriage return is part of the name), from its first 256 bytes. */
std::optional<std::string> shebang_interpreter(const std::string& file) {
    // Non-blocking: a FIFO in the program's place must not hold the I/O thread.
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return std::nullopt;
    char buf[256];
    ssize_t got = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (got < 2 || buf[0] != '#' || buf[1] != '!') return std::nullopt;
    std::string_view line(buf + 2, static_cast<std::size_t>(got) - 2);
    line = line.substr(0, line.find('\n'));
    auto start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) return std::nullopt;
    line = line.substr(start);
    return std::string(line.substr(0, line.find_first_of(" \t")));
}

/** A path as it can be shown on one line: control characters escaped. */
std::string printable(std::string_view path) {
    std::string out;
    for (unsigned char ch : path) {
        if (ch < 0x20 || ch == 0x7f)
            out += ch == '\r' ? std::string("\\r") : fmt::format("\\x{:02x}", ch);
        else
            out += static_cast<char>(ch);
    }
    return out;
}

constexpr std::string_view sidecar_advice =
    "; an application's own commands cannot run in a sidecar's container: check the application "
    "through an http check of its health URL or a file check of a file it touches";

/** Why a program that is not there cannot run: a path names where it is missing; a bare name was
 * looked up in PATH, which in heartbeatd's default image holds nothing but heartbeatd. */
std::string missing_program(const std::string& program) {
    if (program.find('/') != std::string::npos)
        return fmt::format("{} does not exist here{}", printable(program), sidecar_advice);
    const char* path = std::getenv("PATH");
    return fmt::format(
        "no {} in PATH ({}); in a container, the program must be in heartbeatd's image: the "
        "default image has only heartbeatd, the tools image adds pg_isready, redis-cli, "
        "mysqladmin and curl",
        printable(program), path ? printable(path) : std::string("unset"));
}

/** What is wrong with the interpreter `interpreter` of a script that failed to start with
 * `error`; nullopt when it looks runnable (the failure is then the script's own). */
std::optional<std::string> interpreter_problem(const std::string& interpreter, int error) {
    auto named = fmt::format("its interpreter {} (from its #! line)", printable(interpreter));
    struct stat st {};
    if (::stat(interpreter.c_str(), &st) != 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            return fmt::format("{} cannot be reached: {}", named, std::strerror(errno));
        std::string what = named + " does not exist here";
        if (interpreter.ends_with('\r'))
            what += ": the script has Windows line endings (CRLF); convert it to LF";
        char target[512];
        if (auto n = ::readlink(interpreter.c_str(), target, sizeof target - 1); n > 0)
            what += fmt::format(" (it is a link to {}, which does not exist here)",
                                printable(std::string_view(target, static_cast<std::size_t>(n))));
        // The usual cause: a command of the application's image (a virtualenv's script) run in
        // heartbeatd's own container, which has none of the application's files.
        return what + std::string(sidecar_advice);
    }
    if (::access(interpreter.c_str(), X_OK) != 0)
        return fmt::format("{} cannot be executed: {}", named, std::strerror(errno));
    if (error == ENOENT || error == ENOEXEC)
        // It exists and may be executed, yet the kernel cannot start it: a binary built for another
        // system, whose loader or format this one lacks.
        return fmt::format("{} exists but cannot start here: {}", named, std::strerror(error));
    return std::nullopt;
}

}  // namespace

std::string describe_spawn_failure(const spawn_request& req, int error) {
    std::string plain = std::strerror(error);
    if (req.argv.empty() || req.argv[0].empty()) return plain;
    if (req.cwd && (error == ENOENT || error == ENOTDIR || error == EACCES)) {
        struct stat st {};
        if (::stat(req.cwd->c_str(), &st) != 0)
            return fmt::format("its working directory {} (cwd): {}", printable(*req.cwd),
                               std::strerror(errno));
        if (!S_ISDIR(st.st_mode))
            return fmt::format("its working directory {} (cwd) is not a directory",
                               printable(*req.cwd));
    }
    if (error != ENOENT && error != ENOEXEC && error != EACCES) return plain;
    auto file = program_file(req.argv[0]);
    if (!file) return error == ENOENT ? missing_program(req.argv[0]) : plain;
    if (req.cwd && !file->starts_with('/'))
        *file = *req.cwd + "/" + *file;  // the child looks for it after entering its cwd
    if (error == ENOENT && ::access(file->c_str(), F_OK) != 0 && errno == ENOENT)
        return missing_program(*file);
    auto interpreter = shebang_interpreter(*file);
    if (!interpreter) return plain;
    // A script that may not be executed itself is the script's fault, whatever its interpreter.
    if (::access(file->c_str(), X_OK) != 0) return plain;
    return interpreter_problem(*interpreter, error).value_or(plain);
}

}  // namespace heartbeat
