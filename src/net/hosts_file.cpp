#include "heartbeat/net/hosts_file.hpp"

#include <algorithm>
#include <cctype>

namespace heartbeat {

namespace {

namespace ip = boost::asio::ip;

bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

/** A fully qualified name ("db.") is the same name as written without its final dot. */
std::string_view without_root_dot(std::string_view name) {
    if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
    return name;
}

/** The whitespace-separated words of one line, a comment left out. */
std::vector<std::string_view> words(std::string_view line) {
    line = line.substr(0, line.find('#'));
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
        std::size_t start = i;
        while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
        if (i > start) out.push_back(line.substr(start, i - start));
    }
    return out;
}

/** Whether the line's names (every word after its address) include `name`. */
bool names_it(const std::vector<std::string_view>& w, std::string_view name) {
    return std::any_of(w.begin() + 1, w.end(),
                       [&](std::string_view n) { return same_name(without_root_dot(n), name); });
}

}  // namespace

std::vector<ip::address> addresses_in_hosts(std::string_view text, std::string_view name) {
    name = without_root_dot(name);
    std::vector<ip::address> out;
    while (!text.empty()) {
        auto end = text.find('\n');
        auto w = words(text.substr(0, end));
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        if (w.size() < 2 || !names_it(w, name)) continue;
        boost::system::error_code ec;
        auto a = ip::make_address(std::string(w[0]), ec);
        if (!ec && std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    }
    return out;
}

std::vector<ip::address> localhost_addresses(std::string_view name) {
    if (!same_name(without_root_dot(name), "localhost")) return {};
    return {ip::address_v4::loopback(), ip::address_v6::loopback()};
}

}  // namespace heartbeat
