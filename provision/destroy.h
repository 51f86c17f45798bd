#pragma once
// `provision destroy`: removes what provision created, found by its tags
// (privatelink-sidecar:managed=true and this site's tag), and nothing else.
// Order: the private zones (their records, pending authorizations, then the
// zone), the routes over our peerings in both VPCs, the peerings, the
// endpoints of every placement, a wait until they are deleted (a group in use
// cannot be deleted), then the groups. Idempotent: with nothing tagged left,
// the plan is empty. Zones, peerings and routes are looked for in peering
// mode only.
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "aws/aws_call.h"
#include "aws/ec2.h"
#include "provision/aws_clients.h"
#include "provision/planner.h"
#include "provision/waiting.h"

namespace provision {

// What destroy looks at: everything in each placement's VPC, tagged or not.
struct PlacementResources {
  std::vector<aws::VpcEndpoint> endpoints;  // live ones (not deleting/deleted/...)
  std::vector<aws::SecurityGroup> groups;
};

struct UnreadablePeer {
  std::string peering_id;
  aws::PeeringVpcInfo vpc;
  std::string reason;  // why its route tables could not be read, and what to do
};

struct DestroyState {
  std::vector<PlacementResources> placements;  // parallel to placements(config)
  std::vector<aws::VpcPeeringConnection> peerings;  // live, touching the endpoint VPC
  std::map<std::string, std::vector<aws::RouteTable>> route_tables;  // both sides of our peerings, by VPC id
  std::map<std::string, CallTarget> route_table_targets;            // where each VPC's tables were read
  std::vector<ObservedZone> zones;  // the endpoint account's private zones, tags read
  // Other sides of our peerings whose route tables could not be read: an
  // Agent VPC that left the config, in an account no configured VPC shares.
  std::vector<UnreadablePeer> unreadable_peers;
};

struct RouteRemoval {
  CallTarget target;
  std::string route_table_id;
  std::string destination_cidr;
  std::string peering_id;
};

struct DestroyPlan {
  std::vector<ObservedZone> zones;                  // ours: deleted first
  std::vector<RouteRemoval> routes;                 // over our peerings
  std::vector<aws::VpcPeeringConnection> peerings;  // ours
  std::vector<PlacementResources> placements;       // ours, per placement
  std::vector<Keep> untouched;                      // found, not ours (or another site's)
  std::vector<PlanProblem> problems;                // e.g. our group used by an endpoint that is not ours
  std::size_t size() const;
  bool empty() const { return size() == 0; }
};

Expected<DestroyState> read_destroy_state(const ProvisionConfig& config, AwsClients& clients);

// Pure: ours = managed tag "true" and site tag == config.site_domain.
DestroyPlan make_destroy_plan(const ProvisionConfig& config, const DestroyState& state);

// "delete ..." / "leave ..." / "problem ..." lines, then a summary line.
std::string format_destroy_plan_text(const DestroyPlan& plan);
std::string format_destroy_plan_json(const DestroyPlan& plan);

using DestroyOptions = WaitOptions;

struct DestroyReport {
  std::vector<std::string> done;  // one line per resource removed
  std::optional<Error> failure;   // set when destroy stopped; run it again to go on
  bool ok() const { return !failure; }
};

// Groups listed in plan.problems are left alone.
DestroyReport run_destroy(const ProvisionConfig& config, const DestroyPlan& plan, AwsClients& clients,
                          const DestroyOptions& options = {});

}  // namespace provision
