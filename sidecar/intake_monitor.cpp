#include "intake_monitor.h"

#include <fmt/format.h>

#include <algorithm>

namespace sidecar {

using checks::AddressClass;
using checks::IntakeResult;
using checks::Verdict;

void Histogram::observe(double seconds) {
  for (std::size_t bucket = 0; bucket < phase_buckets.size(); ++bucket) {
    if (seconds <= phase_buckets[bucket]) ++counts[bucket];
  }
  ++count;
  sum += seconds;
}

std::string_view to_string(Phase phase) {
  switch (phase) {
    case Phase::dns: return "dns";
    case Phase::connect: return "connect";
    case Phase::tls: return "tls";
    case Phase::https: return "https";
  }
  return "unknown";
}

bool healthy_target(const IntakeResult& result) {
  return result.address_class == AddressClass::private_ && result.verdict != Verdict::failing;
}

namespace {

double seconds_of(std::chrono::microseconds duration) { return static_cast<double>(duration.count()) / 1e6; }

// Lower is better: ok < degraded < failing.
int severity(Verdict verdict) { return static_cast<int>(verdict); }

std::string join_addresses(const std::vector<checks::IpAddress>& addresses) {
  std::string text;
  for (const auto& address : addresses) text += (text.empty() ? "" : ",") + address.to_string();
  return text;
}

// Addresses answered before are remembered so that the Agent's connections to
// them can be called stale; the bound keeps a flapping name from growing it.
constexpr std::size_t max_remembered_addresses = 256;

}  // namespace

IntakeMonitor::IntakeMonitor(checks::IntakeTarget target, std::string origin, bool optional,
                             std::chrono::system_clock::time_point created)
    : target_(std::move(target)), created_(created), origin_(std::move(origin)), optional_(optional) {
  agent_.state = AgentPathState::no_connections;
}

std::optional<TransitionEvent> IntakeMonitor::observe(const IntakeResult& result, const MonitorPolicy& policy,
                                                      std::chrono::system_clock::time_point now) {
  count(result);
  track_dns(result, now);
  last_ = result;
  last_probe_end_ = now;
  return apply_thresholds(result, policy);
}

void IntakeMonitor::count(const IntakeResult& result) {
  ++probes_;
  histograms_[static_cast<std::size_t>(Phase::dns)].observe(seconds_of(result.dns.elapsed));
  for (const auto& address : result.addresses) {
    if (address.connect_time) histograms_[static_cast<std::size_t>(Phase::connect)].observe(seconds_of(*address.connect_time));
    if (address.tls_time) histograms_[static_cast<std::size_t>(Phase::tls)].observe(seconds_of(*address.tls_time));
    if (address.https && address.https->status_code != 0) {
      histograms_[static_cast<std::size_t>(Phase::https)].observe(seconds_of(address.https->total_time));
    }
    if (!checks::is_reachable(address.outcome) && address.outcome != checks::ReachOutcome::skipped_public) {
      ++failures_[std::string(checks::to_string(address.outcome))];
    }
  }
  if (result.dns.addresses.empty()) ++failures_["dns_" + std::string(checks::to_string(result.dns.outcome))];
  if (result.address_class == AddressClass::public_ || result.address_class == AddressClass::mixed ||
      result.address_class == AddressClass::unexpected) {
    ++failures_["class_" + std::string(checks::to_string(result.address_class))];
  }
}

void IntakeMonitor::track_dns(const IntakeResult& result, std::chrono::system_clock::time_point now) {
  const auto addresses = result.dns.address_list();  // sorted by the resolver
  if (addresses.empty()) return;  // a failed lookup is not an answer change
  if (!last_addresses_.empty() && addresses != last_addresses_) {
    ++dns_changes_;
    last_dns_change_ = now;
  }
  for (const auto& address : last_addresses_) {
    if (std::find(addresses.begin(), addresses.end(), address) == addresses.end()) answered_before_.insert(address);
  }
  for (const auto& address : addresses) answered_before_.erase(address);
  if (answered_before_.size() > max_remembered_addresses) answered_before_.clear();
  last_addresses_ = addresses;
  if (!baseline_class_) {
    baseline_class_ = result.address_class;
    baseline_addresses_ = addresses;
  }
}

std::optional<TransitionEvent> IntakeMonitor::apply_thresholds(const IntakeResult& result, const MonitorPolicy& policy) {
  if (!reported_) {
    reported_ = result.verdict;
    return TransitionEvent{target_.name, result.verdict, result.verdict, result.reason};
  }
  if (result.verdict == *reported_) {
    candidate_.reset();
    candidate_count_ = 0;
    return std::nullopt;
  }
  if (candidate_ == result.verdict) {
    ++candidate_count_;
  } else {
    candidate_ = result.verdict;
    candidate_count_ = 1;
  }
  const bool improving = severity(result.verdict) < severity(*reported_);
  const int needed = improving ? policy.healthy_threshold : policy.unhealthy_threshold;
  if (candidate_count_ < needed) return std::nullopt;
  TransitionEvent event{target_.name, *reported_, result.verdict, result.reason};
  reported_ = result.verdict;
  candidate_.reset();
  candidate_count_ = 0;
  return event;
}

void IntakeMonitor::observe_agent(const std::vector<AgentConnection>& connections,
                                  const std::vector<checks::Cidr>& private_cidrs, bool scan_ok) {
  agent_scanned_ = scan_ok;
  if (!scan_ok || !last_) {
    agent_ = AgentPathClassification{};
    agent_.state = AgentPathState::no_connections;
    return;
  }
  std::vector<AgentConnection> to_port;
  for (const auto& connection : connections) {
    if (connection.remote_port == target_.port) to_port.push_back(connection);
  }
  const std::vector<checks::IpAddress> history(answered_before_.begin(), answered_before_.end());
  agent_ = classify_agent_connections(to_port, last_->dns.address_list(), history, private_cidrs);
}

std::optional<std::pair<std::string, std::string>> IntakeMonitor::current_change() const {
  if (!last_) return std::nullopt;
  const AddressClass now = last_->address_class;
  if (baseline_class_ && now != *baseline_class_) {
    return std::pair{std::string("class_change"),
                     fmt::format("DNS class {} -> {}", checks::to_string(*baseline_class_), checks::to_string(now))};
  }
  if (!agent_scanned_) return std::nullopt;
  if (agent_.state == AgentPathState::stale || agent_.state == AgentPathState::partly_stale) {
    return std::pair{std::string("stale_connections"),
                     fmt::format("the Agent holds connections to addresses DNS no longer answers ({})",
                                 join_addresses(agent_.stale))};
  }
  // Only public addresses this intake's DNS answered before count: the Agent
  // also talks to other public HTTPS services (http_check, cloud APIs), and a
  // restart cannot move those, so it would repeat after every cooldown.
  std::vector<checks::IpAddress> formerly_answered;
  for (const auto& address : agent_.public_) {
    if (answered_before_.contains(address)) formerly_answered.push_back(address);
  }
  if (!formerly_answered.empty() && now == AddressClass::private_) {
    return std::pair{std::string("public_connections"),
                     fmt::format("the Agent still talks to public addresses ({}) this intake resolved to before; "
                                 "DNS now answers private ones",
                                 join_addresses(formerly_answered))};
  }
  return std::nullopt;
}

void IntakeMonitor::update_change() {
  auto change = current_change();
  if (!change) {
    change_.reset();
    return;
  }
  if (change_ && change_->reason == change->second) {
    ++change_->held_checks;
  } else {
    change_ = IntakeChange{change->first, change->second, 1, false};
  }
  change_->target_healthy = healthy_target(*last_);
}

void IntakeMonitor::accept_current_as_baseline() {
  if (last_ && last_->address_class != AddressClass::none) {
    baseline_class_ = last_->address_class;
    baseline_addresses_ = last_->dns.address_list();
  }
  change_.reset();
}

bool IntakeMonitor::transition_pending() const {
  return (candidate_ && candidate_ != reported_) || change_.has_value();
}

}  // namespace sidecar
