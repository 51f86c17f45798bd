#pragma once
// Small builders and views shared by the planner tests (hand-built states,
// no network).
#include <string>
#include <vector>

#include "provision/planner.h"

namespace provision::test {

inline aws::Subnet subnet(const std::string& id, const std::string& zone, const std::string& vpc) {
  aws::Subnet subnet;
  subnet.id = id;
  subnet.vpc_id = vpc;
  subnet.availability_zone = zone;
  return subnet;
}

inline std::vector<ActionKind> kinds(const Plan& plan) {
  std::vector<ActionKind> result;
  for (const auto& action : plan.actions) result.push_back(action.kind());
  return result;
}

// The details of the index-th action, which must be a Step (a wrong kind
// throws std::bad_variant_access, and the test fails).
template <typename Step>
const Step& details(const Plan& plan, std::size_t index) {
  return std::get<Step>(plan.actions.at(index).details);
}

// "subject: message" per problem, in plan order.
inline std::vector<std::string> messages(const Plan& plan) {
  std::vector<std::string> result;
  for (const auto& problem : plan.problems) result.push_back(problem.subject + ": " + problem.message);
  return result;
}

}  // namespace provision::test
