#include "provision/iam_policy.h"

#include <nlohmann/json.hpp>

#include "provision/planner.h"

namespace provision {
namespace {

using Json = nlohmann::ordered_json;

std::string arn(std::string_view resource_type) { return "arn:aws:ec2:*:*:" + std::string(resource_type) + "/*"; }

std::string ec2_action(std::string_view action) { return "ec2:" + std::string(action); }

// The resources a create also touches besides the one it makes.
std::vector<std::string> used_resources(std::string_view action) {
  if (action == "CreateSecurityGroup") return {arn("vpc")};
  if (action == "CreateVpcEndpoint") return {arn("vpc"), arn("subnet"), arn("security-group")};
  return {};
}

Json managed_condition(const char* key_prefix) {
  return {{"StringEquals", {{std::string(key_prefix) + managed_tag, "true"}}}};
}

Json statement(const std::string& sid, Json actions, Json resources) {
  return {{"Sid", sid}, {"Effect", "Allow"}, {"Action", std::move(actions)}, {"Resource", std::move(resources)}};
}

}  // namespace

std::string same_region_iam_policy_json() {
  Json describe = Json::array();
  Json statements = Json::array();
  Json tagged_creates = Json::array();
  Json tagged_types = Json::array();
  for (const auto& use : same_region_iam_actions) {
    const std::string action = ec2_action(use.action);
    const std::string name(use.action);
    switch (use.condition) {
      case TagCondition::none:
        if (use.action.starts_with("Describe")) {
          describe.push_back(action);
        } else {
          statements.push_back(statement(name, Json::array({action}), Json::array({arn(use.resource_type)})));
        }
        break;
      case TagCondition::request_tag: {
        Json tagged = statement(name + "Tagged", Json::array({action}), Json::array({arn(use.resource_type)}));
        tagged["Condition"] = managed_condition("aws:RequestTag/");
        statements.push_back(std::move(tagged));
        statements.push_back(statement(name + "Uses", Json::array({action}), used_resources(use.action)));
        tagged_creates.push_back(name);
        tagged_types.push_back(arn(use.resource_type));
        break;
      }
      case TagCondition::resource_tag: {
        Json owned = statement(name + "Managed", Json::array({action}), Json::array({arn(use.resource_type)}));
        owned["Condition"] = managed_condition("aws:ResourceTag/");
        statements.push_back(std::move(owned));
        break;
      }
      case TagCondition::create_action: break;  // after the loop: needs the creates' names
    }
  }
  for (const auto& use : same_region_iam_actions) {
    if (use.condition != TagCondition::create_action) continue;
    Json tags = statement(std::string(use.action) + "OnCreate", Json::array({ec2_action(use.action)}), tagged_types);
    tags["Condition"] = {{"StringEquals", {{"ec2:CreateAction", tagged_creates}}}};
    statements.push_back(std::move(tags));
  }
  statements.insert(statements.begin(), statement("Describe", std::move(describe), "*"));
  Json policy = {{"Version", "2012-10-17"}, {"Statement", std::move(statements)}};
  return policy.dump(2) + "\n";
}

}  // namespace provision
