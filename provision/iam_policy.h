#pragma once
// `provision iam-policy`: the least-privilege IAM policy for plan, apply,
// verify and destroy in same-region mode. The list of EC2 actions lives here
// only; the policy is built from it and the tests compare it with the calls
// the code really makes (tests/support/aws_fake's call log).
#include <array>
#include <string>
#include <string_view>

namespace provision {

enum class TagCondition {
  none,          // Describe*: no resource-level permissions in EC2
  request_tag,   // creates: aws:RequestTag/privatelink-sidecar:managed = "true" on the new resource
  resource_tag,  // deletes: aws:ResourceTag/privatelink-sidecar:managed = "true"
  create_action, // CreateTags: only as part of our creates (tag on create)
};

struct IamActionUse {
  std::string_view action;         // EC2 API action name, "DescribeVpcs"
  std::string_view used_by;        // which step calls it
  TagCondition condition = TagCondition::none;
  std::string_view resource_type;  // the resource the condition applies to ("" = *)
  bool called = true;              // false: authorized implicitly (CreateTags on tag-on-create)
};

inline constexpr std::array<IamActionUse, 12> same_region_iam_actions = {{
    {"DescribeVpcs", "plan/apply/verify", TagCondition::none, "", true},
    {"DescribeVpcAttribute", "plan/apply/verify", TagCondition::none, "", true},
    {"DescribeSubnets", "plan/apply/verify", TagCondition::none, "", true},
    {"DescribeVpcEndpointServices", "plan/apply/verify", TagCondition::none, "", true},
    {"DescribeSecurityGroups", "plan/apply/verify/destroy", TagCondition::none, "", true},
    {"DescribeVpcEndpoints", "plan/apply/verify/destroy", TagCondition::none, "", true},
    {"CreateSecurityGroup", "apply", TagCondition::request_tag, "security-group", true},
    // Not conditioned: apply also opens 443 on a group of that name the user made.
    {"AuthorizeSecurityGroupIngress", "apply", TagCondition::none, "security-group", true},
    {"CreateVpcEndpoint", "apply", TagCondition::request_tag, "vpc-endpoint", true},
    {"CreateTags", "apply (tags given at creation)", TagCondition::create_action, "", false},
    {"DeleteVpcEndpoints", "destroy", TagCondition::resource_tag, "vpc-endpoint", true},
    {"DeleteSecurityGroup", "destroy", TagCondition::resource_tag, "security-group", true},
}};

// The policy document (IAM JSON, Version 2012-10-17), pretty-printed.
std::string same_region_iam_policy_json();

}  // namespace provision
