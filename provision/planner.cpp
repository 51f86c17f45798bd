#include "provision/planner.h"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <map>
#include <set>

#include "checks/cidr.h"
#include "provision/service_catalog.h"

namespace provision {
namespace {

Action make_action(std::string description, CallTarget target, ActionDetails details) {
  return Action{std::move(description), std::move(target), std::move(details)};
}

bool contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

class Planner {
 public:
  Planner(const ProvisionConfig& config, const ObservedState& state)
      : config_(config), state_(state), placements_(placements(config)) {}

  Plan run() {
    check_agent_vpcs();
    check_overlaps();
    for (std::size_t index = 0; index < placements_.size(); ++index) check_placement(index);
    plan_vpc_dns();
    for (std::size_t index = 0; index < placements_.size(); ++index) {
      if (!placement_state(index).vpc) continue;
      plan_security_group(index);
      for (const auto& service : config_.services) plan_endpoint(index, service);
    }
    if (config_.mode == Mode::peering) {
      for (const auto& agent : config_.agent_vpcs) {
        if (is_peered(config_, agent)) plan_peering(agent);
      }
      for (const auto& service : config_.services) plan_zone(service);
    }
    return std::move(plan_);
  }

 private:
  void problem(std::string subject, std::string message) {
    plan_.problems.push_back({std::move(subject), std::move(message)});
  }

  const PlacementState& placement_state(std::size_t index) const {
    static const PlacementState nothing;
    return index < state_.placements.size() ? state_.placements[index] : nothing;
  }

  CallTarget placement_target(std::size_t index) const {
    return {placements_[index].region, placements_[index].profile};
  }

  // ------------------------------------------------------------ checks

  void check_agent_vpcs() {
    for (std::size_t index = 0; index < config_.agent_vpcs.size(); ++index) {
      const AgentVpc& agent = config_.agent_vpcs[index];
      if (state_.agent_vpcs.contains(agent.vpc_id)) continue;
      problem(fmt::format("agent_vpcs[{}]", index),
              fmt::format("{} does not exist in {}{}", agent.vpc_id, agent.region,
                          agent.profile ? fmt::format(" (profile {})", *agent.profile) : ""));
    }
  }

  // Distinct VPCs that will route to each other must not overlap; the same
  // VPC listed as endpoint and Agent VPC is fine. Cross-region placements are
  // separate networks, so only peering and same-region VPCs are compared.
  void check_overlaps() {
    if (config_.mode == Mode::cross_region) return;
    std::map<std::string, const ObservedVpc*> vpcs;
    const auto& endpoint_vpc = placement_state(0).vpc;
    if (endpoint_vpc) vpcs[endpoint_vpc->id] = &*endpoint_vpc;
    for (const auto& [id, vpc] : state_.agent_vpcs) vpcs[id] = &vpc;
    for (auto left = vpcs.begin(); left != vpcs.end(); ++left) {
      for (auto right = std::next(left); right != vpcs.end(); ++right) {
        const auto blocks = overlapping_blocks(*left->second, *right->second);
        if (!blocks) continue;
        overlapping_.insert(left->first);
        overlapping_.insert(right->first);
        problem("agent_vpcs", fmt::format("{} ({}) and {} ({}) overlap: traffic between them cannot be routed",
                                          left->first, blocks->first, right->first, blocks->second));
      }
    }
  }

  void check_placement(std::size_t index) {
    const Placement& placement = placements_[index];
    const PlacementState& observed = placement_state(index);
    if (!observed.vpc) {
      problem(placement.config_key + ".vpc_id",
              fmt::format("{} does not exist in {}", placement.vpc_id, placement.region));
      return;
    }
    check_subnets(placement, observed);
    for (const auto& service : config_.services) check_service(placement, observed, service);
  }

  static const aws::Subnet* find_subnet(const PlacementState& observed, const std::string& id) {
    for (const auto& subnet : observed.subnets) {
      if (subnet.id == id) return &subnet;
    }
    return nullptr;
  }

  void check_subnets(const Placement& placement, const PlacementState& observed) {
    const std::string key = placement.config_key + ".subnet_ids";
    std::map<std::string, std::string> subnet_by_zone;
    for (const auto& id : placement.subnet_ids) {
      const aws::Subnet* subnet = find_subnet(observed, id);
      if (subnet == nullptr) {
        problem(key, fmt::format("{} does not exist in {}", id, placement.region));
        continue;
      }
      if (subnet->vpc_id != placement.vpc_id) {
        problem(key, fmt::format("{} is in {}, not in {}", id, subnet->vpc_id, placement.vpc_id));
      }
      auto [existing, inserted] = subnet_by_zone.emplace(subnet->availability_zone, id);
      if (!inserted) {
        problem(key, fmt::format("{} and {} are both in {}: an endpoint takes one subnet per AZ", existing->second,
                                 id, subnet->availability_zone));
      }
    }
  }

  // Where the service must be hosted for this placement to use it.
  std::string expected_host_region(const Placement& placement) const {
    return placement.service_region.value_or(placement.region);
  }

  void check_service(const Placement& placement, const PlacementState& observed, const ServiceChoice& service) {
    const std::string subject = "services." + service.short_name;
    const auto region = hosted_region(service.service_name);
    if (region && *region != expected_host_region(placement)) {
      problem(subject, wrong_region_message(placement, service, *region));
      unusable_.insert({placement.vpc_id, service.service_name});
      return;
    }
    const auto found = observed.services.find(service.service_name);
    if ((found == observed.services.end() || !found->second.found) && placement.service_region) {
      problem(subject, fmt::format("{} is not offered to {} through cross-region PrivateLink "
                                   "(DescribeVpcEndpointServices with ServiceRegion {} does not list it); use mode "
                                   "peering for Agents in {}",
                                   service.service_name, placement.region, *placement.service_region,
                                   placement.region));
      unusable_.insert({placement.vpc_id, service.service_name});
      return;
    }
    if (found == observed.services.end() || !found->second.found) {
      problem(subject, fmt::format("{} is not offered in {} (DescribeVpcEndpointServices does not know it); "
                                   "check the id against Datadog's PrivateLink guide",
                                   service.service_name, placement.region));
      unusable_.insert({placement.vpc_id, service.service_name});
      return;
    }
    check_zones(subject, placement, observed, found->second);
  }

  std::string wrong_region_message(const Placement& placement, const ServiceChoice& service,
                                   const std::string& host) const {
    if (config_.mode == Mode::cross_region) {
      return fmt::format("{} is hosted in {}, but site {} is served from {}: the service was verified in the "
                         "wrong region",
                         service.service_name, host, config_.site_label, config_.site_region);
    }
    return fmt::format("{} is hosted in {}, but {}.region is {}: the service was verified in the wrong region. "
                       "Mode {} needs the endpoint VPC in {} (or use mode cross-region)",
                       service.service_name, host, placement.config_key, placement.region, to_string(config_.mode),
                       host);
  }

  void check_zones(const std::string& subject, const Placement& placement, const PlacementState& observed,
                   const ObservedService& service) {
    const auto& zones = service.availability_zones;
    for (const auto& id : placement.subnet_ids) {
      const aws::Subnet* subnet = find_subnet(observed, id);
      if (subnet == nullptr || zones.empty() || contains(zones, subnet->availability_zone)) continue;
      problem(subject, fmt::format("subnet {} is in {}, where the service is not offered (offered in: {})", id,
                                   subnet->availability_zone, fmt::join(zones, ", ")));
    }
  }

  // ------------------------------------------------------------ VPC DNS

  // Private DNS on an endpoint and private zones both need the two
  // attributes on (AWS rejects the former and silently ignores the latter).
  void plan_vpc_dns() {
    std::set<std::string> seen;
    for (std::size_t index = 0; index < placements_.size(); ++index) {
      const auto& vpc = placement_state(index).vpc;
      if (vpc && seen.insert(vpc->id).second) plan_vpc_dns(*vpc, placement_target(index), placements_[index].config_key);
    }
    if (config_.mode != Mode::peering) return;
    for (std::size_t index = 0; index < config_.agent_vpcs.size(); ++index) {
      const AgentVpc& agent = config_.agent_vpcs[index];
      const auto found = state_.agent_vpcs.find(agent.vpc_id);
      if (found == state_.agent_vpcs.end() || !seen.insert(agent.vpc_id).second) continue;
      plan_vpc_dns(found->second, agent_target(agent), fmt::format("agent_vpcs[{}]", index));
    }
  }

  void plan_vpc_dns(const ObservedVpc& vpc, const CallTarget& target, const std::string& key) {
    if (!vpc.dns_support) plan_dns_attribute(vpc.id, target, key, aws::VpcAttribute::enable_dns_support);
    if (!vpc.dns_hostnames) plan_dns_attribute(vpc.id, target, key, aws::VpcAttribute::enable_dns_hostnames);
  }

  void plan_dns_attribute(const std::string& vpc_id, const CallTarget& target, const std::string& key,
                          aws::VpcAttribute attribute) {
    const bool support = attribute == aws::VpcAttribute::enable_dns_support;
    const char* name = support ? "enableDnsSupport" : "enableDnsHostnames";
    if (!config_.turn_on_vpc_dns) {
      problem(key + ".vpc_id",
              fmt::format("{} has {} off; private DNS needs it. Set turn_on_vpc_dns: true, or run "
                          "aws ec2 modify-vpc-attribute --vpc-id {} {}",
                          vpc_id, name, vpc_id, support ? "--enable-dns-support" : "--enable-dns-hostnames"));
      return;
    }
    plan_.actions.push_back(make_action(fmt::format("turn on {} in {}", name, vpc_id), target,
                                        actions::TurnOnVpcDns{vpc_id, attribute}));
  }

  // ------------------------------------------------------------ endpoints

  void plan_security_group(std::size_t index) {
    const Placement& placement = placements_[index];
    const std::vector<std::string> cidrs = admitted_cidrs(placement, state_);
    const auto& group = placement_state(index).security_group;
    if (!group) {
      plan_.actions.push_back(make_action(
          fmt::format("create security group {} in {}", config_.security_group_name, placement.vpc_id),
          placement_target(index),
          actions::CreateSecurityGroup{index, placement.vpc_id, managed_tags(config_, config_.security_group_name)}));
      if (!cidrs.empty()) plan_authorize(index, "", cidrs);
      return;
    }
    plan_.keeps.push_back({fmt::format("security group {} in {}", group->name, placement.vpc_id), group->id,
                           is_managed(group->tags)});
    const auto missing = missing_ingress(*group, cidrs);
    if (!missing.empty()) plan_authorize(index, group->id, missing);
  }

  void plan_authorize(std::size_t index, const std::string& group_id, const std::vector<std::string>& cidrs) {
    plan_.actions.push_back(make_action(
        fmt::format("allow tcp/{} from {} in security group {}", https_port, fmt::join(cidrs, ", "),
                    group_id.empty() ? config_.security_group_name : group_id),
        placement_target(index), actions::AuthorizeIngress{index, group_id, cidrs}));
  }

  // A service with a problem here (wrong region, not offered) gets no
  // endpoint action: the plan says why instead.
  void plan_endpoint(std::size_t index, const ServiceChoice& service) {
    const Placement& placement = placements_[index];
    if (unusable_.contains({placement.vpc_id, service.service_name})) return;
    const PlacementState& observed = placement_state(index);
    const aws::VpcEndpoint* existing = find_endpoint(observed, service.service_name);
    if (existing == nullptr) {
      actions::CreateEndpoint create;
      create.placement = index;
      create.vpc_id = placement.vpc_id;
      create.service = service;
      if (observed.security_group) create.security_group_id = observed.security_group->id;
      create.subnet_ids = placement.subnet_ids;
      create.private_dns = placement.private_dns;
      create.tags = managed_tags(config_, "datadog-" + service.short_name, service.short_name);
      plan_.actions.push_back(make_action(
          fmt::format("create endpoint for {} ({}{}) in {}, private DNS {}", service.short_name,
                      service.service_name,
                      placement.service_region ? ", from " + *placement.service_region : "",
                      fmt::join(placement.subnet_ids, ", "), placement.private_dns ? "on" : "off"),
          placement_target(index), std::move(create)));
      return;
    }
    plan_.keeps.push_back({fmt::format("endpoint for {} in {} ({})", service.short_name, placement.vpc_id,
                                       existing->state),
                           existing->id, is_managed(existing->tags)});
    plan_endpoint_changes(index, service, *existing);
  }

  // An endpoint that exists but differs (subnets missing, private DNS the
  // wrong way for the mode, our group not attached) is changed in place with
  // ModifyVpcEndpoint, never re-created: its DNS names stay the same.
  void plan_endpoint_changes(std::size_t index, const ServiceChoice& service, const aws::VpcEndpoint& endpoint) {
    const Placement& placement = placements_[index];
    const std::vector<std::string> missing_subnets = subnets_to_add(index, service, endpoint);
    const auto& group = placement_state(index).security_group;
    const bool group_missing = !group || !uses_group(endpoint, group->id);
    const bool dns_differs = endpoint.private_dns_enabled != placement.private_dns;
    if (missing_subnets.empty() && !group_missing && !dns_differs) return;
    std::vector<std::string> changes;
    if (!missing_subnets.empty()) changes.push_back(fmt::format("add subnet(s) {}", fmt::join(missing_subnets, ", ")));
    if (group_missing) changes.push_back(fmt::format("attach security group {}", config_.security_group_name));
    if (dns_differs) changes.push_back(fmt::format("turn private DNS {}", placement.private_dns ? "on" : "off"));
    actions::ModifyEndpoint modify;
    modify.placement = index;
    modify.endpoint_id = endpoint.id;
    modify.service = service;
    modify.add_subnet_ids = std::move(missing_subnets);
    modify.attach_group = group_missing;
    if (group) modify.security_group_id = group->id;
    modify.private_dns = placement.private_dns;
    plan_.actions.push_back(make_action(
        fmt::format("change endpoint {} for {}: {}", endpoint.id, service.short_name, fmt::join(changes, ", ")),
        placement_target(index), std::move(modify)));
  }

  // The configured subnets the endpoint lacks. One in an AZ where the
  // endpoint already has another subnet cannot be added (one per AZ): a
  // problem, since replacing the subnet would move the endpoint's address.
  std::vector<std::string> subnets_to_add(std::size_t index, const ServiceChoice& service,
                                          const aws::VpcEndpoint& endpoint) {
    const PlacementState& observed = placement_state(index);
    std::vector<std::string> missing;
    for (const auto& id : placements_[index].subnet_ids) {
      if (contains(endpoint.subnet_ids, id)) continue;
      const aws::Subnet* wanted = find_subnet(observed, id);
      const aws::Subnet* taken = nullptr;
      for (const auto& used : endpoint.subnet_ids) {
        const aws::Subnet* subnet = find_subnet(observed, used);
        if (wanted != nullptr && subnet != nullptr && subnet->availability_zone == wanted->availability_zone) taken = subnet;
      }
      if (taken == nullptr) {
        missing.push_back(id);
        continue;
      }
      problem("services." + service.short_name,
              fmt::format("endpoint {} already uses subnet {} in {}, not {}; list {} instead (or move the endpoint "
                          "by hand)",
                          endpoint.id, taken->id, taken->availability_zone, id, taken->id));
    }
    return missing;
  }

  // ------------------------------------------------------------ peering

  const ObservedVpc* endpoint_vpc() const {
    const auto& vpc = placement_state(0).vpc;
    return vpc ? &*vpc : nullptr;
  }

  void plan_peering(const AgentVpc& agent) {
    const auto found = state_.agent_vpcs.find(agent.vpc_id);
    const ObservedVpc* ours = endpoint_vpc();
    // Missing or overlapping: already a problem; routes would only add noise.
    if (found == state_.agent_vpcs.end() || ours == nullptr || overlapping_.contains(agent.vpc_id)) return;
    const ObservedVpc& theirs = found->second;
    const aws::VpcPeeringConnection* peering = find_peering(state_, ours->id, agent.vpc_id);
    std::string peering_id;
    if (peering == nullptr) {
      plan_create_peering(agent, theirs);
      plan_accept(agent);
    } else {
      peering_id = peering->id;
      plan_.keeps.push_back({fmt::format("peering {} <-> {} ({})", ours->id, agent.vpc_id, peering->status_code),
                             peering->id, is_managed(peering->tags)});
      if (!plan_existing_peering(agent, *peering)) return;
    }
    // One route per block of the other side: a secondary block (EKS pods,
    // say) is as much a source of Agent traffic as the primary.
    for (const auto& block : theirs.cidr_blocks()) {
      plan_routes(config_.endpoint_vpc.vpc_id, endpoint_target(config_), block, agent, peering_id);
    }
    for (const auto& block : ours->cidr_blocks()) plan_routes(agent.vpc_id, agent_target(agent), block, agent, peering_id);
  }

  void plan_create_peering(const AgentVpc& agent, const ObservedVpc& theirs) {
    const bool other_account = is_other_account(state_, agent.vpc_id);
    actions::CreatePeering create;
    create.vpc_id = config_.endpoint_vpc.vpc_id;
    create.peer_vpc_id = agent.vpc_id;
    create.peer_region = agent.region;
    if (other_account) create.peer_owner_id = theirs.owner_id;
    create.tags = managed_tags(config_, "datadog-privatelink-" + agent.vpc_id);
    plan_.actions.push_back(make_action(
        fmt::format("create peering {} ({}) -> {} ({}{})", config_.endpoint_vpc.vpc_id, config_.endpoint_vpc.region,
                    agent.vpc_id, agent.region, other_account ? ", account " + theirs.owner_id : ""),
        endpoint_target(config_), std::move(create)));
  }

  // The accepter accepts, in its own region: the Agent VPC's account for
  // the peerings provision requests, the endpoint VPC's for one that the
  // Agent side requested.
  void plan_accept(const AgentVpc& agent, const aws::VpcPeeringConnection* existing = nullptr) {
    const bool agent_requested = existing != nullptr && existing->requester.vpc_id == agent.vpc_id;
    const CallTarget target = agent_requested ? endpoint_target(config_) : agent_target(agent);
    const std::string& accepter = agent_requested ? config_.endpoint_vpc.vpc_id : agent.vpc_id;
    plan_.actions.push_back(make_action(fmt::format("accept the peering in {} ({}{})", accepter, target.region,
                                                    target.profile ? ", profile " + *target.profile : ""),
                                        target,
                                        actions::AcceptPeering{agent.vpc_id, existing ? existing->id : ""}));
  }

  // Returns whether routes can be planned over it.
  bool plan_existing_peering(const AgentVpc& agent, const aws::VpcPeeringConnection& peering) {
    const std::string& status = peering.status_code;
    if (status == "active" || status == "provisioning") return true;
    if (status == "pending-acceptance" || status == "initiating-request") {
      plan_accept(agent, &peering);
      return true;
    }
    problem(fmt::format("peering {}", peering.id),
            fmt::format("is {}{}; delete it and run apply again", status,
                        peering.status_message.empty() ? "" : " (" + peering.status_message + ")"));
    return false;
  }

  // Every route table of the VPC gets a route to the other side: subnets
  // may use any of them, and a missing one is a silent black hole.
  void plan_routes(const std::string& vpc_id, const CallTarget& target, const std::string& destination,
                   const AgentVpc& agent, const std::string& peering_id) {
    const auto tables = state_.route_tables.find(vpc_id);
    if (tables == state_.route_tables.end() || tables->second.empty()) {
      problem(vpc_id, "has no route table (DescribeRouteTables found none): routes over the peering cannot be added");
      return;
    }
    for (const auto& table : tables->second) plan_route(table, target, destination, agent, peering_id);
  }

  void plan_route(const aws::RouteTable& table, const CallTarget& target, const std::string& destination,
                  const AgentVpc& agent, const std::string& peering_id) {
    for (const auto& route : table.routes) {
      if (route.destination_cidr_block != destination) continue;
      if (!peering_id.empty() && route.vpc_peering_connection_id == peering_id) {
        // Destroy removes routes over the peerings it removes.
        const aws::VpcPeeringConnection* peering = find_peering(state_, config_.endpoint_vpc.vpc_id, agent.vpc_id);
        plan_.keeps.push_back({fmt::format("route {} -> {} in {}, route table", destination, peering_id, table.vpc_id),
                               table.id, peering != nullptr && is_ours(config_, peering->tags)});
        return;
      }
      problem(table.id, fmt::format("already routes {} to {}; provision does not replace routes it did not make",
                                    destination, route_target(route)));
      return;
    }
    plan_.actions.push_back(make_action(fmt::format("add route {} -> {} in {} ({})", destination,
                                                    peering_id.empty() ? "the new peering" : peering_id, table.id,
                                                    table.vpc_id),
                                        target,
                                        actions::CreateRoute{table.id, destination, agent.vpc_id, peering_id}));
  }

  static std::string route_target(const aws::Route& route) {
    if (!route.vpc_peering_connection_id.empty()) return route.vpc_peering_connection_id;
    if (!route.gateway_id.empty()) return route.gateway_id;
    return "another target";
  }

  // ------------------------------------------------------------ zones

  void plan_zone(const ServiceChoice& service) {
    const std::string name = private_dns_name(state_, service.service_name);
    if (name.empty()) {
      if (find_service_anywhere(service.service_name)) {
        problem("services." + service.short_name,
                fmt::format("{} has no private DNS name in DescribeVpcEndpointServices: there is no name "
                            "for a private zone",
                            service.service_name));
      }
      return;
    }
    const ObservedZone* zone = find_zone(config_, state_, name);
    const aws::ZoneVpc endpoint_vpc{config_.endpoint_vpc.region, config_.endpoint_vpc.vpc_id};
    std::string zone_id;
    if (zone == nullptr && endpoint_vpc_conflicts(service, name, endpoint_vpc)) return;
    if (zone == nullptr) {
      plan_.actions.push_back(make_action(fmt::format("create private zone {} for {}, associated with {}", name,
                                                      service.short_name, endpoint_vpc.vpc_id),
                                          endpoint_target(config_),
                                          actions::CreateZone{name, endpoint_vpc, service,
                                                              zone_tags(config_, name, service)}));
    } else {
      zone_id = zone->zone.id;
      const bool lost_tags = !has_our_zone_tags(config_, zone->tags) && zone->zone.comment == zone_comment(config_, service);
      plan_.keeps.push_back({fmt::format("private zone {}", name), zone_id, is_managed(zone->tags) || lost_tags});
      if (lost_tags) plan_tag_zone(service, name, zone_id);
    }
    plan_alias(service, name, zone_id, zone);
    if (zone != nullptr && !is_associated(*zone, endpoint_vpc)) plan_association(name, zone_id, zone, endpoint_vpc, {});
    for (const auto& agent : config_.agent_vpcs) {
      if (!is_peered(config_, agent) || !state_.agent_vpcs.contains(agent.vpc_id)) continue;
      plan_association(name, zone_id, zone, {agent.region, agent.vpc_id}, agent);
    }
  }

  // A zone an earlier apply created but could not tag (a lost answer).
  void plan_tag_zone(const ServiceChoice& service, const std::string& name, const std::string& zone_id) {
    plan_.actions.push_back(make_action(fmt::format("tag private zone {} as provision's", name),
                                        endpoint_target(config_),
                                        actions::TagZone{name, zone_id, zone_tags(config_, name, service)}));
  }

  bool find_service_anywhere(const std::string& service_name) const {
    const auto& services = placement_state(0).services;
    const auto found = services.find(service_name);
    return found != services.end() && found->second.found;
  }

  void plan_alias(const ServiceChoice& service, const std::string& name, const std::string& zone_id,
                  const ObservedZone* zone) {
    const aws::VpcEndpoint* endpoint = find_endpoint(placement_state(0), service.service_name);
    const bool current = zone != nullptr && zone->apex_a && zone->apex_a->alias && endpoint != nullptr &&
                         !endpoint->dns_entries.empty() &&
                         same_dns_name(zone->apex_a->alias->dns_name, endpoint->dns_entries.front().dns_name);
    if (current) return;
    plan_.actions.push_back(make_action(
        fmt::format("point {} (A, alias) at the {} endpoint's regional DNS name", name, service.short_name),
        endpoint_target(config_), actions::UpsertAlias{name, zone_id, service}));
  }

  // Same account: one AssociateVPCWithHostedZone. Another account: the zone
  // owner authorizes, the VPC owner associates, the owner deletes the
  // authorization (it is single-use; AWS recommends removing it).
  void plan_association(const std::string& name, const std::string& zone_id, const ObservedZone* zone,
                        const aws::ZoneVpc& vpc, const std::optional<AgentVpc>& agent) {
    const bool other_account = agent && is_other_account(state_, agent->vpc_id);
    const bool associated = zone != nullptr && is_associated(*zone, vpc);
    const bool authorized = zone != nullptr && std::find(zone->authorizations.begin(), zone->authorizations.end(),
                                                         vpc) != zone->authorizations.end();
    const CallTarget owner = endpoint_target(config_);
    if (!associated && other_account && !authorized && !has_conflict(name, zone_id, vpc)) {
      push_zone_action<actions::AuthorizeAssociation>(
                       fmt::format("authorize {} ({}, account {}) to associate with {}", vpc.vpc_id, vpc.region,
                                   state_.agent_vpcs.at(vpc.vpc_id).owner_id, name),
                       owner, name, zone_id, vpc);
    }
    if (!associated && conflicts(name, zone_id, vpc)) return;
    if (!associated) {
      push_zone_action<actions::AssociateZone>(
                       fmt::format("associate {} ({}) with {}", vpc.vpc_id, vpc.region, name),
                       agent ? agent_target(*agent) : owner, name, zone_id, vpc);
    }
    if (other_account && (!associated || authorized)) {
      push_zone_action<actions::DeleteAuthorization>(
                       fmt::format("delete the used authorization of {} on {}", vpc.vpc_id, name), owner, name,
                       zone_id, vpc);
    }
  }

  // Another zone of that name already associated with the VPC (the user's,
  // or AWS's own for an endpoint with private DNS on there): Route 53 would
  // refuse ours with ConflictingDomainExists, and the names already resolve
  // somewhere else.
  const aws::HostedZoneSummary* conflicting_zone(const std::string& name, const std::string& zone_id,
                                                 const aws::ZoneVpc& vpc) const {
    const auto found = state_.zones_by_vpc.find(vpc.vpc_id);
    if (found == state_.zones_by_vpc.end()) return nullptr;
    for (const auto& other : found->second) {
      if (same_dns_name(other.name, name) && other.id != zone_id) return &other;
    }
    return nullptr;
  }

  // The zone is created with the endpoint VPC. AWS's own zone for an
  // endpoint with private DNS on there goes away when apply turns that off
  // first (modify_endpoint); any other zone of the name would make
  // CreateHostedZone fail.
  bool endpoint_vpc_conflicts(const ServiceChoice& service, const std::string& name, const aws::ZoneVpc& vpc) {
    const aws::HostedZoneSummary* other = conflicting_zone(name, "", vpc);
    if (other == nullptr) return false;
    const aws::VpcEndpoint* endpoint = find_endpoint(placement_state(0), service.service_name);
    const bool goes_away = other->owning_account.empty() && endpoint != nullptr && endpoint->private_dns_enabled;
    return !goes_away && conflicts(name, "", vpc);
  }

  bool has_conflict(const std::string& name, const std::string& zone_id, const aws::ZoneVpc& vpc) const {
    return conflicting_zone(name, zone_id, vpc) != nullptr;
  }

  bool conflicts(const std::string& name, const std::string& zone_id, const aws::ZoneVpc& vpc) {
    const aws::HostedZoneSummary* other = conflicting_zone(name, zone_id, vpc);
    if (other == nullptr) return false;
    problem(vpc.vpc_id,
            fmt::format("already has a private zone named {} ({}, {}); Route 53 refuses a second one "
                        "(ConflictingDomainExists). Remove that association (or the endpoint's private DNS) first",
                        name, other->id,
                        other->owning_account.empty() ? std::string("owned by an AWS service, e.g. an endpoint's "
                                                                    "private DNS")
                                                      : "account " + other->owning_account));
    return true;
  }

  template <typename Step>
  void push_zone_action(std::string description, const CallTarget& target, const std::string& name,
                        const std::string& zone_id, const aws::ZoneVpc& vpc) {
    Step step;
    step.zone_name = name;
    step.zone_id = zone_id;
    step.vpc = vpc;
    plan_.actions.push_back(make_action(std::move(description), target, std::move(step)));
  }

  const ProvisionConfig& config_;
  const ObservedState& state_;
  const std::vector<Placement> placements_;
  Plan plan_;
  std::set<std::pair<std::string, std::string>> unusable_;  // (placement VPC, service name)
  std::set<std::string> overlapping_;                       // VPC ids
};

constexpr std::string_view zone_comment_prefix = "privatelink-sidecar:";

bool same_text(const std::string& left, const char* right) { return strcasecmp(left.c_str(), right) == 0; }

}  // namespace

const char* to_string(ActionKind kind) {
  switch (kind) {
    case ActionKind::turn_on_vpc_dns: return "turn-on-vpc-dns";
    case ActionKind::create_security_group: return "create-security-group";
    case ActionKind::authorize_ingress: return "authorize-ingress";
    case ActionKind::create_endpoint: return "create-endpoint";
    case ActionKind::modify_endpoint: return "modify-endpoint";
    case ActionKind::create_peering: return "create-peering";
    case ActionKind::accept_peering: return "accept-peering";
    case ActionKind::create_route: return "create-route";
    case ActionKind::create_zone: return "create-zone";
    case ActionKind::tag_zone: return "tag-zone";
    case ActionKind::upsert_alias: return "upsert-alias";
    case ActionKind::authorize_association: return "authorize-association";
    case ActionKind::associate_zone: return "associate-zone";
    case ActionKind::delete_authorization: return "delete-authorization";
  }
  return "?";
}

bool is_dns_action(ActionKind kind) {
  switch (kind) {
    case ActionKind::create_zone:
    case ActionKind::tag_zone:
    case ActionKind::upsert_alias:
    case ActionKind::authorize_association:
    case ActionKind::associate_zone:
    case ActionKind::delete_authorization: return true;
    default: return false;
  }
}

// The same words for endpoints and peerings.
bool is_dead_state(const std::string& state) {
  for (const char* dead : {"deleting", "deleted", "rejected", "failed", "expired"}) {
    if (same_text(state, dead)) return true;
  }
  return false;
}

bool is_dead_endpoint_state(const std::string& state) { return is_dead_state(state); }

bool is_dead_peering_state(const std::string& status_code) { return is_dead_state(status_code); }

Plan make_plan(const ProvisionConfig& config, const ObservedState& state) { return Planner(config, state).run(); }

std::vector<aws::Tag> managed_tags(const ProvisionConfig& config, const std::string& name,
                                   const std::string& service_short_name) {
  std::vector<aws::Tag> tags = {{"Name", name}, {managed_tag, "true"}, {site_tag, config.site_domain}};
  if (!service_short_name.empty()) tags.push_back({service_tag, service_short_name});
  tags.insert(tags.end(), config.extra_tags.begin(), config.extra_tags.end());
  return tags;
}

bool is_managed(const std::vector<aws::Tag>& tags) {
  return std::any_of(tags.begin(), tags.end(),
                     [](const aws::Tag& tag) { return tag.key == managed_tag && tag.value == "true"; });
}

bool is_ours(const ProvisionConfig& config, const std::vector<aws::Tag>& tags) {
  const bool this_site = std::any_of(tags.begin(), tags.end(), [&](const aws::Tag& tag) {
    return tag.key == site_tag && tag.value == config.site_domain;
  });
  return is_managed(tags) && this_site;
}

std::vector<std::string> admitted_cidrs(const Placement& placement, const ObservedState& state) {
  std::vector<std::string> cidrs;
  for (const auto& vpc_id : placement.admitted_vpc_ids) {
    const auto found = state.agent_vpcs.find(vpc_id);
    if (found == state.agent_vpcs.end()) continue;
    for (const auto& cidr : found->second.cidr_blocks()) {
      if (!contains(cidrs, cidr)) cidrs.push_back(cidr);
    }
  }
  return cidrs;
}

std::vector<std::string> missing_ingress(const aws::SecurityGroup& group, const std::vector<std::string>& wanted) {
  std::set<std::string> admitted;
  for (const auto& permission : group.ingress) {
    const bool all_traffic = permission.protocol == "-1";
    const bool covers_443 =
        permission.protocol == "tcp" && permission.from_port <= https_port && permission.to_port >= https_port;
    if (all_traffic || covers_443) admitted.insert(permission.cidrs.begin(), permission.cidrs.end());
  }
  std::vector<std::string> missing;
  for (const auto& cidr : wanted) {
    if (!admitted.contains(cidr)) missing.push_back(cidr);
  }
  return missing;
}

bool is_available(const std::string& endpoint_state) { return same_text(endpoint_state, "available"); }

bool uses_group(const aws::VpcEndpoint& endpoint, const std::string& group_id) {
  return std::any_of(endpoint.groups.begin(), endpoint.groups.end(),
                     [&](const aws::SecurityGroupRef& ref) { return ref.group_id == group_id; });
}

const aws::VpcEndpoint* find_endpoint(const std::vector<aws::VpcEndpoint>& endpoints, const std::string& service_name) {
  const aws::VpcEndpoint* chosen = nullptr;
  for (const auto& endpoint : endpoints) {
    if (endpoint.service_name != service_name || is_dead_endpoint_state(endpoint.state)) continue;
    if (is_available(endpoint.state)) return &endpoint;
    if (chosen == nullptr) chosen = &endpoint;
  }
  return chosen;
}

const aws::VpcEndpoint* find_endpoint(const PlacementState& placement, const std::string& service_name) {
  return find_endpoint(placement.endpoints, service_name);
}

// With several live peerings between the same VPCs (made by hand, or a
// create whose answer was lost), the one furthest along is the one in use.
int peering_progress(const std::string& status_code) {
  if (same_text(status_code, "active")) return 3;
  if (same_text(status_code, "provisioning")) return 2;
  if (same_text(status_code, "pending-acceptance")) return 1;
  return 0;
}

const aws::VpcPeeringConnection* find_peering(const ObservedState& state, const std::string& endpoint_vpc_id,
                                              const std::string& agent_vpc_id) {
  const aws::VpcPeeringConnection* chosen = nullptr;
  for (const auto& peering : state.peerings) {
    if (is_dead_peering_state(peering.status_code)) continue;
    const bool forward = peering.requester.vpc_id == endpoint_vpc_id && peering.accepter.vpc_id == agent_vpc_id;
    const bool backward = peering.requester.vpc_id == agent_vpc_id && peering.accepter.vpc_id == endpoint_vpc_id;
    if (!forward && !backward) continue;
    if (chosen == nullptr || peering_progress(peering.status_code) > peering_progress(chosen->status_code)) {
      chosen = &peering;
    }
  }
  return chosen;
}

const ObservedZone* find_zone(const ProvisionConfig& config, const ObservedState& state, const std::string& name) {
  const auto found = state.zones.find(name);
  if (found == state.zones.end()) return nullptr;
  for (const auto& zone : found->second) {
    if (has_our_zone_tags(config, zone.tags)) return &zone;
  }
  for (const auto& zone : found->second) {
    if (has_our_zone_comment(config, zone.zone.comment)) return &zone;
  }
  const aws::ZoneVpc endpoint_vpc{config.endpoint_vpc.region, config.endpoint_vpc.vpc_id};
  for (const auto& zone : found->second) {
    if (is_associated(zone, endpoint_vpc)) return &zone;
  }
  return nullptr;
}

// Zones are account-wide, unlike endpoints and peerings: the endpoint VPC in
// the comment and the tags keeps two deployments (two endpoint VPCs) of the
// same site from taking over, or destroying, each other's zones.
std::string zone_owner_suffix(const ProvisionConfig& config) {
  return fmt::format(" for site {} in {}", config.site_domain, config.endpoint_vpc.vpc_id);
}

bool has_our_zone_comment(const ProvisionConfig& config, const std::string& comment) {
  return comment.starts_with(zone_comment_prefix) && comment.ends_with(zone_owner_suffix(config));
}

std::string zone_comment(const ProvisionConfig& config, const ServiceChoice& service) {
  return fmt::format("{} Datadog {}{}", zone_comment_prefix, service.short_name, zone_owner_suffix(config));
}

std::vector<aws::Tag> zone_tags(const ProvisionConfig& config, const std::string& name, const ServiceChoice& service) {
  auto tags = managed_tags(config, name, service.short_name);
  tags.push_back({endpoint_vpc_tag, config.endpoint_vpc.vpc_id});
  return tags;
}

bool has_our_zone_tags(const ProvisionConfig& config, const std::vector<aws::Tag>& tags) {
  const bool this_vpc = std::any_of(tags.begin(), tags.end(), [&](const aws::Tag& tag) {
    return tag.key == endpoint_vpc_tag && tag.value == config.endpoint_vpc.vpc_id;
  });
  return is_ours(config, tags) && this_vpc;
}

bool is_our_zone(const ProvisionConfig& config, const std::vector<aws::Tag>& tags, const std::string& comment) {
  return has_our_zone_tags(config, tags) || has_our_zone_comment(config, comment);
}

std::string private_dns_name(const ObservedState& state, const std::string& service_name) {
  if (state.placements.empty()) return {};
  const auto& services = state.placements.front().services;
  const auto found = services.find(service_name);
  if (found == services.end() || !found->second.found) return {};
  return without_trailing_dot(found->second.private_dns_name);
}

bool cidrs_overlap(const std::string& left_text, const std::string& right_text) {
  auto left = checks::Cidr::parse(left_text);
  auto right = checks::Cidr::parse(right_text);
  if (!left || !right) return false;
  return left->contains(right->base()) || right->contains(left->base());
}

std::vector<std::string> ObservedVpc::cidr_blocks() const {
  std::vector<std::string> blocks = {cidr_block};
  blocks.insert(blocks.end(), secondary_cidr_blocks.begin(), secondary_cidr_blocks.end());
  return blocks;
}

std::optional<std::pair<std::string, std::string>> overlapping_blocks(const ObservedVpc& left,
                                                                      const ObservedVpc& right) {
  for (const auto& mine : left.cidr_blocks()) {
    for (const auto& theirs : right.cidr_blocks()) {
      if (cidrs_overlap(mine, theirs)) return std::pair{mine, theirs};
    }
  }
  return std::nullopt;
}

bool is_associated(const ObservedZone& zone, const aws::ZoneVpc& vpc) {
  return std::find(zone.vpcs.begin(), zone.vpcs.end(), vpc) != zone.vpcs.end();
}

bool is_other_account(const ObservedState& state, const std::string& agent_vpc_id) {
  const auto agent = state.agent_vpcs.find(agent_vpc_id);
  if (agent == state.agent_vpcs.end() || state.placements.empty() || !state.placements.front().vpc) return false;
  const std::string& ours = state.placements.front().vpc->owner_id;
  return !ours.empty() && !agent->second.owner_id.empty() && ours != agent->second.owner_id;
}

CallTarget agent_target(const AgentVpc& agent) { return {agent.region, agent.profile}; }

CallTarget endpoint_target(const ProvisionConfig& config) { return {config.endpoint_vpc.region, std::nullopt}; }

}  // namespace provision
