#pragma once
// `privatelink-sidecar provision plan|apply|verify|destroy --config provision.yaml`
// and `provision iam-policy` (no file, no credentials), minus the CLI11 wiring (sidecar/main.cpp adds the
// subcommand and fills these options).
#include <iosfwd>
#include <optional>
#include <string>

#include "aws/credentials.h"

namespace provision {

struct ProvisionCommandOptions {
  std::string action;  // "plan", "apply", "verify", "destroy", "iam-policy"
  std::string config_path = "provision.yaml";
  bool yes = false;   // apply / destroy without asking
  bool json = false;  // --output json
  std::optional<std::string> profile;  // AWS profile for the endpoint VPC's account
  std::optional<std::string> endpoint_url;  // --endpoint-url: every AWS call goes there
  std::optional<std::string> region;  // --region: Agent VPCs without a region of their own
  bool agent_account = false;  // iam-policy: the Agent VPCs' account's policy
  double poll_seconds = 5.0;   // apply/destroy: how often AWS is asked while waiting
};

// Exit codes: 0 done / all checks ok, 1 plan problems or failed checks,
// 2 bad usage or config, 3 AWS or credential failure, 4 apply/destroy declined.
int run_provision_command(const ProvisionCommandOptions& options, const aws::EnvironmentLookup& environment,
                          std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace provision
