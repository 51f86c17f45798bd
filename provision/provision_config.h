#pragma once
// provision.yaml: what `privatelink-sidecar provision` should build. Read in
// two steps, as sidecar.yaml is: YAML -> RawProvisionConfig (everything
// optional, with locations) -> finalize -> ProvisionConfig (defaults applied,
// every cross-field rule checked). Errors name file:line:column and the key
// path; unknown keys are errors.
//
//   site: US1                      # or datadoghq.com; the service region follows
//   mode: same-region              # same-region | cross-region | peering
//   services: [metrics, logs]      # short names or com.amazonaws.vpce... names; default: all
//   endpoint_vpc: {region: us-east-1, vpc_id: vpc-1, subnet_ids: [subnet-a, subnet-b]}
//   agent_vpcs:
//     - {region: us-east-1, vpc_id: vpc-2, profile: agents}
//   security_group: {name: datadog-privatelink}
//   tags: {team: observability}
#include <optional>
#include <string>
#include <vector>

#include "aws/ec2.h"
#include "checks/expected.h"
#include "yaml_reader.h"

namespace provision {

using checks::Error;
using checks::Expected;
using sidecar::Located;
using sidecar::Location;

enum class Mode { same_region, cross_region, peering };
const char* to_string(Mode mode);

struct RawAgentVpc {
  Location where;
  std::optional<Located<std::string>> region;
  std::optional<Located<std::string>> vpc_id;
  std::optional<Located<std::string>> profile;
};

struct RawProvisionConfig {
  std::string file;
  std::optional<Located<std::string>> site;
  std::optional<Located<std::string>> mode;
  std::optional<Located<std::vector<std::string>>> services;
  Location endpoint_vpc_where;
  std::optional<Located<std::string>> endpoint_region;
  std::optional<Located<std::string>> endpoint_vpc_id;
  std::optional<Located<std::vector<std::string>>> subnet_ids;
  std::optional<Located<std::vector<RawAgentVpc>>> agent_vpcs;
  std::optional<Located<std::string>> security_group_name;
  std::vector<Located<aws::Tag>> tags;  // in file order
};

struct ServiceChoice {
  std::string short_name;    // "metrics"; the service id when given as a full name
  std::string service_name;  // com.amazonaws.vpce.<region>.vpce-svc-<id>
};

struct AgentVpc {
  std::string region;
  std::string vpc_id;
  std::optional<std::string> profile;  // AWS profile for that account; none = default chain
};

struct EndpointVpc {
  std::string region;
  std::string vpc_id;
  std::vector<std::string> subnet_ids;  // one per AZ (checked against AWS by the planner)
};

struct ProvisionConfig {
  std::string file;
  std::string site_domain;  // "datadoghq.com"
  std::string site_label;   // "US1"
  std::string site_region;  // where Datadog's endpoint services live
  Mode mode = Mode::same_region;
  std::vector<ServiceChoice> services;
  EndpointVpc endpoint_vpc;
  std::vector<AgentVpc> agent_vpcs;
  std::string security_group_name;
  std::vector<aws::Tag> extra_tags;  // the user's; provision adds its own managed tags
};

inline constexpr const char* default_security_group_name = "privatelink-sidecar-datadog";

Expected<RawProvisionConfig> parse_provision_config(const std::string& text,
                                                    const std::string& file);
Expected<ProvisionConfig> finalize_provision_config(const RawProvisionConfig& raw);
// Reads, parses and finalizes; the errors carry the file name.
Expected<ProvisionConfig> load_provision_config(const std::string& path);

}  // namespace provision
