#include "dns_message.h"

#include <ares.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>

namespace checks::detail {
namespace {

constexpr int header_size = 12;
constexpr int type_cname = 5;
constexpr int type_a = 1;
constexpr int type_aaaa = 28;
constexpr int class_in = 1;
// Real chains are one or two hops; more than this is a loop or an attack.
constexpr int max_cname_hops = 16;

struct Record {
  std::string owner;
  int type = 0;
  int record_class = 0;
  std::uint32_t ttl = 0;
  const unsigned char* data = nullptr;
  int data_length = 0;
};

std::string lowercase(std::string_view text) {
  std::string lowered(text);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lowered;
}

unsigned read_u16(const unsigned char* at) { return (unsigned{at[0]} << 8) | unsigned{at[1]}; }
std::uint32_t read_u32(const unsigned char* at) {
  return (std::uint32_t{at[0]} << 24) | (std::uint32_t{at[1]} << 16) | (std::uint32_t{at[2]} << 8) |
         std::uint32_t{at[3]};
}

// Decompresses the name at `at`; advances `at` past its encoded form.
std::optional<std::string> read_name(const unsigned char*& at, const unsigned char* message, int length) {
  char* name = nullptr;
  long encoded_length = 0;
  if (ares_expand_name(at, message, length, &name, &encoded_length) != ARES_SUCCESS) return std::nullopt;
  std::string result = lowercase(name);
  ares_free_string(name);
  at += encoded_length;
  return result;
}

class AnswerReader {
 public:
  AnswerReader(const unsigned char* message, int length) : message_(message), length_(length), at_(message) {}

  std::optional<std::vector<Record>> read_answers() {
    if (length_ < header_size) return fail("shorter than a DNS header");
    const unsigned question_count = read_u16(message_ + 4);
    const unsigned answer_count = read_u16(message_ + 6);
    at_ = message_ + header_size;
    for (unsigned i = 0; i < question_count; ++i) {
      if (!read_name(at_, message_, length_) || !has(4)) return fail("truncated question");
      at_ += 4;
    }
    std::vector<Record> records;
    for (unsigned i = 0; i < answer_count; ++i) {
      auto record = read_record();
      if (!record) return std::nullopt;
      records.push_back(std::move(*record));
    }
    return records;
  }

  const std::string& problem() const { return problem_; }

 private:
  bool has(int bytes) const { return at_ + bytes <= message_ + length_; }

  std::nullopt_t fail(std::string problem) {
    problem_ = std::move(problem);
    return std::nullopt;
  }

  std::optional<Record> read_record() {
    auto owner = read_name(at_, message_, length_);
    if (!owner || !has(10)) return fail("truncated answer record");
    Record record;
    record.owner = std::move(*owner);
    record.type = static_cast<int>(read_u16(at_));
    record.record_class = static_cast<int>(read_u16(at_ + 2));
    record.ttl = read_u32(at_ + 4);
    record.data_length = static_cast<int>(read_u16(at_ + 8));
    at_ += 10;
    if (!has(record.data_length)) return fail("record data runs past the message");
    record.data = at_;
    at_ += record.data_length;
    return record;
  }

  const unsigned char* message_;
  int length_;
  const unsigned char* at_;
  std::string problem_;
};

std::optional<IpAddress> address_from(const Record& record) {
  if (record.type == type_a && record.data_length == 4) {
    boost::asio::ip::address_v4::bytes_type bytes;
    std::memcpy(bytes.data(), record.data, 4);
    return IpAddress(boost::asio::ip::address_v4(bytes));
  }
  if (record.type == type_aaaa && record.data_length == 16) {
    boost::asio::ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), record.data, 16);
    return IpAddress(boost::asio::ip::address_v6(bytes));
  }
  return std::nullopt;
}

}  // namespace

ParsedAnswer parse_answer(const unsigned char* message, int length, std::string_view query_name,
                          int record_type) {
  ParsedAnswer parsed;
  AnswerReader reader(message, length);
  auto records = reader.read_answers();
  if (!records) {
    parsed.problem = reader.problem();
    return parsed;
  }
  std::string current = lowercase(query_name);
  for (int hop = 0; hop <= max_cname_hops; ++hop) {
    const auto cname = std::find_if(records->begin(), records->end(), [&](const Record& record) {
      return record.type == type_cname && record.record_class == class_in && record.owner == current;
    });
    if (cname == records->end()) break;
    if (hop == max_cname_hops) {
      parsed.problem = fmt::format("CNAME chain longer than {} hops", max_cname_hops);
      return parsed;
    }
    const unsigned char* target_at = cname->data;
    auto target = read_name(target_at, message, length);
    if (!target) {
      parsed.problem = "bad CNAME target";
      return parsed;
    }
    parsed.cname_chain.push_back(CnameHop{current, *target, cname->ttl});
    current = std::move(*target);
  }
  for (const Record& record : *records) {
    if (record.type != record_type || record.record_class != class_in || record.owner != current) continue;
    auto address = address_from(record);
    if (!address) {
      parsed.problem = fmt::format("address record of {} bytes", record.data_length);
      return parsed;
    }
    parsed.addresses.push_back(ResolvedAddress{*address, record.ttl});
  }
  parsed.well_formed = true;
  return parsed;
}

}  // namespace checks::detail
