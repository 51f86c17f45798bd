#include "aws/ec2.h"

#include <fmt/format.h>

namespace aws {
namespace {

const char* wire_name(VpcAttribute attribute) {
  return attribute == VpcAttribute::enable_dns_support ? "enableDnsSupport"
                                                       : "enableDnsHostnames";
}

const char* modify_name(VpcAttribute attribute) {
  return attribute == VpcAttribute::enable_dns_support ? "EnableDnsSupport.Value"
                                                       : "EnableDnsHostnames.Value";
}

std::optional<std::string> optional_text(const pugi::xml_node& node, const char* name) {
  const auto child = node.child(name);
  if (!child) return std::nullopt;
  return std::string(child.text().as_string());
}

int child_int(const pugi::xml_node& node, const char* name) {
  return node.child(name).text().as_int();
}

template <typename T>
std::vector<T> parse_items(const pugi::xml_node& set, T (*parse)(const pugi::xml_node&)) {
  std::vector<T> items;
  for (const auto& item : set.children("item")) items.push_back(parse(item));
  return items;
}

// What every Describe* does with a page: collect the items
// of `set` from every page.
template <typename T>
std::function<void(const pugi::xml_node&)> collect(std::vector<T>& into, const char* set,
                                                   T (*parse)(const pugi::xml_node&)) {
  return [&into, set, parse](const pugi::xml_node& root) {
    for (auto& item : parse_items(root.child(set), parse)) into.push_back(std::move(item));
  };
}

IpPermission parse_ip_permission(const pugi::xml_node& item) {
  IpPermission permission;
  permission.protocol = child_text(item, "ipProtocol");
  permission.from_port = child_int(item, "fromPort");
  permission.to_port = child_int(item, "toPort");
  permission.cidrs = item_texts(item, "ipRanges", "cidrIp");
  return permission;
}

PeeringVpcInfo parse_peering_vpc_info(const pugi::xml_node& node) {
  return PeeringVpcInfo{child_text(node, "vpcId"), child_text(node, "ownerId"),
                        child_text(node, "region"), child_text(node, "cidrBlock")};
}

Route parse_route(const pugi::xml_node& item) {
  return Route{child_text(item, "destinationCidrBlock"), child_text(item, "vpcPeeringConnectionId"),
               child_text(item, "gatewayId"), child_text(item, "state")};
}

RouteTableAssociation parse_association(const pugi::xml_node& item) {
  return RouteTableAssociation{child_text(item, "routeTableAssociationId"),
                               child_text(item, "subnetId"), child_bool(item, "main")};
}

DnsEntry parse_dns_entry(const pugi::xml_node& item) {
  return DnsEntry{child_text(item, "dnsName"), child_text(item, "hostedZoneId")};
}

SecurityGroupRef parse_group_ref(const pugi::xml_node& item) {
  return SecurityGroupRef{child_text(item, "groupId"), child_text(item, "groupName")};
}

EndpointDeleteFailure parse_delete_failure(const pugi::xml_node& item) {
  const auto error = item.child("error");
  return EndpointDeleteFailure{child_text(item, "resourceId"), child_text(error, "code"),
                               child_text(error, "message")};
}

Tag parse_tag(const pugi::xml_node& item) {
  return Tag{child_text(item, "key"), child_text(item, "value")};
}

}  // namespace

// ---------------------------------------------------------------- Ec2Params

Ec2Params& Ec2Params::add(std::string name, std::string value) {
  parameters_.emplace_back(std::move(name), std::move(value));
  return *this;
}

Ec2Params& Ec2Params::add_bool(std::string name, bool value) {
  return add(std::move(name), value ? "true" : "false");
}

Ec2Params& Ec2Params::add_list(const std::string& prefix, const std::vector<std::string>& values) {
  for (std::size_t index = 0; index < values.size(); ++index) {
    add(fmt::format("{}.{}", prefix, index + 1), values[index]);
  }
  return *this;
}

Ec2Params& Ec2Params::add_filters(const std::vector<Filter>& filters) {
  for (std::size_t index = 0; index < filters.size(); ++index) {
    const std::string prefix = fmt::format("Filter.{}", index + 1);
    add(prefix + ".Name", filters[index].name);
    add_list(prefix + ".Value", filters[index].values);
  }
  return *this;
}

Ec2Params& Ec2Params::add_tag_specification(const std::string& resource_type,
                                            const std::vector<Tag>& tags) {
  if (tags.empty()) return *this;
  add("TagSpecification.1.ResourceType", resource_type);
  for (std::size_t index = 0; index < tags.size(); ++index) {
    const std::string prefix = fmt::format("TagSpecification.1.Tag.{}", index + 1);
    add(prefix + ".Key", tags[index].key);
    add(prefix + ".Value", tags[index].value);
  }
  return *this;
}

Ec2Params& Ec2Params::add_tags(const std::vector<Tag>& tags) {
  for (std::size_t index = 0; index < tags.size(); ++index) {
    const std::string prefix = fmt::format("Tag.{}", index + 1);
    add(prefix + ".Key", tags[index].key);
    add(prefix + ".Value", tags[index].value);
  }
  return *this;
}

// ---------------------------------------------------------------- parsers

std::vector<Tag> parse_tag_set(const pugi::xml_node& parent) {
  return parse_items(parent.child("tagSet"), &parse_tag);
}

Vpc parse_vpc(const pugi::xml_node& item) {
  Vpc vpc;
  vpc.id = child_text(item, "vpcId");
  vpc.cidr_block = child_text(item, "cidrBlock");
  vpc.state = child_text(item, "state");
  vpc.is_default = child_bool(item, "isDefault");
  vpc.owner_id = child_text(item, "ownerId");
  vpc.tags = parse_tag_set(item);
  // Blocks being associated or removed carry no traffic yet (or any more).
  for (const auto& block : item.child("cidrBlockAssociationSet").children("item")) {
    if (child_text(block.child("cidrBlockState"), "state") == "associated") {
      vpc.cidr_blocks.push_back(child_text(block, "cidrBlock"));
    }
  }
  return vpc;
}

Subnet parse_subnet(const pugi::xml_node& item) {
  return Subnet{child_text(item, "subnetId"),           child_text(item, "vpcId"),
                child_text(item, "availabilityZone"),   child_text(item, "availabilityZoneId"),
                child_text(item, "cidrBlock"),          child_text(item, "state"),
                parse_tag_set(item)};
}

VpcEndpointService parse_vpc_endpoint_service(const pugi::xml_node& item) {
  VpcEndpointService service;
  service.service_name = child_text(item, "serviceName");
  service.service_type = child_text(item.child("serviceType").child("item"), "serviceType");
  service.availability_zones = item_texts(item, "availabilityZoneSet", nullptr);
  service.private_dns_name = child_text(item, "privateDnsName");
  service.private_dns_names = item_texts(item, "privateDnsNameSet", "privateDnsName");
  service.base_endpoint_dns_names = item_texts(item, "baseEndpointDnsNameSet", nullptr);
  service.service_region = optional_text(item, "serviceRegion");
  return service;
}

VpcEndpoint parse_vpc_endpoint(const pugi::xml_node& item) {
  VpcEndpoint endpoint;
  endpoint.id = child_text(item, "vpcEndpointId");
  endpoint.type = child_text(item, "vpcEndpointType");
  endpoint.vpc_id = child_text(item, "vpcId");
  endpoint.service_name = child_text(item, "serviceName");
  endpoint.state = child_text(item, "state");
  endpoint.dns_entries = parse_items(item.child("dnsEntrySet"), &parse_dns_entry);
  endpoint.subnet_ids = item_texts(item, "subnetIdSet", nullptr);
  endpoint.groups = parse_items(item.child("groupSet"), &parse_group_ref);
  endpoint.private_dns_enabled = child_bool(item, "privateDnsEnabled");
  endpoint.service_region = optional_text(item, "serviceRegion");
  endpoint.tags = parse_tag_set(item);
  return endpoint;
}

SecurityGroup parse_security_group(const pugi::xml_node& item) {
  SecurityGroup group;
  group.id = child_text(item, "groupId");
  group.name = child_text(item, "groupName");
  group.description = child_text(item, "groupDescription");
  group.vpc_id = child_text(item, "vpcId");
  group.ingress = parse_items(item.child("ipPermissions"), &parse_ip_permission);
  group.tags = parse_tag_set(item);
  return group;
}

VpcPeeringConnection parse_vpc_peering_connection(const pugi::xml_node& item) {
  VpcPeeringConnection peering;
  peering.id = child_text(item, "vpcPeeringConnectionId");
  peering.status_code = child_text(item.child("status"), "code");
  peering.status_message = child_text(item.child("status"), "message");
  peering.requester = parse_peering_vpc_info(item.child("requesterVpcInfo"));
  peering.accepter = parse_peering_vpc_info(item.child("accepterVpcInfo"));
  peering.tags = parse_tag_set(item);
  return peering;
}

RouteTable parse_route_table(const pugi::xml_node& item) {
  RouteTable table;
  table.id = child_text(item, "routeTableId");
  table.vpc_id = child_text(item, "vpcId");
  table.routes = parse_items(item.child("routeSet"), &parse_route);
  table.associations = parse_items(item.child("associationSet"), &parse_association);
  table.tags = parse_tag_set(item);
  return table;
}

// ---------------------------------------------------------------- Ec2Client

Ec2Client::Ec2Client(const AwsClient& client, ServiceEndpoint endpoint)
    : client_(client), endpoint_(std::move(endpoint)) {}

Result<pugi::xml_document> Ec2Client::call(const std::string& action, const Ec2Params& params,
                                           bool repeatable) const {
  return client_.call_ec2(endpoint_, action, params.parameters(), repeatable);
}

Result<void> Ec2Client::call_paged(const std::string& action, Ec2Params params, bool has_ids,
                                   const std::function<void(const pugi::xml_node&)>& consume) const {
  if (page_size_ > 0 && !has_ids) params.add("MaxResults", std::to_string(page_size_));
  return paginate([&](const QueryParameters& continuation)
                      -> Result<std::optional<QueryParameters>> {
    Ec2Params page = params;
    for (const auto& [name, value] : continuation) page.add(name, value);
    auto document = call(action, page);
    if (!document) return document.failure();
    const auto root = document->document_element();
    consume(root);
    const std::string next = child_text(root, "nextToken");
    if (next.empty()) return std::optional<QueryParameters>();
    return std::optional<QueryParameters>(QueryParameters{{"NextToken", next}});
  });
}

Result<Vpc> Ec2Client::create_vpc(const std::string& cidr_block,
                                  const std::vector<Tag>& tags) const {
  Ec2Params params;
  params.add("CidrBlock", cidr_block).add_tag_specification("vpc", tags);
  auto document = call("CreateVpc", params);
  if (!document) return document.failure();
  return parse_vpc(document->document_element().child("vpc"));
}

Result<std::vector<Vpc>> Ec2Client::describe_vpcs(const std::vector<std::string>& vpc_ids,
                                                  const std::vector<Filter>& filters) const {
  Ec2Params params;
  params.add_list("VpcId", vpc_ids).add_filters(filters);
  std::vector<Vpc> vpcs;
  auto paged = call_paged("DescribeVpcs", params, !vpc_ids.empty(),
                          collect(vpcs, "vpcSet", &parse_vpc));
  if (!paged) return paged.failure();
  return vpcs;
}

Result<bool> Ec2Client::describe_vpc_attribute(const std::string& vpc_id,
                                               VpcAttribute attribute) const {
  Ec2Params params;
  params.add("VpcId", vpc_id).add("Attribute", wire_name(attribute));
  auto document = call("DescribeVpcAttribute", params);
  if (!document) return document.failure();
  const auto value = document->document_element().child(wire_name(attribute));
  if (!value) {
    return Error{ErrorCode::io,
                 fmt::format("EC2 DescribeVpcAttribute: answer has no {}", wire_name(attribute))};
  }
  return child_bool(value, "value");
}

Result<void> Ec2Client::modify_vpc_attribute(const std::string& vpc_id, VpcAttribute attribute,
                                             bool value) const {
  Ec2Params params;
  params.add("VpcId", vpc_id).add_bool(modify_name(attribute), value);
  auto document = call("ModifyVpcAttribute", params);
  if (!document) return document.failure();
  return {};
}

Result<Subnet> Ec2Client::create_subnet(const std::string& vpc_id, const std::string& cidr_block,
                                        const std::string& availability_zone,
                                        const std::vector<Tag>& tags) const {
  Ec2Params params;
  params.add("VpcId", vpc_id).add("CidrBlock", cidr_block);
  if (!availability_zone.empty()) params.add("AvailabilityZone", availability_zone);
  params.add_tag_specification("subnet", tags);
  auto document = call("CreateSubnet", params);
  if (!document) return document.failure();
  return parse_subnet(document->document_element().child("subnet"));
}

Result<std::vector<Subnet>> Ec2Client::describe_subnets(const std::vector<std::string>& subnet_ids,
                                                        const std::vector<Filter>& filters) const {
  Ec2Params params;
  params.add_list("SubnetId", subnet_ids).add_filters(filters);
  std::vector<Subnet> subnets;
  auto paged = call_paged("DescribeSubnets", params, !subnet_ids.empty(),
                          collect(subnets, "subnetSet", &parse_subnet));
  if (!paged) return paged.failure();
  return subnets;
}

Result<std::vector<VpcEndpointService>> Ec2Client::describe_vpc_endpoint_services(
    const std::vector<std::string>& service_names,
    const std::optional<std::string>& service_region) const {
  Ec2Params params;
  params.add_list("ServiceName", service_names);
  if (service_region) params.add("ServiceRegion.1", *service_region);
  std::vector<VpcEndpointService> services;
  auto paged = call_paged("DescribeVpcEndpointServices", params, !service_names.empty(),
                          collect(services, "serviceDetailSet", &parse_vpc_endpoint_service));
  if (!paged) return paged.failure();
  return services;
}

Result<VpcEndpoint> Ec2Client::create_vpc_endpoint(const CreateVpcEndpointRequest& request) const {
  Ec2Params params;
  params.add("VpcEndpointType", "Interface")
      .add("VpcId", request.vpc_id)
      .add("ServiceName", request.service_name)
      .add_list("SubnetId", request.subnet_ids)
      .add_list("SecurityGroupId", request.security_group_ids)
      .add_bool("PrivateDnsEnabled", request.private_dns_enabled);
  if (request.service_region) params.add("ServiceRegion", *request.service_region);
  if (!request.client_token.empty()) params.add("ClientToken", request.client_token);
  params.add_tag_specification("vpc-endpoint", request.tags);
  auto document = call("CreateVpcEndpoint", params);
  if (!document) return document.failure();
  return parse_vpc_endpoint(document->document_element().child("vpcEndpoint"));
}

Result<void> Ec2Client::modify_vpc_endpoint(const ModifyVpcEndpointRequest& request) const {
  Ec2Params params;
  params.add("VpcEndpointId", request.endpoint_id)
      .add_list("AddSubnetId", request.add_subnet_ids)
      .add_list("RemoveSubnetId", request.remove_subnet_ids)
      .add_list("AddSecurityGroupId", request.add_security_group_ids)
      .add_list("RemoveSecurityGroupId", request.remove_security_group_ids);
  if (request.private_dns_enabled) {
    params.add_bool("PrivateDnsEnabled", *request.private_dns_enabled);
  }
  auto document = call("ModifyVpcEndpoint", params);
  if (!document) return document.failure();
  return {};
}

Result<std::vector<VpcEndpoint>> Ec2Client::describe_vpc_endpoints(
    const std::vector<std::string>& endpoint_ids, const std::vector<Filter>& filters) const {
  Ec2Params params;
  params.add_list("VpcEndpointId", endpoint_ids).add_filters(filters);
  std::vector<VpcEndpoint> endpoints;
  auto paged = call_paged("DescribeVpcEndpoints", params, !endpoint_ids.empty(),
                          collect(endpoints, "vpcEndpointSet", &parse_vpc_endpoint));
  if (!paged) return paged.failure();
  return endpoints;
}

Result<std::vector<EndpointDeleteFailure>> Ec2Client::delete_vpc_endpoints(
    const std::vector<std::string>& endpoint_ids) const {
  Ec2Params params;
  params.add_list("VpcEndpointId", endpoint_ids);
  auto document = call("DeleteVpcEndpoints", params);
  if (!document) return document.failure();
  return parse_items(document->document_element().child("unsuccessful"), &parse_delete_failure);
}

Result<std::string> Ec2Client::create_security_group(const std::string& name,
                                                     const std::string& description,
                                                     const std::string& vpc_id,
                                                     const std::vector<Tag>& tags) const {
  Ec2Params params;
  params.add("GroupName", name).add("GroupDescription", description).add("VpcId", vpc_id);
  params.add_tag_specification("security-group", tags);
  auto document = call("CreateSecurityGroup", params);
  if (!document) return document.failure();
  return child_text(document->document_element(), "groupId");
}

Result<std::vector<SecurityGroup>> Ec2Client::describe_security_groups(
    const std::vector<std::string>& group_ids, const std::vector<Filter>& filters) const {
  Ec2Params params;
  params.add_list("GroupId", group_ids).add_filters(filters);
  std::vector<SecurityGroup> groups;
  auto paged = call_paged("DescribeSecurityGroups", params, !group_ids.empty(),
                          collect(groups, "securityGroupInfo", &parse_security_group));
  if (!paged) return paged.failure();
  return groups;
}

Result<Outcome> Ec2Client::authorize_tcp_ingress(const std::string& group_id, int port,
                                                 const std::vector<std::string>& cidrs) const {
  Ec2Params params;
  params.add("GroupId", group_id)
      .add("IpPermissions.1.IpProtocol", "tcp")
      .add("IpPermissions.1.FromPort", std::to_string(port))
      .add("IpPermissions.1.ToPort", std::to_string(port));
  for (std::size_t index = 0; index < cidrs.size(); ++index) {
    params.add(fmt::format("IpPermissions.1.IpRanges.{}.CidrIp", index + 1), cidrs[index]);
  }
  auto document = call("AuthorizeSecurityGroupIngress", params);
  if (document.is_aws_error("InvalidPermission.Duplicate")) return Outcome::already_existed;
  if (!document) return document.failure();
  return Outcome::created;
}

Result<void> Ec2Client::delete_security_group(const std::string& group_id) const {
  Ec2Params params;
  params.add("GroupId", group_id);
  auto document = call("DeleteSecurityGroup", params);
  if (!document) return document.failure();
  return {};
}

Result<VpcPeeringConnection> Ec2Client::create_vpc_peering_connection(
    const CreateVpcPeeringRequest& request) const {
  Ec2Params params;
  params.add("VpcId", request.vpc_id).add("PeerVpcId", request.peer_vpc_id);
  if (request.peer_region) params.add("PeerRegion", *request.peer_region);
  if (request.peer_owner_id) params.add("PeerOwnerId", *request.peer_owner_id);
  params.add_tag_specification("vpc-peering-connection", request.tags);
  // No ClientToken exists for peerings: a retry after a lost answer could
  // make a second one.
  auto document = call("CreateVpcPeeringConnection", params, /*repeatable=*/false);
  if (!document) return document.failure();
  return parse_vpc_peering_connection(document->document_element().child("vpcPeeringConnection"));
}

Result<VpcPeeringConnection> Ec2Client::accept_vpc_peering_connection(
    const std::string& peering_id) const {
  Ec2Params params;
  params.add("VpcPeeringConnectionId", peering_id);
  auto document = call("AcceptVpcPeeringConnection", params);
  if (!document) return document.failure();
  return parse_vpc_peering_connection(document->document_element().child("vpcPeeringConnection"));
}

Result<std::vector<VpcPeeringConnection>> Ec2Client::describe_vpc_peering_connections(
    const std::vector<std::string>& peering_ids, const std::vector<Filter>& filters) const {
  Ec2Params params;
  params.add_list("VpcPeeringConnectionId", peering_ids).add_filters(filters);
  std::vector<VpcPeeringConnection> peerings;
  auto paged = call_paged("DescribeVpcPeeringConnections", params, !peering_ids.empty(),
                          collect(peerings, "vpcPeeringConnectionSet",
                                  &parse_vpc_peering_connection));
  if (!paged) return paged.failure();
  return peerings;
}

Result<void> Ec2Client::delete_vpc_peering_connection(const std::string& peering_id) const {
  Ec2Params params;
  params.add("VpcPeeringConnectionId", peering_id);
  auto document = call("DeleteVpcPeeringConnection", params);
  if (!document) return document.failure();
  return {};
}

Result<std::vector<RouteTable>> Ec2Client::describe_route_tables(
    const std::vector<std::string>& route_table_ids, const std::vector<Filter>& filters) const {
  Ec2Params params;
  params.add_list("RouteTableId", route_table_ids).add_filters(filters);
  std::vector<RouteTable> tables;
  auto paged = call_paged("DescribeRouteTables", params, !route_table_ids.empty(),
                          collect(tables, "routeTableSet", &parse_route_table));
  if (!paged) return paged.failure();
  return tables;
}

Result<Outcome> Ec2Client::create_route(const std::string& route_table_id,
                                        const std::string& destination_cidr_block,
                                        const std::string& vpc_peering_connection_id) const {
  Ec2Params params;
  params.add("RouteTableId", route_table_id)
      .add("DestinationCidrBlock", destination_cidr_block)
      .add("VpcPeeringConnectionId", vpc_peering_connection_id);
  auto document = call("CreateRoute", params);
  if (document.is_aws_error("RouteAlreadyExists")) return Outcome::already_existed;
  if (!document) return document.failure();
  return Outcome::created;
}

Result<void> Ec2Client::delete_route(const std::string& route_table_id,
                                     const std::string& destination_cidr_block) const {
  Ec2Params params;
  params.add("RouteTableId", route_table_id).add("DestinationCidrBlock", destination_cidr_block);
  auto document = call("DeleteRoute", params);
  if (!document) return document.failure();
  return {};
}

Result<void> Ec2Client::create_tags(const std::vector<std::string>& resource_ids,
                                    const std::vector<Tag>& tags) const {
  Ec2Params params;
  params.add_list("ResourceId", resource_ids).add_tags(tags);
  auto document = call("CreateTags", params);
  if (!document) return document.failure();
  return {};
}

}  // namespace aws
