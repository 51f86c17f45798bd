#pragma once
// DNS probe: A and AAAA for one absolute name, through c-ares driven by the
// caller's io_context (one thread, no blocking calls).
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checks/cidr.h"
#include "checks/expected.h"

namespace checks {

enum class DnsOutcome {
  ok,          // at least one address and no family failed
  nxdomain,    // the name does not exist
  nodata,      // the name exists but has no A/AAAA (possibly after a CNAME)
  servfail,    // the server could not answer (rcode 2)
  refused,     // the server refused to answer (rcode 5)
  timeout,     // no answer before the deadline
  malformed,   // an answer we could not parse (or FORMERR/NOTIMP)
  no_servers,  // resolv.conf names no usable server: nothing was asked
  error,       // anything else (out of memory, connection refused by every server, ...)
};

std::string_view to_string(DnsOutcome outcome);

struct CnameHop {
  std::string alias;   // the name that is an alias ...
  std::string target;  // ... of this one
  std::uint32_t ttl = 0;
};

struct ResolvedAddress {
  IpAddress address;
  std::uint32_t ttl = 0;
};

struct DnsFamilyResult {
  DnsOutcome outcome = DnsOutcome::error;
  std::string detail;
};

struct DnsResult {
  std::string query_name;  // absolute, with the trailing dot
  DnsOutcome outcome = DnsOutcome::error;
  DnsFamilyResult a;
  DnsFamilyResult aaaa;
  std::vector<CnameHop> cname_chain;       // in order, from the query name on
  std::vector<ResolvedAddress> addresses;  // A first, then AAAA, each sorted, without duplicates
  std::optional<std::uint32_t> min_ttl;    // over every address and CNAME hop
  std::chrono::microseconds elapsed{0};
  std::string server;  // "ip:port" of the server whose answer was used last; empty if none answered
  std::string detail;

  std::vector<IpAddress> address_list() const;
};

struct DnsResolverOptions {
  // "host:port" or "host" (port 53), IPv6 as "[::1]:5353". Empty: use resolv_conf.
  std::vector<std::string> servers;
  std::string resolv_conf = "/etc/resolv.conf";
  // EDNS0 UDP payload size advertised (DNS Flag Day 2020 value).
  unsigned edns_payload_size = 1232;
  // One attempt's timeout and the number of attempts per server. c-ares
  // doubles the timeout on each round, so 2 attempts take about 3x this.
  std::chrono::milliseconds attempt_timeout{1000};
  int attempts = 2;
};

// Resolves names with c-ares on the given io_context. Single-threaded: every
// member must be called from the io_context's thread. When `servers` is empty
// it follows resolv.conf and notices when the file changes (c-ares 1.18 reads
// it only when a channel is created), so each change starts a new channel
// "generation"; older generations die when their last query finishes.
class DnsResolver {
 public:
  using Callback = std::function<void(DnsResult)>;

  static Expected<std::unique_ptr<DnsResolver>> create(boost::asio::io_context& io,
                                                       DnsResolverOptions options);
  virtual ~DnsResolver() = default;

  // Resolves `host` (made absolute) for A and AAAA. `done` runs exactly once
  // on the io_context, never from inside resolve(), at the latest shortly
  // after `timeout` even if no server ever answers.
  virtual void resolve(const std::string& host, std::chrono::milliseconds timeout, Callback done) = 0;

  // Servers the current channel would ask, for reports ("127.0.0.1:53").
  virtual std::vector<std::string> current_servers() = 0;
};

// Exposed for tests: the "nameserver" entries of a resolv.conf text.
std::vector<std::string> nameservers_in_resolv_conf(std::string_view text);

}  // namespace checks
