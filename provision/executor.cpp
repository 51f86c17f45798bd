#include "provision/executor.h"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "provision/service_catalog.h"
#include "provision/state_reader.h"

namespace provision {
namespace {

// Eight random hex digits, new for every run.
std::string random_nonce() {
  std::random_device random;
  return fmt::format("{:08x}", random());
}

Expected<void> to_expected(const aws::Result<void>& result) {
  if (result) return {};
  return result.error();
}

class Executor {
 public:
  Executor(const ProvisionConfig& config, AwsClients& clients, const ApplyOptions& options)
      : config_(config), clients_(clients), options_(options), placements_(placements(config)) {}

  ApplyReport run(const Plan& plan) {
    for (const Action& action : plan.actions) {
      if (is_dns_action(action.kind()) && !endpoints_ready_) {
        if (!attempt("waiting for the endpoints", [&] { return wait_for_endpoints(); })) return std::move(report_);
      }
      if (!attempt(action.description, [&] { return run_action(action); })) return std::move(report_);
      report_.done.push_back(action.description);
      options_.progress("done: " + action.description);
    }
    if (!endpoints_ready_ && !attempt("waiting for the endpoints", [&] { return wait_for_endpoints(); })) {
      return std::move(report_);
    }
    attempt("waiting for Route 53 changes", [&] { return wait_for_changes(); });
    return std::move(report_);
  }

 private:
  bool attempt(const std::string& what, const std::function<Expected<void>()>& work) {
    return run_step(what, work, options_, report_.failure);
  }

  // One overload of run() per kind of action (planner.h, namespace actions).
  Expected<void> run_action(const Action& action) {
    return std::visit([&](const auto& step) { return run(action.target, step); }, action.details);
  }

  Expected<const aws::Ec2Client*> ec2(const CallTarget& target) { return clients_.ec2(target); }

  // ------------------------------------------------------------ waiting

  Expected<void> poll(const std::string& what, const PendingCheck& pending) {
    return wait_until_done(what, pending, options_, "apply");
  }

  // One live endpoint per configured service in every placement, each
  // available. Not listed yet (EC2 is eventually consistent) is pending; a
  // failed or rejected one stops apply with its id.
  Expected<void> wait_for_endpoints() {
    auto waited = poll("the endpoints to become available", [&]() -> Expected<std::string> {
      std::vector<std::string> pending;
      report_.endpoint_ids.clear();
      for (std::size_t index = 0; index < placements_.size(); ++index) {
        auto found = pending_endpoints(index, pending);
        if (!found) return found.error();
      }
      if (pending.empty()) return std::string();
      return fmt::format("{} pending: {}", pending.size(), fmt::join(pending, ", "));
    });
    if (waited) endpoints_ready_ = true;
    return waited;
  }

  Expected<void> pending_endpoints(std::size_t index, std::vector<std::string>& pending) {
    const Placement& placement = placements_[index];
    auto client = ec2({placement.region, placement.profile});
    if (!client) return client.error();
    auto listed = (*client)->describe_vpc_endpoints({}, {{"vpc-id", {placement.vpc_id}}});
    if (!listed) return listed.error();
    for (const auto& service : config_.services) {
      const aws::VpcEndpoint* endpoint = find_endpoint(*listed, service.service_name);
      if (endpoint == nullptr) {
        if (const auto* dead = find_dead_endpoint(*listed, service.service_name)) {
          return Error{checks::ErrorCode::io, fmt::format("endpoint {} for {} in {} is {}", dead->id,
                                                          service.short_name, placement.vpc_id, dead->state)};
        }
        pending.push_back(fmt::format("{} in {} (not listed yet)", service.short_name, placement.vpc_id));
        continue;
      }
      report_.endpoint_ids.push_back(endpoint->id);
      if (!is_available(endpoint->state)) pending.push_back(fmt::format("{} ({})", endpoint->id, endpoint->state));
      if (index == 0) endpoint_by_service_[service.service_name] = *endpoint;
    }
    return {};
  }

  static const aws::VpcEndpoint* find_dead_endpoint(const std::vector<aws::VpcEndpoint>& endpoints,
                                                    const std::string& service_name) {
    for (const auto& endpoint : endpoints) {
      if (endpoint.service_name == service_name && is_dead_endpoint_state(endpoint.state)) return &endpoint;
    }
    return nullptr;
  }

  Expected<void> wait_for_changes() {
    return poll("Route 53 changes to be in sync", [&]() -> Expected<std::string> {
      std::vector<std::string> pending;
      for (const auto& [id, client] : pending_changes_) {
        auto change = client->get_change(id);
        if (!change) return change.error();
        if (change->status != "INSYNC") pending.push_back(id);
      }
      std::erase_if(pending_changes_, [&](const auto& entry) {
        return std::find(pending.begin(), pending.end(), entry.first) == pending.end();
      });
      if (pending.empty()) return std::string();
      return fmt::format("{} change(s) PENDING", pending.size());
    });
  }

  void track_change(const aws::Route53Client* client, const aws::ChangeInfo& change) {
    if (change.status != "INSYNC" && !change.id.empty()) pending_changes_.emplace(change.id, client);
  }

  // ------------------------------------------------------------ VPC, group, endpoints

  Expected<void> run(const CallTarget& target, const actions::TurnOnVpcDns& step) {
    auto client = ec2(target);
    if (!client) return client.error();
    return to_expected((*client)->modify_vpc_attribute(step.vpc_id, step.attribute, true));
  }

  // The planned group, or the one this apply created in the placement.
  std::string group_id(const std::string& planned, std::size_t placement) const {
    if (!planned.empty()) return planned;
    const auto found = created_groups_.find(placement);
    return found == created_groups_.end() ? std::string() : found->second;
  }

  Expected<void> run(const CallTarget& target, const actions::CreateSecurityGroup& step) {
    auto client = ec2(target);
    if (!client) return client.error();
    auto created = (*client)->create_security_group(
        config_.security_group_name, "Datadog PrivateLink endpoints (privatelink-sidecar)", step.vpc_id, step.tags);
    if (created) {
      created_groups_[step.placement] = *created;
      return {};
    }
    // Made by an earlier apply whose answer was lost: adopt it.
    if (!created.is_aws_error("InvalidGroup.Duplicate")) return created.error();
    auto groups = (*client)->describe_security_groups(
        {}, {{"vpc-id", {step.vpc_id}}, {"group-name", {config_.security_group_name}}});
    if (!groups) return groups.error();
    if (groups->empty()) return Error{checks::ErrorCode::internal, "EC2 says the group exists but does not list it"};
    created_groups_[step.placement] = groups->front().id;
    return {};
  }

  Expected<void> run(const CallTarget& target, const actions::AuthorizeIngress& step) {
    auto client = ec2(target);
    if (!client) return client.error();
    auto outcome =
        (*client)->authorize_tcp_ingress(group_id(step.security_group_id, step.placement), https_port, step.cidrs);
    if (!outcome) return outcome.error();
    return {};
  }

  Expected<void> run(const CallTarget& target, const actions::CreateEndpoint& step) {
    auto client = ec2(target);
    if (!client) return client.error();
    const std::string group = group_id(step.security_group_id, step.placement);
    aws::CreateVpcEndpointRequest request;
    request.vpc_id = step.vpc_id;
    request.service_name = step.service.service_name;
    request.subnet_ids = step.subnet_ids;
    request.security_group_ids = {group};
    request.private_dns_enabled = step.private_dns;
    request.service_region = placements_[step.placement].service_region;
    request.tags = step.tags;
    request.client_token = endpoint_client_token(run_nonce_, group, step.service.service_name);
    auto created = (*client)->create_vpc_endpoint(request);
    if (!created) return created.error();
    options_.progress(fmt::format("{} for {}: {}", created->id, step.service.short_name, created->state));
    return {};
  }

  Expected<void> run(const CallTarget& target, const actions::ModifyEndpoint& step) {
    auto client = ec2(target);
    if (!client) return client.error();
    aws::ModifyVpcEndpointRequest request;
    request.endpoint_id = step.endpoint_id;
    request.add_subnet_ids = step.add_subnet_ids;
    if (step.attach_group) request.add_security_group_ids = {group_id(step.security_group_id, step.placement)};
    request.private_dns_enabled = step.private_dns;
    return to_expected((*client)->modify_vpc_endpoint(request));
  }

  // ------------------------------------------------------------ peering

  // The planned peering, or the one this apply created towards the Agent VPC.
  std::string peering_id(const std::string& planned, const std::string& peer_vpc_id) const {
    if (!planned.empty()) return planned;
    const auto found = created_peerings_.find(peer_vpc_id);
    return found == created_peerings_.end() ? std::string() : found->second;
  }

  // EC2 has no ClientToken for peerings: the planner looked first, so a
  // create here is new (or a lost answer, found again by the next plan).
  Expected<void> run(const CallTarget& target, const actions::CreatePeering& step) {
    auto client = ec2(target);
    if (!client) return client.error();
    aws::CreateVpcPeeringRequest request;
    request.vpc_id = step.vpc_id;
    request.peer_vpc_id = step.peer_vpc_id;
    if (step.peer_region != target.region) request.peer_region = step.peer_region;
    if (!step.peer_owner_id.empty()) request.peer_owner_id = step.peer_owner_id;
    request.tags = step.tags;
    auto created = (*client)->create_vpc_peering_connection(request);
    if (!created) return adopt_lost_peering(**client, step, created.error(), created.aws_error());
    created_peerings_[step.peer_vpc_id] = created->id;
    options_.progress(fmt::format("{}: {}", created->id, created->status_code));
    return {};
  }

  // No answer or a 5xx: the peering may exist anyway (it is never sent
  // twice, see Ec2Client). Look for it before giving up.
  Expected<void> adopt_lost_peering(const aws::Ec2Client& client, const actions::CreatePeering& step, const Error& failure,
                                    const aws::AwsError* refusal) {
    const bool maybe_made = refusal == nullptr || refusal->http_status >= 500 ||
                            aws::same_error_code(refusal->code, "VpcPeeringConnectionAlreadyExists");
    if (!maybe_made) return failure;
    auto peerings = client.describe_vpc_peering_connections(
        {}, {{"requester-vpc-info.vpc-id", {step.vpc_id}}, {"accepter-vpc-info.vpc-id", {step.peer_vpc_id}}});
    if (!peerings) return failure;
    for (const auto& peering : *peerings) {
      if (is_dead_peering_state(peering.status_code)) continue;
      created_peerings_[step.peer_vpc_id] = peering.id;
      options_.progress(fmt::format("{}: {} (found after: {})", peering.id, peering.status_code, failure.message));
      return {};
    }
    return failure;
  }

  // Polls the peering (in the region and account of `target`) until its
  // status is one of `wanted`; a failed peering stops with its message.
  Expected<std::string> wait_for_peering(const CallTarget& target, const std::string& id,
                                         std::initializer_list<const char*> wanted) {
    auto client = ec2(target);
    if (!client) return client.error();
    std::string status;
    auto waited = poll(fmt::format("peering {}", id), [&]() -> Expected<std::string> {
      auto peerings = (*client)->describe_vpc_peering_connections({id});
      if (!peerings) return peerings.error();
      if (peerings->empty()) return std::string("not visible yet");
      const auto& peering = peerings->front();
      status = peering.status_code;
      for (const char* state : wanted) {
        if (strcasecmp(status.c_str(), state) == 0) return std::string();
      }
      if (is_dead_peering_state(status)) {
        return Error{checks::ErrorCode::io, fmt::format("peering {} is {}: {}", id, status, peering.status_message)};
      }
      return status;
    });
    if (!waited) return waited.error();
    return status;
  }

  Expected<void> run(const CallTarget& target, const actions::AcceptPeering& step) {
    const std::string id = peering_id(step.peering_id, step.peer_vpc_id);
    // Inter-region peerings pass through initiating-request first.
    auto status = wait_for_peering(target, id, {"pending-acceptance", "active", "provisioning"});
    if (!status) return status.error();
    if (strcasecmp(status->c_str(), "pending-acceptance") != 0) return {};
    auto client = ec2(target);
    if (!client) return client.error();
    auto accepted = (*client)->accept_vpc_peering_connection(id);
    if (!accepted) return accepted.error();
    return {};
  }

  Expected<void> run(const CallTarget& target, const actions::CreateRoute& step) {
    const std::string id = peering_id(step.peering_id, step.peer_vpc_id);
    if (!active_peerings_.contains(id)) {
      auto status = wait_for_peering(target, id, {"active"});
      if (!status) return status.error();
      active_peerings_.insert(id);
    }
    auto client = ec2(target);
    if (!client) return client.error();
    auto outcome = (*client)->create_route(step.route_table_id, step.destination_cidr, id);
    if (!outcome) return outcome.error();
    if (*outcome == aws::Outcome::created) return {};
    return check_existing_route(**client, step, id);
  }

  // RouteAlreadyExists is fine only when the route goes over this peering.
  Expected<void> check_existing_route(const aws::Ec2Client& client, const actions::CreateRoute& step,
                                      const std::string& id) {
    auto tables = client.describe_route_tables({step.route_table_id});
    if (!tables) return tables.error();
    for (const auto& table : *tables) {
      for (const auto& route : table.routes) {
        if (route.destination_cidr_block == step.destination_cidr && route.vpc_peering_connection_id == id) {
          return {};
        }
      }
    }
    return Error{checks::ErrorCode::config,
                 fmt::format("{} already routes {} elsewhere; provision does not replace it", step.route_table_id,
                             step.destination_cidr)};
  }

  // ------------------------------------------------------------ zones

  // The planned zone, or the one this apply created for the name.
  std::string zone_id(const std::string& planned, const std::string& zone_name) const {
    if (!planned.empty()) return planned;
    const auto found = created_zones_.find(zone_name);
    return found == created_zones_.end() ? std::string() : found->second;
  }
  std::string zone_id(const actions::ZoneAssociation& step) const { return zone_id(step.zone_id, step.zone_name); }

  // CallerReference must be new for every create (Route 53 remembers used
  // ones even for deleted zones), so it is random, not derived from the name.
  static std::string caller_reference(const std::string& name) {
    return fmt::format("{}{}-privatelink-sidecar-{}", random_nonce(), random_nonce(), name).substr(0, 128);
  }

  // Zones belong to the endpoint VPC's account: every zone call but the
  // association itself goes through its credentials (the default chain).
  Expected<void> run(const CallTarget&, const actions::CreateZone& step) {
    auto route53 = clients_.route53(std::nullopt);
    if (!route53) return route53.error();
    // The comment marks the zone as ours until the tags below are on.
    auto created = (*route53)->create_private_hosted_zone(step.zone_name, step.first_vpc, caller_reference(step.zone_name),
                                                          zone_comment(config_, step.service));
    if (!created) return created.error();
    created_zones_[step.zone_name] = created->zone.id;
    track_change(*route53, created->change);
    // Tagged right away: the tags are how plan, verify and destroy find it.
    return to_expected((*route53)->change_tags_for_hosted_zone(created->zone.id, step.tags));
  }

  Expected<void> run(const CallTarget&, const actions::TagZone& step) {
    auto route53 = clients_.route53(std::nullopt);
    if (!route53) return route53.error();
    return to_expected((*route53)->change_tags_for_hosted_zone(step.zone_id, step.tags));
  }

  Expected<void> run(const CallTarget&, const actions::UpsertAlias& step) {
    const auto endpoint = endpoint_by_service_.find(step.service.service_name);
    if (endpoint == endpoint_by_service_.end() || endpoint->second.dns_entries.empty()) {
      return Error{checks::ErrorCode::internal,
                   fmt::format("no endpoint with DNS entries for {}", step.service.service_name)};
    }
    auto route53 = clients_.route53(std::nullopt);
    if (!route53) return route53.error();
    const aws::RecordChange change{aws::ChangeAction::upsert,
                                   aws::alias_a_record(step.zone_name, endpoint->second.dns_entries.front())};
    auto changed = (*route53)->change_resource_record_sets(zone_id(step.zone_id, step.zone_name), {change},
                                                           "privatelink-sidecar");
    if (!changed) return changed.error();
    track_change(*route53, *changed);
    return {};
  }

  Expected<void> run(const CallTarget&, const actions::AuthorizeAssociation& step) {
    auto route53 = clients_.route53(std::nullopt);
    if (!route53) return route53.error();
    return to_expected((*route53)->create_vpc_association_authorization(zone_id(step), step.vpc));
  }

  // Made with the VPC owner's credentials (the Agent VPC's profile).
  Expected<void> run(const CallTarget& target, const actions::AssociateZone& step) {
    auto route53 = clients_.route53(target.profile);
    if (!route53) return route53.error();
    auto associated = (*route53)->associate_vpc(zone_id(step), step.vpc, "privatelink-sidecar");
    if (associated) {
      track_change(*route53, *associated);
      return {};
    }
    if (!associated.is_aws_error("ConflictingDomainExists")) return associated.error();
    return check_conflict(step, associated.error());
  }

  // ConflictingDomainExists: fine when it is this zone (a lost answer);
  // otherwise the VPC already has another zone of that name.
  Expected<void> check_conflict(const actions::AssociateZone& step, const Error& conflict) {
    auto owner = clients_.route53(std::nullopt);
    if (!owner) return owner.error();
    auto zone = (*owner)->get_hosted_zone(zone_id(step));
    if (!zone) return zone.error();
    if (std::find(zone->vpcs.begin(), zone->vpcs.end(), step.vpc) != zone->vpcs.end()) return {};
    return conflict.with_prefix(fmt::format("{} already has another private zone named {} (remove that association "
                                            "first): ",
                                            step.vpc.vpc_id, step.zone_name));
  }

  Expected<void> run(const CallTarget&, const actions::DeleteAuthorization& step) {
    auto route53 = clients_.route53(std::nullopt);
    if (!route53) return route53.error();
    auto deleted = (*route53)->delete_vpc_association_authorization(zone_id(step), step.vpc);
    if (deleted || deleted.is_aws_error("VPCAssociationAuthorizationNotFound")) return {};
    return deleted.error();
  }

  const ProvisionConfig& config_;
  AwsClients& clients_;
  const ApplyOptions& options_;
  const std::vector<Placement> placements_;
  const std::string run_nonce_ = random_nonce();
  ApplyReport report_;
  bool endpoints_ready_ = false;
  std::map<std::size_t, std::string> created_groups_;    // by placement
  std::map<std::string, std::string> created_peerings_;  // by Agent VPC id
  std::set<std::string> active_peerings_;
  std::map<std::string, std::string> created_zones_;  // by zone name
  std::map<std::string, aws::VpcEndpoint> endpoint_by_service_;  // placement 0, after the wait
  std::map<std::string, const aws::Route53Client*> pending_changes_;
};

}  // namespace

ApplyReport apply_plan(const ProvisionConfig& config, const Plan& plan, AwsClients& clients,
                       const ApplyOptions& options) {
  if (!plan.ok()) {
    ApplyReport refused;
    refused.failure = Error{checks::ErrorCode::config,
                            fmt::format("the plan has {} problem(s); fix them and run plan again", plan.problems.size())};
    return refused;
  }
  return Executor(config, clients, options).run(plan);
}

std::string endpoint_client_token(const std::string& run_nonce, const std::string& security_group_id,
                                  const std::string& service_name) {
  // 8 + 1 + sg-<17 hex> + 1 + vpce-svc-<17 hex> = 57 characters.
  return fmt::format("{}-{}-{}", run_nonce, security_group_id, service_id(service_name)).substr(0, 64);
}

}  // namespace provision
