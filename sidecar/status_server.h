#pragma once
// The local status endpoint: a small Boost.Beast HTTP/1.1 server on the
// daemon's io_context. It never blocks the loop: each connection is a
// coroutine with a deadline, bodies are built from in-memory state by the
// handler, connections are bounded, and requests with bodies or oversized
// headers are refused.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "checks/expected.h"

namespace sidecar {

struct HttpReply {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::shared_ptr<const std::string> body;  // shared so a cached rendering is not copied per request
};

struct StatusServerLimits {
  std::chrono::milliseconds request_timeout{5000};  // per request: read the request, write the reply
  std::size_t max_connections = 64;
  std::size_t max_requests_per_connection = 1000;
};

class StatusServer {
 public:
  // Called on the io_context thread with the request target ("/metrics?x" -> "/metrics").
  using Handler = std::function<HttpReply(std::string_view path)>;

  // Binds and listens on "ip:port" ("[::1]:port" for IPv6).
  static checks::Expected<std::unique_ptr<StatusServer>> start(boost::asio::io_context& io, const std::string& listen,
                                                               Handler handler, StatusServerLimits limits = {});
  ~StatusServer();

  boost::asio::ip::tcp::endpoint local_endpoint() const;
  std::size_t open_connections() const;
  void stop();

  struct State;  // the listener and its connections; public only so the .cpp's coroutines can name it

 private:
  explicit StatusServer(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace sidecar
