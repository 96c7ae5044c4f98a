#pragma once

// A child process for end-to-end tests: heartbeatd started as a user would, its stderr read line by
// line.
#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "printing.hpp"

namespace heartbeat::test {

/** Runs argv with stdout and stderr captured; kills and reaps it on destruction if still running.
 * A sanitizer's report on its stderr (a sanitized heartbeatd's) fails the running test. */
class child {
  public:
    explicit child(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
                   const std::string& cwd = {});
    ~child();
    child(const child&) = delete;
    child& operator=(const child&) = delete;

    pid_t pid() const { return pid_; }
    /** Sends a signal. */
    void signal(int sig) const;
    /** Waits for a line of stderr that matches `re`, at most `timeout_ms`; returns the match. */
    std::optional<std::smatch> wait_for_line(const std::regex& re, int timeout_ms = 10000);
    /** Waits for the exit, at most `timeout_ms`; the exit code (128+N for a signal), or nullopt. */
    std::optional<int> wait_exit(int timeout_ms = 10000);
    /** Everything read from stderr so far (and what is ready to read now). */
    const std::string& stderr_text();
    /** Everything on stdout, after the exit. */
    const std::string& stdout_text() const { return out_; }

  private:
    bool pump(int timeout_ms);

    std::string program_;
    pid_t pid_ = -1;
    int pidfd_ = -1;
    int err_fd_ = -1;
    int out_fd_ = -1;
    std::string err_;
    std::string out_;
    std::size_t scanned_ = 0;
    std::string matched_line_;
    std::optional<int> exit_;
};

/** Runs argv to completion (capped), returns exit code and stdout+stderr. */
struct run_result {
    int code = -1;
    std::string out;
    std::string err;
};
run_result run(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
               int timeout_ms = 20000);

/** Calls `fn` until it returns true or `timeout_ms` passes, pausing 20 ms between tries; its last
 * answer. */
bool poll_until(const std::function<bool()>& fn, int timeout_ms = 10000);

/** A fresh temporary directory, removed with everything in it on destruction. */
class temp_dir {
  public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::string& path() const { return path_; }
    /** Writes `text` to `name` inside the directory; returns the full path. */
    std::string write(const std::string& name, const std::string& text) const;

  private:
    std::string path_;
};

}  // namespace heartbeat::test
