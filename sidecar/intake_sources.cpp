#include "intake_sources.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <map>

#include "agent_discovery.h"

namespace sidecar {
namespace {

bool file_exists(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0;
}

AgentSources sources_for(const Config& config, const std::optional<std::string>& version_override) {
  AgentSources sources;
  sources.config_file = config.agent.config;
  sources.environment_file = config.agent.environment_file;
  sources.version_manifest = config.agent.version_manifest;
  sources.version_override = version_override;
  return sources;
}

std::vector<Finding> findings_of(const AgentProfile& profile) {
  std::vector<Finding> findings;
  for (const auto& finding : profile.findings) {
    findings.push_back(Finding{finding.id, finding.severity, finding.key, finding.message});
  }
  return findings;
}

IntakeConfig intake_from(const DiscoveredIntake& discovered) {
  IntakeConfig intake;
  intake.name = discovered.name;
  intake.host = discovered.host;
  intake.port = discovered.port;
  intake.origin = discovered.origin;
  intake.optional = discovered.optional;
  return intake;
}

ResolvedIntakes from_config(const Config& config, std::string source) {
  ResolvedIntakes resolved;
  resolved.intakes = config.intakes;
  resolved.source = std::move(source);
  resolved.site = config.site;
  return resolved;
}

}  // namespace

checks::Expected<ResolvedIntakes> resolve_intakes(const Config& config, const EnvironmentLookup& environment,
                                                  const std::optional<std::string>& agent_version_override) {
  const bool agent_config_present = file_exists(config.agent.config);
  if (!agent_config_present && !config.agent.config_explicit) {
    auto resolved = from_config(config, config.intakes_explicit ? "config" : "site table");
    if (!config.intakes_explicit) {
      resolved.notes.push_back(fmt::format("no Agent configuration at {}: probing the core intakes of site {}",
                                           config.agent.config, config.site));
    }
    return resolved;
  }
  auto profile = discover_agent(sources_for(config, agent_version_override), environment);
  if (!profile && config.agent.config_explicit && !config.intakes_explicit) {
    return profile.error().with_prefix("Agent configuration: ");
  }
  if (!profile) {
    // Not fatal: e.g. the sidecar was installed before the Agent and is not
    // yet in the dd-agent group. Probe what we can and say why, loudly.
    auto resolved = from_config(config, config.intakes_explicit ? "config" : "site table");
    resolved.findings.push_back(Finding{"agent_config_unreadable", "error", config.agent.config,
                                        fmt::format("cannot use the Agent's configuration: {}", profile.error().message)});
    resolved.notes.push_back(fmt::format("Agent configuration not usable ({}); probing the {} intakes",
                                         profile.error().message, resolved.source));
    return resolved;
  }
  if (config.intakes_explicit) {
    // The explicit list wins, but the Agent's config is still linted.
    auto resolved = from_config(config, "config");
    resolved.findings = findings_of(*profile);
    resolved.agent_version = profile->agent_version;
    return resolved;
  }
  ResolvedIntakes resolved;
  resolved.source = "agent";
  resolved.site = profile->site;
  resolved.agent_version = profile->agent_version;
  resolved.version_unknown = !profile->agent_version.has_value();
  resolved.findings = findings_of(*profile);
  std::map<std::string, int> uses;
  for (const auto& discovered : profile->intakes) {
    auto intake = intake_from(discovered);
    // Names label metrics, so they must be unique: "api", "api-2", ...
    if (const int seen = uses[intake.name]++; seen > 0) intake.name += fmt::format("-{}", seen + 1);
    resolved.intakes.push_back(std::move(intake));
  }
  resolved.notes.push_back(fmt::format("intakes from the Agent's configuration {} (site {} from {})",
                                       config.agent.config, profile->site, profile->site_origin));
  return resolved;
}

}  // namespace sidecar
