#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "intake_monitor.h"
#include "logging.h"

namespace sidecar {
namespace {

using checks::AddressClass;
using checks::Verdict;

checks::IntakeResult result(Verdict verdict, AddressClass klass, std::vector<std::string> addresses) {
  checks::IntakeResult out;
  out.name = "metrics";
  out.host = "metrics.pl.test";
  out.verdict = verdict;
  out.address_class = klass;
  out.dns.outcome = addresses.empty() ? checks::DnsOutcome::nxdomain : checks::DnsOutcome::ok;
  for (const auto& text : addresses) {
    out.dns.addresses.push_back(checks::ResolvedAddress{*checks::parse_ip_address(text), 60});
    checks::ReachResult reach;
    reach.address = *checks::parse_ip_address(text);
    reach.outcome = verdict == Verdict::failing ? checks::ReachOutcome::connect_timeout : checks::ReachOutcome::ok;
    reach.connect_time = std::chrono::microseconds(1500);
    reach.tls_time = std::chrono::microseconds(4000);
    out.addresses.push_back(reach);
  }
  out.dns.elapsed = std::chrono::microseconds(700);
  return out;
}

class Monitor : public ::testing::Test {
 protected:
  std::optional<TransitionEvent> feed(const checks::IntakeResult& probe) {
    auto event = monitor_.observe(probe, policy_, now_);
    now_ += std::chrono::seconds(30);
    monitor_.observe_agent({}, checks::default_private_cidrs(), false);
    monitor_.update_change();
    return event;
  }
  IntakeMonitor monitor_{checks::IntakeTarget{"metrics", "metrics.pl.test", 443, {}}, "file:3", false};
  MonitorPolicy policy_{2, 3};
  std::chrono::system_clock::time_point now_{};
};

TEST_F(Monitor, FirstResultCountsAtOnce) {
  auto event = feed(result(Verdict::failing, AddressClass::public_, {"52.1.1.1"}));
  ASSERT_TRUE(event);
  EXPECT_EQ(event->from, Verdict::failing);
  EXPECT_EQ(event->to, Verdict::failing);
  EXPECT_EQ(monitor_.reported(), Verdict::failing);
}

TEST_F(Monitor, HealthyAndUnhealthyThresholds) {
  feed(result(Verdict::ok, AddressClass::private_, {"10.0.0.1"}));
  // unhealthy_threshold 3: two failures are not enough, and a success resets the count.
  EXPECT_FALSE(feed(result(Verdict::failing, AddressClass::private_, {"10.0.0.1"})));
  EXPECT_FALSE(feed(result(Verdict::failing, AddressClass::private_, {"10.0.0.1"})));
  EXPECT_TRUE(monitor_.transition_pending());
  EXPECT_FALSE(feed(result(Verdict::ok, AddressClass::private_, {"10.0.0.1"})));
  EXPECT_FALSE(monitor_.transition_pending());
  EXPECT_FALSE(feed(result(Verdict::failing, AddressClass::private_, {"10.0.0.1"})));
  EXPECT_FALSE(feed(result(Verdict::failing, AddressClass::private_, {"10.0.0.1"})));
  auto down = feed(result(Verdict::failing, AddressClass::private_, {"10.0.0.1"}));
  ASSERT_TRUE(down);
  EXPECT_EQ(down->from, Verdict::ok);
  EXPECT_EQ(down->to, Verdict::failing);
  // healthy_threshold 2.
  EXPECT_FALSE(feed(result(Verdict::ok, AddressClass::private_, {"10.0.0.1"})));
  auto up = feed(result(Verdict::ok, AddressClass::private_, {"10.0.0.1"}));
  ASSERT_TRUE(up);
  EXPECT_EQ(up->to, Verdict::ok);
}

TEST_F(Monitor, ClassChangeAgainstTheBaselineIsAChangeThatMustHold) {
  feed(result(Verdict::failing, AddressClass::public_, {"52.1.1.1"}));
  EXPECT_FALSE(monitor_.change());
  feed(result(Verdict::ok, AddressClass::private_, {"10.0.0.1"}));
  ASSERT_TRUE(monitor_.change());
  EXPECT_EQ(monitor_.change()->kind, "class_change");
  EXPECT_EQ(monitor_.change()->reason, "DNS class public -> private");
  EXPECT_EQ(monitor_.change()->held_checks, 1);
  EXPECT_TRUE(monitor_.change()->target_healthy);
  feed(result(Verdict::ok, AddressClass::private_, {"10.0.0.1"}));
  EXPECT_EQ(monitor_.change()->held_checks, 2);
  // Flapping back clears it: the debounce starts over.
  feed(result(Verdict::failing, AddressClass::public_, {"52.1.1.1"}));
  EXPECT_FALSE(monitor_.change());
  feed(result(Verdict::ok, AddressClass::private_, {"10.0.0.1"}));
  EXPECT_EQ(monitor_.change()->held_checks, 1);
  // After a restart the new answer is the baseline: no change any more.
  monitor_.accept_current_as_baseline();
  feed(result(Verdict::ok, AddressClass::private_, {"10.0.0.1"}));
  EXPECT_FALSE(monitor_.change());
}

TEST_F(Monitor, ChangeIntoABrokenStateIsNotAHealthyTarget) {
  feed(result(Verdict::ok, AddressClass::private_, {"10.0.0.1"}));
  feed(result(Verdict::failing, AddressClass::public_, {"52.1.1.1"}));
  ASSERT_TRUE(monitor_.change());
  EXPECT_FALSE(monitor_.change()->target_healthy);
}

TEST_F(Monitor, FailedLookupsDoNotSetTheBaselineOrCountAsDnsChanges) {
  feed(result(Verdict::failing, AddressClass::none, {}));
  EXPECT_FALSE(monitor_.baseline_class());
  feed(result(Verdict::ok, AddressClass::private_, {"10.0.0.1"}));
  EXPECT_EQ(monitor_.baseline_class(), AddressClass::private_);
  EXPECT_FALSE(monitor_.change());
  feed(result(Verdict::failing, AddressClass::none, {}));
  feed(result(Verdict::ok, AddressClass::private_, {"10.0.0.1"}));
  EXPECT_EQ(monitor_.dns_changes(), 0u);
  feed(result(Verdict::ok, AddressClass::private_, {"10.0.0.2"}));
  EXPECT_EQ(monitor_.dns_changes(), 1u);
  EXPECT_TRUE(monitor_.last_dns_change());
}

TEST_F(Monitor, StaleAgentConnectionsAreAChange) {
  feed(result(Verdict::ok, AddressClass::private_, {"10.0.0.1"}));
  monitor_.observe(result(Verdict::ok, AddressClass::private_, {"10.0.0.2"}), policy_, now_);
  AgentConnection held{};
  held.local = *checks::parse_ip_address("10.9.9.9");
  held.local_port = 40000;
  held.remote = *checks::parse_ip_address("10.0.0.1");
  held.remote_port = 443;
  held.pid = 42;
  monitor_.observe_agent({held}, checks::default_private_cidrs(), true);
  monitor_.update_change();
  ASSERT_TRUE(monitor_.change());
  EXPECT_EQ(monitor_.change()->kind, "stale_connections");
  EXPECT_THAT(monitor_.change()->reason, ::testing::HasSubstr("10.0.0.1"));
  // Connections to another port are not this intake's.
  held.remote_port = 10516;
  monitor_.observe_agent({held}, checks::default_private_cidrs(), true);
  monitor_.update_change();
  EXPECT_FALSE(monitor_.change());
}

TEST_F(Monitor, AgentStillOnFormerPublicAnswersWhileDnsIsPrivateIsAChange) {
  feed(result(Verdict::failing, AddressClass::public_, {"52.1.1.1"}));
  monitor_.accept_current_as_baseline();  // e.g. the sidecar started after the switch was planned
  monitor_.observe(result(Verdict::ok, AddressClass::private_, {"10.0.0.1"}), policy_, now_);
  monitor_.accept_current_as_baseline();  // isolate the connection rule from the class rule
  AgentConnection held{};
  held.local = *checks::parse_ip_address("10.9.9.9");
  held.remote = *checks::parse_ip_address("52.1.1.1");
  held.remote_port = 443;
  monitor_.observe_agent({held}, checks::default_private_cidrs(), true);
  monitor_.update_change();
  ASSERT_TRUE(monitor_.change());
  EXPECT_EQ(monitor_.change()->kind, "public_connections");
}

TEST_F(Monitor, OtherPublicHttpsOfTheAgentIsNotAChange) {
  // http_check or a cloud API on 443: a restart cannot move it, so it must not trigger one.
  feed(result(Verdict::ok, AddressClass::private_, {"10.0.0.1"}));
  AgentConnection held{};
  held.local = *checks::parse_ip_address("10.9.9.9");
  held.remote = *checks::parse_ip_address("52.1.1.1");
  held.remote_port = 443;
  monitor_.observe_agent({held}, checks::default_private_cidrs(), true);
  monitor_.update_change();
  EXPECT_FALSE(monitor_.change());
}

TEST_F(Monitor, CountersAndHistograms) {
  feed(result(Verdict::ok, AddressClass::private_, {"10.0.0.1", "10.0.0.2"}));
  feed(result(Verdict::failing, AddressClass::public_, {"52.1.1.1"}));
  EXPECT_EQ(monitor_.probes(), 2u);
  EXPECT_EQ(monitor_.failures().at("class_public"), 1u);
  EXPECT_EQ(monitor_.failures().at("connect_timeout"), 1u);
  const Histogram& tls = monitor_.histogram(Phase::tls);
  EXPECT_EQ(tls.count, 3u);
  EXPECT_EQ(tls.counts[0], 0u);          // 1 ms bucket
  EXPECT_EQ(tls.counts[2], 3u);          // 5 ms bucket: cumulative
  EXPECT_EQ(tls.counts.back(), 3u);
  EXPECT_NEAR(tls.sum, 0.012, 1e-9);
}

TEST(LogLimiter, SuppressesIdenticalMessagesWithinTheWindow) {
  LogLimiter limiter(std::chrono::seconds(60));
  const auto start = std::chrono::steady_clock::time_point{};
  EXPECT_EQ(limiter.allow("dns timeout", start), 0u);
  EXPECT_FALSE(limiter.allow("dns timeout", start + std::chrono::seconds(1)));
  EXPECT_FALSE(limiter.allow("dns timeout", start + std::chrono::seconds(59)));
  EXPECT_EQ(limiter.allow("other", start + std::chrono::seconds(2)), 0u);
  EXPECT_EQ(limiter.allow("dns timeout", start + std::chrono::seconds(61)), 2u);  // two were suppressed
}

}  // namespace
}  // namespace sidecar
