#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

#include "daemon_state.h"

namespace sidecar {
namespace {

using ::testing::HasSubstr;

DaemonState state_with_one_intake(const std::string& name) {
  DaemonState state;
  state.version = "1.2.3";
  state.revision = "abc\"def";
  state.intakes.push_back(std::make_unique<IntakeMonitor>(checks::IntakeTarget{name, "m.pl.test", 443, {}}, "file:1", false));
  checks::IntakeResult probe;
  probe.name = name;
  probe.verdict = checks::Verdict::ok;
  probe.address_class = checks::AddressClass::private_;
  probe.dns.outcome = checks::DnsOutcome::ok;
  probe.dns.addresses.push_back({*checks::parse_ip_address("10.0.0.1"), 60});
  probe.dns.min_ttl = 60;
  checks::ReachResult reach;
  reach.address = *checks::parse_ip_address("10.0.0.1");
  reach.outcome = checks::ReachOutcome::ok;
  reach.tls_time = std::chrono::microseconds(2000);
  reach.cert_days_left = 10;
  probe.addresses.push_back(reach);
  state.intakes[0]->observe(probe, MonitorPolicy{}, std::chrono::system_clock::time_point{});
  state.restarts_skipped["cooldown"] = 2;
  return state;
}

TEST(Metrics, EscapesLabelValues) {
  auto state = state_with_one_intake("we\"ird\\name\nx");
  const std::string text = render_metrics(state, {});
  EXPECT_THAT(text, HasSubstr(R"(privatelink_sidecar_build_info{version="1.2.3",revision="abc\"def"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(privatelink_sidecar_probes_total{intake="we\"ird\\name\nx"} 1)"));
}

TEST(Metrics, EveryFamilyIsOneGroupWithHelpAndTypeFirst) {
  const std::string text = render_metrics(state_with_one_intake("metrics"), {});
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  std::set<std::string> finished;
  std::string current;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (std::regex_match(line, match, std::regex(R"(# TYPE (\S+) (\S+))"))) {
      EXPECT_FALSE(finished.count(match[1])) << "family split: " << match[1];
      if (!current.empty()) finished.insert(current);
      current = match[1];
      continue;
    }
    if (line.starts_with("#")) continue;
    const std::string name = line.substr(0, line.find_first_of("{ "));
    EXPECT_TRUE(name == current || name.starts_with(current + "_")) << line << " outside " << current;
  }
}

TEST(Metrics, HistogramBucketsAreCumulativeAndEndWithInf) {
  const std::string text = render_metrics(state_with_one_intake("metrics"), {});
  EXPECT_THAT(text, HasSubstr(R"(privatelink_sidecar_phase_duration_seconds_bucket{intake="metrics",phase="tls",le="0.001"} 0)"));
  EXPECT_THAT(text, HasSubstr(R"(privatelink_sidecar_phase_duration_seconds_bucket{intake="metrics",phase="tls",le="0.0025"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(privatelink_sidecar_phase_duration_seconds_bucket{intake="metrics",phase="tls",le="+Inf"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(privatelink_sidecar_phase_duration_seconds_count{intake="metrics",phase="tls"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(privatelink_sidecar_cert_remaining_seconds{intake="metrics"} 864000)"));
  EXPECT_THAT(text, HasSubstr(R"(privatelink_sidecar_restarts_skipped_total{reason="cooldown"} 2)"));
  EXPECT_THAT(text, HasSubstr(R"(privatelink_sidecar_intake_verdict{intake="metrics",verdict="ok"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(privatelink_sidecar_intake_verdict{intake="metrics",verdict="failing"} 0)"));
}

TEST(StatusJson, CarriesTheIntakeAndTheRestartState) {
  auto json = render_status_json(state_with_one_intake("metrics"), {});
  EXPECT_EQ(json["intakes"][0]["name"], "metrics");
  EXPECT_EQ(json["intakes"][0]["reported_verdict"], "ok");
  EXPECT_EQ(json["intakes"][0]["origin"], "file:1");
  EXPECT_EQ(json["summary"]["ok"], 1);
  EXPECT_EQ(json["restart"]["skipped_by_reason"]["cooldown"], 2);
}

TEST(StatusPage, IsSelfContainedAndEscaped) {
  const std::string page = render_status_page(state_with_one_intake("<script>"), {});
  EXPECT_THAT(page, HasSubstr("&lt;script&gt;"));
  EXPECT_THAT(page, ::testing::Not(HasSubstr("<script>")));
  EXPECT_THAT(page, ::testing::Not(HasSubstr("http://")));
  EXPECT_THAT(page, ::testing::Not(HasSubstr("https://")));
}

}  // namespace
}  // namespace sidecar
