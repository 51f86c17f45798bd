#include "status_server.h"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "checks/cidr.h"

namespace sidecar {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

struct StatusServer::State {
  State(asio::io_context& io_context, Handler request_handler, StatusServerLimits server_limits)
      : io(io_context), acceptor(io_context), handler(std::move(request_handler)), limits(server_limits) {}
  asio::io_context& io;
  tcp::acceptor acceptor;
  Handler handler;
  StatusServerLimits limits;
  std::size_t connections = 0;
  bool stopped = false;
};

namespace {

checks::Expected<tcp::endpoint> parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return checks::unexpected(checks::ErrorCode::config, fmt::format("'{}' must be address:port", listen));
  }
  std::string host = listen.substr(0, colon);
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  auto address = checks::parse_ip_address(host);
  if (!address) return checks::unexpected(checks::ErrorCode::config, fmt::format("'{}' is not an IP address", host));
  return tcp::endpoint(*address, static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1))));
}

std::string_view path_of(std::string_view target) {
  const auto query = target.find('?');
  return query == std::string_view::npos ? target : target.substr(0, query);
}

HttpReply reply_for(const http::request_parser<http::empty_body>::value_type& request,
                    const StatusServer::Handler& handler) {
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    return HttpReply{405, "text/plain; charset=utf-8", std::make_shared<const std::string>("only GET and HEAD\n")};
  }
  HttpReply reply = handler(path_of(request.target()));
  if (!reply.body) reply.body = std::make_shared<const std::string>();
  return reply;
}

// The body points into the reply's shared string (a cached /metrics text is
// sent without a copy); the caller keeps `reply` alive until the write ends.
http::response<http::buffer_body> make_response(const http::request_parser<http::empty_body>::value_type& request,
                                                const HttpReply& reply) {
  http::response<http::buffer_body> response{static_cast<http::status>(reply.status), request.version()};
  response.set(http::field::server, "privatelink-sidecar");
  response.set(http::field::content_type, reply.content_type);
  response.set(http::field::cache_control, "no-store");
  if (reply.status == 405) response.set(http::field::allow, "GET, HEAD");
  response.keep_alive(request.keep_alive());
  response.content_length(reply.body->size());
  response.body().more = false;
  if (request.method() != http::verb::head) {
    response.body().data = const_cast<char*>(reply.body->data());  // buffer_body wants void*; never written
    response.body().size = reply.body->size();
  }
  return response;
}

asio::awaitable<void> serve_connection(std::shared_ptr<StatusServer::State> state, beast::tcp_stream stream) {
  beast::flat_buffer buffer(8192);
  try {
    for (std::size_t served = 0; served < state->limits.max_requests_per_connection && !state->stopped; ++served) {
      http::request_parser<http::empty_body> parser;
      parser.header_limit(8 * 1024);
      parser.body_limit(0);  // GET and HEAD have no body; anything else is refused
      stream.expires_after(state->limits.request_timeout);
      co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
      const HttpReply reply = reply_for(parser.get(), state->handler);
      auto response = make_response(parser.get(), reply);
      const bool keep_alive = response.keep_alive();
      co_await http::async_write(stream, response, asio::use_awaitable);
      if (!keep_alive) break;
    }
  } catch (const boost::system::system_error&) {
    // end_of_stream, timeouts and malformed requests all just close the
    // connection: a status endpoint owes a bad client nothing more.
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  --state->connections;
}

asio::awaitable<void> accept_loop(std::shared_ptr<StatusServer::State> state) {
  while (!state->stopped) {
    boost::system::error_code error;
    tcp::socket socket = co_await state->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, error));
    if (error) {
      if (error == asio::error::operation_aborted || state->stopped) co_return;
      continue;  // e.g. EMFILE: keep serving the connections we have
    }
    if (state->connections >= state->limits.max_connections) {
      socket.close(error);  // bounded: refuse rather than queue without limit
      continue;
    }
    ++state->connections;
    asio::co_spawn(state->io, serve_connection(state, beast::tcp_stream(std::move(socket))), asio::detached);
  }
}

}  // namespace

checks::Expected<std::unique_ptr<StatusServer>> StatusServer::start(asio::io_context& io, const std::string& listen,
                                                                    Handler handler, StatusServerLimits limits) {
  auto endpoint = parse_listen(listen);
  if (!endpoint) return endpoint.error();
  auto state = std::make_shared<State>(io, std::move(handler), limits);
  boost::system::error_code error;
  state->acceptor.open(endpoint->protocol(), error);
  if (!error) state->acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) state->acceptor.bind(*endpoint, error);
  if (!error) state->acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return checks::unexpected(checks::ErrorCode::io,
                              fmt::format("status endpoint {}: cannot listen: {}", listen, error.message()));
  }
  asio::co_spawn(io, accept_loop(state), asio::detached);
  return std::unique_ptr<StatusServer>(new StatusServer(std::move(state)));
}

StatusServer::~StatusServer() { stop(); }

tcp::endpoint StatusServer::local_endpoint() const {
  boost::system::error_code error;
  return state_->acceptor.local_endpoint(error);
}

std::size_t StatusServer::open_connections() const { return state_->connections; }

void StatusServer::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
}

}  // namespace sidecar
