#pragma once
// `provision apply`: runs a Plan's actions in order, against the account and
// region each names, and waits where AWS needs time: endpoints `available`
// before any DNS is written (and at the end), a new inter-region peering
// `pending-acceptance` before it is accepted and `active` before routes go
// over it, Route 53 changes INSYNC at the end. Progress lines (with elapsed
// seconds) go to options.progress.
//
// Safe to re-run after a failure or an interrupt: the planner finds what
// exists by name and tags, a create that AWS already did (a lost answer) is
// adopted (InvalidGroup.Duplicate, RouteAlreadyExists over the same peering,
// InvalidPermission.Duplicate, ConflictingDomainExists for our own zone, a
// peering found between the two VPCs after a create without an answer), and
// CreateVpcEndpoint carries a ClientToken made of a nonce of this run, the
// group and the service (the same for the SDK's retries of one create).
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "aws/aws_call.h"
#include "provision/aws_clients.h"
#include "provision/planner.h"
#include "provision/waiting.h"

namespace provision {

using ApplyOptions = WaitOptions;

struct ApplyReport {
  std::vector<std::string> done;          // one line per action carried out, in order
  std::vector<std::string> endpoint_ids;  // of the configured services, all available
  // Set when apply stopped: what failed (the action named). `done` then says
  // what exists so far; running apply again resumes.
  std::optional<Error> failure;
  bool ok() const { return !failure; }
};

// Refuses a plan with problems (failure set, nothing done).
ApplyReport apply_plan(const ProvisionConfig& config, const Plan& plan, AwsClients& clients,
                       const ApplyOptions& options = {});

// The ClientToken for a service's endpoint (<= 64 ASCII characters): a
// re-create in a later run (after destroy) is a new request.
std::string endpoint_client_token(const std::string& run_nonce, const std::string& security_group_id,
                                  const std::string& service_name);

}  // namespace provision
