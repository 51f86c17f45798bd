#include "provision/planner.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "checks/cidr.h"
#include "provision/service_catalog.h"

namespace provision {
namespace {

Action make_action(ActionKind kind, std::string description) {
  Action action;
  action.kind = kind;
  action.description = std::move(description);
  return action;
}

class Planner {
 public:
  Planner(const ProvisionConfig& config, const ObservedState& state) : config_(config), state_(state) {}

  Plan run() {
    check_mode();
    check_endpoint_vpc();
    check_subnets();
    check_agent_vpcs();
    for (const auto& service : config_.services) check_service(service);
    plan_security_group();
    for (const auto& service : config_.services) plan_endpoint(service);
    return std::move(plan_);
  }

 private:
  void problem(std::string subject, std::string message) {
    plan_.problems.push_back({std::move(subject), std::move(message)});
  }

  void check_mode() {
    if (config_.mode == Mode::same_region) return;
    problem("mode", fmt::format("{} is not supported by this version yet (only same-region)",
                                to_string(config_.mode)));
  }

  void check_endpoint_vpc() {
    const auto& vpc = state_.endpoint_vpc;
    const std::string& id = config_.endpoint_vpc.vpc_id;
    if (!vpc) {
      problem("endpoint_vpc.vpc_id", fmt::format("{} does not exist in {}", id, state_.region));
      return;
    }
    // Private DNS on an interface endpoint needs both (AWS rejects it otherwise).
    if (!vpc->dns_support) problem("endpoint_vpc.vpc_id", dns_attribute_message(id, "enableDnsSupport", "--enable-dns-support"));
    if (!vpc->dns_hostnames) problem("endpoint_vpc.vpc_id", dns_attribute_message(id, "enableDnsHostnames", "--enable-dns-hostnames"));
  }

  static std::string dns_attribute_message(const std::string& vpc_id, const char* attribute, const char* flag) {
    return fmt::format("{} has {} off; private DNS for the endpoints needs it "
                       "(aws ec2 modify-vpc-attribute --vpc-id {} {})",
                       vpc_id, attribute, vpc_id, flag);
  }

  const aws::Subnet* find_subnet(const std::string& id) const {
    for (const auto& subnet : state_.subnets) {
      if (subnet.id == id) return &subnet;
    }
    return nullptr;
  }

  void check_subnets() {
    std::map<std::string, std::string> subnet_by_zone;
    for (const auto& id : config_.endpoint_vpc.subnet_ids) {
      const aws::Subnet* subnet = find_subnet(id);
      if (subnet == nullptr) {
        problem("endpoint_vpc.subnet_ids", fmt::format("{} does not exist in {}", id, state_.region));
        continue;
      }
      if (subnet->vpc_id != config_.endpoint_vpc.vpc_id) {
        problem("endpoint_vpc.subnet_ids", fmt::format("{} is in {}, not in the endpoint VPC {}", id,
                                                        subnet->vpc_id, config_.endpoint_vpc.vpc_id));
      }
      auto [existing, inserted] = subnet_by_zone.emplace(subnet->availability_zone, id);
      if (!inserted) {
        problem("endpoint_vpc.subnet_ids",
                fmt::format("{} and {} are both in {}: an endpoint takes one subnet per AZ",
                            existing->second, id, subnet->availability_zone));
      }
    }
  }

  void check_agent_vpcs() {
    for (const auto& agent : config_.agent_vpcs) {
      if (!state_.agent_vpcs.contains(agent.vpc_id)) {
        problem("agent_vpcs", fmt::format("{} does not exist in {}", agent.vpc_id, agent.region));
      }
    }
    check_overlaps();
  }

  // Distinct VPCs that will route to each other must not overlap; the same
  // VPC listed as endpoint and Agent VPC is fine.
  void check_overlaps() {
    std::map<std::string, std::string> cidr_by_vpc;
    if (state_.endpoint_vpc) cidr_by_vpc[state_.endpoint_vpc->id] = state_.endpoint_vpc->cidr_block;
    for (const auto& [id, vpc] : state_.agent_vpcs) cidr_by_vpc[id] = vpc.cidr_block;
    for (auto left = cidr_by_vpc.begin(); left != cidr_by_vpc.end(); ++left) {
      for (auto right = std::next(left); right != cidr_by_vpc.end(); ++right) {
        if (!overlap(left->second, right->second)) continue;
        problem("agent_vpcs", fmt::format("{} ({}) and {} ({}) overlap: traffic between them cannot be routed",
                                          left->first, left->second, right->first, right->second));
      }
    }
  }

  static bool overlap(const std::string& left_text, const std::string& right_text) {
    auto left = checks::Cidr::parse(left_text);
    auto right = checks::Cidr::parse(right_text);
    if (!left || !right) return false;
    return left->contains(right->base()) || right->contains(left->base());
  }

  void check_service(const ServiceChoice& service) {
    const std::string subject = "services." + service.short_name;
    const auto region = hosted_region(service.service_name);
    if (region && *region != state_.region) {
      problem(subject, fmt::format("{} is hosted in {}, but endpoint_vpc.region is {}: the service was "
                                   "verified in the wrong region. Same-region mode needs the endpoint "
                                   "VPC in {} (or use mode cross-region)",
                                   service.service_name, *region, state_.region, *region));
      return;
    }
    const auto found = state_.services.find(service.service_name);
    if (found == state_.services.end() || !found->second.found) {
      problem(subject, fmt::format("{} is not offered in {} (DescribeVpcEndpointServices does not know it); "
                                   "check the id against Datadog's PrivateLink guide",
                                   service.service_name, state_.region));
      return;
    }
    check_zones(subject, found->second);
  }

  void check_zones(const std::string& subject, const ObservedService& service) {
    const auto& zones = service.availability_zones;
    for (const auto& id : config_.endpoint_vpc.subnet_ids) {
      const aws::Subnet* subnet = find_subnet(id);
      if (subnet == nullptr || zones.empty()) continue;
      if (std::find(zones.begin(), zones.end(), subnet->availability_zone) != zones.end()) continue;
      problem(subject, fmt::format("subnet {} is in {}, where the service is not offered (offered in: {})",
                                   id, subnet->availability_zone, fmt::join(zones, ", ")));
    }
  }

  void plan_security_group() {
    const std::vector<std::string> cidrs = agent_cidrs(config_, state_);
    const auto& group = state_.security_group;
    if (!group) {
      Action create = make_action(ActionKind::create_security_group,
                                  fmt::format("create security group {} in {}", config_.security_group_name,
                                              config_.endpoint_vpc.vpc_id));
      create.tags = managed_tags(config_, config_.security_group_name);
      plan_.actions.push_back(std::move(create));
      if (!cidrs.empty()) plan_authorize("", cidrs);
      return;
    }
    plan_.keeps.push_back({fmt::format("security group {}", group->name), group->id, is_managed(group->tags)});
    const auto missing = missing_ingress(*group, cidrs);
    if (!missing.empty()) plan_authorize(group->id, missing);
  }

  void plan_authorize(const std::string& group_id, const std::vector<std::string>& cidrs) {
    Action authorize = make_action(ActionKind::authorize_ingress,
                                   fmt::format("allow tcp/{} from {} in security group {}", https_port,
                                               fmt::join(cidrs, ", "),
                                               group_id.empty() ? config_.security_group_name : group_id));
    authorize.security_group_id = group_id;
    authorize.cidrs = cidrs;
    plan_.actions.push_back(std::move(authorize));
  }

  const aws::VpcEndpoint* find_endpoint(const std::string& service_name) const {
    for (const auto& endpoint : state_.endpoints) {
      if (endpoint.service_name == service_name) return &endpoint;
    }
    return nullptr;
  }

  void plan_endpoint(const ServiceChoice& service) {
    const aws::VpcEndpoint* existing = find_endpoint(service.service_name);
    if (existing == nullptr) {
      Action create = make_action(ActionKind::create_endpoint,
                                  fmt::format("create endpoint for {} ({}) in {}, private DNS on",
                                              service.short_name, service.service_name,
                                              fmt::join(config_.endpoint_vpc.subnet_ids, ", ")));
      create.service = service;
      if (state_.security_group) create.security_group_id = state_.security_group->id;
      create.subnet_ids = config_.endpoint_vpc.subnet_ids;
      create.tags = managed_tags(config_, "datadog-" + service.short_name, service.short_name);
      plan_.actions.push_back(std::move(create));
      return;
    }
    plan_.keeps.push_back({fmt::format("endpoint for {} ({})", service.short_name, existing->state),
                           existing->id, is_managed(existing->tags)});
    check_existing_endpoint(service, *existing);
  }

  // Changing an endpoint in place (ModifyVpcEndpoint) is not done yet: say
  // what differs so that people can fix it or delete the endpoint.
  void check_existing_endpoint(const ServiceChoice& service, const aws::VpcEndpoint& endpoint) {
    const std::string subject = "services." + service.short_name;
    if (!endpoint.private_dns_enabled) {
      problem(subject, fmt::format("endpoint {} exists with private DNS off; turn it on (or delete the "
                                   "endpoint) so Datadog's names resolve to it",
                                   endpoint.id));
    }
    std::vector<std::string> missing;
    for (const auto& id : config_.endpoint_vpc.subnet_ids) {
      if (std::find(endpoint.subnet_ids.begin(), endpoint.subnet_ids.end(), id) == endpoint.subnet_ids.end()) {
        missing.push_back(id);
      }
    }
    if (!missing.empty()) {
      problem(subject, fmt::format("endpoint {} is not in subnet(s) {}; add them to it (or delete the endpoint)",
                                   endpoint.id, fmt::join(missing, ", ")));
    }
  }

  const ProvisionConfig& config_;
  const ObservedState& state_;
  Plan plan_;
};

}  // namespace

const char* to_string(ActionKind kind) {
  switch (kind) {
    case ActionKind::create_security_group: return "create-security-group";
    case ActionKind::authorize_ingress: return "authorize-ingress";
    case ActionKind::create_endpoint: return "create-endpoint";
  }
  return "?";
}

Plan make_plan(const ProvisionConfig& config, const ObservedState& state) {
  return Planner(config, state).run();
}

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

std::vector<std::string> agent_cidrs(const ProvisionConfig& config, const ObservedState& state) {
  std::vector<std::string> cidrs;
  for (const auto& agent : config.agent_vpcs) {
    const auto found = state.agent_vpcs.find(agent.vpc_id);
    if (found == state.agent_vpcs.end()) continue;
    const std::string& cidr = found->second.cidr_block;
    if (std::find(cidrs.begin(), cidrs.end(), cidr) == cidrs.end()) cidrs.push_back(cidr);
  }
  return cidrs;
}

std::vector<std::string> missing_ingress(const aws::SecurityGroup& group,
                                         const std::vector<std::string>& wanted) {
  std::set<std::string> admitted;
  for (const auto& permission : group.ingress) {
    const bool all_traffic = permission.protocol == "-1";
    const bool covers_443 = permission.protocol == "tcp" && permission.from_port <= https_port &&
                            permission.to_port >= https_port;
    if (all_traffic || covers_443) admitted.insert(permission.cidrs.begin(), permission.cidrs.end());
  }
  std::vector<std::string> missing;
  for (const auto& cidr : wanted) {
    if (!admitted.contains(cidr)) missing.push_back(cidr);
  }
  return missing;
}

}  // namespace provision
