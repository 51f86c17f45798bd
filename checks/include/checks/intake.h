#pragma once
// The whole probe of one intake: DNS (A+AAAA), classification of the answer,
// then TCP+TLS (and optionally HTTPS) to every address, all concurrently.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checks/cidr.h"
#include "checks/dns.h"
#include "checks/https.h"
#include "checks/reach.h"

namespace checks {

struct HttpsCheck {
  std::string path;                  // e.g. "/api/v1/validate"
  std::vector<std::string> headers;  // "Name: value"; may hold secrets, never reported
  std::vector<long> accepted_status = {200, 201, 202, 204};
};

struct IntakeTarget {
  std::string name;  // "metrics", "logs", ...
  std::string host;
  std::uint16_t port = 443;
  std::optional<HttpsCheck> https;
};

struct ProbeSettings {
  std::chrono::milliseconds timeout{5000};  // per phase group: DNS, then connect+TLS, then HTTPS
  std::vector<Cidr> private_cidrs = default_private_cidrs();
  std::vector<Cidr> expected_cidrs;  // empty: no expectation
  bool probe_public_addresses = false;
  std::optional<std::string> ca_file;  // for the HTTPS request; the TLS context carries its own
};

enum class Verdict { ok, degraded, failing };
std::string_view to_string(Verdict verdict);

struct IntakeResult {
  std::string name;
  std::string host;
  std::uint16_t port = 443;
  DnsResult dns;
  AddressClass address_class = AddressClass::none;
  std::vector<ReachResult> addresses;  // one per resolved address, in DNS order
  Verdict verdict = Verdict::failing;
  std::string reason;  // why the verdict is not ok
};

// Pure: the verdict of a finished probe, and why.
std::pair<Verdict, std::string> decide_verdict(const IntakeResult& result);

class IntakeProber {
 public:
  IntakeProber(boost::asio::io_context& io, DnsResolver& resolver,
               std::shared_ptr<boost::asio::ssl::context> tls_context, HttpsClient* https_client,
               ProbeSettings settings);

  // `done` runs once, on the io_context.
  void probe(const IntakeTarget& target, std::function<void(IntakeResult)> done);
  // Every target at once; `done` gets the results in the order of `targets`.
  void probe_all(const std::vector<IntakeTarget>& targets, std::function<void(std::vector<IntakeResult>)> done);

  const ProbeSettings& settings() const { return settings_; }

 private:
  void probe_addresses(std::shared_ptr<struct ProbeRun> run);
  void probe_one_address(std::shared_ptr<struct ProbeRun> run, std::size_t index);
  void request_https(std::shared_ptr<struct ProbeRun> run, std::size_t index);
  void address_finished(const std::shared_ptr<struct ProbeRun>& run);

  boost::asio::io_context& io_;
  DnsResolver& resolver_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  HttpsClient* https_client_;
  ProbeSettings settings_;
};

}  // namespace checks
