#pragma once
// IP ranges (CIDR blocks) and the classification of a DNS answer set against
// them: is every address an endpoint-private one?
#include <boost/asio/ip/address.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "checks/expected.h"

namespace checks {

using IpAddress = boost::asio::ip::address;

class Cidr {
 public:
  // Accepts "10.0.0.0/8", "fc00::/7"; a bare address means a /32 or /128.
  // Host bits set below the prefix are rejected ("10.0.0.1/8"): they are
  // nearly always a typo for another range.
  static Expected<Cidr> parse(std::string_view text);

  bool contains(const IpAddress& address) const;
  std::string to_string() const;
  const IpAddress& base() const { return base_; }
  unsigned prefix_length() const { return prefix_length_; }

  friend bool operator==(const Cidr&, const Cidr&) = default;

 private:
  Cidr(IpAddress base, unsigned prefix_length) : base_(base), prefix_length_(prefix_length) {}
  IpAddress base_;
  unsigned prefix_length_ = 0;
};

// The default private ranges: RFC 1918, RFC 6598 shared space (100.64/10),
// IPv6 unique local (fc00::/7).
const std::vector<Cidr>& default_private_cidrs();

Expected<IpAddress> parse_ip_address(std::string_view text);

enum class AddressClass {
  none,        // no address at all (the lookup failed)
  private_,    // every address inside the private ranges (and the expected ones, if given)
  public_,     // every address outside the private ranges
  mixed,       // some private, some public
  unexpected,  // all private, but some outside the expected endpoint subnets
};

std::string_view to_string(AddressClass address_class);

bool is_inside_any(const IpAddress& address, const std::vector<Cidr>& ranges);

// `expected_cidrs` empty means "no expectation": only private/public matters.
AddressClass classify_addresses(const std::vector<IpAddress>& addresses,
                                const std::vector<Cidr>& private_cidrs,
                                const std::vector<Cidr>& expected_cidrs);

}  // namespace checks
