#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dns_message.h"

namespace checks::detail {
namespace {

// Builds DNS responses byte by byte (names uncompressed), so each test shows
// exactly what the resolver would receive.
class MessageBuilder {
 public:
  MessageBuilder(const std::string& question, std::uint16_t type) : question_(question), type_(type) {}

  MessageBuilder& cname(const std::string& owner, const std::string& target, std::uint32_t ttl) {
    std::vector<unsigned char> data;
    append_name(data, target);
    return record(owner, 5, ttl, data);
  }
  MessageBuilder& a(const std::string& owner, std::vector<unsigned char> bytes, std::uint32_t ttl) {
    return record(owner, 1, ttl, std::move(bytes));
  }
  MessageBuilder& aaaa(const std::string& owner, std::vector<unsigned char> bytes, std::uint32_t ttl) {
    return record(owner, 28, ttl, std::move(bytes));
  }
  MessageBuilder& record(const std::string& owner, std::uint16_t type, std::uint32_t ttl,
                         std::vector<unsigned char> data) {
    append_name(answers_, owner);
    append_u16(answers_, type);
    append_u16(answers_, 1);
    append_u16(answers_, static_cast<std::uint16_t>(ttl >> 16));
    append_u16(answers_, static_cast<std::uint16_t>(ttl & 0xFFFF));
    append_u16(answers_, static_cast<std::uint16_t>(data.size()));
    answers_.insert(answers_.end(), data.begin(), data.end());
    ++answer_count_;
    return *this;
  }

  std::vector<unsigned char> build() const {
    std::vector<unsigned char> message = {0x12, 0x34, 0x81, 0x80, 0, 1};
    append_u16(message, answer_count_);
    append_u16(message, 0);
    append_u16(message, 0);
    append_name(message, question_);
    append_u16(message, type_);
    append_u16(message, 1);
    message.insert(message.end(), answers_.begin(), answers_.end());
    return message;
  }

 private:
  static void append_u16(std::vector<unsigned char>& out, std::uint16_t value) {
    out.push_back(static_cast<unsigned char>(value >> 8));
    out.push_back(static_cast<unsigned char>(value & 0xFF));
  }
  static void append_name(std::vector<unsigned char>& out, const std::string& name) {
    std::size_t start = 0;
    while (start < name.size()) {
      std::size_t dot = name.find('.', start);
      if (dot == std::string::npos) dot = name.size();
      out.push_back(static_cast<unsigned char>(dot - start));
      out.insert(out.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
      start = dot + 1;
    }
    out.push_back(0);
  }

  std::string question_;
  std::uint16_t type_;
  std::vector<unsigned char> answers_;
  std::uint16_t answer_count_ = 0;
};

ParsedAnswer parse(const std::vector<unsigned char>& message, const std::string& name, int type) {
  return parse_answer(message.data(), static_cast<int>(message.size()), name, type);
}

TEST(DnsMessage, FollowsCnameChainInOrderWithTtls) {
  auto message = MessageBuilder("alias.pl.test", 1)
                     .cname("alias.pl.test", "mid.pl.test", 300)
                     .cname("mid.pl.test", "two.pl.test", 120)
                     .a("two.pl.test", {10, 0, 0, 1}, 60)
                     .a("two.pl.test", {10, 0, 0, 2}, 60)
                     .build();
  auto parsed = parse(message, "alias.pl.test", 1);
  ASSERT_TRUE(parsed.well_formed) << parsed.problem;
  ASSERT_EQ(parsed.cname_chain.size(), 2u);
  EXPECT_EQ(parsed.cname_chain[0].alias, "alias.pl.test");
  EXPECT_EQ(parsed.cname_chain[0].target, "mid.pl.test");
  EXPECT_EQ(parsed.cname_chain[0].ttl, 300u);
  EXPECT_EQ(parsed.cname_chain[1].target, "two.pl.test");
  ASSERT_EQ(parsed.addresses.size(), 2u);
  EXPECT_EQ(parsed.addresses[0].address.to_string(), "10.0.0.1");
  EXPECT_EQ(parsed.addresses[1].ttl, 60u);
}

TEST(DnsMessage, NamesCompareCaseInsensitively) {
  auto message = MessageBuilder("API.pl.test", 1).a("api.PL.test", {10, 0, 0, 9}, 30).build();
  auto parsed = parse(message, "Api.Pl.Test", 1);
  ASSERT_TRUE(parsed.well_formed);
  ASSERT_EQ(parsed.addresses.size(), 1u);
}

TEST(DnsMessage, IgnoresAddressesOfOtherNames) {
  // An answer section must not smuggle in records for a name outside the chain.
  auto message = MessageBuilder("api.pl.test", 1)
                     .a("api.pl.test", {10, 0, 0, 1}, 30)
                     .a("evil.pl.test", {8, 8, 8, 8}, 30)
                     .build();
  auto parsed = parse(message, "api.pl.test", 1);
  ASSERT_EQ(parsed.addresses.size(), 1u);
}

TEST(DnsMessage, Aaaa) {
  std::vector<unsigned char> v6(16, 0);
  v6[0] = 0xfd;
  v6[15] = 1;
  auto message = MessageBuilder("v6.pl.test", 28).aaaa("v6.pl.test", v6, 30).build();
  auto parsed = parse(message, "v6.pl.test", 28);
  ASSERT_EQ(parsed.addresses.size(), 1u);
  EXPECT_EQ(parsed.addresses[0].address.to_string(), "fd00::1");
}

TEST(DnsMessage, ChainWithoutAddressesIsWellFormedButEmpty) {
  auto message = MessageBuilder("alias.pl.test", 28).cname("alias.pl.test", "two.pl.test", 30).build();
  auto parsed = parse(message, "alias.pl.test", 28);
  ASSERT_TRUE(parsed.well_formed);
  EXPECT_EQ(parsed.cname_chain.size(), 1u);
  EXPECT_TRUE(parsed.addresses.empty());
}

TEST(DnsMessage, TruncatedMessageIsMalformed) {
  auto message = MessageBuilder("api.pl.test", 1).a("api.pl.test", {10, 0, 0, 1}, 30).build();
  message.resize(message.size() - 3);
  EXPECT_FALSE(parse(message, "api.pl.test", 1).well_formed);
  EXPECT_FALSE(parse({0x12, 0x34}, "api.pl.test", 1).well_formed);
}

TEST(DnsMessage, WrongAddressLengthIsMalformed) {
  auto message = MessageBuilder("api.pl.test", 1).a("api.pl.test", {10, 0, 0}, 30).build();
  auto parsed = parse(message, "api.pl.test", 1);
  EXPECT_FALSE(parsed.well_formed);
}

TEST(DnsMessage, CnameLoopIsMalformed) {
  auto message = MessageBuilder("a.pl.test", 1)
                     .cname("a.pl.test", "b.pl.test", 30)
                     .cname("b.pl.test", "a.pl.test", 30)
                     .build();
  auto parsed = parse(message, "a.pl.test", 1);
  EXPECT_FALSE(parsed.well_formed);
  EXPECT_NE(parsed.problem.find("CNAME"), std::string::npos);
}

}  // namespace
}  // namespace checks::detail
