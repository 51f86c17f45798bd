#pragma once
// What the daemon remembers about one intake between probes: the verdict
// after healthy/unhealthy thresholds, the DNS answer it last acted on, the
// change (if any) that may warrant an Agent restart and how long it has held,
// the Agent's own connections, and the cumulative counters for /metrics.
// Pure logic: no I/O, no clocks of its own (times are passed in).
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent_connections.h"
#include "checks/intake.h"

namespace sidecar {

// Fixed buckets (seconds) for every phase histogram: low cardinality; slower
// phases land in +Inf (a healthy PrivateLink phase takes milliseconds).
inline constexpr std::array<double, 11> phase_buckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                          0.1,   0.25,   0.5,   1.0,  2.5};

struct Histogram {
  std::array<std::uint64_t, phase_buckets.size()> counts{};  // cumulative per bucket, as Prometheus wants
  std::uint64_t count = 0;
  double sum = 0;
  void observe(double seconds);
};

enum class Phase { dns, connect, tls, https };
inline constexpr std::array<Phase, 4> all_phases = {Phase::dns, Phase::connect, Phase::tls, Phase::https};
std::string_view to_string(Phase phase);

struct MonitorPolicy {
  int healthy_threshold = 2;
  int unhealthy_threshold = 2;
};

// A change that may need the Agent restarted, and for how many consecutive
// probes it has held (the debounce).
struct IntakeChange {
  std::string kind;    // class_change, stale_connections, public_connections: a metric label
  std::string reason;  // "class public -> private", "agent holds stale connections", ...
  int held_checks = 0;
  bool target_healthy = false;  // the new state is private and reachable
};

struct TransitionEvent {
  std::string intake;
  checks::Verdict from;
  checks::Verdict to;
  std::string reason;
};

class IntakeMonitor {
 public:
  IntakeMonitor(checks::IntakeTarget target, std::string origin, bool optional,
                std::chrono::system_clock::time_point created = {});
  // When it was added (start or reload): the probe loop's health is measured from here until the first result.
  std::chrono::system_clock::time_point created() const { return created_; }

  // Feeds one finished probe. Returns a transition of the reported verdict,
  // if this result completed one (the first result counts at once).
  std::optional<TransitionEvent> observe(const checks::IntakeResult& result, const MonitorPolicy& policy,
                                         std::chrono::system_clock::time_point now);
  // Feeds the Agent's connections to this intake's port (after observe()).
  void observe_agent(const std::vector<AgentConnection>& connections, const std::vector<checks::Cidr>& private_cidrs,
                     bool scan_ok);
  // Updates the restart candidate from the latest DNS and Agent state.
  void update_change();

  // The Agent was restarted (or a dry run acted): the current answer becomes
  // the baseline it is assumed to use.
  void accept_current_as_baseline();

  // A transition is waiting for confirmation: probe again sooner.
  bool transition_pending() const;

  const checks::IntakeTarget& target() const { return target_; }
  const std::string& origin() const { return origin_; }
  bool optional() const { return optional_; }
  const std::optional<checks::IntakeResult>& last() const { return last_; }
  std::optional<checks::Verdict> reported() const { return reported_; }
  const std::optional<IntakeChange>& change() const { return change_; }
  const AgentPathClassification& agent() const { return agent_; }
  bool agent_scanned() const { return agent_scanned_; }
  std::optional<std::chrono::system_clock::time_point> last_dns_change() const { return last_dns_change_; }
  std::optional<std::chrono::system_clock::time_point> last_probe_end() const { return last_probe_end_; }
  std::uint64_t probes() const { return probes_; }
  std::uint64_t dns_changes() const { return dns_changes_; }
  const std::map<std::string, std::uint64_t>& failures() const { return failures_; }
  const Histogram& histogram(Phase phase) const { return histograms_[static_cast<std::size_t>(phase)]; }
  std::optional<checks::AddressClass> baseline_class() const { return baseline_class_; }

 private:
  void count(const checks::IntakeResult& result);
  void track_dns(const checks::IntakeResult& result, std::chrono::system_clock::time_point now);
  std::optional<TransitionEvent> apply_thresholds(const checks::IntakeResult& result, const MonitorPolicy& policy);
  std::optional<std::pair<std::string, std::string>> current_change() const;  // kind, reason

  checks::IntakeTarget target_;
  std::chrono::system_clock::time_point created_;
  std::string origin_;
  bool optional_ = false;

  std::optional<checks::IntakeResult> last_;
  std::optional<std::chrono::system_clock::time_point> last_probe_end_;
  std::optional<checks::Verdict> reported_;
  std::optional<checks::Verdict> candidate_;
  int candidate_count_ = 0;

  // DNS: what the Agent is assumed to use (set at the first answer and after
  // every restart), the answer seen last, and every address answered before.
  std::optional<checks::AddressClass> baseline_class_;
  std::vector<checks::IpAddress> baseline_addresses_;
  std::vector<checks::IpAddress> last_addresses_;
  std::set<checks::IpAddress> answered_before_;
  std::optional<std::chrono::system_clock::time_point> last_dns_change_;
  std::uint64_t dns_changes_ = 0;

  AgentPathClassification agent_{};
  bool agent_scanned_ = false;
  std::optional<IntakeChange> change_;

  std::uint64_t probes_ = 0;
  std::map<std::string, std::uint64_t> failures_;  // by reason
  std::array<Histogram, all_phases.size()> histograms_{};
};

// A verdict fit to restart into: private and at least partly reachable.
bool healthy_target(const checks::IntakeResult& result);

}  // namespace sidecar
