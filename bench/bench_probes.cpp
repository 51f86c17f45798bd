// bench_probes: the client-side CPU cost of one DNS probe and one TCP+TLS
// probe through the checks library, and of a bare OpenSSL handshake against
// the same server (the floor). bench/run.py starts the loopback servers and
// passes their addresses; see bench/README.md.
//
// CPU is CLOCK_PROCESS_CPUTIME_ID around each operation (user+sys of this
// process; the servers are other processes). Everything runs on this one
// thread, each operation to completion before the next starts.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "checks/dns.h"
#include "checks/reach.h"

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds probe_timeout{5000};
constexpr auto hang_guard = std::chrono::seconds(10);

struct Options {
  std::string dns_server;  // "127.0.0.1:PORT"
  std::string dns_name;    // a name with A records in that server's zone
  std::string tls_address;
  std::uint16_t tls_port = 0;
  std::string server_name;  // SNI and the name verified in the certificate
  std::string ca_file;
  int iterations = 1000;      // TLS operations per kind
  int dns_iterations = 5000;  // DNS operations per kind (they are cheap, and noisier)
  int warmup = 50;
  int batch = 12;  // concurrent DNS probes per round in the batch measurement
  std::string only = "all";  // "dns" or "tls": run one part (for perf/strace)
};

// ---------------------------------------------------------------- measuring
double process_cpu_us() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

// Per-operation samples of one measured kind.
struct Samples {
  explicit Samples(std::string label, int per_sample = 1) : name(std::move(label)), operations_per_sample(per_sample) {}

  std::string name;
  int operations_per_sample = 1;  // > 1 when one sample covers a concurrent batch
  std::vector<double> cpu_us;     // per operation
  std::vector<double> wall_us;    // per sample
  int failures = 0;
  std::string failure_detail;
};

// Runs `operation` `count` times; when `record` is false the runs are warm-up.
// (No user/sys split: the kernel divides process time between the two by
// tick sampling, which says nothing about a 20 us operation.)
template <typename Operation>
void measure(Samples& samples, int count, bool record, Operation&& operation) {
  for (int index = 0; index < count; ++index) {
    const auto wall_before = Clock::now();
    const double cpu_before = process_cpu_us();
    std::string failure = operation();
    const double cpu = process_cpu_us() - cpu_before;
    const auto wall = Clock::now() - wall_before;
    if (!record) continue;
    if (!failure.empty()) {
      ++samples.failures;
      samples.failure_detail = std::move(failure);
      continue;
    }
    samples.cpu_us.push_back(cpu / samples.operations_per_sample);
    samples.wall_us.push_back(static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(wall).count()) / 1e3);
  }
}

double mean_of(const std::vector<double>& values) {
  if (values.empty()) return 0;
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

double percentile_of(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  const auto rank = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1) + 0.5);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(rank), values.end());
  return values[rank];
}

nlohmann::json summary_of(const Samples& samples) {
  return {{"samples", samples.wall_us.size()},
          {"operations_per_sample", samples.operations_per_sample},
          {"failures", samples.failures},
          {"cpu_us_mean", mean_of(samples.cpu_us)},
          {"cpu_us_median", percentile_of(samples.cpu_us, 0.5)},
          {"cpu_us_p90", percentile_of(samples.cpu_us, 0.9)},
          {"cpu_us_min", samples.cpu_us.empty() ? 0.0 : *std::min_element(samples.cpu_us.begin(), samples.cpu_us.end())},
          {"wall_us_median", percentile_of(samples.wall_us, 0.5)}};
}

// ---------------------------------------------------------------- the event loop
// Runs the loop until `finished()` holds, then drains what is ready
// (cancelled timers and watchers), so the next operation starts clean.
// A hang ends the program: the pending handlers refer to the caller's locals.
template <typename Predicate>
void run_until(asio::io_context& io, Predicate finished) {
  io.restart();
  while (!finished()) {
    if (io.run_one_for(hang_guard) == 0) {
      fmt::print(stderr, "bench_probes: an operation did not finish within {}s\n", hang_guard.count());
      std::exit(1);
    }
  }
  io.poll();
}

// ---------------------------------------------------------------- DNS
std::string check_dns(const std::optional<checks::DnsResult>& result) {
  if (!result) return "resolve() never called back";
  if (result->outcome != checks::DnsOutcome::ok || result->addresses.empty()) {
    return fmt::format("DNS outcome {} {}", checks::to_string(result->outcome), result->detail);
  }
  return {};
}

std::string resolve_sequential(asio::io_context& io, checks::DnsResolver& resolver, const std::string& name) {
  std::optional<checks::DnsResult> result;
  resolver.resolve(name, probe_timeout, [&result](checks::DnsResult done) { result = std::move(done); });
  run_until(io, [&result] { return result.has_value(); });
  return check_dns(result);
}

std::string resolve_batch(asio::io_context& io, checks::DnsResolver& resolver, const std::string& name, int batch) {
  std::vector<std::optional<checks::DnsResult>> results(static_cast<std::size_t>(batch));
  int pending = batch;
  for (auto& slot : results) {
    resolver.resolve(name, probe_timeout, [&slot, &pending](checks::DnsResult done) {
      slot = std::move(done);
      --pending;
    });
  }
  run_until(io, [&pending] { return pending == 0; });
  for (const auto& result : results) {
    if (auto problem = check_dns(result); !problem.empty()) return problem;
  }
  return {};
}

// The DNS floor: the same two queries c-ares sends (A and AAAA, RD, an EDNS0
// OPT record) over a plain blocking UDP socket; the answers are only checked
// for their id and rcode, not parsed. With `keep_socket` one socket serves
// every exchange; otherwise each exchange opens and closes its own, as the
// library's channel does when no other query is in flight.
class BareDnsClient {
 public:
  BareDnsClient(const asio::ip::udp::endpoint& server, const std::string& name, unsigned edns_payload)
      : server_(server), a_query_(build_query(name, 1, edns_payload)), aaaa_query_(build_query(name, 28, edns_payload)) {}
  BareDnsClient(const BareDnsClient&) = delete;
  BareDnsClient& operator=(const BareDnsClient&) = delete;
  ~BareDnsClient() {
    if (kept_fd_ >= 0) close(kept_fd_);
  }

  std::string exchange(bool keep_socket) {
    int fd = keep_socket ? kept_fd_ : -1;
    if (fd < 0) {
      fd = open_socket();
      if (fd < 0) return "cannot open a UDP socket to the DNS server";
      if (keep_socket) kept_fd_ = fd;
    }
    std::string problem = ask_both(fd);
    if (!keep_socket) close(fd);
    return problem;
  }

 private:
  static std::vector<unsigned char> build_query(const std::string& name, unsigned char type, unsigned edns_payload) {
    std::vector<unsigned char> query = {0, 0, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 1};  // RD, 1 question, 1 additional
    std::size_t start = 0;
    while (start < name.size()) {
      const std::size_t end = std::min(name.find('.', start), name.size());
      query.push_back(static_cast<unsigned char>(end - start));
      query.insert(query.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
                   name.begin() + static_cast<std::ptrdiff_t>(end));
      start = end + 1;
    }
    query.insert(query.end(), {0, 0, type, 0, 1});  // root, QTYPE, QCLASS IN
    query.insert(query.end(), {0, 0, 41, static_cast<unsigned char>(edns_payload >> 8),
                               static_cast<unsigned char>(edns_payload & 0xff), 0, 0, 0, 0, 0, 0});  // OPT
    return query;
  }

  int open_socket() const {
    const int fd = socket(server_.protocol().family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    const timeval timeout{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    if (connect(fd, server_.data(), static_cast<socklen_t>(server_.size())) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }

  std::string ask_both(int fd) {
    const unsigned short a_id = ++next_id_;
    const unsigned short aaaa_id = ++next_id_;
    if (!send_query(fd, a_query_, a_id) || !send_query(fd, aaaa_query_, aaaa_id)) return "send() failed";
    int answered = 0;
    unsigned char answer[1232];
    while (answered < 2) {
      const ssize_t length = recv(fd, answer, sizeof(answer), 0);
      if (length < 12) return "no answer from the DNS server";
      const unsigned id = unsigned{answer[0]} << 8 | answer[1];
      if (id != a_id && id != aaaa_id) continue;  // a late answer to an earlier exchange
      if ((answer[3] & 0x0f) != 0) return fmt::format("DNS rcode {}", answer[3] & 0x0f);
      ++answered;
    }
    return {};
  }

  static bool send_query(int fd, std::vector<unsigned char>& query, unsigned short id) {
    query[0] = static_cast<unsigned char>(id >> 8);
    query[1] = static_cast<unsigned char>(id & 0xff);
    return send(fd, query.data(), query.size(), 0) == static_cast<ssize_t>(query.size());
  }

  asio::ip::udp::endpoint server_;
  std::vector<unsigned char> a_query_;
  std::vector<unsigned char> aaaa_query_;
  unsigned short next_id_ = 0;
  int kept_fd_ = -1;
};

// ---------------------------------------------------------------- TCP+TLS through the library
std::string probe_tls_once(asio::io_context& io, const std::shared_ptr<asio::ssl::context>& context,
                           const checks::IpAddress& address, const Options& options) {
  std::optional<checks::ReachResult> result;
  bool finished = false;
  asio::co_spawn(io, checks::probe_tls(context, address, options.tls_port, options.server_name, probe_timeout),
                 [&result, &finished](std::exception_ptr failure, checks::ReachResult reach) {
                   if (!failure) result = std::move(reach);
                   finished = true;
                 });
  run_until(io, [&finished] { return finished; });
  if (!result) return "probe_tls threw an exception";
  if (result->outcome != checks::ReachOutcome::ok) {
    return fmt::format("probe_tls: {} {}", checks::to_string(result->outcome), result->detail);
  }
  if (result->tls_version != "TLSv1.3") return "probe_tls negotiated " + result->tls_version;
  return {};
}

// ---------------------------------------------------------------- the floor: a bare OpenSSL client
// Blocking socket, SSL_connect, the verification the library asks for (peer
// chain against the CA file, hostname, SNI), no session cache, no tickets.
class BareTlsClient {
 public:
  static std::optional<BareTlsClient> create(const std::string& ca_file) {
    SSL_CTX* context = SSL_CTX_new(TLS_client_method());
    if (context == nullptr) return std::nullopt;
    BareTlsClient client(context);
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    SSL_CTX_set_options(context, SSL_OP_ALL | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_load_verify_locations(context, ca_file.c_str(), nullptr) != 1) return std::nullopt;
    return client;
  }
  BareTlsClient(BareTlsClient&& other) noexcept : context_(std::exchange(other.context_, nullptr)) {}
  BareTlsClient(const BareTlsClient&) = delete;
  BareTlsClient& operator=(const BareTlsClient&) = delete;
  BareTlsClient& operator=(BareTlsClient&&) = delete;
  ~BareTlsClient() { SSL_CTX_free(context_); }

  // TCP connect + full handshake, then close (no close_notify, as probe_tls).
  std::string handshake(const asio::ip::tcp::endpoint& endpoint, const std::string& server_name) const {
    const int fd = socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return "socket() failed";
    if (connect(fd, endpoint.data(), static_cast<socklen_t>(endpoint.size())) != 0) {
      close(fd);
      return "connect() failed";
    }
    SSL* ssl = SSL_new(context_);
    SSL_set_fd(ssl, fd);
    // SSL_set_tlsext_host_name() is a macro with a C cast; this is what it expands to.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(server_name.c_str()));
    SSL_set1_host(ssl, server_name.c_str());
    std::string problem;
    if (SSL_connect(ssl) != 1) {
      problem = fmt::format("SSL_connect: {}", ERR_reason_error_string(ERR_get_error()));
      ERR_clear_error();
    } else if (SSL_get_verify_result(ssl) != X509_V_OK) {
      problem = "verification failed";
    } else if (SSL_version(ssl) != TLS1_3_VERSION) {
      problem = std::string("negotiated ") + SSL_get_version(ssl);
    }
    SSL_free(ssl);
    close(fd);
    return problem;
  }

 private:
  explicit BareTlsClient(SSL_CTX* context) : context_(context) {}
  SSL_CTX* context_;
};

// ---------------------------------------------------------------- report
void print_row(const std::string& label, const nlohmann::json& summary) {
  fmt::print("{:<34} {:>6} {:>9.1f} {:>9.1f} {:>9.1f} {:>9.1f} {:>10.1f} {:>5}\n", label,
             summary["samples"].get<std::size_t>() * summary["operations_per_sample"].get<std::size_t>(),
             summary["cpu_us_mean"].get<double>(), summary["cpu_us_median"].get<double>(),
             summary["cpu_us_p90"].get<double>(), summary["cpu_us_min"].get<double>(),
             summary["wall_us_median"].get<double>(), summary["failures"].get<int>());
}

nlohmann::json report(const std::vector<Samples>& all, const nlohmann::json& setup) {
  fmt::print("{:<34} {:>6} {:>9} {:>9} {:>9} {:>9} {:>10} {:>5}\n", "client CPU per operation (us)", "n", "mean",
             "median", "p90", "min", "wall med", "fail");
  nlohmann::json document = {{"setup_cpu_us", setup}};
  for (const auto& samples : all) {
    auto summary = summary_of(samples);
    print_row(samples.name, summary);
    if (samples.failures > 0) fmt::print("  last failure: {}\n", samples.failure_detail);
    document[samples.name] = std::move(summary);
  }
  fmt::print("(wall med: per sample; a batch sample covers all its probes)\n");
  fmt::print("one-time setup CPU (us): DNS resolver {:.0f}, TLS context with CA file {:.0f}\n",
             setup["dns_resolver"].get<double>(), setup["tls_context"].get<double>());
  return document;
}

// ---------------------------------------------------------------- the measurements
// Runs the kinds in turn, `block` operations at a time, so drift (CPU
// frequency, the servers' state, other load on the machine) hits all alike.
void interleave(int iterations, int warmup, const std::vector<std::pair<Samples*, std::function<std::string()>>>& kinds) {
  for (const auto& [samples, operation] : kinds) measure(*samples, warmup, false, operation);
  constexpr int block = 25;
  for (int done = 0; done < iterations; done += block) {
    const int count = std::min(block, iterations - done);
    for (const auto& [samples, operation] : kinds) measure(*samples, count, true, operation);
  }
}

void measure_dns(asio::io_context& io, checks::DnsResolver& resolver, const asio::ip::udp::endpoint& server,
                 const Options& options, std::vector<Samples>& all) {
  Samples sequential("dns_probe");
  Samples bare_new("bare_dns_new_socket");
  Samples bare_kept("bare_dns_kept_socket");
  BareDnsClient bare(server, options.dns_name, checks::DnsResolverOptions{}.edns_payload_size);
  interleave(options.dns_iterations, options.warmup,
             {{&sequential, [&] { return resolve_sequential(io, resolver, options.dns_name); }},
              {&bare_new, [&] { return bare.exchange(false); }},
              {&bare_kept, [&] { return bare.exchange(true); }}});

  // As in `check`: many lookups in flight share the channel and its socket.
  Samples batch(fmt::format("dns_probe_batch{}", options.batch), options.batch);
  auto many = [&] { return resolve_batch(io, resolver, options.dns_name, options.batch); };
  measure(batch, std::max(1, options.warmup / options.batch), false, many);
  measure(batch, std::max(1, options.dns_iterations / options.batch), true, many);
  for (auto* samples : {&sequential, &batch, &bare_new, &bare_kept}) all.push_back(std::move(*samples));
}

void measure_tls(asio::io_context& io, const std::shared_ptr<asio::ssl::context>& context, const BareTlsClient& bare,
                 const checks::IpAddress& address, const Options& options, std::vector<Samples>& all) {
  Samples probe("tcp_tls_probe");
  Samples floor("bare_handshake");
  const asio::ip::tcp::endpoint endpoint(address, options.tls_port);
  interleave(options.iterations, options.warmup,
             {{&probe, [&] { return probe_tls_once(io, context, address, options); }},
              {&floor, [&] { return bare.handshake(endpoint, options.server_name); }}});
  all.push_back(std::move(probe));
  all.push_back(std::move(floor));
}

// "127.0.0.1:53", "[::1]:53" (what DnsResolverOptions::servers takes).
std::optional<asio::ip::udp::endpoint> parse_server(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto address = checks::parse_ip_address(host);
  const int port = std::atoi(text.c_str() + colon + 1);
  if (!address || port <= 0 || port > 65535) return std::nullopt;
  return asio::ip::udp::endpoint(*address, static_cast<std::uint16_t>(port));
}

int fail(const std::string& message) {
  fmt::print(stderr, "bench_probes: {}\n", message);
  return 2;
}

Options parse_options(int argc, char** argv) {
  Options options;
  CLI::App app{"Client CPU per DNS probe, per TCP+TLS probe and per bare OpenSSL handshake"};
  app.add_option("--dns-server", options.dns_server, "DNS server, 127.0.0.1:PORT")->required();
  app.add_option("--dns-name", options.dns_name, "Name with A records in that server")->required();
  app.add_option("--tls-address", options.tls_address, "TLS server address (loopback)")->required();
  app.add_option("--tls-port", options.tls_port, "TLS server port")->required();
  app.add_option("--server-name", options.server_name, "SNI and verified name")->required();
  app.add_option("--ca-file", options.ca_file, "CA certificate (PEM)")->required();
  app.add_option("-n,--iterations", options.iterations, "Measured TLS operations per kind")->check(CLI::PositiveNumber);
  app.add_option("--dns-iterations", options.dns_iterations, "Measured DNS operations per kind")
      ->check(CLI::PositiveNumber);
  app.add_option("--warmup", options.warmup, "Unmeasured operations before each kind")->check(CLI::NonNegativeNumber);
  app.add_option("--batch", options.batch, "Concurrent DNS probes per batch sample")->check(CLI::PositiveNumber);
  app.add_option("--only", options.only, "Run only the DNS or only the TLS measurements")
      ->check(CLI::IsMember({"all", "dns", "tls"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    std::exit(app.exit(error));
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  asio::io_context io(1);
  nlohmann::json setup;
  std::vector<Samples> all;

  double cpu_before = process_cpu_us();
  checks::DnsResolverOptions dns_options;
  dns_options.servers = {options.dns_server};
  auto resolver = checks::DnsResolver::create(io, dns_options);
  setup["dns_resolver"] = process_cpu_us() - cpu_before;
  if (!resolver) return fail(resolver.error().message);
  const auto dns_server = parse_server(options.dns_server);
  if (!dns_server) return fail("--dns-server must be IP:PORT");
  if (options.only != "tls") measure_dns(io, **resolver, *dns_server, options, all);

  cpu_before = process_cpu_us();
  auto tls_context = checks::make_tls_client_context(options.ca_file);
  setup["tls_context"] = process_cpu_us() - cpu_before;
  if (!tls_context) return fail(tls_context.error().message);
  auto bare = BareTlsClient::create(options.ca_file);
  if (!bare) return fail("cannot set up the bare OpenSSL client");
  auto address = checks::parse_ip_address(options.tls_address);
  if (!address) return fail(address.error().message);
  if (options.only != "dns") measure_tls(io, *tls_context, *bare, *address, options, all);

  auto document = report(all, setup);
  if (document.contains("bare_handshake")) {
    const double ratio = document["tcp_tls_probe"]["cpu_us_mean"].get<double>() /
                         document["bare_handshake"]["cpu_us_mean"].get<double>();
    document["tls_over_bare_mean"] = ratio;
    fmt::print("TCP+TLS probe / bare handshake (mean CPU): {:.2f}x\n", ratio);
  }
  fmt::print("BENCH_JSON {}\n", document.dump());
  const bool failed = std::any_of(all.begin(), all.end(), [](const Samples& samples) { return samples.failures > 0; });
  return failed ? 1 : 0;
}
