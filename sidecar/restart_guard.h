#pragma once
// When may the sidecar restart the Agent after an intake's DNS changed? Pure decision
// logic (clock and randomness injected) plus the restart history, persisted so the
// limits survive a restart of the sidecar itself.
#include <chrono>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "checks/expected.h"

namespace sidecar {

using SystemTime = std::chrono::system_clock::time_point;

struct RestartPolicy {
  bool enabled = true;
  int stable_checks = 3;  // a change must hold this many consecutive checks
  std::chrono::seconds cooldown{600};
  int max_per_hour = 3;
  std::chrono::seconds jitter{300};  // random delay in [0, jitter] before acting
  bool dry_run = false;              // decide and report, never act
};

// datadog-agent.service has StartLimitBurst=5 in StartLimitInterval=10s; one more start
// puts it into start-limit-hit. Whatever the policy says, stay one start below that.
inline constexpr int kMaxStartsInStartLimitInterval = 4;
inline constexpr std::chrono::seconds kAgentStartLimitInterval{10};
inline constexpr std::chrono::hours kRestartHistoryRetention{24};

// Outcomes written by the caller. Only restarted and failed count against the limits:
// both ran `systemctl restart`, so both count as a start for systemd.
namespace restart_outcome {
inline constexpr std::string_view restarted = "restarted";
inline constexpr std::string_view failed = "failed";
inline constexpr std::string_view dry_run = "dry_run";
inline std::string skipped(std::string_view why) { return "skipped:" + std::string(why); }
}  // namespace restart_outcome

struct RestartRecord {
  SystemTime at;
  std::string reason;
  std::string outcome;  // see restart_outcome
  std::vector<std::string> intakes;

  bool was_attempted() const;  // restarted or failed
};

// <state_dir>/restart-history.json
std::filesystem::path restart_history_file(const std::filesystem::path& state_dir);

class RestartHistory {
 public:
  // A missing or unreadable file gives an empty history and a note, never an error: the
  // sidecar must start. A corrupt file is renamed to <file>.corrupt so it can be inspected.
  static RestartHistory load(const std::filesystem::path& file, std::vector<std::string>& notes);
  // Atomic: writes <file>.tmp, fsyncs it, renames it over <file>, fsyncs the directory.
  // Blocking file I/O, accepted on the loop: a few KiB, once per restart decision.
  checks::Expected<void> save(const std::filesystem::path& file) const;

  void record(RestartRecord record);
  // Attempts at or after now - window. Records dated in the future (the clock went back)
  // count too: when unsure, restart less.
  int restarts_within(SystemTime now, std::chrono::seconds window) const;
  std::optional<SystemTime> last_restart() const;  // last attempt, dry runs and skips excluded
  // Drops records older than kRestartHistoryRetention, or further in the future than that
  // (a clock that was badly wrong), and keeps at most kMaxRecords.
  void prune(SystemTime now);

  const std::vector<RestartRecord>& records() const { return records_; }

  static constexpr std::size_t kMaxRecords = 1000;

 private:
  std::vector<RestartRecord> records_;  // oldest first
};

// One intake whose DNS answer changed and which would justify a restart.
struct PendingChange {
  std::string intake;
  std::string reason;     // "CNAME now points to ...", for logs and the history
  int held_checks = 0;    // consecutive checks the new state has held
  bool target_healthy = false;  // the new addresses pass the reachability checks
};

// Whether the Agent is being upgraded: then its `-exp` twin unit
// (datadog-agent-exp.service) may be the active one and we must not touch it.
struct AgentUpgrade {
  bool in_progress = false;
  std::string detail;  // e.g. "datadog-agent-exp.service is active"
};

enum class RestartBlock {
  none,
  disabled,
  nothing_changed,
  not_stable,
  target_unhealthy,
  agent_upgrading,
  start_limit,  // the systemd start limit margin, whatever the policy says
  hourly_limit,
  cooldown,
};
std::string_view to_string(RestartBlock block);

struct RestartDecision {
  bool restart = false;  // true in dry-run too: "would restart"
  bool dry_run = false;
  RestartBlock blocked_by = RestartBlock::none;
  std::string explanation;
  std::chrono::milliseconds jitter_delay{};  // wait this long, then call confirm_restart
};

// Step 1: evaluates every rule; when they all pass, draws a delay in [0, policy.jitter]
// so that a fleet of hosts seeing the same DNS change doesn't restart in lockstep.
RestartDecision decide_restart(const RestartPolicy& policy, const RestartHistory& history,
                               const std::vector<PendingChange>& changes, const AgentUpgrade& upgrade, SystemTime now,
                               std::mt19937_64& random);

// Step 2, after waiting jitter_delay: the same rules on fresh inputs (the change may have
// flapped back, another restart may have happened), with the jitter already spent, so
// jitter_delay is always 0. Act only if this says restart.
RestartDecision confirm_restart(const RestartPolicy& policy, const RestartHistory& history,
                                const std::vector<PendingChange>& changes, const AgentUpgrade& upgrade,
                                SystemTime now);

}  // namespace sidecar
