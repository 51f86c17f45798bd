#pragma once
// `provision destroy` for same-region mode: removes what provision created,
// found by its tags (privatelink-sidecar:managed=true and the site tag) in
// the endpoint VPC, and nothing else. Order: the endpoints first, wait until
// they are deleted (a group in use cannot be deleted), then the group.
// Idempotent: with nothing tagged left, the plan is empty.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "aws/aws_call.h"
#include "aws/ec2.h"
#include "provision/planner.h"

namespace provision {

// What destroy looks at: everything in the endpoint VPC, tagged or not.
struct DestroyState {
  std::vector<aws::VpcEndpoint> endpoints;  // live ones (not deleting/deleted/...)
  std::vector<aws::SecurityGroup> groups;
};

struct DestroyPlan {
  std::vector<aws::VpcEndpoint> endpoints;       // ours: deleted first
  std::vector<aws::SecurityGroup> groups;        // ours: deleted once the endpoints are gone
  std::vector<Keep> untouched;                   // in the VPC, not ours (or another site's)
  std::vector<PlanProblem> problems;             // e.g. our group used by an endpoint that is not ours
  bool empty() const { return endpoints.empty() && groups.empty(); }
};

// Reads the endpoint VPC's endpoints and security groups.
Expected<DestroyState> read_destroy_state(const ProvisionConfig& config, const aws::Ec2Client& ec2);

// Pure: ours = managed tag "true" and site tag == config.site_domain.
DestroyPlan make_destroy_plan(const ProvisionConfig& config, const DestroyState& state);
bool is_ours(const ProvisionConfig& config, const std::vector<aws::Tag>& tags);

// "delete ..." / "leave ..." / "problem ..." lines, then a summary line.
std::string format_destroy_plan_text(const DestroyPlan& plan);

struct DestroyOptions {
  std::function<void(const std::string&)> progress = [](const std::string&) {};
  aws::SleepFunction sleep = aws::real_sleep();
  std::chrono::milliseconds poll_interval{5000};
  std::chrono::milliseconds wait_limit{std::chrono::minutes(15)};
};

struct DestroyReport {
  std::vector<std::string> done;  // one line per resource removed
};

// Deletes the plan's endpoints, waits until they are gone, then deletes the
// groups (retrying DependencyViolation until the wait limit). Groups listed
// in plan.problems are left alone.
Expected<DestroyReport> run_destroy(const ProvisionConfig& config, const DestroyPlan& plan, const aws::Ec2Client& ec2,
                                    const DestroyOptions& options = {});

}  // namespace provision
