#include "heartbeat/checks/file/run.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "heartbeat/deadline.hpp"
#include "heartbeat/text.hpp"

namespace heartbeat {

check_result judge_file(const file_spec& spec, const file_facts& facts,
                        std::chrono::system_clock::time_point now) {
    if (facts.error == ENOENT || facts.error == ENOTDIR)
        return failure(fmt::format("{} does not exist", spec.path));
    if (facts.error)
        return failure(fmt::format("cannot stat {}: {}", spec.path, std::strerror(facts.error)));
    if (spec.kind_ == file_spec::kind::file && !facts.is_regular)
        return failure(fmt::format("{} exists but is not a regular file", spec.path));
    if (spec.kind_ == file_spec::kind::dir && !facts.is_dir)
        return failure(fmt::format("{} exists but is not a directory", spec.path));
    if (spec.min_size && facts.size < *spec.min_size)
        return failure(fmt::format("{} is {} bytes, less than min_size {}", spec.path, facts.size,
                                   *spec.min_size));
    if (spec.max_age) {
        auto age = now - facts.modified;
        if (age > *spec.max_age)
            return failure(
                fmt::format("{} was last modified {} ago, more than max_age {}", spec.path,
                            format_duration(std::chrono::duration_cast<std::chrono::seconds>(age)),
                            format_duration(*spec.max_age)));
    }
    return success();
}

namespace {
file_facts stat_path(const std::string& path) {
    file_facts f;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        f.error = errno;
        return f;
    }
    f.is_dir = S_ISDIR(st.st_mode);
    f.is_regular = S_ISREG(st.st_mode);
    f.size = static_cast<std::uint64_t>(st.st_size);
    f.modified = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(st.st_mtim.tv_sec) +
            std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
    return f;
}
}  // namespace

net::awaitable<check_result> run_file(file_spec spec, duration timeout,
                                      steady_clock::time_point deadline, run_context ctx) {
    std::optional<file_facts> facts;
    if (ctx.blocking_pool) {
        // stat() on a hung network mount never returns: ask from the pool, wait at most until the
        // deadline. Named, not a temporary: g++ 12 destroys a capturing lambda inside a co_await
        // expression twice.
        auto work = [path = spec.path] { return stat_path(path); };
        facts = co_await offload_until<file_facts>(*ctx.blocking_pool, deadline, std::move(work));
    } else {
        facts = stat_path(spec.path);
    }
    if (!facts) co_return failure(timed_out_message(timeout, "reading the status of " + spec.path));
    co_return judge_file(spec, *facts, std::chrono::system_clock::now());
}

}  // namespace heartbeat
