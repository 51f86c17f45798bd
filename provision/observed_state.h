#pragma once
// What AWS holds right now, as far as `provision` cares: the input to the
// pure planner. state_reader.h fills it; planner tests build it by hand.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aws/ec2.h"

namespace provision {

struct ObservedVpc {
  std::string id;
  std::string cidr_block;
  bool dns_support = false;
  bool dns_hostnames = false;
};

// DescribeVpcEndpointServices in the endpoint VPC's region, for one service.
struct ObservedService {
  bool found = false;  // false: InvalidServiceName in that region
  std::vector<std::string> availability_zones;
  std::string private_dns_name;
};

struct ObservedState {
  std::string region;  // where it was read: the endpoint VPC's region
  std::optional<ObservedVpc> endpoint_vpc;          // nullopt: no such VPC
  std::vector<aws::Subnet> subnets;                 // the configured ones that exist
  std::map<std::string, ObservedVpc> agent_vpcs;    // by VPC id; missing = not found
  std::map<std::string, ObservedService> services;  // by service name
  // The group named in the config, in the endpoint VPC (managed or not).
  std::optional<aws::SecurityGroup> security_group;
  // Live (not deleting/deleted/failed...) endpoints in the endpoint VPC.
  std::vector<aws::VpcEndpoint> endpoints;
};

}  // namespace provision
