#pragma once
// Fills ObservedState from AWS. Per placement (in its region and account):
// DescribeVpcs (+ DNS attributes), DescribeSubnets, DescribeVpcEndpointServices
// per service (with ServiceRegion for cross-region), DescribeSecurityGroups by
// name and DescribeVpcEndpoints in the VPC. The Agent VPCs in their own
// regions and accounts. Peering mode adds the peerings that touch the
// endpoint VPC, the route tables of both sides and, in Route 53, the private
// zones named like each service's private DNS name (VPCs, tags, apex A,
// pending authorizations). "Not found" answers become absent entries for the
// planner to explain; any other AWS failure is an Error with the call named.
#include "provision/aws_clients.h"
#include "provision/observed_state.h"
#include "provision/provision_config.h"

namespace provision {

Expected<ObservedState> read_state(const ProvisionConfig& config, AwsClients& clients);

// Shared with destroy: the live endpoints in a VPC, and the live peerings
// that have the VPC on either side (each once).
Expected<std::vector<aws::VpcEndpoint>> read_live_endpoints(const aws::Ec2Client& ec2, const std::string& vpc_id);
Expected<std::vector<aws::VpcPeeringConnection>> read_live_peerings(const aws::Ec2Client& ec2,
                                                                    const std::string& vpc_id);

}  // namespace provision
