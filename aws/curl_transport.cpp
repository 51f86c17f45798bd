#include "aws/curl_transport.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <memory>
#include <mutex>
#include <optional>

namespace aws {
namespace {

using checks::Error;
using checks::ErrorCode;
using checks::Expected;

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using HeaderSlist = std::unique_ptr<curl_slist, SlistDeleter>;

// curl_global_init is not thread-safe before first use everywhere; do it once.
void global_init_once() {
  static std::once_flag flag;
  std::call_once(flag, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct BodySink {
  std::string body;
  std::size_t limit = 0;
  bool overflowed = false;
};

size_t append_body(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const size_t bytes = size * count;
  if (sink->body.size() + bytes > sink->limit) {
    sink->overflowed = true;
    return 0;  // makes libcurl fail the transfer with CURLE_WRITE_ERROR
  }
  sink->body.append(data, bytes);
  return bytes;
}

std::optional<std::string> host_of(const std::string& url) {
  std::unique_ptr<CURLU, UrlDeleter> handle(curl_url());
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return std::nullopt;
  }
  char* host = nullptr;
  if (curl_url_get(handle.get(), CURLUPART_HOST, &host, 0) != CURLUE_OK) return std::nullopt;
  std::string result(host);
  curl_free(host);
  return result;
}

// "Expect:" stops libcurl from sending Expect: 100-continue on larger POSTs,
// which would add a round trip and an unsigned header.
Expected<HeaderSlist> header_list(const HeaderList& headers) {
  HeaderSlist list(curl_slist_append(nullptr, "Expect:"));
  for (const auto& [name, value] : headers) {
    const std::string line = value.empty() ? name + ";" : name + ": " + value;
    curl_slist* appended = curl_slist_append(list.get(), line.c_str());
    if (appended == nullptr) return Error{ErrorCode::http_init, "curl_slist_append failed"};
    (void)list.release();
    list.reset(appended);
  }
  return list;
}

void set_method_and_body(CURL* easy, const HttpRequest& request) {
  const bool sends_body = !request.body.empty() || request.method == "POST" ||
                          request.method == "PUT";
  if (sends_body) {
    // POSTFIELDS with an explicit size: the bytes that were signed, sent as is.
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.c_str());
  }
  if (request.method != "GET" && request.method != "POST") {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
}

void set_transport_options(CURL* easy, const CurlTransportOptions& options, bool no_proxy) {
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, options.ca_file.c_str());
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count()));
  // An empty proxy string disables proxies for this handle, environment included.
  if (no_proxy) curl_easy_setopt(easy, CURLOPT_PROXY, "");
}

// The URL in messages without its query: the host and path say enough.
std::string url_for_messages(const std::string& url) { return url.substr(0, url.find('?')); }

Expected<HttpResponse> perform(const HttpRequest& request, const CurlTransportOptions& options) {
  const auto host = host_of(request.url);
  if (!host) return Error{ErrorCode::invalid_argument, "not a valid URL: " + request.url};
  EasyHandle easy(curl_easy_init());
  if (!easy) return Error{ErrorCode::http_init, "curl_easy_init failed"};
  auto headers = header_list(request.headers);
  if (!headers) return headers.error();

  BodySink sink{{}, options.max_response_bytes, false};
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(easy.get(), CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_HTTPHEADER, headers->get());
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, &append_body);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(easy.get(), CURLOPT_ERRORBUFFER, error_buffer);
  set_method_and_body(easy.get(), request);
  set_transport_options(easy.get(), options, bypasses_proxy(*host));

  const CURLcode code = curl_easy_perform(easy.get());
  if (sink.overflowed) {
    return Error{ErrorCode::io, fmt::format("{} {}: response larger than {} bytes", request.method,
                                            url_for_messages(request.url),
                                            options.max_response_bytes)};
  }
  if (code != CURLE_OK) {
    return Error{ErrorCode::io,
                 fmt::format("{} {}: {} ({})", request.method, url_for_messages(request.url),
                             curl_easy_strerror(code), error_buffer)};
  }
  HttpResponse response;
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &response.status);
  response.body = std::move(sink.body);
  return response;
}

}  // namespace

bool bypasses_proxy(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const auto starts_with = [host](std::string_view prefix) {
    return host.substr(0, prefix.size()) == prefix;
  };
  return host == "localhost" || host == "::1" || starts_with("127.") || starts_with("169.254.");
}

HttpFetcher curl_fetcher(CurlTransportOptions options) {
  global_init_once();
  return [options = std::move(options)](const HttpRequest& request) {
    return perform(request, options);
  };
}

}  // namespace aws
