#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "checks/reach.h"

namespace checks {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::chrono::microseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
}

ReachOutcome outcome_of_connect_error(const boost::system::error_code& error) {
  namespace errc = boost::system::errc;
  if (error == asio::error::connection_refused) return ReachOutcome::refused;
  if (error == asio::error::connection_reset) return ReachOutcome::reset;
  if (error == asio::error::timed_out) return ReachOutcome::connect_timeout;
  if (error == asio::error::network_unreachable || error == asio::error::host_unreachable ||
      error == errc::make_error_code(errc::address_not_available)) {
    return ReachOutcome::unreachable;
  }
  return ReachOutcome::error;
}

ReachOutcome outcome_of_verify_result(long verify_result) {
  switch (verify_result) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID: return ReachOutcome::cert_expired;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH: return ReachOutcome::cert_hostname_mismatch;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_INVALID_CA: return ReachOutcome::cert_untrusted;
    default: return ReachOutcome::tls_failed;
  }
}

std::string common_name_or_dn(X509_NAME* name) {
  if (name == nullptr) return {};
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index >= 0) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, data);
    if (length >= 0) {
      std::string text(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
      OPENSSL_free(utf8);
      return text;
    }
  }
  char buffer[256] = {};
  X509_NAME_oneline(name, buffer, sizeof(buffer));
  return buffer;
}

std::optional<int> days_left(const X509* certificate) {
  int days = 0;
  int seconds = 0;
  if (ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(certificate)) != 1) return std::nullopt;
  // A certificate that expires in 3 hours has 0 days left; one expired 3 hours ago has -1.
  return seconds < 0 && days <= 0 ? days - 1 : days;
}

void record_leaf(ReachResult& result, const X509* leaf) {
  if (leaf == nullptr) return;
  result.cert_days_left = days_left(leaf);
  result.cert_issuer = common_name_or_dn(X509_get_issuer_name(leaf));
}

std::string openssl_reason(const boost::system::error_code& error) {
  if (error.category() == asio::error::get_ssl_category()) {
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(error.value()));
    if (reason != nullptr) return reason;
  }
  return error.message();
}

}  // namespace

std::string_view to_string(ReachOutcome outcome) {
  switch (outcome) {
    case ReachOutcome::ok: return "ok";
    case ReachOutcome::refused: return "refused";
    case ReachOutcome::connect_timeout: return "connect_timeout";
    case ReachOutcome::reset: return "reset";
    case ReachOutcome::unreachable: return "unreachable";
    case ReachOutcome::tls_timeout: return "tls_timeout";
    case ReachOutcome::tls_failed: return "tls_failed";
    case ReachOutcome::cert_untrusted: return "cert_untrusted";
    case ReachOutcome::cert_hostname_mismatch: return "cert_hostname_mismatch";
    case ReachOutcome::cert_expired: return "cert_expired";
    case ReachOutcome::http_failed: return "http_failed";
    case ReachOutcome::skipped_public: return "skipped_public";
    case ReachOutcome::error: return "error";
  }
  return "error";
}

bool is_reachable(ReachOutcome outcome) { return outcome == ReachOutcome::ok; }

Expected<std::shared_ptr<asio::ssl::context>> make_tls_client_context(const std::optional<std::string>& ca_file) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  boost::system::error_code error;
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1,
                       error);
  if (ca_file) {
    context->load_verify_file(*ca_file, error);
    if (error) {
      return unexpected(ErrorCode::tls_init, fmt::format("CA file {}: {}", *ca_file, openssl_reason(error)));
    }
  } else {
    context->set_default_verify_paths(error);
    if (error) return unexpected(ErrorCode::tls_init, "cannot load the system trust store: " + error.message());
  }
  context->set_verify_mode(asio::ssl::verify_peer, error);
  // Session tickets would make later probes skip the full handshake and
  // measure less than the Agent's fresh connections do.
  SSL_CTX_set_session_cache_mode(context->native_handle(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(context->native_handle(), SSL_OP_NO_TICKET);
  return context;
}

asio::awaitable<ReachResult> probe_tls(std::shared_ptr<asio::ssl::context> context, IpAddress address,
                                       std::uint16_t port, std::string server_name,
                                       std::chrono::milliseconds timeout) {
  ReachResult result;
  result.address = address;
  result.port = port;
  auto executor = co_await asio::this_coro::executor;
  asio::ssl::stream<asio::ip::tcp::socket> stream(executor, *context);
  asio::steady_timer deadline(executor);
  deadline.expires_after(timeout);

  auto start = Clock::now();
  auto connected = co_await (stream.next_layer().async_connect({address, port}, use_tuple) ||
                             deadline.async_wait(use_tuple));
  if (connected.index() == 1) {
    result.outcome = ReachOutcome::connect_timeout;
    co_return result;
  }
  if (auto [error] = std::get<0>(connected); error) {
    result.outcome = outcome_of_connect_error(error);
    result.detail = error.message();
    co_return result;
  }
  result.connect_time = since(start);

  SSL* ssl = stream.native_handle();
  // SSL_set_tlsext_host_name() is a macro with a C cast; this is what it expands to.
  SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, server_name.data());
  SSL_set1_host(ssl, server_name.c_str());  // hostname check done by OpenSSL during verification
  stream.set_verify_callback([&result](bool preverified, asio::ssl::verify_context& verify) {
    X509_STORE_CTX* store = verify.native_handle();
    if (X509_STORE_CTX_get_error_depth(store) == 0) record_leaf(result, X509_STORE_CTX_get_current_cert(store));
    return preverified;
  });

  start = Clock::now();
  auto handshaken = co_await (stream.async_handshake(asio::ssl::stream_base::client, use_tuple) ||
                              deadline.async_wait(use_tuple));
  if (handshaken.index() == 1) {
    result.outcome = ReachOutcome::tls_timeout;
    co_return result;
  }
  if (auto [error] = std::get<0>(handshaken); error) {
    const long verify_result = SSL_get_verify_result(ssl);
    if (verify_result != X509_V_OK) {
      result.outcome = outcome_of_verify_result(verify_result);
      result.detail = X509_verify_cert_error_string(verify_result);
    } else if (error == asio::error::connection_reset || error == asio::error::eof ||
               error == asio::ssl::error::stream_truncated) {
      result.outcome = ReachOutcome::reset;
      result.detail = error.message();
    } else {
      result.outcome = ReachOutcome::tls_failed;
      result.detail = openssl_reason(error);
    }
    co_return result;
  }
  result.tls_time = since(start);
  result.tls_version = SSL_get_version(ssl);
  result.outcome = ReachOutcome::ok;
  co_return result;
}

}  // namespace checks
