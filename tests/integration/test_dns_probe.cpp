// The DNS probe against a real dnsmasq on loopback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "checks/dns.h"
#include "local_servers.h"
#include "probe_test_util.h"

namespace {

using checks::DnsOutcome;
using testsupport::resolve_once;
using ::testing::UnorderedElementsAre;

nlohmann::json big_answer() {
  nlohmann::json addresses = nlohmann::json::array();
  for (int index = 1; index <= 150; ++index) {
    addresses.push_back("127.0." + std::to_string(10 + index / 250) + "." + std::to_string(index % 250));
  }
  return addresses;
}

nlohmann::json test_zone() {
  return {
      {"a",
       {{"two.pl.test", {"127.0.10.1", "127.0.10.2"}},
        {"multi.pl.test", {"127.0.10.1", "127.0.10.2", "127.0.10.3"}},
        {"aonly.pl.test", {"127.0.10.5"}},
        {"big.pl.test", big_answer()}}},
      {"aaaa", {{"two.pl.test", {"::1"}}, {"multi.pl.test", {"fd00::1", "fd00::2"}}}},
      {"cname", {{"alias.pl.test", "mid.pl.test"}, {"mid.pl.test", "two.pl.test"}}},
      {"txt", {{"txtonly.pl.test", "no addresses here"}}},
      {"servfail", {"broken.pl.test"}},
      {"ttl", 60},
  };
}

std::vector<std::string> addresses_of(const checks::DnsResult& result) {
  std::vector<std::string> list;
  for (const auto& entry : result.addresses) list.push_back(entry.address.to_string());
  return list;
}

class DnsProbe : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { dnsmasq_ = new testsupport::Dnsmasq(test_zone()); }
  static void TearDownTestSuite() {
    delete dnsmasq_;
    dnsmasq_ = nullptr;
  }

  void SetUp() override {
    checks::DnsResolverOptions options;
    options.servers = {dnsmasq_->server()};
    auto resolver = checks::DnsResolver::create(io_, options);
    ASSERT_TRUE(resolver) << resolver.error().message;
    resolver_ = std::move(*resolver);
  }

  checks::DnsResult resolve(const std::string& host) { return resolve_once(*resolver_, io_, host); }

  static testsupport::Dnsmasq* dnsmasq_;
  boost::asio::io_context io_{1};
  std::unique_ptr<checks::DnsResolver> resolver_;
};
testsupport::Dnsmasq* DnsProbe::dnsmasq_ = nullptr;

TEST_F(DnsProbe, FollowsTheCnameChainToAAndAaaa) {
  auto result = resolve("alias.pl.test");
  EXPECT_EQ(result.outcome, DnsOutcome::ok) << result.detail;
  EXPECT_EQ(result.query_name, "alias.pl.test.");
  ASSERT_EQ(result.cname_chain.size(), 2u);
  EXPECT_EQ(result.cname_chain[0].alias, "alias.pl.test");
  EXPECT_EQ(result.cname_chain[0].target, "mid.pl.test");
  EXPECT_EQ(result.cname_chain[1].target, "two.pl.test");
  EXPECT_THAT(addresses_of(result), UnorderedElementsAre("127.0.10.1", "127.0.10.2", "::1"));
  ASSERT_TRUE(result.min_ttl);
  EXPECT_LE(*result.min_ttl, 60u);
  EXPECT_EQ(result.server, dnsmasq_->server());
  EXPECT_GT(result.elapsed.count(), 0);
}

TEST_F(DnsProbe, SeveralAAndAaaaRecords) {
  auto result = resolve("multi.pl.test");
  EXPECT_EQ(result.outcome, DnsOutcome::ok);
  EXPECT_THAT(addresses_of(result),
              UnorderedElementsAre("127.0.10.1", "127.0.10.2", "127.0.10.3", "fd00::1", "fd00::2"));
  // A first, then AAAA: the order reports and probes use.
  EXPECT_TRUE(result.addresses.front().address.is_v4());
  EXPECT_TRUE(result.addresses.back().address.is_v6());
}

TEST_F(DnsProbe, Nxdomain) {
  auto result = resolve("missing.pl.test");
  EXPECT_EQ(result.outcome, DnsOutcome::nxdomain);
  EXPECT_TRUE(result.addresses.empty());
}

TEST_F(DnsProbe, NodataForOneFamilyStillOk) {
  auto result = resolve("aonly.pl.test");
  EXPECT_EQ(result.outcome, DnsOutcome::ok);
  EXPECT_EQ(result.a.outcome, DnsOutcome::ok);
  EXPECT_EQ(result.aaaa.outcome, DnsOutcome::nodata);
}

TEST_F(DnsProbe, NodataWhenTheNameHasNoAddress) {
  auto result = resolve("txtonly.pl.test");
  EXPECT_EQ(result.outcome, DnsOutcome::nodata);
}

TEST_F(DnsProbe, Servfail) {
  auto result = resolve("broken.pl.test");
  EXPECT_EQ(result.outcome, DnsOutcome::servfail);
}

TEST_F(DnsProbe, Refused) {
  auto result = resolve("outside.example");
  EXPECT_EQ(result.outcome, DnsOutcome::refused);
}

TEST_F(DnsProbe, TruncatedUdpAnswerIsRetriedOverTcp) {
  auto result = resolve("big.pl.test");
  EXPECT_EQ(result.outcome, DnsOutcome::ok) << result.detail;
  EXPECT_EQ(result.addresses.size(), 150u);
}

TEST_F(DnsProbe, ManyLookupsConcurrently) {
  int finished = 0;
  for (int index = 0; index < 40; ++index) {
    resolver_->resolve(index % 2 ? "two.pl.test" : "missing.pl.test", std::chrono::seconds(2),
                       [this, &finished, index](checks::DnsResult result) {
                         EXPECT_EQ(result.outcome, index % 2 ? DnsOutcome::ok : DnsOutcome::nxdomain);
                         // The channel keeps its socket open (STAYOPEN), so the loop never runs dry.
                         if (++finished == 40) io_.stop();
                       });
  }
  io_.run_for(testsupport::hang_guard);
  EXPECT_EQ(finished, 40);
}

TEST(DnsDeadline, ServerThatNeverAnswersTimesOut) {
  testsupport::FixtureServers silent(nlohmann::json{{"listeners", {{{"name", "dns"}, {"mode", "udp-silent"}, {"host", "127.0.0.1"}, {"port", 0}}}}});
  boost::asio::io_context io{1};
  checks::DnsResolverOptions options;
  options.servers = {"127.0.0.1:" + std::to_string(silent.port("dns"))};
  options.attempt_timeout = std::chrono::milliseconds(5000);  // c-ares alone would wait far longer than our deadline
  auto resolver = checks::DnsResolver::create(io, options);
  ASSERT_TRUE(resolver);
  auto result = resolve_once(**resolver, io, "two.pl.test", std::chrono::milliseconds(300));
  EXPECT_EQ(result.outcome, DnsOutcome::timeout);
  EXPECT_TRUE(result.server.empty());
}

TEST(DnsDeadline, CaresRetriesRunWithoutSocketActivity) {
  // Our deadline is long; c-ares' own attempts are short. The lookup must
  // end with c-ares' timeout, which only happens if its timer is driven.
  testsupport::FixtureServers silent(nlohmann::json{{"listeners", {{{"name", "dns"}, {"mode", "udp-silent"}, {"host", "127.0.0.1"}, {"port", 0}}}}});
  boost::asio::io_context io{1};
  checks::DnsResolverOptions options;
  options.servers = {"127.0.0.1:" + std::to_string(silent.port("dns"))};
  options.attempt_timeout = std::chrono::milliseconds(100);
  auto resolver = checks::DnsResolver::create(io, options);
  ASSERT_TRUE(resolver);
  auto result = resolve_once(**resolver, io, "two.pl.test", std::chrono::seconds(20));
  EXPECT_EQ(result.outcome, DnsOutcome::timeout);
  EXPECT_NE(result.detail, "no answer before the deadline");
}

// ---- resolv.conf handling
class ResolvConf : public ::testing::Test {
 protected:
  void write_resolv_conf(const std::string& text) {
    // Replace atomically, like resolvconf and NetworkManager do.
    const auto temporary = dir_.path() / "resolv.conf.new";
    std::ofstream(temporary) << text;
    std::filesystem::rename(temporary, path());
  }
  std::string path() const { return (dir_.path() / "resolv.conf").string(); }

  testsupport::TempDir dir_;
  boost::asio::io_context io_{1};
};

TEST_F(ResolvConf, NoNameserverIsReportedNotReplacedBy127001) {
  write_resolv_conf("search pl.test\noptions ndots:1\n");
  checks::DnsResolverOptions options;
  options.resolv_conf = path();
  auto resolver = checks::DnsResolver::create(io_, options);
  ASSERT_TRUE(resolver);
  auto result = resolve_once(**resolver, io_, "two.pl.test");
  EXPECT_EQ(result.outcome, DnsOutcome::no_servers);
  EXPECT_THAT(result.detail, ::testing::HasSubstr("lists no usable nameserver"));
}

TEST_F(ResolvConf, MissingFileIsReported) {
  checks::DnsResolverOptions options;
  options.resolv_conf = path() + ".absent";
  auto resolver = checks::DnsResolver::create(io_, options);
  ASSERT_TRUE(resolver);
  EXPECT_EQ(resolve_once(**resolver, io_, "two.pl.test").outcome, DnsOutcome::no_servers);
}

TEST_F(ResolvConf, PortInResolvConfIsNotUsable) {
  // c-ares 1.18 drops "ip:port" entries; we must not pretend they work.
  write_resolv_conf("nameserver 127.0.0.1:5353\n");
  checks::DnsResolverOptions options;
  options.resolv_conf = path();
  auto resolver = checks::DnsResolver::create(io_, options);
  ASSERT_TRUE(resolver);
  EXPECT_EQ(resolve_once(**resolver, io_, "two.pl.test").outcome, DnsOutcome::no_servers);
}

TEST_F(ResolvConf, ChangeIsNoticedWithoutRestart) {
  // c-ares 1.18 ignores a port in resolv.conf: these servers listen on port 53.
  testsupport::Dnsmasq first(nlohmann::json{{"a", {{"flip.pl.test", {"127.0.99.1"}}}}, {"ttl", 5}},
                             testsupport::unique_loopback_address(), 53);
  testsupport::Dnsmasq second(nlohmann::json{{"a", {{"flip.pl.test", {"127.0.10.1"}}}}, {"ttl", 5}},
                              testsupport::unique_loopback_address(), 53);
  write_resolv_conf("nameserver " + first.address() + "\n");
  checks::DnsResolverOptions options;
  options.resolv_conf = path();
  auto resolver = checks::DnsResolver::create(io_, options);
  ASSERT_TRUE(resolver);
  auto before = resolve_once(**resolver, io_, "flip.pl.test");
  ASSERT_EQ(before.outcome, DnsOutcome::ok) << before.detail;
  EXPECT_EQ(before.addresses.at(0).address.to_string(), "127.0.99.1");

  write_resolv_conf("nameserver " + second.address() + "\n");
  auto after = resolve_once(**resolver, io_, "flip.pl.test");
  ASSERT_EQ(after.outcome, DnsOutcome::ok) << after.detail;
  EXPECT_EQ(after.addresses.at(0).address.to_string(), "127.0.10.1");
  EXPECT_EQ(after.server, second.server());
}

TEST_F(ResolvConf, SearchDomainsNeverChangeTheAnswer) {
  testsupport::Dnsmasq dns(nlohmann::json{{"a", {{"two.pl.test", {"127.0.10.1"}}}}},
                           testsupport::unique_loopback_address(), 53);
  write_resolv_conf("nameserver " + dns.address() + "\nsearch pl.test\noptions ndots:5\n");
  checks::DnsResolverOptions options;
  options.resolv_conf = path();
  auto resolver = checks::DnsResolver::create(io_, options);
  ASSERT_TRUE(resolver);
  // "two" would become two.pl.test through the search list; absolute names must not.
  auto result = resolve_once(**resolver, io_, "two");
  EXPECT_NE(result.outcome, DnsOutcome::ok);
  EXPECT_EQ(result.query_name, "two.");
}

TEST(ResolvConfParsing, NameserverLines) {
  EXPECT_THAT(checks::nameservers_in_resolv_conf("# comment\nnameserver 10.0.0.2\nnameserver fe80::1%eth0\n"
                                                 "nameserver bogus\nsearch x\n; nameserver 1.1.1.1\n"),
              ::testing::ElementsAre("10.0.0.2", "fe80::1%eth0"));
  EXPECT_TRUE(checks::nameservers_in_resolv_conf("search example.com\n").empty());
}

}  // namespace
