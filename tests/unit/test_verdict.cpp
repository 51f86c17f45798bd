#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "checks/intake.h"

namespace checks {
namespace {

using ::testing::HasSubstr;

ReachResult reach(const char* address, ReachOutcome outcome) {
  ReachResult result;
  result.address = *parse_ip_address(address);
  result.outcome = outcome;
  return result;
}

IntakeResult resolved(std::vector<ReachResult> addresses, AddressClass address_class = AddressClass::private_) {
  IntakeResult result;
  result.dns.outcome = DnsOutcome::ok;
  result.dns.a.outcome = DnsOutcome::ok;
  result.dns.aaaa.outcome = DnsOutcome::nodata;
  for (const auto& address : addresses) result.dns.addresses.push_back({address.address, 60});
  result.addresses = std::move(addresses);
  result.address_class = address_class;
  return result;
}

TEST(Verdict, AllPrivateAndReachableIsOk) {
  auto [verdict, reason] = decide_verdict(resolved({reach("10.0.0.1", ReachOutcome::ok), reach("10.0.0.2", ReachOutcome::ok)}));
  EXPECT_EQ(verdict, Verdict::ok);
  EXPECT_EQ(reason, "");
}

TEST(Verdict, OneDeadAddressOfSeveralIsDegraded) {
  auto [verdict, reason] = decide_verdict(
      resolved({reach("10.0.0.1", ReachOutcome::ok), reach("10.0.0.2", ReachOutcome::connect_timeout)}));
  EXPECT_EQ(verdict, Verdict::degraded);
  EXPECT_THAT(reason, HasSubstr("10.0.0.2 connect_timeout"));
}

TEST(Verdict, EveryAddressDeadIsFailing) {
  auto [verdict, reason] = decide_verdict(resolved({reach("10.0.0.1", ReachOutcome::refused)}));
  EXPECT_EQ(verdict, Verdict::failing);
  EXPECT_THAT(reason, HasSubstr("unreachable"));
}

TEST(Verdict, NoAddressIsFailingWithTheDnsOutcome) {
  IntakeResult result;
  result.dns.outcome = DnsOutcome::nxdomain;
  auto [verdict, reason] = decide_verdict(result);
  EXPECT_EQ(verdict, Verdict::failing);
  EXPECT_EQ(reason, "DNS nxdomain");
}

TEST(Verdict, PublicMixedUnexpectedAreFailingEvenIfReachable) {
  for (auto address_class : {AddressClass::public_, AddressClass::mixed, AddressClass::unexpected}) {
    auto [verdict, reason] = decide_verdict(resolved({reach("10.0.0.1", ReachOutcome::ok)}, address_class));
    EXPECT_EQ(verdict, Verdict::failing) << to_string(address_class);
    EXPECT_THAT(reason, HasSubstr(std::string(to_string(address_class))));
  }
}

TEST(Verdict, AddressesButOneFamilyFailedIsDegraded) {
  auto result = resolved({reach("10.0.0.1", ReachOutcome::ok)});
  result.dns.outcome = DnsOutcome::timeout;
  result.dns.aaaa.outcome = DnsOutcome::timeout;
  auto [verdict, reason] = decide_verdict(result);
  EXPECT_EQ(verdict, Verdict::degraded);
  EXPECT_THAT(reason, HasSubstr("AAAA timeout"));
}

TEST(Verdict, HttpFailureCountsAsUnreachable) {
  auto [verdict, reason] = decide_verdict(
      resolved({reach("10.0.0.1", ReachOutcome::http_failed), reach("10.0.0.2", ReachOutcome::ok)}));
  EXPECT_EQ(verdict, Verdict::degraded);
}

TEST(OutcomeNames, AreStable) {
  // These strings are part of the JSON schema and the metrics labels.
  EXPECT_EQ(to_string(DnsOutcome::nxdomain), "nxdomain");
  EXPECT_EQ(to_string(DnsOutcome::nodata), "nodata");
  EXPECT_EQ(to_string(DnsOutcome::servfail), "servfail");
  EXPECT_EQ(to_string(DnsOutcome::refused), "refused");
  EXPECT_EQ(to_string(DnsOutcome::timeout), "timeout");
  EXPECT_EQ(to_string(DnsOutcome::malformed), "malformed");
  EXPECT_EQ(to_string(DnsOutcome::no_servers), "no_servers");
  EXPECT_EQ(to_string(ReachOutcome::connect_timeout), "connect_timeout");
  EXPECT_EQ(to_string(ReachOutcome::tls_timeout), "tls_timeout");
  EXPECT_EQ(to_string(ReachOutcome::cert_untrusted), "cert_untrusted");
  EXPECT_EQ(to_string(ReachOutcome::cert_hostname_mismatch), "cert_hostname_mismatch");
  EXPECT_EQ(to_string(ReachOutcome::cert_expired), "cert_expired");
  EXPECT_EQ(to_string(ReachOutcome::skipped_public), "skipped_public");
  EXPECT_EQ(to_string(Verdict::degraded), "degraded");
}

}  // namespace
}  // namespace checks
