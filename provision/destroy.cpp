#include "provision/destroy.h"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <set>

#include "provision/state_reader.h"

namespace provision {
namespace {

std::string tag_value(const std::vector<aws::Tag>& tags, const std::string& key) {
  for (const auto& tag : tags) {
    if (tag.key == key) return tag.value;
  }
  return {};
}

bool uses_group(const aws::VpcEndpoint& endpoint, const std::string& group_id) {
  return std::any_of(endpoint.groups.begin(), endpoint.groups.end(),
                     [&](const auto& ref) { return ref.group_id == group_id; });
}

std::string leave_reason(const ProvisionConfig& config, const std::vector<aws::Tag>& tags) {
  if (!is_managed(tags)) return "not created by provision";
  return fmt::format("created by provision for site {}, not {}", tag_value(tags, site_tag), config.site_domain);
}

class Destroyer {
 public:
  Destroyer(const aws::Ec2Client& ec2, const DestroyOptions& options) : ec2_(ec2), options_(options) {}

  Expected<DestroyReport> run(const ProvisionConfig& config, const DestroyPlan& plan) {
    if (auto deleted = delete_endpoints(plan); !deleted) return deleted.error();
    if (auto waited = wait_until_deleted(config, plan); !waited) return waited.error();
    for (const auto& group : plan.groups) {
      if (auto deleted = delete_group(group); !deleted) return deleted.error();
    }
    return report_;
  }

 private:
  void done(const std::string& line) {
    report_.done.push_back(line);
    options_.progress("done: " + line);
  }

  Expected<void> delete_endpoints(const DestroyPlan& plan) {
    if (plan.endpoints.empty()) return {};
    std::vector<std::string> ids;
    for (const auto& endpoint : plan.endpoints) ids.push_back(endpoint.id);
    auto failures = ec2_.delete_vpc_endpoints(ids);
    if (!failures) return failures.error().with_prefix("DeleteVpcEndpoints: ");
    std::vector<std::string> failed;
    for (const auto& failure : *failures) {
      // Already gone (an earlier destroy): nothing left to do for it.
      if (failure.code == "InvalidVpcEndpoint.NotFound" || failure.code == "InvalidVpcEndpointId.NotFound") continue;
      failed.push_back(fmt::format("{}: {} {}", failure.resource_id, failure.code, failure.message));
    }
    if (!failed.empty()) {
      return Error{checks::ErrorCode::io, fmt::format("DeleteVpcEndpoints refused: {}", fmt::join(failed, "; "))};
    }
    for (const auto& endpoint : plan.endpoints) {
      done(fmt::format("delete endpoint {} ({})", endpoint.id, tag_value(endpoint.tags, service_tag)));
    }
    return {};
  }

  // Gone = not listed any more, or listed as deleted (a `deleting` endpoint
  // still holds its network interfaces, and so the group).
  Expected<void> wait_until_deleted(const ProvisionConfig& config, const DestroyPlan& plan) {
    if (plan.endpoints.empty()) return {};
    std::set<std::string> ours;
    for (const auto& endpoint : plan.endpoints) ours.insert(endpoint.id);
    std::chrono::milliseconds waited{0};
    while (true) {
      auto listed = ec2_.describe_vpc_endpoints({}, {{"vpc-id", {config.endpoint_vpc.vpc_id}}});
      if (!listed) return listed.error().with_prefix("waiting for the endpoints to be deleted: ");
      std::vector<std::string> pending;
      for (const auto& endpoint : *listed) {
        if (ours.contains(endpoint.id) && strcasecmp(endpoint.state.c_str(), "deleted") != 0) {
          pending.push_back(fmt::format("{} ({})", endpoint.id, endpoint.state));
        }
      }
      if (pending.empty()) return {};
      if (waited >= options_.wait_limit) {
        return Error{checks::ErrorCode::io,
                     fmt::format("endpoints still not deleted after {} s: {}; run destroy again to keep waiting",
                                 waited.count() / 1000, fmt::join(pending, ", "))};
      }
      options_.progress(fmt::format("waiting for {} endpoint(s) to be deleted ({} s): {}", pending.size(),
                                    waited.count() / 1000, fmt::join(pending, ", ")));
      options_.sleep(options_.poll_interval);
      waited += options_.poll_interval;
    }
  }

  // DependencyViolation right after the endpoints go is usually eventual
  // consistency (their network interfaces): retry until the wait limit.
  Expected<void> delete_group(const aws::SecurityGroup& group) {
    std::chrono::milliseconds waited{0};
    while (true) {
      auto deleted = ec2_.delete_security_group(group.id);
      if (deleted || deleted.is_aws_error("InvalidGroup.NotFound")) {
        done(fmt::format("delete security group {} ({})", group.name, group.id));
        return {};
      }
      if (!deleted.is_aws_error("DependencyViolation") || waited >= options_.wait_limit) {
        return deleted.error().with_prefix(fmt::format("delete security group {}: ", group.id));
      }
      options_.progress(fmt::format("security group {} still in use ({} s); retrying", group.id, waited.count() / 1000));
      options_.sleep(options_.poll_interval);
      waited += options_.poll_interval;
    }
  }

  const aws::Ec2Client& ec2_;
  const DestroyOptions& options_;
  DestroyReport report_;
};

}  // namespace

bool is_ours(const ProvisionConfig& config, const std::vector<aws::Tag>& tags) {
  return is_managed(tags) && tag_value(tags, site_tag) == config.site_domain;
}

Expected<DestroyState> read_destroy_state(const ProvisionConfig& config, const aws::Ec2Client& ec2) {
  DestroyState state;
  const std::vector<aws::Filter> in_vpc = {{"vpc-id", {config.endpoint_vpc.vpc_id}}};
  auto endpoints = ec2.describe_vpc_endpoints({}, in_vpc);
  if (!endpoints) return endpoints.error().with_prefix("DescribeVpcEndpoints: ");
  for (auto& endpoint : *endpoints) {
    if (!is_dead_endpoint_state(endpoint.state)) state.endpoints.push_back(std::move(endpoint));
  }
  auto groups = ec2.describe_security_groups({}, in_vpc);
  if (!groups) return groups.error().with_prefix("DescribeSecurityGroups: ");
  state.groups = std::move(*groups);
  return state;
}

DestroyPlan make_destroy_plan(const ProvisionConfig& config, const DestroyState& state) {
  DestroyPlan plan;
  std::vector<const aws::VpcEndpoint*> staying;
  for (const auto& endpoint : state.endpoints) {
    if (is_ours(config, endpoint.tags)) {
      plan.endpoints.push_back(endpoint);
      continue;
    }
    staying.push_back(&endpoint);
    plan.untouched.push_back({fmt::format("endpoint for {}: {}", endpoint.service_name,
                                          leave_reason(config, endpoint.tags)),
                              endpoint.id, is_managed(endpoint.tags)});
  }
  for (const auto& group : state.groups) {
    if (!is_ours(config, group.tags)) {
      // The VPC's default group and the user's own ones are not worth listing.
      if (is_managed(group.tags) || group.name == config.security_group_name) {
        plan.untouched.push_back({fmt::format("security group {}: {}", group.name, leave_reason(config, group.tags)),
                                  group.id, is_managed(group.tags)});
      }
      continue;
    }
    const auto user = std::find_if(staying.begin(), staying.end(),
                                   [&](const aws::VpcEndpoint* endpoint) { return uses_group(*endpoint, group.id); });
    if (user != staying.end()) {
      plan.problems.push_back({group.id, fmt::format("security group {} is used by endpoint {}, which destroy "
                                                     "leaves; detach it first, then run destroy again",
                                                     group.name, (*user)->id)});
      continue;
    }
    plan.groups.push_back(group);
  }
  return plan;
}

std::string format_destroy_plan_text(const DestroyPlan& plan) {
  std::string text;
  for (const auto& endpoint : plan.endpoints) {
    text += fmt::format("delete  endpoint {} for {} ({})\n", endpoint.id, tag_value(endpoint.tags, service_tag),
                        endpoint.service_name);
  }
  for (const auto& group : plan.groups) text += fmt::format("delete  security group {} ({})\n", group.name, group.id);
  for (const auto& keep : plan.untouched) text += fmt::format("leave   {} ({})\n", keep.description, keep.resource_id);
  for (const auto& problem : plan.problems) text += fmt::format("problem {}: {}\n", problem.subject, problem.message);
  text += fmt::format("{} to delete, {} left untouched, {} problem(s)\n", plan.endpoints.size() + plan.groups.size(),
                      plan.untouched.size(), plan.problems.size());
  return text;
}

Expected<DestroyReport> run_destroy(const ProvisionConfig& config, const DestroyPlan& plan, const aws::Ec2Client& ec2,
                                    const DestroyOptions& options) {
  return Destroyer(ec2, options).run(config, plan);
}

}  // namespace provision
