#include "provision/iam_policy.h"

#include <nlohmann/json.hpp>

#include "provision/planner.h"

namespace provision {
namespace {

using Json = nlohmann::ordered_json;

std::string arn(std::string_view service, std::string_view resource_type) {
  if (resource_type.empty()) return "*";
  if (service == "route53") return "arn:aws:route53:::" + std::string(resource_type) + "/*";
  return "arn:aws:ec2:*:*:" + std::string(resource_type) + "/*";
}

std::string qualified(const IamActionUse& use) { return std::string(use.service) + ":" + std::string(use.action); }

// The resources an action also touches besides the one it makes or changes.
std::vector<std::string> used_resources(std::string_view action) {
  if (action == "CreateSecurityGroup") return {arn("ec2", "vpc")};
  if (action == "CreateVpcEndpoint") return {arn("ec2", "vpc"), arn("ec2", "subnet"), arn("ec2", "security-group")};
  if (action == "ModifyVpcEndpoint") return {arn("ec2", "subnet"), arn("ec2", "security-group")};
  if (action == "CreateVpcPeeringConnection") return {arn("ec2", "vpc")};
  return {};
}

Json managed_condition(const char* key_prefix) {
  return {{"StringEquals", {{std::string(key_prefix) + managed_tag, "true"}}}};
}

Json statement(const std::string& sid, Json actions, Json resources) {
  return {{"Sid", sid}, {"Effect", "Allow"}, {"Action", std::move(actions)}, {"Resource", std::move(resources)}};
}

bool in_account(const IamActionUse& use, PolicyAccount account) {
  return account == PolicyAccount::endpoint ? use.endpoint_account : use.agent_account;
}

// Describe and List calls have no resource-level permissions worth having.
bool is_read_only(const IamActionUse& use) {
  return use.resource_type.empty() && (use.action.starts_with("Describe") || use.action.starts_with("List"));
}

class PolicyBuilder {
 public:
  explicit PolicyBuilder(PolicyAccount account) : account_(account) {}

  std::string build() {
    for (const auto& use : iam_actions) {
      if (in_account(use, account_)) add(use);
    }
    for (const auto& use : iam_actions) {
      if (in_account(use, account_) && use.condition == TagCondition::create_action) add_tag_on_create(use);
    }
    statements_.insert(statements_.begin(), statement("ReadOnly", std::move(read_only_), "*"));
    Json policy = {{"Version", "2012-10-17"}, {"Statement", std::move(statements_)}};
    return policy.dump(2) + "\n";
  }

 private:
  void add(const IamActionUse& use) {
    const std::string name(use.action);
    const Json resource = Json::array({arn(use.service, use.resource_type)});
    switch (use.condition) {
      case TagCondition::none:
        if (is_read_only(use)) {
          read_only_.push_back(qualified(use));
          return;
        }
        statements_.push_back(statement(name, Json::array({qualified(use)}), resource));
        if (!used_resources(use.action).empty()) add_uses(use);
        return;
      case TagCondition::request_tag: {
        Json tagged = statement(name + "Tagged", Json::array({qualified(use)}), resource);
        tagged["Condition"] = managed_condition("aws:RequestTag/");
        statements_.push_back(std::move(tagged));
        add_uses(use);
        tagged_creates_.push_back(name);
        tagged_types_.push_back(arn(use.service, use.resource_type));
        return;
      }
      case TagCondition::resource_tag: {
        Json owned = statement(name + "Managed", Json::array({qualified(use)}), resource);
        owned["Condition"] = managed_condition("aws:ResourceTag/");
        statements_.push_back(std::move(owned));
        return;
      }
      case TagCondition::create_action: return;  // after the others: needs the creates' names
    }
  }

  void add_uses(const IamActionUse& use) {
    statements_.push_back(statement(std::string(use.action) + "Uses", Json::array({qualified(use)}),
                                    used_resources(use.action)));
  }

  void add_tag_on_create(const IamActionUse& use) {
    Json tags = statement(std::string(use.action) + "OnCreate", Json::array({qualified(use)}), tagged_types_);
    tags["Condition"] = {{"StringEquals", {{"ec2:CreateAction", tagged_creates_}}}};
    statements_.push_back(std::move(tags));
  }

  PolicyAccount account_;
  Json read_only_ = Json::array();
  Json statements_ = Json::array();
  Json tagged_creates_ = Json::array();
  Json tagged_types_ = Json::array();
};

}  // namespace

std::string iam_policy_json(PolicyAccount account) { return PolicyBuilder(account).build(); }

}  // namespace provision
