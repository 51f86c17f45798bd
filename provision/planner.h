#pragma once
// The pure part of `provision plan`: finalized config + observed AWS state ->
// what to create or change, what to keep, and why it cannot go ahead. No
// I/O, so every rule is unit-tested with hand-built states.
//
// Actions come in the order apply runs them: VPC DNS attributes, then per
// placement the security group, its 443 rule and the endpoints; then (peering
// mode) peerings, their acceptance and routes both ways; then the private
// zones, their apex aliases and the Agent VPC associations. apply waits for
// the endpoints to be available before the first DNS action, so that no
// name points at an endpoint that does not answer yet.
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "aws/ec2.h"
#include "aws/route53.h"
#include "provision/observed_state.h"
#include "provision/provision_config.h"

namespace provision {

// Tags provision puts on what it creates, and finds it again by.
inline constexpr const char* managed_tag = "privatelink-sidecar:managed";
inline constexpr const char* site_tag = "privatelink-sidecar:site";
inline constexpr const char* service_tag = "privatelink-sidecar:service";
// On zones only: the endpoint VPC they belong to (zones are account-wide).
inline constexpr const char* endpoint_vpc_tag = "privatelink-sidecar:endpoint-vpc";

enum class ActionKind {
  turn_on_vpc_dns,
  create_security_group,
  authorize_ingress,
  create_endpoint,
  modify_endpoint,
  create_peering,
  accept_peering,
  create_route,
  create_zone,
  tag_zone,
  upsert_alias,
  authorize_association,
  associate_zone,
  delete_authorization,
};
const char* to_string(ActionKind kind);
// Zone and record actions: they need the endpoints available first.
bool is_dns_action(ActionKind kind);

// Which account and region a call goes to.
struct CallTarget {
  std::string region;
  std::optional<std::string> profile;  // none: the default chain (the endpoint VPC's account)
};

// One struct per kind of action, holding exactly what that call needs. An
// empty id (group, peering, zone) means "the one an earlier action of this
// apply creates", which apply resolves as it goes.
namespace actions {

struct TurnOnVpcDns {
  static constexpr ActionKind kind = ActionKind::turn_on_vpc_dns;
  std::string vpc_id;
  aws::VpcAttribute attribute = aws::VpcAttribute::enable_dns_support;
};

struct CreateSecurityGroup {
  static constexpr ActionKind kind = ActionKind::create_security_group;
  std::size_t placement = 0;
  std::string vpc_id;
  std::vector<aws::Tag> tags;
};

struct AuthorizeIngress {
  static constexpr ActionKind kind = ActionKind::authorize_ingress;
  std::size_t placement = 0;
  std::string security_group_id;  // empty: the group this apply creates in the placement
  std::vector<std::string> cidrs;
};

struct CreateEndpoint {
  static constexpr ActionKind kind = ActionKind::create_endpoint;
  std::size_t placement = 0;
  std::string vpc_id;
  std::string security_group_id;  // empty: the group this apply creates in the placement
  ServiceChoice service;
  std::vector<std::string> subnet_ids;
  bool private_dns = false;
  std::vector<aws::Tag> tags;
};

// Changes an adopted endpoint in place (its DNS names stay the same).
struct ModifyEndpoint {
  static constexpr ActionKind kind = ActionKind::modify_endpoint;
  std::size_t placement = 0;
  std::string endpoint_id;
  ServiceChoice service;
  std::vector<std::string> add_subnet_ids;
  bool attach_group = false;
  std::string security_group_id;  // the group to attach; empty: the one this apply creates
  bool private_dns = false;
};

// Requested from the endpoint VPC towards an Agent VPC.
struct CreatePeering {
  static constexpr ActionKind kind = ActionKind::create_peering;
  std::string vpc_id;  // the requester: the endpoint VPC
  std::string peer_vpc_id;
  std::string peer_region;
  std::string peer_owner_id;  // set when it is another account
  std::vector<aws::Tag> tags;
};

struct AcceptPeering {
  static constexpr ActionKind kind = ActionKind::accept_peering;
  std::string peer_vpc_id;  // the Agent VPC the peering leads to
  std::string peering_id;   // empty: the one this apply creates for peer_vpc_id
};

struct CreateRoute {
  static constexpr ActionKind kind = ActionKind::create_route;
  std::string route_table_id;
  std::string destination_cidr;
  std::string peer_vpc_id;  // the Agent VPC the peering leads to
  std::string peering_id;   // empty: the one this apply creates for peer_vpc_id
};

struct CreateZone {
  static constexpr ActionKind kind = ActionKind::create_zone;
  std::string zone_name;
  aws::ZoneVpc first_vpc;  // a private zone is created with one VPC
  ServiceChoice service;
  std::vector<aws::Tag> tags;
};

// A zone an earlier apply created but whose tagging answer was lost.
struct TagZone {
  static constexpr ActionKind kind = ActionKind::tag_zone;
  std::string zone_name;
  std::string zone_id;
  std::vector<aws::Tag> tags;
};

struct UpsertAlias {
  static constexpr ActionKind kind = ActionKind::upsert_alias;
  std::string zone_name;
  std::string zone_id;  // empty: the zone this apply creates for zone_name
  ServiceChoice service;
};

// The three steps of a VPC association; authorize and delete only when the
// VPC belongs to another account.
struct ZoneAssociation {
  std::string zone_name;
  std::string zone_id;  // empty: the zone this apply creates for zone_name
  aws::ZoneVpc vpc;
};
struct AuthorizeAssociation : ZoneAssociation {
  static constexpr ActionKind kind = ActionKind::authorize_association;
};
struct AssociateZone : ZoneAssociation {
  static constexpr ActionKind kind = ActionKind::associate_zone;
};
struct DeleteAuthorization : ZoneAssociation {
  static constexpr ActionKind kind = ActionKind::delete_authorization;
};

}  // namespace actions

using ActionDetails =
    std::variant<actions::TurnOnVpcDns, actions::CreateSecurityGroup, actions::AuthorizeIngress,
                 actions::CreateEndpoint, actions::ModifyEndpoint, actions::CreatePeering, actions::AcceptPeering,
                 actions::CreateRoute, actions::CreateZone, actions::TagZone, actions::UpsertAlias,
                 actions::AuthorizeAssociation, actions::AssociateZone, actions::DeleteAuthorization>;

struct Action {
  std::string description;  // one line for people
  CallTarget target;
  ActionDetails details;

  ActionKind kind() const {
    return std::visit([](const auto& detail) { return std::decay_t<decltype(detail)>::kind; }, details);
  }
};

// Something already in place that matches the config.
struct Keep {
  std::string description;
  std::string resource_id;
  bool managed = false;  // carries our tags (destroy will remove it)
};

// Why the plan cannot be applied; `subject` is the config key or resource.
struct PlanProblem {
  std::string subject;
  std::string message;
};

struct Plan {
  std::vector<Action> actions;
  std::vector<Keep> keeps;
  std::vector<PlanProblem> problems;
  bool ok() const { return problems.empty(); }
};

// Port the Agents talk to every intake on.
inline constexpr int https_port = 443;

Plan make_plan(const ProvisionConfig& config, const ObservedState& state);

// The tags of a resource provision creates: ours, then the user's.
std::vector<aws::Tag> managed_tags(const ProvisionConfig& config, const std::string& name,
                                   const std::string& service_short_name = {});
bool is_managed(const std::vector<aws::Tag>& tags);
// Ours = managed and this site's (destroy and zone adoption use it).
bool is_ours(const ProvisionConfig& config, const std::vector<aws::Tag>& tags);
// The CIDR blocks (secondary ones too) a placement's group must admit on 443, in config order, unique.
std::vector<std::string> admitted_cidrs(const Placement& placement, const ObservedState& state);
// The CIDRs in `wanted` the group does not yet admit on tcp/443.
std::vector<std::string> missing_ingress(const aws::SecurityGroup& group,
                                         const std::vector<std::string>& wanted);

// Lookups shared by the planner, the verifier, apply and destroy.
bool is_available(const std::string& endpoint_state);  // case-insensitive, as EC2 answers vary
bool uses_group(const aws::VpcEndpoint& endpoint, const std::string& group_id);
// The endpoint of a service among a VPC's: an available one first, then any
// live one (plan, verify and the alias all use the same one).
const aws::VpcEndpoint* find_endpoint(const std::vector<aws::VpcEndpoint>& endpoints, const std::string& service_name);
const aws::VpcEndpoint* find_endpoint(const PlacementState& placement, const std::string& service_name);
// A live peering between the two VPCs, either direction; the one furthest
// along (active, provisioning, pending) when there are several.
const aws::VpcPeeringConnection* find_peering(const ObservedState& state, const std::string& endpoint_vpc_id,
                                              const std::string& agent_vpc_id);
// The zone provision uses for `name`: ours first, else one already associated
// with the endpoint VPC (adopted, reported as not ours).
const ObservedZone* find_zone(const ProvisionConfig& config, const ObservedState& state, const std::string& name);
// The comment provision gives the zones it creates. Route 53 cannot tag at
// creation, so a zone whose tagging answer was lost is recognised by it.
std::string zone_comment(const ProvisionConfig& config, const ServiceChoice& service);
bool has_our_zone_comment(const ProvisionConfig& config, const std::string& comment);
// The tags of a zone provision creates: managed_tags plus endpoint_vpc_tag.
std::vector<aws::Tag> zone_tags(const ProvisionConfig& config, const std::string& name, const ServiceChoice& service);
// Ours and this endpoint VPC's, by tags (has_our_zone_tags) or by the comment.
bool has_our_zone_tags(const ProvisionConfig& config, const std::vector<aws::Tag>& tags);
bool is_our_zone(const ProvisionConfig& config, const std::vector<aws::Tag>& tags, const std::string& comment);
// The private DNS name of a service as the endpoint VPC's region reports it,
// without a trailing dot; empty when unknown.
std::string private_dns_name(const ObservedState& state, const std::string& service_name);
using aws::same_dns_name;
using aws::without_trailing_dot;
bool is_associated(const ObservedZone& zone, const aws::ZoneVpc& vpc);
// Unparseable CIDRs count as not overlapping (AWS never returns them).
bool cidrs_overlap(const std::string& left, const std::string& right);
// The first pair of blocks (left's, right's) that overlap, over all their blocks.
std::optional<std::pair<std::string, std::string>> overlapping_blocks(const ObservedVpc& left,
                                                                      const ObservedVpc& right);
// True when the Agent VPC belongs to another account than the endpoint VPC.
bool is_other_account(const ObservedState& state, const std::string& agent_vpc_id);
CallTarget agent_target(const AgentVpc& agent);
CallTarget endpoint_target(const ProvisionConfig& config);

}  // namespace provision
