#pragma once
// `provision apply` and `provision verify` for same-region mode.
// apply runs a Plan's actions in order, then waits until every endpoint of
// the configured services is available. It is safe to re-run: resources are
// found again by name/tags (the planner keeps them), a create that AWS
// already did (a lost answer) is adopted, and CreateVpcEndpoint carries a
// ClientToken derived from the group and service.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "aws/aws_call.h"
#include "aws/ec2.h"
#include "provision/planner.h"

namespace provision {

struct ApplyOptions {
  std::function<void(const std::string&)> progress = [](const std::string&) {};
  aws::SleepFunction sleep = aws::real_sleep();
  std::chrono::milliseconds poll_interval{5000};
  // AWS documents up to 10 minutes from pending to available.
  std::chrono::milliseconds wait_limit{std::chrono::minutes(15)};
};

struct ApplyReport {
  std::vector<std::string> done;  // one line per action carried out
  std::string security_group_id;
  std::vector<std::string> endpoint_ids;  // of the configured services, all available
};

// Refuses a plan with problems.
Expected<ApplyReport> apply_plan(const ProvisionConfig& config, const Plan& plan,
                                 const aws::Ec2Client& ec2, const ApplyOptions& options = {});

struct CheckItem {
  std::string name;
  bool ok = false;
  std::string detail;
};

struct Checklist {
  std::vector<CheckItem> items;
  bool ok() const;
};

// Pure: judges a state read after apply.
Checklist verify_same_region(const ProvisionConfig& config, const ObservedState& state);

// The ClientToken for a service's endpoint (<= 64 ASCII characters). It
// includes the group id so that a re-create after destroy is a new request.
std::string endpoint_client_token(const std::string& security_group_id, const std::string& service_name);

}  // namespace provision
