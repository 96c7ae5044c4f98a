#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "loopback.hpp"

namespace heartbeat::test {

std::string raw_exchange(std::uint16_t port, const std::string& request, int timeout_ms) {
    int fd = connect_loopback(port);
    if (fd < 0) return {};
    write_all(fd, request);
    std::string got = read_until(fd, std::string(), timeout_ms);
    ::close(fd);
    return got;
}

http_reply parse_reply(const std::string& raw, bool head, std::size_t* consumed) {
    http_reply r;
    auto end = raw.find("\r\n\r\n");
    if (end == std::string::npos) return r;
    std::string head_text = raw.substr(0, end);
    auto line_end = head_text.find("\r\n");
    std::string status_line = head_text.substr(0, line_end);
    auto sp1 = status_line.find(' ');
    if (sp1 == std::string::npos) return r;
    r.version = status_line.substr(0, sp1);
    r.status = std::atoi(status_line.c_str() + sp1 + 1);
    std::size_t pos = line_end == std::string::npos ? head_text.size() : line_end + 2;
    while (pos < head_text.size()) {
        auto next = head_text.find("\r\n", pos);
        if (next == std::string::npos) next = head_text.size();
        std::string line = head_text.substr(pos, next - pos);
        auto colon = line.find(':');
        if (colon != std::string::npos) {
            std::string name = line.substr(0, colon);
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return std::tolower(c); });
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            r.headers[name] = value;
        }
        pos = next + 2;
    }
    std::size_t body_start = end + 4;
    std::size_t length = raw.size() - body_start;
    if (head)
        length = 0;
    else if (auto cl = r.headers.find("content-length"); cl != r.headers.end())
        length = std::min<std::size_t>(std::stoul(cl->second), raw.size() - body_start);
    r.body = raw.substr(body_start, length);
    if (consumed) *consumed = body_start + length;
    return r;
}

http_reply request(std::uint16_t port, const std::string& target, const std::string& method,
                   int timeout_ms) {
    std::string req =
        method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    return parse_reply(raw_exchange(port, req, timeout_ms), method == "HEAD");
}

}  // namespace heartbeat::test
