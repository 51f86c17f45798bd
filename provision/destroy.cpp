#include "provision/destroy.h"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "provision/state_reader.h"

namespace provision {
namespace {

std::string tag_value(const std::vector<aws::Tag>& tags, const std::string& key) {
  for (const auto& tag : tags) {
    if (tag.key == key) return tag.value;
  }
  return {};
}

std::string leave_reason(const ProvisionConfig& config, const std::vector<aws::Tag>& tags) {
  if (!is_managed(tags)) return "not created by provision";
  return fmt::format("created by provision for site {}, not {}", tag_value(tags, site_tag), config.site_domain);
}

std::string zone_name(const ObservedZone& zone) { return without_trailing_dot(zone.zone.name); }

// ---------------------------------------------------------------- reading

Expected<PlacementResources> read_placement(const Placement& placement, AwsClients& clients) {
  auto ec2 = clients.ec2({placement.region, placement.profile});
  if (!ec2) return ec2.error();
  PlacementResources resources;
  auto endpoints = read_live_endpoints(**ec2, placement.vpc_id);
  if (!endpoints) return endpoints.error();
  resources.endpoints = std::move(*endpoints);
  auto groups = (*ec2)->describe_security_groups({}, {{"vpc-id", {placement.vpc_id}}});
  if (!groups) return groups.error().with_prefix("DescribeSecurityGroups: ");
  resources.groups = std::move(*groups);
  return resources;
}

Expected<void> read_route_tables(AwsClients& clients, const std::string& vpc_id, const CallTarget& target,
                                 DestroyState& state);
Expected<void> read_removed_agent_route_tables(const ProvisionConfig& config, AwsClients& clients,
                                               DestroyState& state);
Expected<void> read_removed_route_tables(AwsClients& clients, const std::string& peering_id,
                                         const aws::PeeringVpcInfo& vpc, const CallTarget& target,
                                         DestroyState& state);

Expected<void> read_peerings(const ProvisionConfig& config, AwsClients& clients, DestroyState& state) {
  auto ec2 = clients.ec2({config.endpoint_vpc.region, std::nullopt});
  if (!ec2) return ec2.error();
  auto peerings = read_live_peerings(**ec2, config.endpoint_vpc.vpc_id);
  if (!peerings) return peerings.error();
  state.peerings = std::move(*peerings);
  SIDECAR_TRY(read_route_tables(clients, config.endpoint_vpc.vpc_id, endpoint_target(config), state));
  for (const auto& agent : config.agent_vpcs) {
    if (is_peered(config, agent)) SIDECAR_TRY(read_route_tables(clients, agent.vpc_id, agent_target(agent), state));
  }
  return read_removed_agent_route_tables(config, clients, state);
}

// A configured VPC's route tables; an AWS failure stops destroy.
Expected<void> read_route_tables(AwsClients& clients, const std::string& vpc_id, const CallTarget& target,
                                 DestroyState& state) {
  auto ec2 = clients.ec2(target);
  if (!ec2) return ec2.error();
  auto tables = (*ec2)->describe_route_tables({}, {{"vpc-id", {vpc_id}}});
  if (tables.is_aws_error("InvalidVpcID.NotFound")) return {};
  if (!tables) return tables.error().with_prefix("DescribeRouteTables: ");
  state.route_tables[vpc_id] = std::move(*tables);
  state.route_table_targets[vpc_id] = target;
  return {};
}

const aws::PeeringVpcInfo& our_side(const ProvisionConfig& config, const aws::VpcPeeringConnection& peering) {
  return peering.requester.vpc_id == config.endpoint_vpc.vpc_id ? peering.requester : peering.accepter;
}
const aws::PeeringVpcInfo& their_side(const ProvisionConfig& config, const aws::VpcPeeringConnection& peering) {
  return peering.requester.vpc_id == config.endpoint_vpc.vpc_id ? peering.accepter : peering.requester;
}

// Which credentials reach each account: the endpoint account's own (the
// default chain), and an Agent account through the profile of a configured
// Agent VPC in it. Accounts come from the peerings' owner ids, and for a
// configured VPC with a profile but no live peering, from DescribeVpcs.
using ProfilesByAccount = std::map<std::string, std::optional<std::string>>;

ProfilesByAccount profiles_by_account(const ProvisionConfig& config, AwsClients& clients, const DestroyState& state) {
  ProfilesByAccount profiles;
  auto learn = [&profiles](const std::string& owner_id, const std::optional<std::string>& profile) {
    if (!owner_id.empty()) profiles.emplace(owner_id, profile);
  };
  std::set<std::string> peered_vpcs;
  for (const auto& peering : state.peerings) {
    learn(our_side(config, peering).owner_id, std::nullopt);
    const aws::PeeringVpcInfo& theirs = their_side(config, peering);
    peered_vpcs.insert(theirs.vpc_id);
    for (const auto& agent : config.agent_vpcs) {
      if (agent.vpc_id == theirs.vpc_id) learn(theirs.owner_id, agent.profile);
    }
  }
  for (const auto& agent : config.agent_vpcs) {
    if (!agent.profile || peered_vpcs.contains(agent.vpc_id)) continue;
    auto ec2 = clients.ec2(agent_target(agent));
    if (!ec2) continue;
    auto vpcs = (*ec2)->describe_vpcs({agent.vpc_id});
    if (vpcs && vpcs->size() == 1) learn(vpcs->front().owner_id, agent.profile);  // else it just cannot help
  }
  return profiles;
}

// The other side of a peering of ours whose Agent VPC left the config: its
// routes over the peering would stay as black holes. Read in that VPC's
// region with the credentials of its account; when none are known or the
// read fails, it is reported (DestroyPlan::untouched) rather than guessed.
Expected<void> read_removed_agent_route_tables(const ProvisionConfig& config, AwsClients& clients,
                                               DestroyState& state) {
  std::optional<ProfilesByAccount> profiles;  // asked only when a removed VPC needs them
  for (const auto& peering : state.peerings) {
    if (!is_ours(config, peering.tags)) continue;
    const aws::PeeringVpcInfo& other = their_side(config, peering);
    if (state.route_tables.contains(other.vpc_id)) continue;
    if (!profiles) profiles = profiles_by_account(config, clients, state);
    const auto profile = profiles->find(other.owner_id);
    if (profile == profiles->end()) {
      state.unreadable_peers.push_back(
          {peering.id, other,
           "no profile for that account in the config, so they cannot be read; add that VPC back to agent_vpcs "
           "with its profile and run destroy again, or delete them there"});
      continue;
    }
    const CallTarget target{other.region.empty() ? config.endpoint_vpc.region : other.region, profile->second};
    SIDECAR_TRY(read_removed_route_tables(clients, peering.id, other, target, state));
  }
  return {};
}

Expected<void> read_removed_route_tables(AwsClients& clients, const std::string& peering_id,
                                         const aws::PeeringVpcInfo& vpc, const CallTarget& target,
                                         DestroyState& state) {
  auto ec2 = clients.ec2(target);
  if (!ec2) return ec2.error();
  auto tables = (*ec2)->describe_route_tables({}, {{"vpc-id", {vpc.vpc_id}}});
  if (tables.is_aws_error("InvalidVpcID.NotFound")) return {};  // the VPC is gone, and its routes with it
  if (!tables) {
    state.unreadable_peers.push_back(
        {peering_id, vpc,
         fmt::format("reading its route tables with {} failed ({}); fix that and run destroy again, or delete them "
                     "there",
                     target.profile ? "profile " + *target.profile : std::string("the default credentials"),
                     tables.error().message)});
    return {};
  }
  state.route_tables[vpc.vpc_id] = std::move(*tables);
  state.route_table_targets[vpc.vpc_id] = target;
  return {};
}

// Only zones with our tags get their records and VPCs read.
Expected<void> read_zones(const ProvisionConfig& config, AwsClients& clients, DestroyState& state) {
  auto route53 = clients.route53(std::nullopt);
  if (!route53) return route53.error();
  auto zones = (*route53)->list_hosted_zones();
  if (!zones) return zones.error().with_prefix("ListHostedZones: ");
  for (const auto& zone : *zones) {
    if (!zone.private_zone) continue;
    auto tags = (*route53)->list_tags_for_hosted_zone(zone.id);
    if (!tags) return tags.error().with_prefix("ListTagsForResource: ");
    // The comment counts too: a zone whose tagging answer was lost.
    if (!is_our_zone(config, *tags, zone.comment)) continue;
    ObservedZone observed{zone, {}, std::move(*tags), std::nullopt, {}};
    auto authorizations = (*route53)->list_vpc_association_authorizations(zone.id);
    if (!authorizations) return authorizations.error().with_prefix("ListVPCAssociationAuthorizations: ");
    observed.authorizations = std::move(*authorizations);
    state.zones.push_back(std::move(observed));
  }
  return {};
}

// ---------------------------------------------------------------- running

class Destroyer {
 public:
  Destroyer(const ProvisionConfig& config, AwsClients& clients, const DestroyOptions& options)
      : config_(config), clients_(clients), options_(options), placements_(placements(config)) {}

  DestroyReport run(const DestroyPlan& plan) {
    for (const auto& zone : plan.zones) {
      if (!step(fmt::format("delete zone {}", zone_name(zone)), [&] { return delete_zone(zone); })) return report_;
    }
    for (const auto& route : plan.routes) {
      if (!step(fmt::format("delete route {} in {}", route.destination_cidr, route.route_table_id),
                [&] { return delete_route(route); })) {
        return report_;
      }
    }
    for (const auto& peering : plan.peerings) {
      if (!step(fmt::format("delete peering {}", peering.id), [&] { return delete_peering(peering); })) return report_;
    }
    for (std::size_t index = 0; index < plan.placements.size(); ++index) {
      if (!step("delete endpoints", [&] { return delete_endpoints(index, plan.placements[index]); })) return report_;
    }
    for (std::size_t index = 0; index < plan.placements.size(); ++index) {
      if (!step("wait for the endpoints", [&] { return wait_until_deleted(index, plan.placements[index]); })) {
        return report_;
      }
      for (const auto& group : plan.placements[index].groups) {
        if (!step(fmt::format("delete security group {}", group.id), [&] { return delete_group(index, group); })) {
          return report_;
        }
      }
    }
    return report_;
  }

 private:
  bool step(const std::string& what, const std::function<Expected<void>()>& work) {
    return run_step(what, work, options_, report_.failure);
  }

  void done(const std::string& line) {
    report_.done.push_back(line);
    options_.progress("done: " + line);
  }

  CallTarget target(std::size_t index) const { return {placements_[index].region, placements_[index].profile}; }

  // Route 53 refuses to delete a zone that still has records of its own:
  // every record but the apex SOA and NS goes first, with its exact values.
  Expected<void> delete_zone(const ObservedZone& zone) {
    auto route53 = clients_.route53(std::nullopt);
    if (!route53) return route53.error();
    for (const auto& vpc : zone.authorizations) {
      auto deleted = (*route53)->delete_vpc_association_authorization(zone.zone.id, vpc);
      if (!deleted && !deleted.is_aws_error("VPCAssociationAuthorizationNotFound")) return deleted.error();
    }
    SIDECAR_TRY(disassociate_all_but_one(**route53, zone));
    auto records = (*route53)->list_resource_record_sets(zone.zone.id);
    if (records.is_aws_error("NoSuchHostedZone")) return {};
    if (!records) return records.error();
    std::vector<aws::RecordChange> removals;
    for (const auto& record : *records) {
      const bool apex_default = same_dns_name(record.name, zone.zone.name) && (record.type == "SOA" || record.type == "NS");
      if (!apex_default) removals.push_back({aws::ChangeAction::remove, record});
    }
    if (!removals.empty()) {
      auto changed = (*route53)->change_resource_record_sets(zone.zone.id, removals, "privatelink-sidecar destroy");
      if (!changed) return changed.error();
    }
    auto deleted = (*route53)->delete_hosted_zone(zone.zone.id);
    if (!deleted && !deleted.is_aws_error("NoSuchHostedZone")) return deleted.error();
    done(fmt::format("delete private zone {} ({})", zone_name(zone), zone.zone.id));
    return {};
  }

  // The Agent VPCs (other accounts' too) first, as the console does: the
  // zone owner may remove any association, except the last one, which goes
  // with the zone.
  Expected<void> disassociate_all_but_one(const aws::Route53Client& route53, const ObservedZone& zone) {
    auto details = route53.get_hosted_zone(zone.zone.id);
    if (details.is_aws_error("NoSuchHostedZone")) return {};
    if (!details) return details.error();
    for (std::size_t index = 1; index < details->vpcs.size(); ++index) {
      const aws::ZoneVpc& vpc = details->vpcs[index];
      auto removed = route53.disassociate_vpc(zone.zone.id, vpc, "privatelink-sidecar destroy");
      if (!removed && !removed.is_aws_error("VPCAssociationNotFound")) return removed.error();
      done(fmt::format("disassociate {} ({}) from {}", vpc.vpc_id, vpc.region, zone_name(zone)));
    }
    return {};
  }

  Expected<void> delete_route(const RouteRemoval& route) {
    auto ec2 = clients_.ec2(route.target);
    if (!ec2) return ec2.error();
    auto deleted = (*ec2)->delete_route(route.route_table_id, route.destination_cidr);
    if (!deleted && !deleted.is_aws_error("InvalidRoute.NotFound")) return deleted.error();
    done(fmt::format("delete route {} -> {} in {}", route.destination_cidr, route.peering_id, route.route_table_id));
    return {};
  }

  Expected<void> delete_peering(const aws::VpcPeeringConnection& peering) {
    auto ec2 = clients_.ec2({config_.endpoint_vpc.region, std::nullopt});
    if (!ec2) return ec2.error();
    auto deleted = (*ec2)->delete_vpc_peering_connection(peering.id);
    if (!deleted && !deleted.is_aws_error("InvalidVpcPeeringConnectionID.NotFound")) return deleted.error();
    done(fmt::format("delete peering {} ({} <-> {})", peering.id, peering.requester.vpc_id, peering.accepter.vpc_id));
    return {};
  }

  Expected<void> delete_endpoints(std::size_t index, const PlacementResources& ours) {
    if (ours.endpoints.empty()) return {};
    auto ec2 = clients_.ec2(target(index));
    if (!ec2) return ec2.error();
    std::vector<std::string> ids;
    for (const auto& endpoint : ours.endpoints) ids.push_back(endpoint.id);
    auto failures = (*ec2)->delete_vpc_endpoints(ids);
    if (!failures) return failures.error().with_prefix("DeleteVpcEndpoints: ");
    std::vector<std::string> failed;
    for (const auto& failure : *failures) {
      // Already gone (an earlier destroy): nothing left to do for it.
      if (aws::same_error_code(failure.code, "InvalidVpcEndpoint.NotFound") ||
          aws::same_error_code(failure.code, "InvalidVpcEndpointId.NotFound")) {
        continue;
      }
      failed.push_back(fmt::format("{}: {} {}", failure.resource_id, failure.code, failure.message));
    }
    if (!failed.empty()) {
      return Error{checks::ErrorCode::io, fmt::format("DeleteVpcEndpoints refused: {}", fmt::join(failed, "; "))};
    }
    for (const auto& endpoint : ours.endpoints) {
      done(fmt::format("delete endpoint {} ({}) in {}", endpoint.id, tag_value(endpoint.tags, service_tag),
                       endpoint.vpc_id));
    }
    return {};
  }

  Expected<void> poll(const std::string& what, const PendingCheck& pending) {
    return wait_until_done(what, pending, options_, "destroy");
  }

  // Gone = not listed any more, or listed as deleted (a `deleting` endpoint
  // still holds its network interfaces, and so the group).
  Expected<void> wait_until_deleted(std::size_t index, const PlacementResources& ours) {
    if (ours.endpoints.empty()) return {};
    auto ec2 = clients_.ec2(target(index));
    if (!ec2) return ec2.error();
    std::set<std::string> ids;
    for (const auto& endpoint : ours.endpoints) ids.insert(endpoint.id);
    return poll("the endpoints to be deleted", [&]() -> Expected<std::string> {
      auto listed = (*ec2)->describe_vpc_endpoints({}, {{"vpc-id", {placements_[index].vpc_id}}});
      if (!listed) return listed.error();
      std::vector<std::string> pending;
      for (const auto& endpoint : *listed) {
        if (ids.contains(endpoint.id) && strcasecmp(endpoint.state.c_str(), "deleted") != 0) {
          pending.push_back(fmt::format("{} ({})", endpoint.id, endpoint.state));
        }
      }
      return fmt::format("{}", fmt::join(pending, ", "));
    });
  }

  // DependencyViolation right after the endpoints go is usually eventual
  // consistency (their network interfaces): retry until the wait limit.
  Expected<void> delete_group(std::size_t index, const aws::SecurityGroup& group) {
    auto ec2 = clients_.ec2(target(index));
    if (!ec2) return ec2.error();
    return poll(fmt::format("security group {} to be free", group.id), [&]() -> Expected<std::string> {
      auto deleted = (*ec2)->delete_security_group(group.id);
      if (deleted || deleted.is_aws_error("InvalidGroup.NotFound")) {
        done(fmt::format("delete security group {} ({}) in {}", group.name, group.id, group.vpc_id));
        return std::string();
      }
      if (!deleted.is_aws_error("DependencyViolation")) return deleted.error();
      return std::string("still in use");
    });
  }

  const ProvisionConfig& config_;
  AwsClients& clients_;
  const DestroyOptions& options_;
  const std::vector<Placement> placements_;
  DestroyReport report_;
};

// ---------------------------------------------------------------- planning

void plan_placement(const ProvisionConfig& config, const PlacementResources& found, DestroyPlan& plan) {
  PlacementResources& ours = plan.placements.emplace_back();
  std::vector<const aws::VpcEndpoint*> staying;
  for (const auto& endpoint : found.endpoints) {
    if (is_ours(config, endpoint.tags)) {
      ours.endpoints.push_back(endpoint);
      continue;
    }
    staying.push_back(&endpoint);
    plan.untouched.push_back(
        {fmt::format("endpoint for {}: {}", endpoint.service_name, leave_reason(config, endpoint.tags)), endpoint.id,
         is_managed(endpoint.tags)});
  }
  for (const auto& group : found.groups) {
    if (!is_ours(config, group.tags)) {
      // The VPC's default group and the user's own ones are not worth listing.
      if (is_managed(group.tags) || group.name == config.security_group_name) {
        plan.untouched.push_back({fmt::format("security group {}: {}", group.name, leave_reason(config, group.tags)),
                                  group.id, is_managed(group.tags)});
      }
      continue;
    }
    const auto user = std::find_if(staying.begin(), staying.end(),
                                   [&](const aws::VpcEndpoint* endpoint) { return uses_group(*endpoint, group.id); });
    if (user != staying.end()) {
      plan.problems.push_back({group.id, fmt::format("security group {} is used by endpoint {}, which destroy "
                                                     "leaves; detach it first, then run destroy again",
                                                     group.name, (*user)->id)});
      continue;
    }
    ours.groups.push_back(group);
  }
}

CallTarget route_target(const ProvisionConfig& config, const std::string& vpc_id) {
  for (const auto& agent : config.agent_vpcs) {
    if (agent.vpc_id == vpc_id && vpc_id != config.endpoint_vpc.vpc_id) return agent_target(agent);
  }
  return {config.endpoint_vpc.region, std::nullopt};
}

void plan_peerings(const ProvisionConfig& config, const DestroyState& state, DestroyPlan& plan) {
  std::set<std::string> ours;
  for (const auto& peering : state.peerings) {
    if (!is_ours(config, peering.tags)) {
      plan.untouched.push_back({fmt::format("peering {} <-> {}: {}", peering.requester.vpc_id, peering.accepter.vpc_id,
                                            leave_reason(config, peering.tags)),
                                peering.id, is_managed(peering.tags)});
      continue;
    }
    if (ours.insert(peering.id).second) plan.peerings.push_back(peering);
  }
  for (const auto& [vpc_id, tables] : state.route_tables) {
    for (const auto& table : tables) {
      for (const auto& route : table.routes) {
        if (!ours.contains(route.vpc_peering_connection_id)) continue;
        const auto read_at = state.route_table_targets.find(vpc_id);
        const CallTarget target = read_at != state.route_table_targets.end() ? read_at->second : route_target(config, vpc_id);
        plan.routes.push_back({target, table.id, route.destination_cidr_block, route.vpc_peering_connection_id});
      }
    }
  }
}

}  // namespace

std::size_t DestroyPlan::size() const {
  std::size_t count = zones.size() + routes.size() + peerings.size();
  for (const auto& placement : placements) count += placement.endpoints.size() + placement.groups.size();
  return count;
}

Expected<DestroyState> read_destroy_state(const ProvisionConfig& config, AwsClients& clients) {
  DestroyState state;
  for (const Placement& placement : placements(config)) {
    auto resources = read_placement(placement, clients);
    if (!resources) return resources.error().with_prefix(fmt::format("{} ({}): ", placement.vpc_id, placement.region));
    state.placements.push_back(std::move(*resources));
  }
  if (config.mode != Mode::peering) return state;
  SIDECAR_TRY(read_peerings(config, clients, state));
  SIDECAR_TRY(read_zones(config, clients, state));
  return state;
}

DestroyPlan make_destroy_plan(const ProvisionConfig& config, const DestroyState& state) {
  DestroyPlan plan;
  for (const auto& placement : state.placements) plan_placement(config, placement, plan);
  plan_peerings(config, state, plan);
  for (const auto& peer : state.unreadable_peers) {
    plan.untouched.push_back(
        {fmt::format("routes over {} in {} ({}, account {}): {}", peer.peering_id, peer.vpc.vpc_id, peer.vpc.region,
                     peer.vpc.owner_id, peer.reason),
         peer.vpc.vpc_id});
  }
  plan.zones = state.zones;
  std::erase_if(plan.zones, [&](const ObservedZone& zone) {
    return !is_our_zone(config, zone.tags, zone.zone.comment);
  });
  return plan;
}

std::string format_destroy_plan_text(const DestroyPlan& plan) {
  std::string text;
  for (const auto& zone : plan.zones) text += fmt::format("delete  private zone {} ({})\n", zone_name(zone), zone.zone.id);
  for (const auto& route : plan.routes) {
    text += fmt::format("delete  route {} -> {} in {}\n", route.destination_cidr, route.peering_id, route.route_table_id);
  }
  for (const auto& peering : plan.peerings) {
    text += fmt::format("delete  peering {} ({} <-> {})\n", peering.id, peering.requester.vpc_id,
                        peering.accepter.vpc_id);
  }
  for (const auto& placement : plan.placements) {
    for (const auto& endpoint : placement.endpoints) {
      text += fmt::format("delete  endpoint {} for {} ({}) in {}\n", endpoint.id, tag_value(endpoint.tags, service_tag),
                          endpoint.service_name, endpoint.vpc_id);
    }
    for (const auto& group : placement.groups) {
      text += fmt::format("delete  security group {} ({}) in {}\n", group.name, group.id, group.vpc_id);
    }
  }
  for (const auto& keep : plan.untouched) text += fmt::format("leave   {} ({})\n", keep.description, keep.resource_id);
  for (const auto& problem : plan.problems) text += fmt::format("problem {}: {}\n", problem.subject, problem.message);
  text += fmt::format("{} to delete, {} left untouched, {} problem(s)\n", plan.size(), plan.untouched.size(),
                      plan.problems.size());
  return text;
}

std::string format_destroy_plan_json(const DestroyPlan& plan) {
  using Json = nlohmann::json;
  Json deletes = Json::array();
  auto add = [&](const char* kind, const std::string& id, const std::string& description) {
    deletes.push_back({{"kind", kind}, {"id", id}, {"description", description}});
  };
  for (const auto& zone : plan.zones) add("private-zone", zone.zone.id, zone_name(zone));
  for (const auto& route : plan.routes) {
    add("route", route.route_table_id, fmt::format("{} -> {}", route.destination_cidr, route.peering_id));
  }
  for (const auto& peering : plan.peerings) {
    add("peering", peering.id, fmt::format("{} <-> {}", peering.requester.vpc_id, peering.accepter.vpc_id));
  }
  for (const auto& placement : plan.placements) {
    for (const auto& endpoint : placement.endpoints) add("endpoint", endpoint.id, endpoint.service_name);
    for (const auto& group : placement.groups) add("security-group", group.id, group.name);
  }
  Json out = {{"ok", plan.problems.empty()}, {"delete", std::move(deletes)}, {"leave", Json::array()},
              {"problems", Json::array()}};
  for (const auto& keep : plan.untouched) {
    out["leave"].push_back({{"description", keep.description}, {"id", keep.resource_id}, {"managed", keep.managed}});
  }
  for (const auto& problem : plan.problems) {
    out["problems"].push_back({{"subject", problem.subject}, {"message", problem.message}});
  }
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

DestroyReport run_destroy(const ProvisionConfig& config, const DestroyPlan& plan, AwsClients& clients,
                          const DestroyOptions& options) {
  return Destroyer(config, clients, options).run(plan);
}

}  // namespace provision
