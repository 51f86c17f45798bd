#include "provision/verify.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "provision/planner.h"

namespace provision {
namespace {

class Verifier {
 public:
  Verifier(const ProvisionConfig& config, const ObservedState& state)
      : config_(config), state_(state), placements_(placements(config)) {}

  Checklist run() {
    for (std::size_t index = 0; index < placements_.size(); ++index) check_placement(index);
    check_agent_vpcs();
    if (config_.mode == Mode::peering) {
      for (const auto& agent : config_.agent_vpcs) {
        if (is_peered(config_, agent)) check_peering(agent);
      }
      for (const auto& service : config_.services) check_zone(service);
    }
    return std::move(list_);
  }

 private:
  void item(std::string name, bool ok, std::string detail = {}) {
    list_.items.push_back({std::move(name), ok, std::move(detail)});
  }

  const PlacementState* placement_state(std::size_t index) const {
    return index < state_.placements.size() ? &state_.placements[index] : nullptr;
  }

  void check_vpc_dns(const std::string& id, const ObservedVpc& vpc) {
    item(fmt::format("VPC {} has enableDnsSupport on", id), vpc.dns_support);
    item(fmt::format("VPC {} has enableDnsHostnames on", id), vpc.dns_hostnames);
  }

  void check_placement(std::size_t index) {
    const Placement& placement = placements_[index];
    const PlacementState* observed = placement_state(index);
    const bool exists = observed != nullptr && observed->vpc.has_value();
    item(fmt::format("VPC {} exists in {}", placement.vpc_id, placement.region), exists);
    if (!exists) return;
    check_vpc_dns(placement.vpc_id, *observed->vpc);
    for (const auto& service : config_.services) check_endpoint(placement, *observed, service);
    check_ingress(placement, *observed);
  }

  static std::string zone_of(const PlacementState& observed, const std::string& subnet_id) {
    for (const auto& subnet : observed.subnets) {
      if (subnet.id == subnet_id) return subnet.availability_zone;
    }
    return {};
  }

  void check_endpoint(const Placement& placement, const PlacementState& observed, const ServiceChoice& service) {
    const aws::VpcEndpoint* endpoint = find_endpoint(observed, service.service_name);
    const std::string label = fmt::format("endpoint for {} in {}", service.short_name, placement.vpc_id);
    if (endpoint == nullptr) {
      item(label + " exists", false, service.service_name);
      return;
    }
    item(label + " is available", is_available(endpoint->state), fmt::format("{} is {}", endpoint->id, endpoint->state));
    item(fmt::format("{} has private DNS {}", label, placement.private_dns ? "on" : "off (peering: our zones answer)"),
         endpoint->private_dns_enabled == placement.private_dns, endpoint->id);
    std::set<std::string> covered;
    for (const auto& id : endpoint->subnet_ids) covered.insert(zone_of(observed, id));
    for (const auto& id : placement.subnet_ids) {
      const std::string zone = zone_of(observed, id);
      item(fmt::format("{} has a subnet in {}", label, zone.empty() ? id : zone),
           !zone.empty() && covered.contains(zone), endpoint->id);
    }
    const auto& group = observed.security_group;
    const bool attached = group && uses_group(*endpoint, group->id);
    item(fmt::format("{} uses security group {}", label, config_.security_group_name), attached, endpoint->id);
  }

  void check_ingress(const Placement& placement, const PlacementState& observed) {
    const auto& group = observed.security_group;
    if (!group) {
      item(fmt::format("security group {} exists in {}", config_.security_group_name, placement.vpc_id), false);
      return;
    }
    const auto cidrs = admitted_cidrs(placement, state_);
    const auto missing = missing_ingress(*group, cidrs);
    for (const auto& cidr : cidrs) {
      const bool admitted = std::find(missing.begin(), missing.end(), cidr) == missing.end();
      item(fmt::format("security group {} admits tcp/{} from {}", group->name, https_port, cidr), admitted, group->id);
    }
  }

  void check_agent_vpcs() {
    std::set<std::string> placement_vpcs;
    for (const auto& placement : placements_) placement_vpcs.insert(placement.vpc_id);
    for (const auto& agent : config_.agent_vpcs) {
      if (placement_vpcs.contains(agent.vpc_id)) continue;  // checked above
      const auto found = state_.agent_vpcs.find(agent.vpc_id);
      item(fmt::format("Agent VPC {} exists in {}", agent.vpc_id, agent.region), found != state_.agent_vpcs.end());
      if (found != state_.agent_vpcs.end() && config_.mode == Mode::peering) check_vpc_dns(agent.vpc_id, found->second);
    }
  }

  void check_peering(const AgentVpc& agent) {
    const PlacementState* endpoint_side = placement_state(0);
    const auto theirs = state_.agent_vpcs.find(agent.vpc_id);
    if (endpoint_side == nullptr || !endpoint_side->vpc || theirs == state_.agent_vpcs.end()) return;
    const ObservedVpc& ours = *endpoint_side->vpc;
    item(fmt::format("{} ({}) and {} ({}) do not overlap", ours.id, fmt::join(ours.cidr_blocks(), ", "),
                     agent.vpc_id, fmt::join(theirs->second.cidr_blocks(), ", ")),
         !overlapping_blocks(ours, theirs->second));
    const aws::VpcPeeringConnection* peering = find_peering(state_, ours.id, agent.vpc_id);
    item(fmt::format("peering {} <-> {} is active", ours.id, agent.vpc_id),
         peering != nullptr && peering->status_code == "active",
         peering == nullptr ? "no peering" : fmt::format("{} is {}", peering->id, peering->status_code));
    if (peering == nullptr) return;
    for (const auto& block : theirs->second.cidr_blocks()) check_routes(ours.id, block, peering->id);
    for (const auto& block : ours.cidr_blocks()) check_routes(agent.vpc_id, block, peering->id);
  }

  void check_routes(const std::string& vpc_id, const std::string& destination, const std::string& peering_id) {
    const auto tables = state_.route_tables.find(vpc_id);
    if (tables == state_.route_tables.end() || tables->second.empty()) {
      item(fmt::format("{} has a route table", vpc_id), false);
      return;
    }
    for (const auto& table : tables->second) {
      const bool routed = std::any_of(table.routes.begin(), table.routes.end(), [&](const aws::Route& route) {
        return route.destination_cidr_block == destination && route.vpc_peering_connection_id == peering_id;
      });
      item(fmt::format("route table {} ({}) routes {} over {}", table.id, vpc_id, destination, peering_id), routed);
    }
  }

  void check_zone(const ServiceChoice& service) {
    const std::string name = private_dns_name(state_, service.service_name);
    if (name.empty()) {
      item(fmt::format("service {} has a private DNS name", service.short_name), false, service.service_name);
      return;
    }
    const ObservedZone* zone = find_zone(config_, state_, name);
    item(fmt::format("private zone {} exists", name), zone != nullptr);
    if (zone == nullptr) return;
    check_alias(service, name, *zone);
    item(fmt::format("{} is associated with {}", name, config_.endpoint_vpc.vpc_id),
         is_associated(*zone, {config_.endpoint_vpc.region, config_.endpoint_vpc.vpc_id}), zone->zone.id);
    for (const auto& agent : config_.agent_vpcs) {
      if (!is_peered(config_, agent)) continue;
      item(fmt::format("{} is associated with {} ({})", name, agent.vpc_id, agent.region),
           is_associated(*zone, {agent.region, agent.vpc_id}), zone->zone.id);
    }
  }

  void check_alias(const ServiceChoice& service, const std::string& name, const ObservedZone& zone) {
    const PlacementState* endpoint_side = placement_state(0);
    const aws::VpcEndpoint* endpoint = endpoint_side ? find_endpoint(*endpoint_side, service.service_name) : nullptr;
    const std::string target = endpoint && !endpoint->dns_entries.empty() ? endpoint->dns_entries.front().dns_name : "";
    const bool aliased = zone.apex_a && zone.apex_a->alias && !target.empty() &&
                         same_dns_name(zone.apex_a->alias->dns_name, target);
    std::string detail = zone.apex_a && zone.apex_a->alias ? "points at " + zone.apex_a->alias->dns_name : "no alias A";
    item(fmt::format("{} A is an alias of the {} endpoint's regional name", name, service.short_name), aliased,
         std::move(detail));
  }

  const ProvisionConfig& config_;
  const ObservedState& state_;
  const std::vector<Placement> placements_;
  Checklist list_;
};

}  // namespace

bool Checklist::ok() const {
  return std::all_of(items.begin(), items.end(), [](const CheckItem& item) { return item.ok; });
}

Checklist verify(const ProvisionConfig& config, const ObservedState& state) { return Verifier(config, state).run(); }

}  // namespace provision
