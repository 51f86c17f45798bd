#pragma once
// Agent discovery: reads the Datadog Agent's own configuration (datadog.yaml,
// its environment overrides, its installed version) and derives the intake
// hosts the Agent really connects to, the way the Agent derives them
// (pkg/config/utils/endpoints.go and the per-product config code). It also
// lints the configuration for settings that defeat PrivateLink.
//
// Blocking reads of small local files: call it at startup or on reload, not
// from the event loop's hot path.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checks/expected.h"
#include "config.h"

namespace sidecar {

struct AgentSources {
  std::string config_file = "/etc/datadog-agent/datadog.yaml";
  // systemd EnvironmentFile of datadog-agent.service: KEY=VALUE lines. Optional.
  std::string environment_file = "/etc/datadog-agent/environment";
  // Omnibus writes "datadog-agent <version>" on its first line. Optional.
  std::string version_manifest = "/opt/datadog-agent/version-manifest.txt";
  // e.g. parse_agent_version_output() of `datadog-agent version`, run by the
  // caller. Used only when the manifest gives no version.
  std::optional<std::string> version_override;
};

struct DiscoveredIntake {
  std::string name;  // "metrics", "logs", "traces", "additional-metrics-1", ...
  std::string host;  // never with a trailing dot: see `fqdn`
  std::uint16_t port = 443;
  std::string scheme = "https";  // "https", "http" (no TLS), or "tcp" (logs TCP transport)
  // The Agent resolves "host." (absolute name, convert_dd_site_fqdn), so the
  // resolv.conf search list never applies: probe the same absolute name.
  bool fqdn = false;
  std::string feature;    // "core", "logs", "apm", "process", "orchestrator", "remote_config", "dbm"
  bool optional = false;  // the feature is on, but the Agent may never connect (see agent_discovery.cpp)
  std::string origin;     // "datadog.yaml:12 logs_config.logs_dd_url", "env DD_SITE", "site datadoghq.com", ...
};

struct LintFinding {
  std::string id;        // stable: "proxy_not_bypassed", "logs_tcp_fallback", ...
  std::string severity;  // "warning" | "error"
  std::string key;       // the Agent setting concerned ("proxy.https", "logs_config.force_use_http")
  std::string message;
};

struct AgentProfile {
  std::string site;  // normalised: lower case, no trailing dot
  std::string site_origin;
  std::optional<std::string> agent_version;  // "x.y.z" (no pre-release: the hostnames do not carry it)
  std::string version_origin;                // "version-manifest.txt:1", "version override", "unknown"
  std::map<std::string, bool> features;      // core, logs, apm, process, containers, orchestrator, remote_config, dbm
  std::vector<DiscoveredIntake> intakes;     // de-duplicated by host:port, in discovery order
  std::vector<LintFinding> findings;
};

// Reads the files and the environment overrides the Agent honours. The
// environment file fills in only what `environment` does not set: the lookup
// stands for the Agent's real process environment, which already contains the
// file's values when systemd started it.
Expected<AgentProfile> discover_agent(const AgentSources& sources, const EnvironmentLookup& environment);

// "Agent 7.57.2 - Commit: 38ba0c7 - Serialization version: v5.0.130 - Go version: go1.22.7"
// (ANSI colours allowed) -> "7.57.2". Pre-release and build parts are dropped.
std::optional<std::string> parse_agent_version_output(std::string_view text);

// "datadog-agent 7.57.2-1" (first line of version-manifest.txt) -> "7.57.2".
std::optional<std::string> parse_version_manifest(std::string_view text);

}  // namespace sidecar
