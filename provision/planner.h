#pragma once
// The pure part of `provision plan`: finalized config + observed AWS state ->
// what to create, what to keep, and why it cannot go ahead. No I/O, so every
// rule is unit-tested with hand-built states. Same-region mode only for now.
#include <string>
#include <vector>

#include "provision/observed_state.h"
#include "provision/provision_config.h"

namespace provision {

// Tags provision puts on what it creates, and finds it again by.
inline constexpr const char* managed_tag = "privatelink-sidecar:managed";
inline constexpr const char* site_tag = "privatelink-sidecar:site";
inline constexpr const char* service_tag = "privatelink-sidecar:service";

enum class ActionKind { create_security_group, authorize_ingress, create_endpoint };
const char* to_string(ActionKind kind);

struct Action {
  ActionKind kind = ActionKind::create_security_group;
  std::string description;  // one line for people
  // authorize_ingress, create_endpoint: the group, or empty for "the group
  // this apply creates".
  std::string security_group_id;
  std::vector<std::string> cidrs;  // authorize_ingress
  ServiceChoice service;           // create_endpoint
  std::vector<std::string> subnet_ids;
  std::vector<aws::Tag> tags;      // create_*: the full tag set
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
// The Agent VPC CIDRs the group must admit on 443, in config order, unique.
std::vector<std::string> agent_cidrs(const ProvisionConfig& config, const ObservedState& state);
// The CIDRs in `wanted` the group does not yet admit on tcp/443.
std::vector<std::string> missing_ingress(const aws::SecurityGroup& group,
                                         const std::vector<std::string>& wanted);

}  // namespace provision
