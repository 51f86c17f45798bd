#pragma once
// An HttpFetcher over one blocking libcurl easy handle per request. Meant for
// `provision`, a one-shot CLI that makes a few dozen calls in sequence; the
// daemon's probes use checks/https.h on its event loop instead.
//
// Decisions:
// - TLS peer and host verification are always on; only the CA bundle can change.
// - Proxies: libcurl's standard environment (https_proxy, HTTPS_PROXY,
//   http_proxy, no_proxy, ...) is honoured for AWS endpoints, as the AWS CLI
//   does, so hosts that reach AWS through a proxy keep working. Loopback and
//   link-local hosts (moto on 127.0.0.1, IMDS on 169.254.169.254) never go
//   through a proxy: a proxy cannot reach them on our behalf.
// - No redirects (AWS APIs do not send them), http/https only.
// - Nothing is logged: request headers carry Authorization and the session token.
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "aws/http.h"

namespace aws {

struct CurlTransportOptions {
  std::chrono::milliseconds connect_timeout{5000};
  // The whole transfer, connect included. EC2/Route 53 answer in well under a second.
  std::chrono::milliseconds total_timeout{30000};
  // Empty: libcurl's default CA bundle (Debian: /etc/ssl/certs).
  std::string ca_file;
  // Responses larger than this are cut off and reported as an error: no AWS
  // answer we read comes close, so a bigger one is not an AWS endpoint.
  std::size_t max_response_bytes = 16 * 1024 * 1024;
};

HttpFetcher curl_fetcher(CurlTransportOptions options = {});

// True for localhost, 127.0.0.0/8, ::1 and 169.254.0.0/16 (IMDS): the hosts
// that bypass proxies. `host` is a URL host, IPv6 in brackets or not.
bool bypasses_proxy(std::string_view host);

}  // namespace aws
