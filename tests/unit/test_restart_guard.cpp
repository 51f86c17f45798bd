// The restart decision rules, one at a time, and the persisted restart history.
// Time is always passed in: nothing here sleeps.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "restart_guard.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using sidecar::AgentUpgrade;
using sidecar::PendingChange;
using sidecar::RestartBlock;
using sidecar::RestartDecision;
using History = sidecar::RestartHistory;
using sidecar::RestartPolicy;
using sidecar::RestartRecord;
using sidecar::SystemTime;
using testing::HasSubstr;

const SystemTime kNow = SystemTime(std::chrono::sys_days(std::chrono::year{2026} / 3 / 14)) + 12h;

PendingChange stable_healthy(const std::string& intake) {
  return PendingChange{intake, "CNAME now points to the PrivateLink endpoint", 3, true};
}

const std::vector<PendingChange> kOneGoodChange{stable_healthy("intake.logs.datadoghq.com")};

RestartRecord attempt(SystemTime at, std::string_view outcome = sidecar::restart_outcome::restarted) {
  return RestartRecord{at, "DNS changed", std::string(outcome), {"intake.logs.datadoghq.com"}};
}

// A policy in which only the rule under test can block.
RestartPolicy permissive() {
  RestartPolicy policy;
  policy.cooldown = 0s;
  policy.max_per_hour = 1000;
  policy.jitter = 0s;
  return policy;
}

RestartDecision decide(const RestartPolicy& policy, const History& history,
                       const std::vector<PendingChange>& changes = kOneGoodChange, const AgentUpgrade& upgrade = {},
                       SystemTime now = kNow) {
  std::mt19937_64 random(42);
  return sidecar::decide_restart(policy, history, changes, upgrade, now, random);
}

void expect_blocked(const RestartDecision& decision, RestartBlock block) {
  EXPECT_FALSE(decision.restart) << decision.explanation;
  EXPECT_EQ(decision.blocked_by, block) << decision.explanation;
  EXPECT_FALSE(decision.explanation.empty());
}

void expect_allowed(const RestartDecision& decision) {
  EXPECT_TRUE(decision.restart) << decision.explanation;
  EXPECT_EQ(decision.blocked_by, RestartBlock::none);
}

// ---- the rules ----

TEST(RestartGuard, RestartsWhenEveryRulePasses) {
  const RestartDecision decision = decide(RestartPolicy{}, History{});
  expect_allowed(decision);
  EXPECT_FALSE(decision.dry_run);
  EXPECT_LE(decision.jitter_delay, 300s);
  EXPECT_THAT(decision.explanation, HasSubstr("intake.logs.datadoghq.com"));
}

TEST(RestartGuard, DisabledBlocks) {
  RestartPolicy policy = permissive();
  policy.enabled = false;
  expect_blocked(decide(policy, {}), RestartBlock::disabled);
}

TEST(RestartGuard, NoPendingChangeBlocks) {
  expect_blocked(decide(permissive(), {}, {}), RestartBlock::nothing_changed);
}

TEST(RestartGuard, ChangeNotHeldLongEnoughBlocks) {
  std::vector<PendingChange> changes{stable_healthy("a.datadoghq.com"), stable_healthy("b.datadoghq.com")};
  changes[1].held_checks = 2;
  const RestartDecision decision = decide(permissive(), {}, changes);
  expect_blocked(decision, RestartBlock::not_stable);
  EXPECT_THAT(decision.explanation, HasSubstr("b.datadoghq.com has held its new state for 2/3 checks"));
}

TEST(RestartGuard, StableChecksBelowOneStillNeedsOneCheck) {
  RestartPolicy policy = permissive();
  policy.stable_checks = 0;
  std::vector<PendingChange> changes = kOneGoodChange;
  changes[0].held_checks = 0;
  expect_blocked(decide(policy, {}, changes), RestartBlock::not_stable);
  changes[0].held_checks = 1;
  expect_allowed(decide(policy, {}, changes));
}

TEST(RestartGuard, UnhealthyNewTargetBlocks) {
  std::vector<PendingChange> changes = kOneGoodChange;
  changes[0].target_healthy = false;
  const RestartDecision decision = decide(permissive(), {}, changes);
  expect_blocked(decision, RestartBlock::target_unhealthy);
  EXPECT_THAT(decision.explanation, HasSubstr("intake.logs.datadoghq.com"));
}

TEST(RestartGuard, AgentUpgradeBlocks) {
  const RestartDecision decision =
      decide(permissive(), {}, kOneGoodChange, AgentUpgrade{true, "datadog-agent-exp.service is active"});
  expect_blocked(decision, RestartBlock::agent_upgrading);
  EXPECT_THAT(decision.explanation, HasSubstr("datadog-agent-exp.service"));
}

TEST(RestartGuard, CooldownBlocksUntilItHasPassed) {
  RestartPolicy policy = permissive();
  policy.cooldown = 600s;
  History history;
  history.record(attempt(kNow - 599s));
  const RestartDecision decision = decide(policy, history);
  expect_blocked(decision, RestartBlock::cooldown);
  EXPECT_THAT(decision.explanation, HasSubstr("599 s ago, cooldown is 600 s"));
  expect_allowed(decide(policy, history, kOneGoodChange, {}, kNow + 1s));
}

TEST(RestartGuard, FailedRestartCountsForTheCooldown) {
  RestartPolicy policy = permissive();
  policy.cooldown = 600s;
  History history;
  history.record(attempt(kNow - 60s, sidecar::restart_outcome::failed));
  expect_blocked(decide(policy, history), RestartBlock::cooldown);
}

TEST(RestartGuard, DryRunsAndSkipsDoNotCount) {
  RestartPolicy policy = permissive();
  policy.cooldown = 600s;
  policy.max_per_hour = 1;
  History history;
  history.record(attempt(kNow - 10s, sidecar::restart_outcome::dry_run));
  history.record(attempt(kNow - 5s, sidecar::restart_outcome::skipped("cooldown")));
  expect_allowed(decide(policy, history));
}

TEST(RestartGuard, HourlyLimitBlocksUntilTheOldestRestartIsAnHourOld) {
  RestartPolicy policy = permissive();
  policy.max_per_hour = 3;
  History history;
  for (auto ago : {50min, 40min, 30min}) history.record(attempt(kNow - ago));
  const RestartDecision decision = decide(policy, history);
  expect_blocked(decision, RestartBlock::hourly_limit);
  EXPECT_THAT(decision.explanation, HasSubstr("3 restarts in the last hour (max_per_hour: 3)"));
  expect_allowed(decide(policy, history, kOneGoodChange, {}, kNow + 10min + 1s));
}

TEST(RestartGuard, StartLimitMarginHoldsWhateverThePolicySays) {
  History history;
  for (auto ago : {9s, 7s, 5s}) history.record(attempt(kNow - ago));
  expect_allowed(decide(permissive(), history));  // a 4th start within 10 s is still allowed
  history.record(attempt(kNow - 1s));
  const RestartDecision decision = decide(permissive(), history);
  expect_blocked(decision, RestartBlock::start_limit);
  EXPECT_THAT(decision.explanation, HasSubstr("4 restarts in the last 10 s"));
  expect_allowed(decide(permissive(), history, kOneGoodChange, {}, kNow + 2s));  // the 9 s-old one left the window
}

TEST(RestartGuard, ClockGoingBackwardsCountsFutureRestarts) {
  RestartPolicy policy = permissive();
  policy.cooldown = 600s;
  History history;
  history.record(attempt(kNow + 5min));
  expect_blocked(decide(policy, history), RestartBlock::cooldown);
}

TEST(RestartGuard, DryRunDecidesAndSaysItWouldRestart) {
  RestartPolicy policy = permissive();
  policy.dry_run = true;
  const RestartDecision decision = decide(policy, {});
  expect_allowed(decision);
  EXPECT_TRUE(decision.dry_run);
  EXPECT_THAT(decision.explanation, HasSubstr("would restart"));
}

TEST(RestartGuard, DryRunStillAppliesTheRules) {
  RestartPolicy policy = permissive();
  policy.dry_run = true;
  std::vector<PendingChange> changes = kOneGoodChange;
  changes[0].target_healthy = false;
  expect_blocked(decide(policy, {}, changes), RestartBlock::target_unhealthy);
}

TEST(RestartGuard, JitterStaysWithinBoundsAndVaries) {
  RestartPolicy policy = permissive();
  policy.jitter = 300s;
  std::mt19937_64 random(7);
  std::set<std::chrono::milliseconds> seen;
  for (int draw = 0; draw < 10000; ++draw) {
    const RestartDecision decision = sidecar::decide_restart(policy, {}, kOneGoodChange, {}, kNow, random);
    ASSERT_TRUE(decision.restart);
    ASSERT_GE(decision.jitter_delay, 0ms);
    ASSERT_LE(decision.jitter_delay, 300s);
    seen.insert(decision.jitter_delay);
  }
  EXPECT_GT(seen.size(), 9000u);
  EXPECT_LT(*seen.begin(), 30s);  // spread over the whole range, not bunched up
  EXPECT_GT(*seen.rbegin(), 270s);
}

TEST(RestartGuard, ZeroJitterMeansNoDelay) {
  const RestartDecision decision = decide(permissive(), {});
  expect_allowed(decision);
  EXPECT_EQ(decision.jitter_delay, 0ms);
}

TEST(RestartGuard, ConfirmAfterTheJitterUsesFreshInputsAndNoNewDelay) {
  RestartPolicy policy;
  const RestartDecision first = decide(policy, {});
  ASSERT_TRUE(first.restart);
  const SystemTime later = kNow + first.jitter_delay;

  const RestartDecision unchanged = sidecar::confirm_restart(policy, {}, kOneGoodChange, {}, later);
  expect_allowed(unchanged);
  EXPECT_EQ(unchanged.jitter_delay, 0ms);

  std::vector<PendingChange> flapped = kOneGoodChange;
  flapped[0].held_checks = 0;
  expect_blocked(sidecar::confirm_restart(policy, {}, flapped, {}, later), RestartBlock::not_stable);

  History restarted_meanwhile;
  restarted_meanwhile.record(attempt(later - 1s));
  expect_blocked(sidecar::confirm_restart(policy, restarted_meanwhile, kOneGoodChange, {}, later),
                 RestartBlock::cooldown);
}

TEST(RestartGuard, EveryBlockHasAName) {
  EXPECT_EQ(sidecar::to_string(RestartBlock::none), "none");
  EXPECT_EQ(sidecar::to_string(RestartBlock::disabled), "disabled");
  EXPECT_EQ(sidecar::to_string(RestartBlock::nothing_changed), "nothing_changed");
  EXPECT_EQ(sidecar::to_string(RestartBlock::not_stable), "not_stable");
  EXPECT_EQ(sidecar::to_string(RestartBlock::target_unhealthy), "target_unhealthy");
  EXPECT_EQ(sidecar::to_string(RestartBlock::agent_upgrading), "agent_upgrading");
  EXPECT_EQ(sidecar::to_string(RestartBlock::start_limit), "start_limit");
  EXPECT_EQ(sidecar::to_string(RestartBlock::hourly_limit), "hourly_limit");
  EXPECT_EQ(sidecar::to_string(RestartBlock::cooldown), "cooldown");
}

// ---- the history ----

class RestartHistory : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "restart-history-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    state_dir_ = pattern;
    file_ = sidecar::restart_history_file(state_dir_);
  }
  void TearDown() override { fs::remove_all(state_dir_); }

  void write_file(const std::string& text) { std::ofstream(file_) << text; }
  static std::string read_file(const fs::path& path) {
    std::ostringstream contents;
    contents << std::ifstream(path).rdbuf();
    return contents.str();
  }

  fs::path state_dir_;
  fs::path file_;
};

TEST_F(RestartHistory, LivesInTheStateDirectory) {
  EXPECT_EQ(file_.filename(), "restart-history.json");
  EXPECT_EQ(file_.parent_path(), state_dir_);
}

TEST_F(RestartHistory, MissingFileGivesAnEmptyHistoryQuietly) {
  // The first start has no file: nothing worth a warning.
  std::vector<std::string> notes;
  const History history = History::load(file_, notes);
  EXPECT_TRUE(history.records().empty());
  EXPECT_TRUE(notes.empty());
}

TEST_F(RestartHistory, UnreadableFileGivesAnEmptyHistoryAndANote) {
  std::vector<std::string> notes;
  const History history = History::load(file_.parent_path(), notes);  // a directory cannot be read as a file
  EXPECT_TRUE(history.records().empty());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_THAT(notes[0], HasSubstr("starting empty"));
}

TEST_F(RestartHistory, CorruptFileIsMovedAsideAndReplacedOnSave) {
  write_file("{\"version\": 1, \"records\": [ {\"at_unix_ms\": ");
  std::vector<std::string> notes;
  History history = History::load(file_, notes);
  EXPECT_TRUE(history.records().empty());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_THAT(notes[0], HasSubstr("corrupt"));
  EXPECT_THAT(notes[0], HasSubstr("restart-history.json.corrupt"));
  EXPECT_FALSE(fs::exists(file_));
  EXPECT_EQ(read_file(fs::path(file_) += ".corrupt"), "{\"version\": 1, \"records\": [ {\"at_unix_ms\": ");

  history.record(attempt(kNow));
  ASSERT_TRUE(history.save(file_).has_value());
  notes.clear();
  EXPECT_EQ(History::load(file_, notes).records().size(), 1u);
  EXPECT_TRUE(notes.empty());
}

TEST_F(RestartHistory, ValidJsonOfTheWrongShapeIsCorruptToo) {
  for (const std::string text : {R"({"version": 2, "records": []})", R"({"version": 1, "records": [{"at": 5}]})",
                                 R"([1, 2, 3])", R"({"version": 1, "records": [{"at_unix_ms": "soon",
                                   "reason": "", "outcome": "restarted", "intakes": []}]})"}) {
    write_file(text);
    std::vector<std::string> notes;
    EXPECT_TRUE(History::load(file_, notes).records().empty()) << text;
    ASSERT_EQ(notes.size(), 1u) << text;
    EXPECT_THAT(notes[0], HasSubstr("corrupt"));
    EXPECT_TRUE(fs::exists(fs::path(file_) += ".corrupt"));
  }
}

TEST_F(RestartHistory, RoundTripsEveryField) {
  History history;
  const SystemTime at = kNow + 123ms;
  history.record(RestartRecord{at, "CNAME changed", "restarted", {"a.datadoghq.com", "b.datadoghq.com"}});
  history.record(RestartRecord{at + 1s, "still changed", "skipped:cooldown", {}});
  ASSERT_TRUE(history.save(file_).has_value());

  std::vector<std::string> notes;
  const History loaded = History::load(file_, notes);
  EXPECT_TRUE(notes.empty());
  ASSERT_EQ(loaded.records().size(), 2u);
  const RestartRecord& first = loaded.records()[0];
  EXPECT_EQ(first.at, at);
  EXPECT_EQ(first.reason, "CNAME changed");
  EXPECT_EQ(first.outcome, "restarted");
  EXPECT_EQ(first.intakes, (std::vector<std::string>{"a.datadoghq.com", "b.datadoghq.com"}));
  EXPECT_EQ(loaded.records()[1].outcome, "skipped:cooldown");
  EXPECT_THAT(read_file(file_), HasSubstr("\"at\": \"2026-03-14T12:00:00Z\""));  // readable by people too
}

TEST_F(RestartHistory, SaveReplacesTheFileAndLeavesNoTemporary) {
  History history;
  history.record(attempt(kNow));
  ASSERT_TRUE(history.save(file_).has_value());
  history.record(attempt(kNow + 1h));
  ASSERT_TRUE(history.save(file_).has_value());
  std::vector<std::string> notes;
  EXPECT_EQ(History::load(file_, notes).records().size(), 2u);
  EXPECT_FALSE(fs::exists(fs::path(file_) += ".tmp"));
}

TEST_F(RestartHistory, SaveFailureSaysWhere) {
  const fs::path missing_dir_file = state_dir_ / "no-such-dir" / "restart-history.json";
  const checks::Expected<void> saved = History{}.save(missing_dir_file);
  ASSERT_FALSE(saved.has_value());
  EXPECT_EQ(saved.error().code, checks::ErrorCode::io);
  EXPECT_THAT(saved.error().message, HasSubstr("no-such-dir"));
  EXPECT_THAT(saved.error().message, HasSubstr("No such file or directory"));
}

TEST_F(RestartHistory, LimitsHoldAcrossASidecarRestart) {
  RestartPolicy policy;  // defaults: 600 s cooldown, 3 per hour
  policy.jitter = 0s;
  History before;
  before.record(attempt(kNow - 5min));
  ASSERT_TRUE(before.save(file_).has_value());

  std::vector<std::string> notes;  // the sidecar restarts and reads its state back
  const History after = History::load(file_, notes);
  expect_blocked(decide(policy, after), RestartBlock::cooldown);

  History busy_hour;
  for (auto ago : {55min, 40min, 20min}) busy_hour.record(attempt(kNow - ago));
  ASSERT_TRUE(busy_hour.save(file_).has_value());
  expect_blocked(decide(policy, History::load(file_, notes)), RestartBlock::hourly_limit);
}

TEST_F(RestartHistory, CountsOnlyAttemptsInTheWindow) {
  History history;
  history.record(attempt(kNow - 2h));
  history.record(attempt(kNow - 30min, sidecar::restart_outcome::failed));
  history.record(attempt(kNow - 20min, sidecar::restart_outcome::dry_run));
  history.record(attempt(kNow - 10min));
  history.record(attempt(kNow - 1min, sidecar::restart_outcome::skipped("cooldown")));
  EXPECT_EQ(history.restarts_within(kNow, 1h), 2);
  EXPECT_EQ(history.restarts_within(kNow, 3h), 3);
  EXPECT_EQ(history.restarts_within(kNow, 5min), 0);
  EXPECT_EQ(history.last_restart(), kNow - 10min);
}

TEST_F(RestartHistory, NoAttemptMeansNoLastRestart) {
  History history;
  EXPECT_FALSE(history.last_restart().has_value());
  history.record(attempt(kNow, sidecar::restart_outcome::dry_run));
  EXPECT_FALSE(history.last_restart().has_value());
}

TEST_F(RestartHistory, KeepsRecordsInTimeOrder) {
  History history;
  history.record(attempt(kNow));
  history.record(attempt(kNow - 1h));  // the wall clock went back
  history.record(attempt(kNow + 1min));
  ASSERT_EQ(history.records().size(), 3u);
  EXPECT_EQ(history.records()[0].at, kNow - 1h);
  EXPECT_EQ(history.records()[2].at, kNow + 1min);
  EXPECT_EQ(history.last_restart(), kNow + 1min);
}

TEST_F(RestartHistory, PruneDropsRecordsOlderThanADayAndAbsurdFutureOnes) {
  History history;
  history.record(attempt(kNow - 25h));
  history.record(attempt(kNow - 23h));
  history.record(attempt(kNow));
  history.record(attempt(kNow + 48h));
  history.prune(kNow);
  ASSERT_EQ(history.records().size(), 2u);
  EXPECT_EQ(history.records()[0].at, kNow - 23h);
  EXPECT_EQ(history.records()[1].at, kNow);
}

TEST_F(RestartHistory, PruneKeepsTheNewestWhenThereAreTooMany) {
  History history;
  const std::size_t total = History::kMaxRecords + 10;
  for (std::size_t index = 0; index < total; ++index) {
    history.record(attempt(kNow - std::chrono::seconds(static_cast<long>(total - index)), sidecar::restart_outcome::skipped("x")));
  }
  history.prune(kNow);
  ASSERT_EQ(history.records().size(), History::kMaxRecords);
  EXPECT_EQ(history.records().back().at, kNow - 1s);
  EXPECT_EQ(history.records().front().at, kNow - std::chrono::seconds(static_cast<long>(History::kMaxRecords)));
}

}  // namespace
