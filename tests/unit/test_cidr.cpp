#include <gtest/gtest.h>

#include "checks/cidr.h"

namespace checks {
namespace {

IpAddress ip(const char* text) { return *parse_ip_address(text); }
std::vector<Cidr> ranges(std::initializer_list<const char*> texts) {
  std::vector<Cidr> parsed;
  for (const char* text : texts) parsed.push_back(*Cidr::parse(text));
  return parsed;
}

TEST(Cidr, ParsesIpv4AndIpv6) {
  auto v4 = Cidr::parse("10.0.0.0/8");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->to_string(), "10.0.0.0/8");
  auto v6 = Cidr::parse("fc00::/7");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->prefix_length(), 7u);
}

TEST(Cidr, BareAddressIsHostRoute) {
  auto host = Cidr::parse("192.0.2.1");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->prefix_length(), 32u);
  EXPECT_TRUE(host->contains(ip("192.0.2.1")));
  EXPECT_FALSE(host->contains(ip("192.0.2.2")));
}

TEST(Cidr, RejectsHostBitsBadPrefixAndGarbage) {
  EXPECT_FALSE(Cidr::parse("10.0.0.1/8"));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/33"));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/"));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/8x"));
  EXPECT_FALSE(Cidr::parse("fc00::/129"));
  EXPECT_FALSE(Cidr::parse("not-an-ip/8"));
  EXPECT_NE(Cidr::parse("10.0.0.1/8").error().message.find("host bits"), std::string::npos);
}

TEST(Cidr, ContainsRespectsPrefixAndFamily) {
  auto range = *Cidr::parse("172.16.0.0/12");
  EXPECT_TRUE(range.contains(ip("172.16.0.1")));
  EXPECT_TRUE(range.contains(ip("172.31.255.255")));
  EXPECT_FALSE(range.contains(ip("172.32.0.0")));
  EXPECT_FALSE(range.contains(ip("::ffff:172.15.0.1")));
  EXPECT_FALSE(range.contains(ip("fc00::1")));
  auto ula = *Cidr::parse("fc00::/7");
  EXPECT_TRUE(ula.contains(ip("fd12:3456::1")));
  EXPECT_FALSE(ula.contains(ip("fe80::1")));
}

TEST(Cidr, MappedIpv4IsTreatedAsIpv4) {
  EXPECT_TRUE(ip("::ffff:10.1.2.3").is_v4());
  EXPECT_TRUE(Cidr::parse("10.0.0.0/8")->contains(ip("::ffff:10.1.2.3")));
}

TEST(Cidr, DefaultPrivateRanges) {
  const auto& defaults = default_private_cidrs();
  for (const char* address : {"10.1.2.3", "172.20.0.1", "192.168.1.1", "100.64.0.1", "100.127.255.254", "fd00::1"}) {
    EXPECT_TRUE(is_inside_any(ip(address), defaults)) << address;
  }
  for (const char* address : {"8.8.8.8", "100.128.0.1", "172.32.0.1", "2600:1f18::1", "52.1.2.3"}) {
    EXPECT_FALSE(is_inside_any(ip(address), defaults)) << address;
  }
}

TEST(Classify, EmptyIsNone) {
  EXPECT_EQ(classify_addresses({}, default_private_cidrs(), {}), AddressClass::none);
}

TEST(Classify, AllPrivateIsPrivate) {
  EXPECT_EQ(classify_addresses({ip("10.0.0.1"), ip("fd00::1")}, default_private_cidrs(), {}), AddressClass::private_);
}

TEST(Classify, AllPublicIsPublic) {
  EXPECT_EQ(classify_addresses({ip("3.233.146.1"), ip("2600:1f18::1")}, default_private_cidrs(), {}),
            AddressClass::public_);
}

TEST(Classify, PrivateAPlusPublicAaaaIsMixed) {
  EXPECT_EQ(classify_addresses({ip("10.0.0.1"), ip("2600:1f18::1")}, default_private_cidrs(), {}), AddressClass::mixed);
}

TEST(Classify, PrivateOutsideExpectedSubnetsIsUnexpected) {
  const auto expected = ranges({"10.1.0.0/24"});
  EXPECT_EQ(classify_addresses({ip("10.1.0.5"), ip("10.1.0.6")}, default_private_cidrs(), expected),
            AddressClass::private_);
  EXPECT_EQ(classify_addresses({ip("10.1.0.5"), ip("10.2.0.6")}, default_private_cidrs(), expected),
            AddressClass::unexpected);
}

TEST(Classify, ReplaceablePrivateRanges) {
  const auto test_private = ranges({"127.0.10.0/24"});
  EXPECT_EQ(classify_addresses({ip("127.0.10.1")}, test_private, {}), AddressClass::private_);
  EXPECT_EQ(classify_addresses({ip("127.0.99.1")}, test_private, {}), AddressClass::public_);
  EXPECT_EQ(classify_addresses({ip("10.0.0.1")}, test_private, {}), AddressClass::public_);
}

TEST(Classify, Names) {
  EXPECT_EQ(to_string(AddressClass::private_), "private");
  EXPECT_EQ(to_string(AddressClass::public_), "public");
  EXPECT_EQ(to_string(AddressClass::mixed), "mixed");
  EXPECT_EQ(to_string(AddressClass::unexpected), "unexpected");
}

}  // namespace
}  // namespace checks
