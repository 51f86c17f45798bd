#pragma once
// Everything the daemon knows, in one place, and its three renderings:
// Prometheus text (/metrics), JSON (/status, schema in docs/status.md) and a
// small self-contained HTML page (/). The daemon owns one DaemonState and
// mutates it only on its io_context thread; the renderers only read it.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent_connections.h"
#include "intake_monitor.h"

namespace sidecar {

struct Finding {
  std::string id;
  std::string severity;  // "warning" | "error"
  std::string key;       // the Agent config key concerned, if any
  std::string message;
};

struct RestartEvent {
  std::chrono::system_clock::time_point at;
  std::string outcome;  // "restarted", "failed", "dry_run", "skipped"
  std::string reason;   // why it was wanted, or why it was not done
  std::vector<std::string> intakes;
};

struct AgentScanSummary {
  bool scanned = false;
  std::string error;  // the scan failed (not: no Agent found)
  std::size_t processes = 0;
  std::string method;  // fd, uid, fd+uid, none
  std::vector<std::string> notes;
  std::vector<AgentConnection> connections;  // established, to any intake port
};

struct DaemonState {
  std::string version;
  std::string revision;
  std::string site;
  std::string config_file;
  std::string intakes_source;  // "config", "agent", "site table"
  std::chrono::system_clock::time_point started{};
  std::chrono::milliseconds interval{};
  std::vector<std::unique_ptr<IntakeMonitor>> intakes;
  std::vector<Finding> findings;
  AgentScanSummary agent;
  std::optional<std::string> agent_version;

  std::uint64_t config_reloads = 0;
  std::uint64_t config_reload_failures = 0;
  std::map<std::string, std::uint64_t> restarts_by_reason;  // done restarts, by change kind
  std::map<std::string, std::uint64_t> restarts_dry_run;    // decided in dry run, by change kind
  std::map<std::string, std::uint64_t> restarts_skipped;    // by why not
  std::map<std::string, std::uint64_t> restarts_failed;     // the command failed, by how
  std::vector<RestartEvent> recent_restart_events;          // newest last, bounded
  std::string restart_state = "idle";                       // idle, waiting, running
  std::optional<std::chrono::system_clock::time_point> restart_due;
  bool restart_enabled = true;
  bool dry_run = false;

  bool loop_healthy = true;  // every intake probed on schedule
  std::uint64_t version_counter = 0;  // bumped on every change: lets /metrics cache its text

  void record_restart_event(RestartEvent event);
};

std::string render_metrics(const DaemonState& state, std::chrono::system_clock::time_point now);
nlohmann::json render_status_json(const DaemonState& state, std::chrono::system_clock::time_point now);
std::string render_status_page(const DaemonState& state, std::chrono::system_clock::time_point now);

}  // namespace sidecar
