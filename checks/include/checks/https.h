#pragma once
// An HTTPS request pinned to one resolved address (CURLOPT_RESOLVE), through
// libcurl's multi interface driven by the caller's io_context.
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
#include "checks/reach.h"

namespace checks {

struct HttpsRequest {
  std::string host;
  std::uint16_t port = 443;
  IpAddress address;  // the request goes to this address only
  std::string path = "/";
  // "Name: value" lines. They may carry secrets (the API key): this library
  // never logs, prints or reports them.
  std::vector<std::string> headers;
  std::optional<std::string> ca_file;  // default: the system trust store
  std::chrono::milliseconds timeout{5000};
};

class HttpsClient {
 public:
  static Expected<std::unique_ptr<HttpsClient>> create(boost::asio::io_context& io);
  virtual ~HttpsClient() = default;
  // `done` runs once on the io_context, never from inside get().
  virtual void get(const HttpsRequest& request, std::function<void(HttpsResult)> done) = 0;
};

}  // namespace checks
