#pragma once
// Which intakes to probe, and where each comes from: the sidecar config's
// explicit `intakes:` list wins; otherwise the Agent's own configuration
// (datadog.yaml, its environment, its version); otherwise, when there is no
// Agent config at the default path, the core intakes of `site`.
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "daemon_state.h"

namespace sidecar {

struct ResolvedIntakes {
  std::vector<IntakeConfig> intakes;
  std::string source;  // "config", "agent", "site table"
  std::string site;
  std::optional<std::string> agent_version;
  std::vector<Finding> findings;    // PrivateLink pitfalls in the Agent's config
  std::vector<std::string> notes;   // for the log: why this source was chosen
  bool version_unknown = false;     // the caller may run agent.version_command and resolve again
};

checks::Expected<ResolvedIntakes> resolve_intakes(const Config& config, const EnvironmentLookup& environment,
                                                  const std::optional<std::string>& agent_version_override = {});

}  // namespace sidecar
