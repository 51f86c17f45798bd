#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "report.h"

namespace sidecar {
namespace {

using checks::IntakeResult;
using checks::Verdict;

IntakeResult with_verdict(const char* name, Verdict verdict) {
  IntakeResult result;
  result.name = name;
  result.host = std::string(name) + ".pl.test";
  result.verdict = verdict;
  return result;
}

TEST(ExitCode, WorstVerdictWins) {
  EXPECT_EQ(exit_code_for({}), ExitCode::ok);
  EXPECT_EQ(exit_code_for({with_verdict("a", Verdict::ok)}), ExitCode::ok);
  EXPECT_EQ(exit_code_for({with_verdict("a", Verdict::ok), with_verdict("b", Verdict::degraded)}), ExitCode::degraded);
  EXPECT_EQ(exit_code_for({with_verdict("a", Verdict::failing), with_verdict("b", Verdict::degraded)}),
            ExitCode::failing);
}

TEST(Report, JsonHasTheDocumentedFields) {
  IntakeResult result = with_verdict("api", Verdict::degraded);
  result.dns.query_name = "api.pl.test.";
  result.dns.outcome = checks::DnsOutcome::ok;
  result.dns.addresses.push_back({*checks::parse_ip_address("10.0.0.1"), 60});
  result.dns.min_ttl = 60;
  result.dns.cname_chain.push_back({"api.pl.test", "orchid.intake.pl.test", 300});
  checks::ReachResult reach;
  reach.address = *checks::parse_ip_address("10.0.0.1");
  reach.outcome = checks::ReachOutcome::ok;
  reach.connect_time = std::chrono::microseconds(1500);
  reach.cert_days_left = 30;
  result.addresses.push_back(reach);
  result.address_class = checks::AddressClass::private_;

  auto json = results_to_json({result});
  const auto& intake = json["intakes"][0];
  EXPECT_EQ(intake["name"], "api");
  EXPECT_EQ(intake["verdict"], "degraded");
  EXPECT_EQ(intake["dns"]["outcome"], "ok");
  EXPECT_EQ(intake["dns"]["class"], "private");
  EXPECT_EQ(intake["dns"]["min_ttl"], 60);
  EXPECT_EQ(intake["dns"]["cname_chain"][0]["target"], "orchid.intake.pl.test");
  EXPECT_EQ(intake["dns"]["addresses"][0]["family"], "ipv4");
  EXPECT_EQ(intake["addresses"][0]["outcome"], "ok");
  EXPECT_DOUBLE_EQ(intake["addresses"][0]["connect_ms"].get<double>(), 1.5);
  EXPECT_TRUE(intake["addresses"][0]["tls_ms"].is_null());
  EXPECT_EQ(intake["addresses"][0]["cert_days_left"], 30);
  EXPECT_EQ(json["summary"]["degraded"], 1);
  EXPECT_EQ(json["summary"]["exit_code"], 1);
}

TEST(Report, TableShowsEveryAddressAndTheReasons) {
  IntakeResult result = with_verdict("logs", Verdict::degraded);
  result.reason = "some addresses unreachable: 10.0.0.2 connect_timeout";
  for (const char* address : {"10.0.0.1", "10.0.0.2"}) {
    checks::ReachResult reach;
    reach.address = *checks::parse_ip_address(address);
    reach.outcome = std::string(address) == "10.0.0.1" ? checks::ReachOutcome::ok : checks::ReachOutcome::connect_timeout;
    result.addresses.push_back(reach);
  }
  const std::string table = render_table({result});
  EXPECT_THAT(table, ::testing::HasSubstr("INTAKE"));
  EXPECT_THAT(table, ::testing::HasSubstr("10.0.0.1"));
  EXPECT_THAT(table, ::testing::HasSubstr("connect_timeout"));
  EXPECT_THAT(table, ::testing::HasSubstr("logs (degraded): some addresses unreachable"));
}

// status: the table agrees with the exit code (the reported verdict), and
// shows the last probe's verdict while a change is being confirmed.
TEST(Report, StatusTableShowsTheReportedVerdict) {
  nlohmann::json intakes = results_to_json({with_verdict("api", Verdict::failing), with_verdict("logs", Verdict::ok),
                                            with_verdict("trace", Verdict::ok)})["intakes"];
  intakes[0]["reported_verdict"] = "ok";    // one failed probe, not yet past unhealthy_threshold
  intakes[1]["reported_verdict"] = "ok";
  intakes[2]["reported_verdict"] = nullptr;  // no probe finished yet
  const std::string table = render_status_table(intakes);
  EXPECT_THAT(table, ::testing::HasSubstr("ok (last probe: failing)"));
  EXPECT_THAT(table, ::testing::HasSubstr("failing (no probe finished yet)"));
  EXPECT_THAT(table, ::testing::Not(::testing::HasSubstr("logs (ok")));
}

}  // namespace
}  // namespace sidecar
