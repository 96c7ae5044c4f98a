#pragma once

#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace heartbeat {

/**
 * The addresses that a hosts file (`/etc/hosts` format: an address, then its names, `#` starts a
 * comment) gives `name`, in the file's order, each once. Names match without regard to case.
 */
std::vector<boost::asio::ip::address> addresses_in_hosts(std::string_view text,
                                                         std::string_view name);

/** The loopback addresses for `localhost` (RFC 6761), empty for any other name. */
std::vector<boost::asio::ip::address> localhost_addresses(std::string_view name);

}  // namespace heartbeat
