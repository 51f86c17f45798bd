#pragma once
// Fills ObservedState from EC2 in the endpoint VPC's region: DescribeVpcs
// (+ DNS attributes), DescribeSubnets, DescribeVpcEndpointServices per
// service, DescribeSecurityGroups by name and DescribeVpcEndpoints in the VPC.
// "Not found" answers become absent entries for the planner to explain; any
// other AWS failure is an Error with the call named.
#include "aws/ec2.h"
#include "provision/observed_state.h"
#include "provision/provision_config.h"

namespace provision {

Expected<ObservedState> read_state(const ProvisionConfig& config, const aws::Ec2Client& ec2);

// States in which an endpoint no longer counts (gone or going).
bool is_dead_endpoint_state(const std::string& state);

}  // namespace provision
