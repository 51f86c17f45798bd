#pragma once
// Walks the answer section of a DNS response. c-ares 1.18 has parsers only
// for whole record types (ares_parse_a_reply) and they hide per-hop TTLs and
// the order of the CNAME chain; the generic record API arrived in 1.22.
#include <string>
#include <string_view>
#include <vector>

#include "checks/dns.h"

namespace checks::detail {

struct ParsedAnswer {
  bool well_formed = false;
  std::string problem;  // why it is not well formed
  std::vector<CnameHop> cname_chain;
  std::vector<ResolvedAddress> addresses;  // of the requested type, at the end of the chain
};

// `query_name` without the trailing dot; `record_type` is 1 (A) or 28 (AAAA).
ParsedAnswer parse_answer(const unsigned char* message, int length, std::string_view query_name,
                          int record_type);

}  // namespace checks::detail
