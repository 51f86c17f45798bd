#include <ares.h>
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "checks/dns.h"
#include "dns_message.h"
#include "fd_watcher.h"

namespace checks {
namespace {

using Clock = std::chrono::steady_clock;
namespace asio = boost::asio;

constexpr int type_a = 1;
constexpr int type_aaaa = 28;
constexpr int class_in = 1;

// c-ares is initialised once per process; ares_library_init is not thread-safe
// but we only call it from the first resolver, on the loop thread.
void ensure_ares_library() {
  static const int status = ares_library_init(ARES_LIB_INIT_ALL);
  (void)status;
}

std::string peer_of(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return {};
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
    return fmt::format("{}:{}", text, ntohs(v4->sin_port));
  }
  if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
    return fmt::format("[{}]:{}", text, ntohs(v6->sin6_port));
  }
  return {};
}

DnsOutcome outcome_of_status(int status) {
  switch (status) {
    case ARES_SUCCESS: return DnsOutcome::ok;
    case ARES_ENODATA: return DnsOutcome::nodata;
    case ARES_ENOTFOUND: return DnsOutcome::nxdomain;
    case ARES_ESERVFAIL: return DnsOutcome::servfail;
    case ARES_EREFUSED: return DnsOutcome::refused;
    case ARES_ETIMEOUT: return DnsOutcome::timeout;
    case ARES_EBADRESP:
    case ARES_EFORMERR:
    case ARES_ENOTIMP: return DnsOutcome::malformed;
    default: return DnsOutcome::error;
  }
}

// How bad a failure is, when neither family produced an address: the answer
// that tells the operator the most about the resolver wins.
int severity(DnsOutcome outcome) {
  switch (outcome) {
    case DnsOutcome::timeout: return 7;
    case DnsOutcome::servfail: return 6;
    case DnsOutcome::refused: return 5;
    case DnsOutcome::malformed: return 4;
    case DnsOutcome::error: return 3;
    case DnsOutcome::nxdomain: return 2;
    case DnsOutcome::nodata: return 1;
    default: return 0;
  }
}

bool is_hard_failure(DnsOutcome outcome) { return severity(outcome) >= 3; }

struct FileSignature {
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t mtime_ns = 0;
  friend bool operator==(const FileSignature&, const FileSignature&) = default;
};

FileSignature signature_of(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return {};
  return FileSignature{true, info.st_dev, info.st_ino, info.st_size,
                       std::int64_t{info.st_mtim.tv_sec} * 1'000'000'000 + info.st_mtim.tv_nsec};
}

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string absolute_name(const std::string& host) { return host.ends_with('.') ? host : host + "."; }

// ---------------------------------------------------------------------------
// One lookup: A and AAAA in parallel, one deadline.
class Lookup : public std::enable_shared_from_this<Lookup> {
 public:
  Lookup(asio::io_context& io, std::string name, DnsResolver::Callback done)
      : io_(io), deadline_(io), done_(std::move(done)), start_(Clock::now()) {
    result_.query_name = std::move(name);
  }

  void start_deadline(std::chrono::milliseconds timeout) {
    deadline_.expires_after(timeout);
    deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (!error) self->on_deadline();
    });
  }

  void family_done(bool is_aaaa, int status, const unsigned char* answer, int answer_length,
                   const std::string& server) {
    if (finished_) return;
    DnsFamilyResult& family = is_aaaa ? result_.aaaa : result_.a;
    family.outcome = outcome_of_status(status);
    if (status == ARES_SUCCESS) {
      take_answer(family, is_aaaa, answer, answer_length);
    } else if (family.outcome == DnsOutcome::error || family.outcome == DnsOutcome::malformed) {
      family.detail = ares_strerror(status);
    }
    if (family.outcome != DnsOutcome::timeout && !server.empty()) result_.server = server;
    (is_aaaa ? aaaa_done_ : a_done_) = true;
    if (a_done_ && aaaa_done_) finish();
  }

  void finish_now(DnsOutcome outcome, std::string detail) {
    result_.a.outcome = result_.aaaa.outcome = outcome;
    result_.detail = std::move(detail);
    finish();
  }

  const std::string& name() const { return result_.query_name; }

 private:
  void take_answer(DnsFamilyResult& family, bool is_aaaa, const unsigned char* answer, int answer_length) {
    const std::string_view name(result_.query_name.data(), result_.query_name.size() - 1);
    auto parsed = detail::parse_answer(answer, answer_length, name, is_aaaa ? type_aaaa : type_a);
    if (!parsed.well_formed) {
      family.outcome = DnsOutcome::malformed;
      family.detail = parsed.problem;
      return;
    }
    if (result_.cname_chain.empty()) result_.cname_chain = parsed.cname_chain;
    if (parsed.addresses.empty()) family.outcome = DnsOutcome::nodata;
    (is_aaaa ? aaaa_addresses_ : a_addresses_) = std::move(parsed.addresses);
  }

  void on_deadline() {
    if (finished_) return;
    if (!a_done_) result_.a.outcome = DnsOutcome::timeout;
    if (!aaaa_done_) result_.aaaa.outcome = DnsOutcome::timeout;
    result_.detail = "no answer before the deadline";
    finish();
  }

  void merge_addresses() {
    for (auto* list : {&a_addresses_, &aaaa_addresses_}) {
      for (const auto& entry : *list) {
        const bool seen = std::any_of(result_.addresses.begin(), result_.addresses.end(),
                                      [&](const ResolvedAddress& known) { return known.address == entry.address; });
        if (!seen) result_.addresses.push_back(entry);
      }
    }
    // Servers rotate the order of round-robin answers; a sorted set keeps
    // reports stable and makes "the address set changed" a plain comparison.
    const auto by_address = [](const ResolvedAddress& left, const ResolvedAddress& right) {
      return left.address < right.address;
    };
    const auto first_aaaa = std::stable_partition(result_.addresses.begin(), result_.addresses.end(),
                                                  [](const ResolvedAddress& entry) { return entry.address.is_v4(); });
    std::sort(result_.addresses.begin(), first_aaaa, by_address);
    std::sort(first_aaaa, result_.addresses.end(), by_address);
    for (const auto& entry : result_.addresses) {
      result_.min_ttl = std::min(result_.min_ttl.value_or(entry.ttl), entry.ttl);
    }
    for (const auto& hop : result_.cname_chain) {
      result_.min_ttl = std::min(result_.min_ttl.value_or(hop.ttl), hop.ttl);
    }
  }

  DnsOutcome combined_outcome() const {
    const DnsOutcome a = result_.a.outcome;
    const DnsOutcome aaaa = result_.aaaa.outcome;
    if (!result_.addresses.empty()) {
      // One family answered; a hard failure of the other still matters: it
      // could hide a public address.
      if (is_hard_failure(a)) return a;
      if (is_hard_failure(aaaa)) return aaaa;
      return DnsOutcome::ok;
    }
    if (a == DnsOutcome::no_servers) return a;
    if (a == DnsOutcome::ok && aaaa == DnsOutcome::ok) return DnsOutcome::nodata;
    return severity(a) >= severity(aaaa) ? a : aaaa;
  }

  void finish() {
    finished_ = true;
    deadline_.cancel();
    merge_addresses();
    result_.outcome = combined_outcome();
    result_.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_);
    // Never call back from inside resolve() or from inside a c-ares callback.
    asio::post(io_, [done = std::move(done_), result = std::move(result_)]() mutable { done(std::move(result)); });
  }

  asio::io_context& io_;
  asio::steady_timer deadline_;
  DnsResolver::Callback done_;
  Clock::time_point start_;
  DnsResult result_;
  std::vector<ResolvedAddress> a_addresses_;
  std::vector<ResolvedAddress> aaaa_addresses_;
  bool a_done_ = false;
  bool aaaa_done_ = false;
  bool finished_ = false;
};

// ---------------------------------------------------------------------------
// One c-ares channel with its socket watchers and retry timer.
class Generation : public std::enable_shared_from_this<Generation> {
 public:
  explicit Generation(asio::io_context& io) : io_(io), timer_(io), created_(std::chrono::steady_clock::now()) {}
  std::chrono::steady_clock::time_point created() const { return created_; }
  ~Generation() {
    if (channel_ != nullptr) ares_destroy(channel_);  // pending queries get ARES_EDESTRUCTION
    for (auto& [fd, watcher] : watchers_) watcher->stop();
  }
  Generation(const Generation&) = delete;
  Generation& operator=(const Generation&) = delete;

  Expected<void> init(const DnsResolverOptions& options) {
    ares_options settings{};
    int mask = ARES_OPT_FLAGS | ARES_OPT_SOCK_STATE_CB | ARES_OPT_EDNSPSZ | ARES_OPT_TIMEOUTMS |
               ARES_OPT_TRIES;
    // NOCHECKRESP: without it c-ares swallows SERVFAIL and REFUSED answers,
    // retries other servers and reports ECONNREFUSED, losing the outcome.
    // STAYOPEN: c-ares 1.18 otherwise closes its UDP socket whenever no query
    // is pending, so every lone probe paid for a new socket and its epoll
    // registration (bench/README.md: about a third of a probe's CPU).
    settings.flags = ARES_FLAG_EDNS | ARES_FLAG_NOSEARCH | ARES_FLAG_NOCHECKRESP | ARES_FLAG_STAYOPEN;
    settings.ednspsz = static_cast<int>(options.edns_payload_size);
    settings.timeout = static_cast<int>(options.attempt_timeout.count());
    settings.tries = options.attempts;
    settings.sock_state_cb = &Generation::on_socket_state;
    settings.sock_state_cb_data = this;
    std::string resolv_conf = options.resolv_conf;
    if (options.servers.empty()) {
      mask |= ARES_OPT_RESOLVCONF;
      settings.resolvconf_path = resolv_conf.data();
    }
    if (int status = ares_init_options(&channel_, &settings, mask); status != ARES_SUCCESS) {
      channel_ = nullptr;
      return unexpected(ErrorCode::dns_init, fmt::format("c-ares init failed: {}", ares_strerror(status)));
    }
    if (!options.servers.empty()) return use_servers(options.servers);
    return {};
  }

  void query(const std::shared_ptr<Lookup>& lookup) {
    // Counted before the call: c-ares may call back synchronously.
    active_queries_ += 2;
    ares_query(channel_, lookup->name().c_str(), class_in, type_a, &Generation::on_answer,
               new QueryContext{lookup, weak_from_this(), false});
    ares_query(channel_, lookup->name().c_str(), class_in, type_aaaa, &Generation::on_answer,
               new QueryContext{lookup, weak_from_this(), true});
    rearm_timer();
  }

  bool idle() const { return active_queries_ == 0; }

  std::vector<std::string> servers() const {
    std::vector<std::string> list;
    ares_addr_port_node* nodes = nullptr;
    if (ares_get_servers_ports(channel_, &nodes) != ARES_SUCCESS) return list;
    for (auto* node = nodes; node != nullptr; node = node->next) {
      char text[INET6_ADDRSTRLEN] = {};
      inet_ntop(node->family, &node->addr, text, sizeof(text));
      const int port = node->udp_port == 0 ? 53 : node->udp_port;
      list.push_back(node->family == AF_INET6 ? fmt::format("[{}]:{}", text, port) : fmt::format("{}:{}", text, port));
    }
    ares_free_data(nodes);
    return list;
  }

  std::function<void()> on_idle;  // set when the generation is retired

 private:
  struct QueryContext {
    std::shared_ptr<Lookup> lookup;
    std::weak_ptr<Generation> generation;
    bool is_aaaa;
  };

  Expected<void> use_servers(const std::vector<std::string>& servers) {
    std::string csv;
    for (const auto& server : servers) csv += (csv.empty() ? "" : ",") + server;
    if (int status = ares_set_servers_ports_csv(channel_, csv.c_str()); status != ARES_SUCCESS) {
      return unexpected(ErrorCode::invalid_argument,
                        fmt::format("DNS servers '{}': {}", csv, ares_strerror(status)));
    }
    return {};
  }

  static void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* answer, int answer_length) {
    std::unique_ptr<QueryContext> context(static_cast<QueryContext*>(arg));
    auto generation = context->generation.lock();
    // During ares_destroy the owner is going away: nobody waits for the answer.
    if (status == ARES_EDESTRUCTION || !generation) return;
    --generation->active_queries_;
    context->lookup->family_done(context->is_aaaa, status, answer, answer_length, generation->last_peer_);
    if (generation->idle() && generation->on_idle) {
      // Not from inside our own callback: destroying the channel here would crash c-ares.
      asio::post(generation->io_, [weak = context->generation] {
        if (auto retired = weak.lock(); retired && retired->idle() && retired->on_idle) retired->on_idle();
      });
    }
  }

  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
    auto* self = static_cast<Generation*>(data);
    if (readable == 0 && writable == 0) {
      if (auto found = self->watchers_.find(fd); found != self->watchers_.end()) {
        found->second->stop();
        self->watchers_.erase(found);
      }
      return;
    }
    auto& watcher = self->watchers_[fd];
    if (!watcher) {
      watcher = std::make_shared<detail::FdWatcher>(
          self->io_, fd, [weak = self->weak_from_this()](int ready_fd, bool can_read, bool can_write) {
            if (auto generation = weak.lock()) generation->on_ready(ready_fd, can_read, can_write);
          });
    }
    watcher->want(readable != 0, writable != 0);
  }

  void on_ready(int fd, bool readable, bool writable) {
    auto keep_alive = shared_from_this();
    if (readable) last_peer_ = peer_of(fd);
    ares_process_fd(channel_, readable ? fd : ARES_SOCKET_BAD, writable ? fd : ARES_SOCKET_BAD);
    rearm_timer();
  }

  // c-ares retries and its own timeouts only happen when it is called: follow
  // ares_timeout() with a timer (grpc#17436 is what happens otherwise).
  void rearm_timer() {
    timeval wait{};
    if (ares_timeout(channel_, nullptr, &wait) == nullptr) {
      timer_.cancel();
      return;
    }
    timer_.expires_after(std::chrono::seconds(wait.tv_sec) + std::chrono::microseconds(wait.tv_usec));
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
      auto self = weak.lock();
      if (error || !self) return;
      self->last_peer_.clear();
      ares_process_fd(self->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      self->rearm_timer();
    });
  }

  asio::io_context& io_;
  asio::steady_timer timer_;
  ares_channel channel_ = nullptr;
  std::unordered_map<int, std::shared_ptr<detail::FdWatcher>> watchers_;
  std::string last_peer_;
  int active_queries_ = 0;
  std::chrono::steady_clock::time_point created_;
};

// ---------------------------------------------------------------------------
class CaresResolver final : public DnsResolver {
 public:
  CaresResolver(asio::io_context& io, DnsResolverOptions options) : io_(io), options_(std::move(options)) {}

  Expected<void> init() {
    if (!options_.servers.empty()) {
      auto generation = std::make_shared<Generation>(io_);
      if (auto status = generation->init(options_); !status) return status.error();
      current_ = std::move(generation);
    }
    return {};
  }

  void resolve(const std::string& host, std::chrono::milliseconds timeout, Callback done) override {
    auto lookup = std::make_shared<Lookup>(io_, absolute_name(host), std::move(done));
    if (options_.servers.empty()) follow_resolv_conf();
    rotate_if_old();
    if (!current_) {
      lookup->finish_now(DnsOutcome::no_servers, no_server_reason_);
      return;
    }
    lookup->start_deadline(timeout);
    current_->query(lookup);
  }

  std::vector<std::string> current_servers() override {
    if (options_.servers.empty()) follow_resolv_conf();
    return current_ ? current_->servers() : std::vector<std::string>{};
  }

 private:
  // With ARES_FLAG_STAYOPEN a channel keeps one UDP source port; a fresh
  // channel every few minutes keeps source ports changing (resistance to
  // spoofed answers) for the cost of one new socket per rotation.
  void rotate_if_old() {
    constexpr auto rotation_period = std::chrono::minutes(5);
    if (!current_ || std::chrono::steady_clock::now() - current_->created() < rotation_period) return;
    auto generation = std::make_shared<Generation>(io_);
    if (!generation->init(options_)) return;  // keep the working channel
    retire(std::move(current_));
    current_ = std::move(generation);
  }

  // A new generation whenever resolv.conf changes (stat: inode, size, mtime).
  void follow_resolv_conf() {
    const FileSignature signature = signature_of(options_.resolv_conf);
    if (signature == resolv_conf_signature_ && (current_ || !no_server_reason_.empty())) return;
    resolv_conf_signature_ = signature;
    retire(std::move(current_));
    if (!signature.exists) {
      no_server_reason_ = fmt::format("{} does not exist", options_.resolv_conf);
      return;
    }
    if (nameservers_in_resolv_conf(read_file(options_.resolv_conf)).empty()) {
      // c-ares would silently fall back to 127.0.0.1; say so instead.
      no_server_reason_ = fmt::format("{} lists no usable nameserver", options_.resolv_conf);
      return;
    }
    auto generation = std::make_shared<Generation>(io_);
    if (auto status = generation->init(options_); !status) {
      no_server_reason_ = status.error().message;
      return;
    }
    no_server_reason_.clear();
    current_ = std::move(generation);
  }

  void retire(std::shared_ptr<Generation> old) {
    if (!old) return;
    if (old->idle()) {
      asio::post(io_, [old] {});  // destroyed outside any c-ares call stack
      return;
    }
    Generation* key = old.get();
    retired_.emplace(key, old);
    old->on_idle = [this, key] { retired_.erase(key); };
  }

  asio::io_context& io_;
  DnsResolverOptions options_;
  std::shared_ptr<Generation> current_;
  std::unordered_map<Generation*, std::shared_ptr<Generation>> retired_;
  FileSignature resolv_conf_signature_;
  std::string no_server_reason_;
};

}  // namespace

std::string_view to_string(DnsOutcome outcome) {
  switch (outcome) {
    case DnsOutcome::ok: return "ok";
    case DnsOutcome::nxdomain: return "nxdomain";
    case DnsOutcome::nodata: return "nodata";
    case DnsOutcome::servfail: return "servfail";
    case DnsOutcome::refused: return "refused";
    case DnsOutcome::timeout: return "timeout";
    case DnsOutcome::malformed: return "malformed";
    case DnsOutcome::no_servers: return "no_servers";
    case DnsOutcome::error: return "error";
  }
  return "error";
}

std::vector<IpAddress> DnsResult::address_list() const {
  std::vector<IpAddress> list;
  list.reserve(addresses.size());
  for (const auto& entry : addresses) list.push_back(entry.address);
  return list;
}

std::vector<std::string> nameservers_in_resolv_conf(std::string_view text) {
  std::vector<std::string> servers;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    line = line.substr(0, line.find_first_of("#;"));
    std::istringstream words(line);
    std::string keyword, value;
    if (!(words >> keyword >> value) || keyword != "nameserver") continue;
    // A link-local IPv6 server carries its zone ("fe80::1%eth0").
    const std::string address = value.substr(0, value.find('%'));
    if (parse_ip_address(address)) servers.push_back(value);
  }
  return servers;
}

Expected<std::unique_ptr<DnsResolver>> DnsResolver::create(asio::io_context& io, DnsResolverOptions options) {
  ensure_ares_library();
  auto resolver = std::make_unique<CaresResolver>(io, std::move(options));
  if (auto status = resolver->init(); !status) return status.error();
  return std::unique_ptr<DnsResolver>(std::move(resolver));
}

}  // namespace checks
