#include "provision/state_reader.h"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>

namespace provision {
namespace {

bool same_text(const std::string& left, const char* right) { return strcasecmp(left.c_str(), right) == 0; }

// A VPC id that does not exist is a planner problem, not a read failure.
Expected<std::optional<ObservedVpc>> read_vpc(const aws::Ec2Client& ec2, const std::string& vpc_id) {
  auto vpcs = ec2.describe_vpcs({vpc_id});
  if (vpcs.is_aws_error("InvalidVpcID.NotFound")) return std::optional<ObservedVpc>{};
  if (!vpcs) return vpcs.error();
  if (vpcs->empty()) return std::optional<ObservedVpc>{};
  ObservedVpc vpc{vpc_id, vpcs->front().cidr_block};
  auto support = ec2.describe_vpc_attribute(vpc_id, aws::VpcAttribute::enable_dns_support);
  if (!support) return support.error();
  auto hostnames = ec2.describe_vpc_attribute(vpc_id, aws::VpcAttribute::enable_dns_hostnames);
  if (!hostnames) return hostnames.error();
  vpc.dns_support = *support;
  vpc.dns_hostnames = *hostnames;
  return std::optional<ObservedVpc>{vpc};
}

// One call per subnet, so one missing id does not hide the others.
Expected<std::vector<aws::Subnet>> read_subnets(const aws::Ec2Client& ec2, const std::vector<std::string>& ids) {
  std::vector<aws::Subnet> found;
  for (const auto& id : ids) {
    auto subnets = ec2.describe_subnets({id});
    if (subnets.is_aws_error("InvalidSubnetID.NotFound")) continue;
    if (!subnets) return subnets.error();
    found.insert(found.end(), subnets->begin(), subnets->end());
  }
  return found;
}

Expected<ObservedService> read_service(const aws::Ec2Client& ec2, const std::string& service_name) {
  auto services = ec2.describe_vpc_endpoint_services({service_name});
  if (services.is_aws_error("InvalidServiceName")) return ObservedService{};
  if (!services) return services.error();
  for (const auto& service : *services) {
    if (service.service_name != service_name) continue;
    return ObservedService{true, service.availability_zones, service.private_dns_name};
  }
  return ObservedService{};
}

Expected<std::optional<aws::SecurityGroup>> read_security_group(const ProvisionConfig& config,
                                                                const aws::Ec2Client& ec2) {
  auto groups = ec2.describe_security_groups(
      {}, {{"vpc-id", {config.endpoint_vpc.vpc_id}}, {"group-name", {config.security_group_name}}});
  if (!groups) return groups.error();
  for (auto& group : *groups) {
    if (group.name == config.security_group_name) return std::optional<aws::SecurityGroup>{group};
  }
  return std::optional<aws::SecurityGroup>{};
}

Expected<std::vector<aws::VpcEndpoint>> read_endpoints(const ProvisionConfig& config, const aws::Ec2Client& ec2) {
  auto endpoints = ec2.describe_vpc_endpoints({}, {{"vpc-id", {config.endpoint_vpc.vpc_id}}});
  if (!endpoints) return endpoints.error();
  std::vector<aws::VpcEndpoint> live;
  for (auto& endpoint : *endpoints) {
    if (!is_dead_endpoint_state(endpoint.state)) live.push_back(std::move(endpoint));
  }
  return live;
}

}  // namespace

bool is_dead_endpoint_state(const std::string& state) {
  for (const char* dead : {"deleting", "deleted", "rejected", "failed", "expired"}) {
    if (same_text(state, dead)) return true;
  }
  return false;
}

Expected<ObservedState> read_state(const ProvisionConfig& config, const aws::Ec2Client& ec2) {
  ObservedState state;
  state.region = config.endpoint_vpc.region;
  auto vpc = read_vpc(ec2, config.endpoint_vpc.vpc_id);
  if (!vpc) return vpc.error();
  state.endpoint_vpc = *vpc;
  auto subnets = read_subnets(ec2, config.endpoint_vpc.subnet_ids);
  if (!subnets) return subnets.error();
  state.subnets = std::move(*subnets);
  for (const auto& agent : config.agent_vpcs) {
    auto agent_vpc = read_vpc(ec2, agent.vpc_id);
    if (!agent_vpc) return agent_vpc.error();
    if (*agent_vpc) state.agent_vpcs[agent.vpc_id] = **agent_vpc;
  }
  for (const auto& service : config.services) {
    auto observed = read_service(ec2, service.service_name);
    if (!observed) return observed.error();
    state.services[service.service_name] = std::move(*observed);
  }
  if (!state.endpoint_vpc) return state;  // nothing can live in a VPC that does not exist
  auto group = read_security_group(config, ec2);
  if (!group) return group.error();
  state.security_group = std::move(*group);
  auto endpoints = read_endpoints(config, ec2);
  if (!endpoints) return endpoints.error();
  state.endpoints = std::move(*endpoints);
  return state;
}

}  // namespace provision
