#pragma once
// `provision iam-policy`: the least-privilege IAM policies for plan, apply,
// verify and destroy in every mode. The list of actions lives here only; the
// policies are built from it and the tests compare it with the calls the
// code really makes (tests/support/aws_fake's call log).
//
// Two documents: one for the endpoint VPC's account (the default
// credentials), one for the Agent VPCs' account when they are another
// account (agent_vpcs[].profile: cross-region endpoints in their VPCs, the
// peering acceptance and routes on their side, and the zone association).
#include <array>
#include <string>
#include <string_view>

namespace provision {

enum class TagCondition {
  none,          // Describe*, Route 53 (no tag conditions there), user-owned resources
  request_tag,   // creates: aws:RequestTag/privatelink-sidecar:managed = "true" on the new resource
  resource_tag,  // deletes: aws:ResourceTag/privatelink-sidecar:managed = "true"
  create_action, // CreateTags: only as part of our creates (tag on create)
};

enum class PolicyAccount { endpoint, agent };

struct IamActionUse {
  std::string_view service;        // "ec2", "route53", or "vpce" (permission-only)
  std::string_view action;         // API action name, "DescribeVpcs"
  TagCondition condition = TagCondition::none;
  std::string_view resource_type;  // ARN resource type ("" = *)
  bool called = true;              // false: authorized implicitly (CreateTags on tag-on-create)
  bool endpoint_account = true;
  bool agent_account = true;
};

// clang-format off
inline constexpr std::array<IamActionUse, 38> iam_actions = {{
    {"ec2", "DescribeVpcs", TagCondition::none, "", true, true, true},
    {"ec2", "DescribeVpcAttribute", TagCondition::none, "", true, true, true},
    {"ec2", "DescribeSubnets", TagCondition::none, "", true, true, true},
    {"ec2", "DescribeVpcEndpointServices", TagCondition::none, "", true, true, true},
    {"ec2", "DescribeSecurityGroups", TagCondition::none, "", true, true, true},
    {"ec2", "DescribeVpcEndpoints", TagCondition::none, "", true, true, true},
    {"ec2", "DescribeVpcPeeringConnections", TagCondition::none, "", true, true, true},
    {"ec2", "DescribeRouteTables", TagCondition::none, "", true, true, true},
    // Only with turn_on_vpc_dns: true.
    {"ec2", "ModifyVpcAttribute", TagCondition::none, "vpc", true, true, true},
    {"ec2", "CreateSecurityGroup", TagCondition::request_tag, "security-group", true, true, true},
    // Not conditioned: apply also opens 443 on a group of that name the user made.
    {"ec2", "AuthorizeSecurityGroupIngress", TagCondition::none, "security-group", true, true, true},
    {"ec2", "CreateVpcEndpoint", TagCondition::request_tag, "vpc-endpoint", true, true, true},
    // Not conditioned: apply also fixes endpoints it adopted (made by hand).
    {"ec2", "ModifyVpcEndpoint", TagCondition::none, "vpc-endpoint", true, true, true},
    {"ec2", "CreateTags", TagCondition::create_action, "", false, true, true},
    // Permission-only: CreateVpcEndpoint with ServiceRegion (cross-region mode).
    {"vpce", "AllowMultiRegion", TagCondition::none, "", false, true, true},
    {"ec2", "DeleteVpcEndpoints", TagCondition::resource_tag, "vpc-endpoint", true, true, true},
    {"ec2", "DeleteSecurityGroup", TagCondition::resource_tag, "security-group", true, true, true},
    {"ec2", "CreateVpcPeeringConnection", TagCondition::request_tag, "vpc-peering-connection", true, true, false},
    {"ec2", "AcceptVpcPeeringConnection", TagCondition::none, "vpc-peering-connection", true, true, true},
    {"ec2", "DeleteVpcPeeringConnection", TagCondition::resource_tag, "vpc-peering-connection", true, true, false},
    // Route tables are the user's: no tag to condition on.
    {"ec2", "CreateRoute", TagCondition::none, "route-table", true, true, true},
    {"ec2", "DeleteRoute", TagCondition::none, "route-table", true, true, true},
    {"route53", "CreateHostedZone", TagCondition::none, "", true, true, false},
    {"route53", "GetHostedZone", TagCondition::none, "hostedzone", true, true, false},
    {"route53", "ListHostedZones", TagCondition::none, "", true, true, false},
    {"route53", "ListHostedZonesByName", TagCondition::none, "", true, true, false},
    // Zones already on a VPC (a second one of a name is refused): asked by the VPC's owner.
    {"route53", "ListHostedZonesByVPC", TagCondition::none, "", true, true, true},
    {"route53", "ListResourceRecordSets", TagCondition::none, "hostedzone", true, true, false},
    {"route53", "ChangeResourceRecordSets", TagCondition::none, "hostedzone", true, true, false},
    {"route53", "ChangeTagsForResource", TagCondition::none, "hostedzone", true, true, false},
    {"route53", "ListTagsForResource", TagCondition::none, "hostedzone", true, true, false},
    {"route53", "DisassociateVPCFromHostedZone", TagCondition::none, "hostedzone", true, true, false},
    {"route53", "DeleteHostedZone", TagCondition::none, "hostedzone", true, true, false},
    {"route53", "CreateVPCAssociationAuthorization", TagCondition::none, "hostedzone", true, true, false},
    {"route53", "DeleteVPCAssociationAuthorization", TagCondition::none, "hostedzone", true, true, false},
    {"route53", "ListVPCAssociationAuthorizations", TagCondition::none, "hostedzone", true, true, false},
    {"route53", "AssociateVPCWithHostedZone", TagCondition::none, "hostedzone", true, true, true},
    {"route53", "GetChange", TagCondition::none, "change", true, true, true},
}};
// clang-format on

// The policy document (IAM JSON, Version 2012-10-17), pretty-printed.
std::string iam_policy_json(PolicyAccount account = PolicyAccount::endpoint);

}  // namespace provision
