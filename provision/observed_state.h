#pragma once
// What AWS holds right now, as far as `provision` cares: the input to the
// pure planner and verifier. state_reader.h fills it; planner tests build it
// by hand.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aws/ec2.h"
#include "aws/route53.h"

namespace provision {

struct ObservedVpc {
  std::string id;
  std::string cidr_block;
  bool dns_support = false;
  bool dns_hostnames = false;
  std::string owner_id;  // the account; differs from the endpoint VPC's = cross-account
  std::vector<std::string> secondary_cidr_blocks;  // associated blocks besides cidr_block
  // Every block Agents may send from or endpoints may sit in: the primary first.
  std::vector<std::string> cidr_blocks() const;
};

// DescribeVpcEndpointServices in a placement's region, for one service.
struct ObservedService {
  bool found = false;  // false: InvalidServiceName in that region
  std::vector<std::string> availability_zones;
  std::string private_dns_name;
};

// One Placement (provision_config.h): a VPC that holds endpoints.
struct PlacementState {
  std::optional<ObservedVpc> vpc;                   // nullopt: no such VPC
  std::vector<aws::Subnet> subnets;                 // the configured ones that exist
  std::map<std::string, ObservedService> services;  // by service name, as seen from here
  // The group named in the config, in this VPC (managed or not).
  std::optional<aws::SecurityGroup> security_group;
  // Live (not deleting/deleted/failed...) endpoints in this VPC.
  std::vector<aws::VpcEndpoint> endpoints;
};

// A private zone named like a service's private DNS name, in the endpoint
// VPC's account.
struct ObservedZone {
  aws::HostedZone zone;
  std::vector<aws::ZoneVpc> vpcs;  // associated VPCs
  std::vector<aws::Tag> tags;
  std::optional<aws::ResourceRecordSet> apex_a;  // the A record at the zone's name
  std::vector<aws::ZoneVpc> authorizations;      // pending cross-account authorizations
};

struct ObservedState {
  std::vector<PlacementState> placements;       // parallel to placements(config)
  std::map<std::string, ObservedVpc> agent_vpcs;  // by VPC id; missing = not found
  // Peering mode only:
  std::vector<aws::VpcPeeringConnection> peerings;  // live ones that touch the endpoint VPC
  std::map<std::string, std::vector<aws::RouteTable>> route_tables;  // by VPC id
  std::map<std::string, std::vector<ObservedZone>> zones;  // by private DNS name (no trailing dot)
  // Every private zone associated with the endpoint VPC and each peered Agent
  // VPC (ListHostedZonesByVPC, in the VPC owner's account), by VPC id: a
  // second zone of the same name there would be refused.
  std::map<std::string, std::vector<aws::HostedZoneSummary>> zones_by_vpc;
};

// States (compared case-insensitively) in which an endpoint or a peering no
// longer counts: gone, going, or never to be.
bool is_dead_endpoint_state(const std::string& state);
bool is_dead_peering_state(const std::string& status_code);

}  // namespace provision
