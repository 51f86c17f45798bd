#pragma once
// The EC2 calls `provision` makes, as plain structs in and out. One Ec2Client
// talks to one region; inter-region peering needs one client per region.
// Wire names (SubnetId.N, TagSpecification.N...) follow the botocore model:
// ../shared/aws-provision.md §1-2.
#include <optional>
#include <string>
#include <vector>

#include "aws/aws_call.h"

namespace aws {

struct Tag {
  std::string key;
  std::string value;
  bool operator==(const Tag&) const = default;
};

struct Filter {
  std::string name;  // "vpc-id", "tag:Name", "service-name", ...
  std::vector<std::string> values;
};

// Builds the flattened EC2 Query parameters, in the order added.
class Ec2Params {
 public:
  Ec2Params& add(std::string name, std::string value);
  Ec2Params& add_bool(std::string name, bool value);
  // prefix.1=..&prefix.2=.. (1-based, as EC2 wants).
  Ec2Params& add_list(const std::string& prefix, const std::vector<std::string>& values);
  // Filter.N.Name / Filter.N.Value.M
  Ec2Params& add_filters(const std::vector<Filter>& filters);
  // TagSpecification.1.ResourceType / .Tag.N.Key / .Tag.N.Value; nothing when no tags.
  Ec2Params& add_tag_specification(const std::string& resource_type, const std::vector<Tag>& tags);
  // Tag.N.Key / Tag.N.Value (CreateTags).
  Ec2Params& add_tags(const std::vector<Tag>& tags);

  const FormParameters& parameters() const { return parameters_; }

 private:
  FormParameters parameters_;
};

struct Vpc {
  std::string id;
  std::string cidr_block;  // the primary block
  std::string state;
  bool is_default = false;
  std::string owner_id;
  std::vector<Tag> tags;
  // Every associated IPv4 block (cidrBlockAssociationSet), the primary included.
  std::vector<std::string> cidr_blocks;
};

struct Subnet {
  std::string id;
  std::string vpc_id;
  std::string availability_zone;
  std::string availability_zone_id;
  std::string cidr_block;
  std::string state;
  std::vector<Tag> tags;
};

enum class VpcAttribute { enable_dns_support, enable_dns_hostnames };

struct VpcEndpointService {
  std::string service_name;
  std::string service_type;  // "Interface", "Gateway", ...
  std::vector<std::string> availability_zones;
  std::string private_dns_name;
  std::vector<std::string> private_dns_names;
  std::vector<std::string> base_endpoint_dns_names;
  std::optional<std::string> service_region;  // newer API answers only
};

struct DnsEntry {
  std::string dns_name;
  std::string hosted_zone_id;
};

struct SecurityGroupRef {
  std::string group_id;
  std::string group_name;
};

struct VpcEndpoint {
  std::string id;
  std::string type;  // "Interface"
  std::string vpc_id;
  std::string service_name;
  std::string state;  // "available", "pendingAcceptance", ... (compare case-insensitively)
  std::vector<DnsEntry> dns_entries;  // the first is the regional name (use it for aliases)
  std::vector<std::string> subnet_ids;
  std::vector<SecurityGroupRef> groups;
  bool private_dns_enabled = false;
  std::optional<std::string> service_region;
  std::vector<Tag> tags;
};

struct CreateVpcEndpointRequest {
  std::string vpc_id;
  std::string service_name;
  std::vector<std::string> subnet_ids;  // one per AZ
  std::vector<std::string> security_group_ids;
  bool private_dns_enabled = false;
  std::optional<std::string> service_region;  // cross-region PrivateLink
  std::vector<Tag> tags;
  // Same token + same parameters = the same endpoint on a retried create.
  std::string client_token;
};

// Changes an endpoint in place. Empty lists and an unset private_dns_enabled
// are not sent, so those parts stay as they are.
struct ModifyVpcEndpointRequest {
  std::string endpoint_id;
  std::vector<std::string> add_subnet_ids;  // still one subnet per AZ afterwards
  std::vector<std::string> remove_subnet_ids;
  std::vector<std::string> add_security_group_ids;
  std::vector<std::string> remove_security_group_ids;
  std::optional<bool> private_dns_enabled;
};

struct EndpointDeleteFailure {
  std::string resource_id;
  std::string code;
  std::string message;
};

struct IpPermission {
  std::string protocol;  // "tcp", "-1"
  int from_port = 0;
  int to_port = 0;
  std::vector<std::string> cidrs;
};

struct SecurityGroup {
  std::string id;
  std::string name;
  std::string description;
  std::string vpc_id;
  std::vector<IpPermission> ingress;
  std::vector<Tag> tags;
};

enum class Outcome { created, already_existed };

struct PeeringVpcInfo {
  std::string vpc_id;
  std::string owner_id;
  std::string region;
  std::string cidr_block;
};

struct VpcPeeringConnection {
  std::string id;
  std::string status_code;  // pending-acceptance, active, ...
  std::string status_message;
  PeeringVpcInfo requester;
  PeeringVpcInfo accepter;
  std::vector<Tag> tags;
};

struct CreateVpcPeeringRequest {
  std::string vpc_id;
  std::string peer_vpc_id;
  std::optional<std::string> peer_region;
  std::optional<std::string> peer_owner_id;
  std::vector<Tag> tags;
};

struct Route {
  std::string destination_cidr_block;
  std::string vpc_peering_connection_id;
  std::string gateway_id;
  std::string state;
};

struct RouteTableAssociation {
  std::string id;
  std::string subnet_id;
  bool main = false;
};

struct RouteTable {
  std::string id;
  std::string vpc_id;
  std::vector<Route> routes;
  std::vector<RouteTableAssociation> associations;
  std::vector<Tag> tags;
};

class Ec2Client {
 public:
  Ec2Client(const AwsClient& client, ServiceEndpoint endpoint);

  const std::string& region() const { return endpoint_.signing_region; }
  // MaxResults for Describe* calls without ids (EC2 rejects it next to ids).
  // 0, the default, lets EC2 choose; set a small value to test paging.
  void set_page_size(int page_size) { page_size_ = page_size; }

  Result<Vpc> create_vpc(const std::string& cidr_block, const std::vector<Tag>& tags = {}) const;
  Result<std::vector<Vpc>> describe_vpcs(const std::vector<std::string>& vpc_ids,
                                         const std::vector<Filter>& filters = {}) const;
  Result<bool> describe_vpc_attribute(const std::string& vpc_id, VpcAttribute attribute) const;
  // One attribute per call, as EC2 requires.
  Result<void> modify_vpc_attribute(const std::string& vpc_id, VpcAttribute attribute,
                                    bool value) const;

  Result<Subnet> create_subnet(const std::string& vpc_id, const std::string& cidr_block,
                               const std::string& availability_zone,
                               const std::vector<Tag>& tags = {}) const;
  Result<std::vector<Subnet>> describe_subnets(const std::vector<std::string>& subnet_ids,
                                               const std::vector<Filter>& filters = {}) const;

  // `service_region` asks about a service hosted in another region (ServiceRegion.1).
  Result<std::vector<VpcEndpointService>> describe_vpc_endpoint_services(
      const std::vector<std::string>& service_names,
      const std::optional<std::string>& service_region = std::nullopt) const;
  Result<VpcEndpoint> create_vpc_endpoint(const CreateVpcEndpointRequest& request) const;
  Result<void> modify_vpc_endpoint(const ModifyVpcEndpointRequest& request) const;
  Result<std::vector<VpcEndpoint>> describe_vpc_endpoints(
      const std::vector<std::string>& endpoint_ids, const std::vector<Filter>& filters = {}) const;
  // EC2 answers 200 even when some deletions fail; those come back here.
  Result<std::vector<EndpointDeleteFailure>> delete_vpc_endpoints(
      const std::vector<std::string>& endpoint_ids) const;

  // Returns the new group id.
  Result<std::string> create_security_group(const std::string& name,
                                            const std::string& description,
                                            const std::string& vpc_id,
                                            const std::vector<Tag>& tags = {}) const;
  Result<std::vector<SecurityGroup>> describe_security_groups(
      const std::vector<std::string>& group_ids, const std::vector<Filter>& filters = {}) const;
  // TCP `port` from each CIDR. InvalidPermission.Duplicate is already_existed.
  Result<Outcome> authorize_tcp_ingress(const std::string& group_id, int port,
                                        const std::vector<std::string>& cidrs) const;
  Result<void> delete_security_group(const std::string& group_id) const;

  // Not repeated after no answer or a 5xx (there is no ClientToken): on such
  // a failure, look the peering up before creating another.
  Result<VpcPeeringConnection> create_vpc_peering_connection(
      const CreateVpcPeeringRequest& request) const;
  // Must be called on the accepter's region.
  Result<VpcPeeringConnection> accept_vpc_peering_connection(const std::string& peering_id) const;
  Result<std::vector<VpcPeeringConnection>> describe_vpc_peering_connections(
      const std::vector<std::string>& peering_ids, const std::vector<Filter>& filters = {}) const;
  Result<void> delete_vpc_peering_connection(const std::string& peering_id) const;

  Result<std::vector<RouteTable>> describe_route_tables(
      const std::vector<std::string>& route_table_ids,
      const std::vector<Filter>& filters = {}) const;
  // RouteAlreadyExists is already_existed; the caller checks where it points.
  Result<Outcome> create_route(const std::string& route_table_id,
                               const std::string& destination_cidr_block,
                               const std::string& vpc_peering_connection_id) const;
  Result<void> delete_route(const std::string& route_table_id,
                            const std::string& destination_cidr_block) const;

  Result<void> create_tags(const std::vector<std::string>& resource_ids,
                           const std::vector<Tag>& tags) const;

 private:
  Result<pugi::xml_document> call(const std::string& action, const Ec2Params& params,
                                  bool repeatable = true) const;
  // Follows nextToken, handing each page's root element to `consume`.
  Result<void> call_paged(const std::string& action, Ec2Params params, bool has_ids,
                          const std::function<void(const pugi::xml_node&)>& consume) const;

  const AwsClient& client_;
  ServiceEndpoint endpoint_;
  int page_size_ = 0;
};

// Parsers of single response items, public for tests.
Vpc parse_vpc(const pugi::xml_node& item);
Subnet parse_subnet(const pugi::xml_node& item);
VpcEndpointService parse_vpc_endpoint_service(const pugi::xml_node& item);
VpcEndpoint parse_vpc_endpoint(const pugi::xml_node& item);
SecurityGroup parse_security_group(const pugi::xml_node& item);
VpcPeeringConnection parse_vpc_peering_connection(const pugi::xml_node& item);
RouteTable parse_route_table(const pugi::xml_node& item);
std::vector<Tag> parse_tag_set(const pugi::xml_node& parent);

}  // namespace aws
