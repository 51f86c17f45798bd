#pragma once
// Reachability of one resolved address: TCP connect, then a verified TLS
// handshake with SNI = the intake's hostname.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "checks/cidr.h"
#include "checks/expected.h"

namespace checks {

enum class ReachOutcome {
  ok,
  refused,                 // TCP RST to our SYN: nothing listens
  connect_timeout,         // no SYN-ACK before the deadline (a dead AZ looks like this)
  reset,                   // the connection was reset or closed during the TLS handshake
  unreachable,             // no route, host or network unreachable
  tls_timeout,             // TCP connected but the handshake did not finish in time
  tls_failed,              // handshake failed for another reason (protocol, alert, cipher)
  cert_untrusted,          // chain does not lead to a trusted CA
  cert_hostname_mismatch,  // certificate does not name the intake's host
  cert_expired,            // certificate expired (or not yet valid)
  http_failed,             // TLS fine, but the HTTPS request failed or got a bad status
  skipped_public,          // a public address: not contacted (see probe_public_addresses)
  error,                   // the probe could not run (socket error)
};

std::string_view to_string(ReachOutcome outcome);
bool is_reachable(ReachOutcome outcome);

struct HttpsResult {
  std::string url_path;
  long status_code = 0;        // 0 when no response
  std::string error;           // libcurl's message when the transfer failed
  std::chrono::microseconds total_time{0};
};

struct ReachResult {
  IpAddress address;
  std::uint16_t port = 443;
  ReachOutcome outcome = ReachOutcome::error;
  std::optional<std::chrono::microseconds> connect_time;
  std::optional<std::chrono::microseconds> tls_time;
  std::string tls_version;              // "TLSv1.3"
  std::optional<int> cert_days_left;    // of the leaf; negative when expired
  std::string cert_issuer;              // the issuer's common name (or full DN)
  std::optional<HttpsResult> https;
  std::string detail;
};

// A client TLS context that verifies peers: the system trust store, or only
// `ca_file` when given. Built once and shared by every probe.
Expected<std::shared_ptr<boost::asio::ssl::context>> make_tls_client_context(
    const std::optional<std::string>& ca_file);

// Connects to address:port and completes a TLS handshake with SNI and
// hostname verification against `server_name`. Never throws; every failure is
// an outcome. `timeout` bounds the connect and the handshake together.
boost::asio::awaitable<ReachResult> probe_tls(std::shared_ptr<boost::asio::ssl::context> context,
                                              IpAddress address, std::uint16_t port,
                                              std::string server_name, std::chrono::milliseconds timeout);

}  // namespace checks
