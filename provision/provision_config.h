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
//   endpoint_vpc: {region: us-east-1, vpc_id: vpc-1, subnet_ids: [subnet-a, subnet-b]}  # region: the site's by default
//   agent_vpcs:
//     - {region: us-east-1, vpc_id: vpc-2, profile: agents}  # region: --region/AWS_REGION/profile/IMDS by default
//     # cross-region: endpoints go into each Agent VPC, so it names its subnets
//     # (and endpoint_vpc is not used):
//     - {region: eu-west-1, vpc_id: vpc-3, subnet_ids: [subnet-c, subnet-d]}
//   security_group: {name: datadog-privatelink}
//   turn_on_vpc_dns: false         # true: apply turns enableDnsSupport/Hostnames on
//   tags: {team: observability}
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "aws/credentials.h"
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
  std::optional<Located<std::vector<std::string>>> subnet_ids;
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
  std::optional<Located<bool>> turn_on_vpc_dns;
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
  std::vector<std::string> subnet_ids;  // cross-region mode: where its endpoints go
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
  EndpointVpc endpoint_vpc;  // empty in cross-region mode
  std::vector<AgentVpc> agent_vpcs;
  std::string security_group_name;
  // Off by default: flipping VPC DNS attributes changes name resolution for
  // everything in the VPC, so it is the owner's call (the plan says how).
  bool turn_on_vpc_dns = false;
  std::vector<aws::Tag> extra_tags;  // the user's; provision adds its own managed tags
};

// Where one set of endpoints goes. same-region and peering: the endpoint
// VPC; cross-region: each Agent VPC, with ServiceRegion = the site's region.
struct Placement {
  std::string region;
  std::string vpc_id;
  std::vector<std::string> subnet_ids;
  std::optional<std::string> profile;
  std::string config_key;  // "endpoint_vpc" or "agent_vpcs[2]", for messages
  bool private_dns = true;  // off in peering mode: our zones answer instead
  std::optional<std::string> service_region;  // set when the service is hosted elsewhere
  std::vector<std::string> admitted_vpc_ids;  // the VPCs whose CIDRs its group admits on 443
};

std::vector<Placement> placements(const ProvisionConfig& config);
// Peering mode: an Agent VPC other than the endpoint VPC, reached through a peering.
bool is_peered(const ProvisionConfig& config, const AgentVpc& agent);

inline constexpr const char* default_security_group_name = "privatelink-sidecar-datadog";

Expected<RawProvisionConfig> parse_provision_config(const std::string& text,
                                                    const std::string& file);
// The region of Agent VPCs that do not name one (modes cross-region and
// peering), asked only when needed: --region, AWS_REGION, the profile, IMDS.
using RegionLookup = std::function<Expected<aws::Region>()>;

// endpoint_vpc.region defaults to the site's region; an Agent VPC's region to
// `local_region` (an error when it is empty).
Expected<ProvisionConfig> finalize_provision_config(const RawProvisionConfig& raw,
                                                    const RegionLookup& local_region = {});
// Reads, parses and finalizes; the errors carry the file name.
Expected<ProvisionConfig> load_provision_config(const std::string& path, const RegionLookup& local_region = {});

}  // namespace provision
