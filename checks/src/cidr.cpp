#include "checks/cidr.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace checks {
namespace {

// Both families as 16 network-order bytes; IPv4 uses the first 4.
struct RawAddress {
  std::array<unsigned char, 16> bytes{};
  unsigned bit_count = 0;
};

RawAddress raw_bytes(const IpAddress& address) {
  RawAddress raw;
  if (address.is_v4()) {
    const auto v4 = address.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), raw.bytes.begin());
    raw.bit_count = 32;
  } else {
    raw.bytes = address.to_v6().to_bytes();
    raw.bit_count = 128;
  }
  return raw;
}

bool prefix_matches(const RawAddress& left, const RawAddress& right, unsigned prefix_length) {
  const unsigned full_bytes = prefix_length / 8;
  const unsigned rest_bits = prefix_length % 8;
  if (!std::equal(left.bytes.begin(), left.bytes.begin() + full_bytes, right.bytes.begin())) {
    return false;
  }
  if (rest_bits == 0) return true;
  const auto mask = static_cast<unsigned char>(0xFFu << (8 - rest_bits));
  return (left.bytes[full_bytes] & mask) == (right.bytes[full_bytes] & mask);
}

}  // namespace

Expected<IpAddress> parse_ip_address(std::string_view text) {
  boost::system::error_code error;
  auto address = boost::asio::ip::make_address(std::string(text), error);
  if (error) {
    return unexpected(ErrorCode::invalid_argument, fmt::format("'{}' is not an IP address", text));
  }
  // An IPv4-mapped IPv6 address is the IPv4 address for every purpose here.
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

Expected<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  auto base = parse_ip_address(text.substr(0, slash));
  if (!base) return unexpected(ErrorCode::invalid_argument, fmt::format("'{}' is not a CIDR block", text));
  const unsigned max_length = base->is_v4() ? 32 : 128;
  unsigned prefix_length = max_length;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix_length);
    if (error != std::errc{} || end != digits.data() + digits.size() || digits.empty() ||
        prefix_length > max_length) {
      return unexpected(ErrorCode::invalid_argument,
                        fmt::format("'{}': prefix length must be 0..{}", text, max_length));
    }
  }
  Cidr cidr(*base, prefix_length);
  const RawAddress raw = raw_bytes(*base);
  // Host bits must be zero: compare the address with its own network.
  RawAddress masked = raw;
  for (unsigned bit = prefix_length; bit < raw.bit_count; ++bit) {
    masked.bytes[bit / 8] = static_cast<unsigned char>(masked.bytes[bit / 8] & ~(0x80u >> (bit % 8)));
  }
  if (masked.bytes != raw.bytes) {
    return unexpected(ErrorCode::invalid_argument,
                      fmt::format("'{}' has host bits set (did you mean a different network?)", text));
  }
  return cidr;
}

bool Cidr::contains(const IpAddress& address) const {
  if (address.is_v4() != base_.is_v4()) return false;
  return prefix_matches(raw_bytes(address), raw_bytes(base_), prefix_length_);
}

std::string Cidr::to_string() const { return fmt::format("{}/{}", base_.to_string(), prefix_length_); }

const std::vector<Cidr>& default_private_cidrs() {
  static const std::vector<Cidr> ranges = [] {
    std::vector<Cidr> parsed;
    for (const char* text : {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"}) {
      parsed.push_back(*Cidr::parse(text));
    }
    return parsed;
  }();
  return ranges;
}

std::string_view to_string(AddressClass address_class) {
  switch (address_class) {
    case AddressClass::none: return "none";
    case AddressClass::private_: return "private";
    case AddressClass::public_: return "public";
    case AddressClass::mixed: return "mixed";
    case AddressClass::unexpected: return "unexpected";
  }
  return "none";
}

bool is_inside_any(const IpAddress& address, const std::vector<Cidr>& ranges) {
  return std::any_of(ranges.begin(), ranges.end(), [&](const Cidr& range) { return range.contains(address); });
}

AddressClass classify_addresses(const std::vector<IpAddress>& addresses,
                                const std::vector<Cidr>& private_cidrs,
                                const std::vector<Cidr>& expected_cidrs) {
  if (addresses.empty()) return AddressClass::none;
  const auto private_count = static_cast<std::size_t>(std::count_if(
      addresses.begin(), addresses.end(), [&](const IpAddress& address) { return is_inside_any(address, private_cidrs); }));
  if (private_count == 0) return AddressClass::public_;
  if (private_count < addresses.size()) return AddressClass::mixed;
  if (expected_cidrs.empty()) return AddressClass::private_;
  const bool all_expected = std::all_of(addresses.begin(), addresses.end(),
                                        [&](const IpAddress& address) { return is_inside_any(address, expected_cidrs); });
  return all_expected ? AddressClass::private_ : AddressClass::unexpected;
}

}  // namespace checks
