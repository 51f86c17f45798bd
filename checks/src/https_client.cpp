#include <curl/curl.h>
#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <unordered_map>

#include "checks/https.h"
#include "fd_watcher.h"

namespace checks {
namespace {

namespace asio = boost::asio;

struct Transfer {
  CURL* easy = nullptr;
  curl_slist* resolve = nullptr;
  curl_slist* headers = nullptr;
  std::function<void(HttpsResult)> done;
  HttpsResult result;
  char error_buffer[CURL_ERROR_SIZE] = {};
  ~Transfer() {
    curl_slist_free_all(resolve);
    curl_slist_free_all(headers);
    if (easy != nullptr) curl_easy_cleanup(easy);
  }
};

// The body is not needed, only the status; keep at most a little of it.
size_t discard_body(char* /*data*/, size_t size, size_t count, void* /*user*/) { return size * count; }

class CurlMultiClient final : public HttpsClient {
 public:
  explicit CurlMultiClient(asio::io_context& io) : io_(io), timer_(io), multi_(curl_multi_init()) {
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMultiClient::on_socket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMultiClient::on_timer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  }
  ~CurlMultiClient() override {
    *alive_ = false;
    for (auto& [easy, transfer] : transfers_) curl_multi_remove_handle(multi_, easy);
    for (auto& [fd, watcher] : watchers_) watcher->stop();
    transfers_.clear();
    curl_multi_cleanup(multi_);
  }
  CurlMultiClient(const CurlMultiClient&) = delete;
  CurlMultiClient& operator=(const CurlMultiClient&) = delete;

  bool ready() const { return multi_ != nullptr; }

  void get(const HttpsRequest& request, std::function<void(HttpsResult)> done) override {
    auto transfer = std::make_unique<Transfer>();
    transfer->done = std::move(done);
    transfer->result.url_path = request.path;
    if (auto status = configure(*transfer, request); !status) {
      transfer->result.error = status.error().message;
      complete(std::move(transfer));
      return;
    }
    CURL* easy = transfer->easy;
    transfers_.emplace(easy, std::move(transfer));
    curl_multi_add_handle(multi_, easy);
  }

 private:
  Expected<void> configure(Transfer& transfer, const HttpsRequest& request) {
    transfer.easy = curl_easy_init();
    if (transfer.easy == nullptr) return unexpected(ErrorCode::http_init, "curl_easy_init failed");
    const std::string address = request.address.is_v6() ? "[" + request.address.to_string() + "]"
                                                        : request.address.to_string();
    transfer.resolve = curl_slist_append(nullptr, fmt::format("{}:{}:{}", request.host, request.port, address).c_str());
    for (const auto& header : request.headers) transfer.headers = curl_slist_append(transfer.headers, header.c_str());
    const std::string url = fmt::format("https://{}:{}{}", request.host, request.port, request.path);
    CURL* easy = transfer.easy;
    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy, CURLOPT_RESOLVE, transfer.resolve);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.headers);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");  // pinned to the address: never through a proxy
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &discard_body);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.error_buffer);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "privatelink-sidecar");
    if (request.ca_file) curl_easy_setopt(easy, CURLOPT_CAINFO, request.ca_file->c_str());
    return {};
  }

  static int on_socket(CURL* /*easy*/, curl_socket_t fd, int what, void* user, void* /*socket_data*/) {
    auto* self = static_cast<CurlMultiClient*>(user);
    if (what == CURL_POLL_REMOVE) {
      if (auto found = self->watchers_.find(fd); found != self->watchers_.end()) {
        found->second->stop();
        self->watchers_.erase(found);
      }
      return 0;
    }
    auto& watcher = self->watchers_[fd];
    if (!watcher) {
      watcher = std::make_shared<detail::FdWatcher>(
          self->io_, fd, [self, alive = self->alive_](int ready_fd, bool readable, bool writable) {
            if (!*alive) return;
            self->drive(ready_fd, (readable ? CURL_CSELECT_IN : 0) | (writable ? CURL_CSELECT_OUT : 0));
          });
    }
    watcher->want(what == CURL_POLL_IN || what == CURL_POLL_INOUT, what == CURL_POLL_OUT || what == CURL_POLL_INOUT);
    return 0;
  }

  static int on_timer(CURLM* /*multi*/, long timeout_ms, void* user) {
    auto* self = static_cast<CurlMultiClient*>(user);
    if (timeout_ms < 0) {
      self->timer_.cancel();
      return 0;
    }
    // libcurl forbids calling socket_action from inside this callback: even a
    // zero timeout goes through the loop.
    self->timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    self->timer_.async_wait([self, alive = self->alive_](const boost::system::error_code& error) {
      if (!error && *alive) self->drive(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
  }

  void drive(curl_socket_t fd, int events) {
    int running = 0;
    curl_multi_socket_action(multi_, fd, events, &running);
    collect_finished();
  }

  void collect_finished() {
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;
      const CURLcode code = message->data.result;
      curl_multi_remove_handle(multi_, easy);
      auto found = transfers_.find(easy);
      if (found == transfers_.end()) continue;
      auto transfer = std::move(found->second);
      transfers_.erase(found);
      record_outcome(*transfer, code);
      complete(std::move(transfer));
    }
  }

  static void record_outcome(Transfer& transfer, CURLcode code) {
    curl_easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &transfer.result.status_code);
    curl_off_t total_us = 0;
    curl_easy_getinfo(transfer.easy, CURLINFO_TOTAL_TIME_T, &total_us);
    transfer.result.total_time = std::chrono::microseconds(total_us);
    if (code != CURLE_OK) {
      transfer.result.error = transfer.error_buffer[0] != '\0' ? transfer.error_buffer : curl_easy_strerror(code);
    }
  }

  void complete(std::unique_ptr<Transfer> transfer) {
    asio::post(io_, [done = std::move(transfer->done), result = std::move(transfer->result)]() mutable {
      done(std::move(result));
    });
  }

  asio::io_context& io_;
  asio::steady_timer timer_;
  CURLM* multi_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers_;
  std::unordered_map<int, std::shared_ptr<detail::FdWatcher>> watchers_;
};

}  // namespace

Expected<std::unique_ptr<HttpsClient>> HttpsClient::create(asio::io_context& io) {
  static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (global != CURLE_OK) return unexpected(ErrorCode::http_init, curl_easy_strerror(global));
  auto client = std::make_unique<CurlMultiClient>(io);
  if (!client->ready()) return unexpected(ErrorCode::http_init, "curl_multi_init failed");
  return std::unique_ptr<HttpsClient>(std::move(client));
}

}  // namespace checks
