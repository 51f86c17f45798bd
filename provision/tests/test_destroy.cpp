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
  for (const auto& endpoint : plan.endpoints) ids.push_back(endpoint.id);
  return ids;
}

TEST(DestroyPlan, DeletesOnlyTaggedResourcesOfTheSite) {
  DestroyState state;
  state.endpoints = {endpoint("vpce-ours", ours()), endpoint("vpce-user", {{"Name", "mine"}}, "sg-user"),
                     endpoint("vpce-eu", ours("datadoghq.eu"), "sg-eu"),
                     endpoint("vpce-false", {{managed_tag, "false"}, {site_tag, "datadoghq.com"}}, "sg-user")};
  state.groups = {group("sg-ours", "datadog-pl", ours()), group("sg-default", "default", {}),
                  group("sg-user", "datadog-pl-old", {}), group("sg-eu", "datadog-eu", ours("datadoghq.eu"))};
  const DestroyPlan plan = make_destroy_plan(config(), state);
  EXPECT_THAT(endpoint_ids(plan), ElementsAre("vpce-ours"));
  ASSERT_THAT(plan.groups, SizeIs(1));
  EXPECT_EQ(plan.groups[0].id, "sg-ours");
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
  state.endpoints = {endpoint("vpce-user", {}, "sg-user")};
  state.groups = {group("sg-user", "datadog-pl", {})};  // same name, but not ours
  const DestroyPlan plan = make_destroy_plan(config(), state);
  EXPECT_TRUE(plan.empty());
  EXPECT_THAT(plan.untouched, SizeIs(2));
  EXPECT_TRUE(make_destroy_plan(config(), DestroyState{}).empty());
}

TEST(DestroyPlan, KeepsOurGroupWhileAnEndpointItLeavesUsesIt) {
  DestroyState state;
  state.endpoints = {endpoint("vpce-ours", ours()), endpoint("vpce-user", {}, "sg-ours")};
  state.groups = {group("sg-ours", "datadog-pl", ours())};
  const DestroyPlan plan = make_destroy_plan(config(), state);
  EXPECT_THAT(endpoint_ids(plan), ElementsAre("vpce-ours"));
  EXPECT_THAT(plan.groups, IsEmpty());
  ASSERT_THAT(plan.problems, SizeIs(1));
  EXPECT_THAT(plan.problems[0].message, HasSubstr("used by endpoint vpce-user"));
}

TEST(IamPolicy, ListsExactlyTheSharedActionsWithTagConditions) {
  const auto policy = nlohmann::json::parse(same_region_iam_policy_json());
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
  for (const auto& use : same_region_iam_actions) shared.insert("ec2:" + std::string(use.action));
  EXPECT_EQ(listed, shared);
  EXPECT_THAT(listed, ::testing::Contains("ec2:DeleteVpcEndpoints"));
  const std::string resource_tag = std::string("aws:ResourceTag/") + managed_tag;
  const std::string request_tag = std::string("aws:RequestTag/") + managed_tag;
  EXPECT_EQ(condition_keys["ec2:DeleteVpcEndpoints"], std::set<std::string>{resource_tag});
  EXPECT_EQ(condition_keys["ec2:DeleteSecurityGroup"], std::set<std::string>{resource_tag});
  EXPECT_EQ(condition_keys["ec2:CreateVpcEndpoint"], std::set<std::string>{request_tag});
  EXPECT_EQ(condition_keys["ec2:CreateSecurityGroup"], std::set<std::string>{request_tag});
  EXPECT_EQ(condition_keys["ec2:CreateTags"], std::set<std::string>{"ec2:CreateAction"});
  // Deletes are never allowed without the tag condition.
  for (const auto& statement : policy["Statement"]) {
    for (const auto& action : statement["Action"]) {
      if (action.get<std::string>().starts_with("ec2:Delete")) {
        EXPECT_TRUE(statement.contains("Condition"));
      }
    }
  }
}

}  // namespace
}  // namespace provision
