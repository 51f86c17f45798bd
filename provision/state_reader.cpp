#include "provision/state_reader.h"

#include <fmt/format.h>

#include <algorithm>

#include "provision/planner.h"

namespace provision {
namespace {

// A VPC id that does not exist is a planner problem, not a read failure.
Expected<std::optional<ObservedVpc>> read_vpc(const aws::Ec2Client& ec2, const std::string& vpc_id) {
  auto vpcs = ec2.describe_vpcs({vpc_id});
  if (vpcs.is_aws_error("InvalidVpcID.NotFound")) return std::optional<ObservedVpc>{};
  if (!vpcs) return vpcs.error();
  if (vpcs->empty()) return std::optional<ObservedVpc>{};
  const aws::Vpc& found = vpcs->front();
  ObservedVpc vpc{vpc_id, found.cidr_block, false, false, found.owner_id, {}};
  for (const auto& block : found.cidr_blocks) {
    if (block != found.cidr_block) vpc.secondary_cidr_blocks.push_back(block);
  }
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

Expected<ObservedService> read_service(const aws::Ec2Client& ec2, const std::string& service_name,
                                       const std::optional<std::string>& service_region) {
  auto services = ec2.describe_vpc_endpoint_services({service_name}, service_region);
  if (services.is_aws_error("InvalidServiceName")) return ObservedService{};
  if (!services) return services.error();
  for (const auto& service : *services) {
    if (service.service_name != service_name) continue;
    return ObservedService{true, service.availability_zones, service.private_dns_name};
  }
  return ObservedService{};
}

Expected<std::optional<aws::SecurityGroup>> read_security_group(const ProvisionConfig& config,
                                                                const aws::Ec2Client& ec2, const std::string& vpc_id) {
  auto groups =
      ec2.describe_security_groups({}, {{"vpc-id", {vpc_id}}, {"group-name", {config.security_group_name}}});
  if (!groups) return groups.error();
  for (auto& group : *groups) {
    if (group.name == config.security_group_name) return std::optional<aws::SecurityGroup>{group};
  }
  return std::optional<aws::SecurityGroup>{};
}

Expected<PlacementState> read_placement(const ProvisionConfig& config, const Placement& placement,
                                        const aws::Ec2Client& ec2) {
  PlacementState state;
  auto vpc = read_vpc(ec2, placement.vpc_id);
  if (!vpc) return vpc.error();
  state.vpc = *vpc;
  auto subnets = read_subnets(ec2, placement.subnet_ids);
  if (!subnets) return subnets.error();
  state.subnets = std::move(*subnets);
  for (const auto& service : config.services) {
    auto observed = read_service(ec2, service.service_name, placement.service_region);
    if (!observed) return observed.error();
    state.services[service.service_name] = std::move(*observed);
  }
  if (!state.vpc) return state;  // nothing can live in a VPC that does not exist
  auto group = read_security_group(config, ec2, placement.vpc_id);
  if (!group) return group.error();
  state.security_group = std::move(*group);
  auto endpoints = read_live_endpoints(ec2, placement.vpc_id);
  if (!endpoints) return endpoints.error();
  state.endpoints = std::move(*endpoints);
  // The AZs of subnets an existing endpoint uses beyond the configured ones:
  // one subnet per AZ, so a configured subnet in such an AZ cannot be added.
  std::vector<std::string> others;
  for (const auto& endpoint : state.endpoints) {
    for (const auto& id : endpoint.subnet_ids) {
      const bool known = std::any_of(state.subnets.begin(), state.subnets.end(),
                                     [&](const aws::Subnet& subnet) { return subnet.id == id; });
      if (!known && std::find(others.begin(), others.end(), id) == others.end()) others.push_back(id);
    }
  }
  auto more = read_subnets(ec2, others);
  if (!more) return more.error();
  state.subnets.insert(state.subnets.end(), more->begin(), more->end());
  return state;
}

// The same VPC may be a placement and an Agent VPC: read once.
Expected<void> read_agent_vpcs(const ProvisionConfig& config, AwsClients& clients, ObservedState& state) {
  for (const auto& agent : config.agent_vpcs) {
    std::optional<ObservedVpc> vpc;
    for (const auto& placement : state.placements) {
      if (placement.vpc && placement.vpc->id == agent.vpc_id) vpc = placement.vpc;
    }
    if (!vpc) {
      auto ec2 = clients.ec2(agent_target(agent));
      if (!ec2) return ec2.error();
      auto read = read_vpc(**ec2, agent.vpc_id);
      if (!read) return read.error().with_prefix(fmt::format("{} ({}): ", agent.vpc_id, agent.region));
      vpc = *read;
    }
    if (vpc) state.agent_vpcs[agent.vpc_id] = *vpc;
  }
  return {};
}

// Both directions: a peering the Agent side requested counts too.
Expected<void> read_route_tables(const aws::Ec2Client& ec2, const std::string& vpc_id, ObservedState& state) {
  auto tables = ec2.describe_route_tables({}, {{"vpc-id", {vpc_id}}});
  if (!tables) return tables.error();
  state.route_tables[vpc_id] = std::move(*tables);
  return {};
}

Expected<ObservedZone> read_zone(const aws::Route53Client& route53, const aws::HostedZone& zone) {
  ObservedZone observed;
  auto details = route53.get_hosted_zone(zone.id);
  if (!details) return details.error();
  observed.zone = details->zone;
  observed.vpcs = details->vpcs;
  auto tags = route53.list_tags_for_hosted_zone(zone.id);
  if (!tags) return tags.error();
  observed.tags = std::move(*tags);
  auto records = route53.list_resource_record_sets(zone.id);
  if (!records) return records.error();
  for (auto& record : *records) {
    if (record.type == "A" && same_dns_name(record.name, zone.name)) observed.apex_a = std::move(record);
  }
  auto authorizations = route53.list_vpc_association_authorizations(zone.id);
  if (!authorizations) return authorizations.error();
  observed.authorizations = std::move(*authorizations);
  return observed;
}

Expected<void> read_zones(const ProvisionConfig& config, AwsClients& clients, ObservedState& state) {
  auto route53 = clients.route53(std::nullopt);
  if (!route53) return route53.error();
  for (const auto& service : config.services) {
    const std::string name = private_dns_name(state, service.service_name);
    if (name.empty() || state.zones.contains(name)) continue;
    auto zones = (*route53)->list_hosted_zones_by_name(name);
    if (!zones) return zones.error();
    auto& found = state.zones[name];
    for (const auto& zone : *zones) {
      if (!zone.private_zone || !same_dns_name(zone.name, name)) continue;
      auto observed = read_zone(**route53, zone);
      if (!observed) return observed.error();
      found.push_back(std::move(*observed));
    }
  }
  return {};
}

// Asked with the VPC owner's credentials: ListHostedZonesByVPC answers only
// for VPCs of the caller's account.
Expected<void> read_zones_of_vpc(AwsClients& clients, const std::optional<std::string>& profile,
                                 const aws::ZoneVpc& vpc, ObservedState& state) {
  auto route53 = clients.route53(profile);
  if (!route53) return route53.error();
  auto zones = (*route53)->list_hosted_zones_by_vpc(vpc);
  if (!zones) return zones.error().with_prefix(fmt::format("ListHostedZonesByVPC {}: ", vpc.vpc_id));
  state.zones_by_vpc[vpc.vpc_id] = std::move(*zones);
  return {};
}

Expected<void> read_peering_side(const ProvisionConfig& config, AwsClients& clients, ObservedState& state) {
  auto ec2 = clients.ec2({config.endpoint_vpc.region, std::nullopt});
  if (!ec2) return ec2.error();
  auto peerings = read_live_peerings(**ec2, config.endpoint_vpc.vpc_id);
  if (!peerings) return peerings.error();
  state.peerings = std::move(*peerings);
  SIDECAR_TRY(read_route_tables(**ec2, config.endpoint_vpc.vpc_id, state));
  for (const auto& agent : config.agent_vpcs) {
    if (!is_peered(config, agent) || !state.agent_vpcs.contains(agent.vpc_id)) continue;
    auto agent_ec2 = clients.ec2(agent_target(agent));
    if (!agent_ec2) return agent_ec2.error();
    SIDECAR_TRY(read_route_tables(**agent_ec2, agent.vpc_id, state));
    SIDECAR_TRY(read_zones_of_vpc(clients, agent.profile, {agent.region, agent.vpc_id}, state));
  }
  SIDECAR_TRY(read_zones_of_vpc(clients, std::nullopt, {config.endpoint_vpc.region, config.endpoint_vpc.vpc_id}, state));
  return read_zones(config, clients, state);
}

}  // namespace


Expected<std::vector<aws::VpcEndpoint>> read_live_endpoints(const aws::Ec2Client& ec2, const std::string& vpc_id) {
  auto endpoints = ec2.describe_vpc_endpoints({}, {{"vpc-id", {vpc_id}}});
  if (!endpoints) return endpoints.error().with_prefix("DescribeVpcEndpoints: ");
  std::vector<aws::VpcEndpoint> live;
  for (auto& endpoint : *endpoints) {
    if (!is_dead_endpoint_state(endpoint.state)) live.push_back(std::move(endpoint));
  }
  return live;
}

// A peering the Agent side requested counts too, hence both filters.
Expected<std::vector<aws::VpcPeeringConnection>> read_live_peerings(const aws::Ec2Client& ec2,
                                                                    const std::string& vpc_id) {
  std::vector<aws::VpcPeeringConnection> live;
  for (const char* side : {"requester-vpc-info.vpc-id", "accepter-vpc-info.vpc-id"}) {
    auto peerings = ec2.describe_vpc_peering_connections({}, {{side, {vpc_id}}});
    if (!peerings) return peerings.error().with_prefix("DescribeVpcPeeringConnections: ");
    for (auto& peering : *peerings) {
      const bool seen = std::any_of(live.begin(), live.end(), [&](const auto& known) { return known.id == peering.id; });
      if (!seen && !is_dead_peering_state(peering.status_code)) live.push_back(std::move(peering));
    }
  }
  return live;
}

Expected<ObservedState> read_state(const ProvisionConfig& config, AwsClients& clients) {
  ObservedState state;
  for (const Placement& placement : placements(config)) {
    auto ec2 = clients.ec2({placement.region, placement.profile});
    if (!ec2) return ec2.error();
    auto observed = read_placement(config, placement, **ec2);
    if (!observed) return observed.error();
    state.placements.push_back(std::move(*observed));
  }
  SIDECAR_TRY(read_agent_vpcs(config, clients, state));
  if (config.mode != Mode::peering || !state.placements.front().vpc) return state;
  SIDECAR_TRY(read_peering_side(config, clients, state));
  return state;
}

}  // namespace provision
