// destroy planning (pure: only what carries our tags, endpoints before the
// group) and the iam-policy document built from the shared action list.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <set>

#include "provision/destroy.h"
#include "provision/iam_policy.h"

namespace provision {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

ProvisionConfig config() {
  ProvisionConfig config;
  config.file = "provision.yaml";
  config.site_domain = "datadoghq.com";
  config.site_label = "US1";
  config.site_region = "us-east-1";
  config.endpoint_vpc = {"us-east-1", "vpc-endpoints", {"subnet-a", "subnet-b"}};
  config.security_group_name = "datadog-pl";
  return config;
}

std::vector<aws::Tag> ours(const std::string& site = "datadoghq.com") {
  return {{"Name", "x"}, {managed_tag, "true"}, {site_tag, site}};
}

aws::VpcEndpoint endpoint(const std::string& id, std::vector<aws::Tag> tags, const std::string& group = "sg-ours") {
  aws::VpcEndpoint endpoint;
  endpoint.id = id;
  endpoint.vpc_id = "vpc-endpoints";
  endpoint.service_name = "com.amazonaws.vpce.us-east-1.vpce-svc-" + id;
  endpoint.state = "available";
  endpoint.groups = {{group, "datadog-pl"}};
  endpoint.tags = std::move(tags);
  return endpoint;
}

aws::SecurityGroup group(const std::string& id, const std::string& name, std::vector<aws::Tag> tags) {
  aws::SecurityGroup group;
  group.id = id;
  group.name = name;
  group.vpc_id = "vpc-endpoints";
  group.tags = std::move(tags);
  return group;
}

std::vector<std::string> endpoint_ids(const DestroyPlan& plan) {
  std::vector<std::string> ids;
  for (const auto& endpoint : plan.placements.at(0).endpoints) ids.push_back(endpoint.id);
  return ids;
}

TEST(DestroyPlan, DeletesOnlyTaggedResourcesOfTheSite) {
  DestroyState state;
  state.placements.resize(1);
  state.placements[0].endpoints = {endpoint("vpce-ours", ours()), endpoint("vpce-user", {{"Name", "mine"}}, "sg-user"),
                     endpoint("vpce-eu", ours("datadoghq.eu"), "sg-eu"),
                     endpoint("vpce-false", {{managed_tag, "false"}, {site_tag, "datadoghq.com"}}, "sg-user")};
  state.placements[0].groups = {group("sg-ours", "datadog-pl", ours()), group("sg-default", "default", {}),
                  group("sg-user", "datadog-pl-old", {}), group("sg-eu", "datadog-eu", ours("datadoghq.eu"))};
  const DestroyPlan plan = make_destroy_plan(config(), state);
  EXPECT_THAT(endpoint_ids(plan), ElementsAre("vpce-ours"));
  ASSERT_THAT(plan.placements[0].groups, SizeIs(1));
  EXPECT_EQ(plan.placements[0].groups[0].id, "sg-ours");
  EXPECT_THAT(plan.problems, IsEmpty());
  // Untagged endpoints and the other site's group are listed as left alone;
  // the default group and unrelated user groups are not even mentioned.
  std::set<std::string> left;
  for (const auto& keep : plan.untouched) left.insert(keep.resource_id);
  EXPECT_EQ(left, (std::set<std::string>{"vpce-user", "vpce-eu", "vpce-false", "sg-eu"}));
  const std::string text = format_destroy_plan_text(plan);
  EXPECT_THAT(text, HasSubstr("2 to delete, 4 left untouched, 0 problem(s)"));
  // Endpoints are listed (and deleted) before the group they use.
  EXPECT_LT(text.find("delete  endpoint vpce-ours"), text.find("delete  security group datadog-pl"));
  EXPECT_THAT(text, HasSubstr("not created by provision"));
}

TEST(DestroyPlan, NothingTaggedIsNothingToDo) {
  DestroyState state;
  state.placements.resize(1);
  state.placements[0].endpoints = {endpoint("vpce-user", {}, "sg-user")};
  state.placements[0].groups = {group("sg-user", "datadog-pl", {})};  // same name, but not ours
  const DestroyPlan plan = make_destroy_plan(config(), state);
  EXPECT_TRUE(plan.empty());
  EXPECT_THAT(plan.untouched, SizeIs(2));
  EXPECT_TRUE(make_destroy_plan(config(), DestroyState{}).empty());
}

// Peering: our zones first, then the routes over our peering in both VPCs,
// then the peering; a peering made by hand and its routes stay.
TEST(DestroyPlan, PeeringResourcesInOrder) {
  ProvisionConfig wanted = config();
  wanted.mode = Mode::peering;
  wanted.agent_vpcs = {{"eu-west-1", "vpc-eu", "agents", {}}};
  DestroyState state;
  state.placements.resize(1);
  aws::VpcPeeringConnection mine;
  mine.id = "pcx-ours";
  mine.status_code = "active";
  mine.requester.vpc_id = "vpc-endpoints";
  mine.accepter.vpc_id = "vpc-eu";
  mine.tags = ours();
  aws::VpcPeeringConnection theirs = mine;
  theirs.id = "pcx-hand";
  theirs.tags = {};
  state.peerings = {mine, theirs};
  aws::RouteTable hub;
  hub.id = "rtb-hub";
  hub.routes = {{"10.2.0.0/16", "pcx-ours", "", "active"}, {"10.9.0.0/16", "pcx-hand", "", "active"}};
  aws::RouteTable eu;
  eu.id = "rtb-eu";
  eu.routes = {{"10.1.0.0/16", "pcx-ours", "", "active"}};
  state.route_tables = {{"vpc-endpoints", {hub}}, {"vpc-eu", {eu}}};
  ObservedZone zone;
  zone.zone = {"Z1", "metrics.agent.datadoghq.com.", "ref", "", true, 3};
  zone.tags = ours();
  zone.tags.push_back({endpoint_vpc_tag, "vpc-endpoints"});
  // The same site's zone of another deployment (another endpoint VPC): not ours.
  ObservedZone other = zone;
  other.zone.id = "Z2";
  other.tags.back().value = "vpc-staging";
  state.zones = {zone, other};
  const DestroyPlan plan = make_destroy_plan(wanted, state);
  ASSERT_THAT(plan.peerings, SizeIs(1));
  EXPECT_EQ(plan.peerings[0].id, "pcx-ours");
  ASSERT_THAT(plan.routes, SizeIs(2));
  EXPECT_EQ(plan.routes[0].route_table_id, "rtb-hub");  // by VPC id
  EXPECT_EQ(plan.routes[0].target.region, "us-east-1");
  EXPECT_EQ(plan.routes[0].target.profile, std::nullopt);
  EXPECT_EQ(plan.routes[1].route_table_id, "rtb-eu");
  EXPECT_EQ(plan.routes[1].target.region, "eu-west-1");  // the Agent side, with its account's profile
  EXPECT_EQ(plan.routes[1].target.profile, "agents");
  EXPECT_EQ(plan.size(), 4u);
  const std::string text = format_destroy_plan_text(plan);
  EXPECT_LT(text.find("delete  private zone metrics.agent.datadoghq.com"), text.find("delete  route"));
  EXPECT_LT(text.find("delete  route"), text.find("delete  peering pcx-ours"));
  EXPECT_THAT(text, HasSubstr("leave   peering vpc-endpoints <-> vpc-eu: not created by provision (pcx-hand)"));
  const auto json = nlohmann::json::parse(format_destroy_plan_json(plan));
  EXPECT_EQ(json["delete"].size(), 4u);
  EXPECT_EQ(json["delete"][0]["kind"], "private-zone");
  EXPECT_EQ(json["leave"][0]["id"], "pcx-hand");
}

TEST(DestroyPlan, KeepsOurGroupWhileAnEndpointItLeavesUsesIt) {
  DestroyState state;
  state.placements.resize(1);
  state.placements[0].endpoints = {endpoint("vpce-ours", ours()), endpoint("vpce-user", {}, "sg-ours")};
  state.placements[0].groups = {group("sg-ours", "datadog-pl", ours())};
  const DestroyPlan plan = make_destroy_plan(config(), state);
  EXPECT_THAT(endpoint_ids(plan), ElementsAre("vpce-ours"));
  EXPECT_THAT(plan.placements[0].groups, IsEmpty());
  ASSERT_THAT(plan.problems, SizeIs(1));
  EXPECT_THAT(plan.problems[0].message, HasSubstr("used by endpoint vpce-user"));
}

std::set<std::string> listed_actions(const nlohmann::json& policy) {
  std::set<std::string> listed;
  for (const auto& statement : policy["Statement"]) {
    for (const auto& action : statement["Action"]) listed.insert(action.get<std::string>());
  }
  return listed;
}

TEST(IamPolicy, ListsExactlyTheSharedActionsWithTagConditions) {
  const auto policy = nlohmann::json::parse(iam_policy_json());
  EXPECT_EQ(policy["Version"], "2012-10-17");
  std::set<std::string> listed;
  std::map<std::string, std::set<std::string>> condition_keys;  // action -> condition keys
  for (const auto& statement : policy["Statement"]) {
    EXPECT_EQ(statement["Effect"], "Allow");
    for (const auto& action : statement["Action"]) {
      listed.insert(action.get<std::string>());
      if (!statement.contains("Condition")) continue;
      for (const auto& [op, keys] : statement["Condition"].items()) {
        for (const auto& [key, value] : keys.items()) condition_keys[action.get<std::string>()].insert(key);
      }
    }
  }
  std::set<std::string> shared;
  for (const auto& use : iam_actions) {
    if (use.endpoint_account) shared.insert(std::string(use.service) + ":" + std::string(use.action));
  }
  EXPECT_EQ(listed, shared);
  EXPECT_THAT(listed, ::testing::Contains("ec2:DeleteVpcEndpoints"));
  const std::string resource_tag = std::string("aws:ResourceTag/") + managed_tag;
  const std::string request_tag = std::string("aws:RequestTag/") + managed_tag;
  EXPECT_EQ(condition_keys["ec2:DeleteVpcEndpoints"], std::set<std::string>{resource_tag});
  EXPECT_EQ(condition_keys["ec2:DeleteSecurityGroup"], std::set<std::string>{resource_tag});
  EXPECT_EQ(condition_keys["ec2:CreateVpcEndpoint"], std::set<std::string>{request_tag});
  EXPECT_EQ(condition_keys["ec2:CreateSecurityGroup"], std::set<std::string>{request_tag});
  EXPECT_EQ(condition_keys["ec2:CreateTags"], std::set<std::string>{"ec2:CreateAction"});
  EXPECT_EQ(condition_keys["ec2:CreateVpcPeeringConnection"], std::set<std::string>{request_tag});
  EXPECT_EQ(condition_keys["ec2:DeleteVpcPeeringConnection"], std::set<std::string>{resource_tag});
  EXPECT_THAT(listed, ::testing::Contains("route53:CreateVPCAssociationAuthorization"));
  EXPECT_THAT(listed, ::testing::Contains("vpce:AllowMultiRegion"));  // cross-region endpoints
  // Deletes of what provision creates are never allowed without the tag
  // condition (routes live in the user's route tables: no tag to check).
  for (const auto& statement : policy["Statement"]) {
    for (const auto& action : statement["Action"]) {
      if (action.get<std::string>().starts_with("ec2:Delete") && action != "ec2:DeleteRoute") {
        EXPECT_TRUE(statement.contains("Condition"));
      }
    }
  }
}

// The Agent VPCs' account accepts the peering, routes its side, associates
// its VPCs; it never creates peerings or zones.
TEST(IamPolicy, AgentAccountGetsOnlyItsSide) {
  const auto listed = listed_actions(nlohmann::json::parse(iam_policy_json(PolicyAccount::agent)));
  EXPECT_THAT(listed, ::testing::Contains("ec2:AcceptVpcPeeringConnection"));
  EXPECT_THAT(listed, ::testing::Contains("route53:AssociateVPCWithHostedZone"));
  EXPECT_THAT(listed, ::testing::Contains("ec2:CreateRoute"));
  EXPECT_THAT(listed, ::testing::Not(::testing::Contains("ec2:CreateVpcPeeringConnection")));
  EXPECT_THAT(listed, ::testing::Not(::testing::Contains("route53:CreateHostedZone")));
  EXPECT_THAT(listed, ::testing::Not(::testing::Contains("route53:CreateVPCAssociationAuthorization")));
}

}  // namespace
}  // namespace provision
