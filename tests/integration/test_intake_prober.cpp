// Whole-intake probes: DNS + classification + every address, concurrently.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <list>
#include <boost/asio/ip/tcp.hpp>
#include <thread>

#include "checks/intake.h"
#include "local_servers.h"
#include "probe_test_util.h"

namespace {

using checks::AddressClass;
using checks::ReachOutcome;
using checks::Verdict;

std::vector<checks::Cidr> test_private_ranges() { return {*checks::Cidr::parse("127.0.10.0/24"), *checks::Cidr::parse("::1/128")}; }

class IntakeProber : public ::testing::Test {
 protected:
  void start(const nlohmann::json& zone, const nlohmann::json& listeners) {
    dns_ = std::make_unique<testsupport::Dnsmasq>(zone);
    servers_ = std::make_unique<testsupport::FixtureServers>(nlohmann::json{{"listeners", listeners}, {"api_key", "k"}});
  }

  nlohmann::json tls(const std::string& name, const std::string& host, const std::string& cert = "valid") {
    const auto dir = testsupport::certificates_dir();
    return {{"name", name}, {"mode", "tls"}, {"host", host}, {"port", port_},
            {"cert", (dir / (cert + ".pem")).string()}, {"key", (dir / (cert + ".key")).string()}};
  }
  nlohmann::json plain(const std::string& name, const std::string& mode, const std::string& host) {
    return {{"name", name}, {"mode", mode}, {"host", host}, {"port", port_}};
  }

  std::vector<checks::IntakeResult> probe(const std::vector<checks::IntakeTarget>& targets,
                                          checks::ProbeSettings settings = {}) {
    checks::DnsResolverOptions options;
    options.servers = {dns_->server()};
    auto resolver = checks::DnsResolver::create(io_, options);
    EXPECT_TRUE(resolver);
    auto context = checks::make_tls_client_context((testsupport::certificates_dir() / "ca.pem").string());
    auto https = checks::HttpsClient::create(io_);
    if (settings.private_cidrs == checks::default_private_cidrs()) settings.private_cidrs = test_private_ranges();
    settings.ca_file = (testsupport::certificates_dir() / "ca.pem").string();
    checks::IntakeProber prober(io_, **resolver, *context, https->get(), settings);
    std::optional<std::vector<checks::IntakeResult>> results;
    prober.probe_all(targets, [&](std::vector<checks::IntakeResult> finished) {
      results = std::move(finished);
      io_.stop();  // the DNS channel keeps its socket open, so the loop never runs dry
    });
    io_.run_for(testsupport::hang_guard);
    EXPECT_TRUE(results);
    return results.value_or(std::vector<checks::IntakeResult>{});
  }

  checks::IntakeTarget target(const std::string& name, const std::string& host) {
    return checks::IntakeTarget{name, host, port_, std::nullopt};
  }

  std::uint16_t port_ = testsupport::free_port();
  std::unique_ptr<testsupport::Dnsmasq> dns_;
  std::unique_ptr<testsupport::FixtureServers> servers_;
  boost::asio::io_context io_{1};
};

TEST_F(IntakeProber, HealthyDegradedPublicAndUnresolved) {
  start({{"a",
          {{"metrics.agent.pl.test", {"127.0.10.1", "127.0.10.2"}},
           {"logs.pl.test", {"127.0.10.1", "127.0.10.9"}},
           {"public.pl.test", {"127.0.99.1"}},
           {"mixed.pl.test", {"127.0.10.1", "127.0.99.1"}}}},
         {"cname", {{"api.pl.test", "orchid.intake.pl.test"}, {"orchid.intake.pl.test", "metrics.agent.pl.test"}}}},
        {tls("a", "127.0.10.1"), tls("b", "127.0.10.2"), plain("dead", "blackhole", "127.0.10.9")});
  checks::ProbeSettings settings;
  settings.timeout = std::chrono::milliseconds(2000);  // the dead address costs this much; the rest must succeed
  auto results = probe({target("metrics", "metrics.agent.pl.test"), target("logs", "logs.pl.test"),
                        target("public", "public.pl.test"), target("mixed", "mixed.pl.test"),
                        target("missing", "missing.pl.test"), target("api", "api.pl.test")},
                       settings);
  ASSERT_EQ(results.size(), 6u);

  EXPECT_EQ(results[0].verdict, Verdict::ok) << results[0].reason;
  EXPECT_EQ(results[0].address_class, AddressClass::private_);
  EXPECT_EQ(results[0].addresses.size(), 2u);

  EXPECT_EQ(results[1].verdict, Verdict::degraded);
  EXPECT_EQ(results[1].addresses[1].outcome, ReachOutcome::connect_timeout);

  EXPECT_EQ(results[2].verdict, Verdict::failing);
  EXPECT_EQ(results[2].address_class, AddressClass::public_);
  EXPECT_EQ(results[2].addresses[0].outcome, ReachOutcome::skipped_public);

  EXPECT_EQ(results[3].verdict, Verdict::failing);
  EXPECT_EQ(results[3].address_class, AddressClass::mixed);
  EXPECT_EQ(results[3].addresses[0].outcome, ReachOutcome::ok);
  EXPECT_EQ(results[3].addresses[1].outcome, ReachOutcome::skipped_public);

  EXPECT_EQ(results[4].verdict, Verdict::failing);
  EXPECT_EQ(results[4].reason, "DNS nxdomain");

  EXPECT_EQ(results[5].verdict, Verdict::ok) << results[5].reason;
  EXPECT_EQ(results[5].dns.cname_chain.size(), 2u);
}

TEST_F(IntakeProber, ExpectedCidrsMakeOtherPrivateAddressesUnexpected) {
  start({{"a", {{"api.pl.test", {"127.0.10.1", "127.0.10.2"}}}}}, {tls("a", "127.0.10.1"), tls("b", "127.0.10.2")});
  checks::ProbeSettings settings;
  settings.expected_cidrs = {*checks::Cidr::parse("127.0.10.0/31")};  // .0 and .1 only
  auto results = probe({target("api", "api.pl.test")}, settings);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].address_class, AddressClass::unexpected);
  EXPECT_EQ(results[0].verdict, Verdict::failing);
}

TEST_F(IntakeProber, PublicAddressesAreContactedOnlyWhenAllowed) {
  start({{"a", {{"public.pl.test", {"127.0.99.1"}}}}}, nlohmann::json::array({tls("p", "127.0.99.1")}));
  checks::ProbeSettings settings;
  settings.probe_public_addresses = true;
  auto results = probe({target("public", "public.pl.test")}, settings);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].addresses[0].outcome, ReachOutcome::ok);
  EXPECT_EQ(results[0].verdict, Verdict::failing);  // still public
}

TEST_F(IntakeProber, HttpsCheckOnEveryAddress) {
  start({{"a", {{"api.pl.test", {"127.0.10.1", "127.0.10.2"}}}}}, {tls("a", "127.0.10.1"), tls("b", "127.0.10.2")});
  auto good = target("api", "api.pl.test");
  good.https = checks::HttpsCheck{"/api/v1/validate", {"DD-API-KEY: k"}, {200}};
  auto bad = target("api-badkey", "api.pl.test");
  bad.https = checks::HttpsCheck{"/api/v1/validate", {"DD-API-KEY: nope"}, {200}};
  auto results = probe({good, bad});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].verdict, Verdict::ok) << results[0].reason;
  ASSERT_TRUE(results[0].addresses[1].https);
  EXPECT_EQ(results[0].addresses[1].https->status_code, 200);
  EXPECT_EQ(results[1].verdict, Verdict::failing);
  EXPECT_EQ(results[1].addresses[0].outcome, ReachOutcome::http_failed);
  EXPECT_EQ(results[1].addresses[0].detail, "HTTP 403");
}

// Counts how many connections are open at once on a set of silent listeners.
class ConcurrencyMeter {
 public:
  ConcurrencyMeter(const std::vector<std::string>& addresses, std::uint16_t port) {
    for (const auto& address : addresses) {
      auto& acceptor = acceptors_.emplace_back(io_, boost::asio::ip::tcp::endpoint(*checks::parse_ip_address(address), port));
      accept(acceptor);
    }
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ConcurrencyMeter() {
    io_.stop();
    thread_.join();
  }
  int peak() const { return peak_; }

 private:
  void accept(boost::asio::ip::tcp::acceptor& acceptor) {
    acceptor.async_accept([this, &acceptor](boost::system::error_code error, boost::asio::ip::tcp::socket socket) {
      if (error) return;
      auto held = std::make_shared<boost::asio::ip::tcp::socket>(std::move(socket));
      peak_ = std::max(peak_.load(), ++open_);
      // Hold it silently until the prober gives up and closes.
      drain(held, std::make_shared<std::array<char, 512>>());
      accept(acceptor);
    });
  }

  // Reads (and ignores) the ClientHello and anything after it until the
  // client closes, so the client sees silence, never a reset.
  void drain(std::shared_ptr<boost::asio::ip::tcp::socket> held, std::shared_ptr<std::array<char, 512>> buffer) {
    held->async_read_some(boost::asio::buffer(*buffer), [this, held, buffer](boost::system::error_code error, std::size_t) {
      if (error) {
        --open_;
        return;
      }
      drain(held, buffer);
    });
  }

  boost::asio::io_context io_{1};
  std::list<boost::asio::ip::tcp::acceptor> acceptors_;
  std::atomic<int> open_{0};
  std::atomic<int> peak_{0};
  std::thread thread_;
};

TEST_F(IntakeProber, AllIntakesAndAddressesAreProbedConcurrently) {
  // 12 intakes x 3 addresses, every one silent: if the probes were run one
  // after the other, at most one connection would be open at any time.
  nlohmann::json records;
  std::vector<std::string> all_addresses;
  std::vector<checks::IntakeTarget> targets;
  for (int intake = 0; intake < 12; ++intake) {
    std::vector<std::string> addresses;
    for (int zone = 0; zone < 3; ++zone) addresses.push_back("127.0.10." + std::to_string(100 + intake * 3 + zone));
    const std::string host = "intake" + std::to_string(intake) + ".pl.test";
    records[host] = addresses;
    all_addresses.insert(all_addresses.end(), addresses.begin(), addresses.end());
    targets.push_back(target("intake" + std::to_string(intake), host));
  }
  dns_ = std::make_unique<testsupport::Dnsmasq>(nlohmann::json{{"a", records}});
  ConcurrencyMeter meter(all_addresses, port_);
  checks::ProbeSettings settings;
  settings.timeout = std::chrono::milliseconds(4000);  // all 36 connect well within it, even on a loaded machine
  auto results = probe(targets, settings);
  ASSERT_EQ(results.size(), 12u);
  for (const auto& result : results) {
    ASSERT_EQ(result.addresses.size(), 3u);
    for (const auto& address : result.addresses) EXPECT_EQ(address.outcome, ReachOutcome::tls_timeout);
  }
  EXPECT_EQ(meter.peak(), 36);
}

}  // namespace
