#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/ec2.h"
#include "fake_transport.h"

namespace aws {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Shaped like the DescribeVpcEndpoints example of the EC2 API reference.
constexpr const char* describe_endpoints_page1 = R"(<?xml version="1.0" encoding="UTF-8"?>
<DescribeVpcEndpointsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>19a9ff46-7df6-49b8-9726-3df27527089d</requestId>
  <vpcEndpointSet>
    <item>
      <vpcEndpointId>vpce-0a1b2c3d4e5f60718</vpcEndpointId>
      <vpcEndpointType>Interface</vpcEndpointType>
      <vpcId>vpc-1a2b3c4d</vpcId>
      <serviceName>com.amazonaws.vpce.us-east-1.vpce-svc-09a8006e245d1e7b8</serviceName>
      <state>available</state>
      <privateDnsEnabled>false</privateDnsEnabled>
      <subnetIdSet><item>subnet-aaa</item><item>subnet-bbb</item></subnetIdSet>
      <groupSet><item><groupId>sg-123</groupId><groupName>dd-privatelink</groupName></item></groupSet>
      <dnsEntrySet>
        <item>
          <dnsName>vpce-0a1b2c3d4e5f60718-xyz.vpce-svc-09a8006e245d1e7b8.us-east-1.vpce.amazonaws.com</dnsName>
          <hostedZoneId>Z7HUB22UULQXV</hostedZoneId>
        </item>
        <item>
          <dnsName>vpce-0a1b2c3d4e5f60718-xyz-us-east-1a.vpce-svc-09a8006e245d1e7b8.us-east-1.vpce.amazonaws.com</dnsName>
          <hostedZoneId>Z7HUB22UULQXV</hostedZoneId>
        </item>
      </dnsEntrySet>
      <tagSet><item><key>managed-by</key><value>privatelink-sidecar</value></item></tagSet>
    </item>
  </vpcEndpointSet>
  <nextToken>page-2</nextToken>
</DescribeVpcEndpointsResponse>)";

constexpr const char* describe_endpoints_page2 = R"(<DescribeVpcEndpointsResponse>
  <vpcEndpointSet><item><vpcEndpointId>vpce-second</vpcEndpointId><state>pendingAcceptance</state></item></vpcEndpointSet>
</DescribeVpcEndpointsResponse>)";

constexpr const char* describe_services_body = R"(<DescribeVpcEndpointServicesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>r</requestId>
  <serviceNameSet><item>com.amazonaws.vpce.us-east-1.vpce-svc-09a8006e245d1e7b8</item></serviceNameSet>
  <serviceDetailSet>
    <item>
      <serviceName>com.amazonaws.vpce.us-east-1.vpce-svc-09a8006e245d1e7b8</serviceName>
      <serviceId>vpce-svc-09a8006e245d1e7b8</serviceId>
      <serviceType><item><serviceType>Interface</serviceType></item></serviceType>
      <serviceRegion>us-east-1</serviceRegion>
      <availabilityZoneSet><item>us-east-1a</item><item>us-east-1b</item></availabilityZoneSet>
      <owner>464622532012</owner>
      <baseEndpointDnsNameSet><item>vpce-svc-09a8006e245d1e7b8.us-east-1.vpce.amazonaws.com</item></baseEndpointDnsNameSet>
      <privateDnsName>api.datadoghq.com</privateDnsName>
      <privateDnsNameSet><item><privateDnsName>api.datadoghq.com</privateDnsName></item></privateDnsNameSet>
      <vpcEndpointPolicySupported>false</vpcEndpointPolicySupported>
    </item>
  </serviceDetailSet>
</DescribeVpcEndpointServicesResponse>)";

constexpr const char* peering_body = R"(<CreateVpcPeeringConnectionResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>r</requestId>
  <vpcPeeringConnection>
    <vpcPeeringConnectionId>pcx-111aaa111</vpcPeeringConnectionId>
    <requesterVpcInfo><ownerId>777788889999</ownerId><vpcId>vpc-1a2b3c4d</vpcId><cidrBlock>10.0.0.0/28</cidrBlock><region>us-west-2</region></requesterVpcInfo>
    <accepterVpcInfo><ownerId>123456789012</ownerId><vpcId>vpc-a1b2c3d4</vpcId><region>us-east-1</region></accepterVpcInfo>
    <status><code>initiating-request</code><message>Initiating Request to 123456789012</message></status>
    <expirationTime>2024-02-18T14:37:25.000Z</expirationTime>
    <tagSet/>
  </vpcPeeringConnection>
</CreateVpcPeeringConnectionResponse>)";

constexpr const char* route_tables_body = R"(<DescribeRouteTablesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>r</requestId>
  <routeTableSet>
    <item>
      <routeTableId>rtb-f9ad4890</routeTableId>
      <vpcId>vpc-11ad4878</vpcId>
      <routeSet>
        <item><destinationCidrBlock>10.0.0.0/22</destinationCidrBlock><gatewayId>local</gatewayId><state>active</state></item>
        <item><destinationCidrBlock>10.8.0.0/16</destinationCidrBlock><vpcPeeringConnectionId>pcx-111aaa111</vpcPeeringConnectionId><state>active</state></item>
      </routeSet>
      <associationSet>
        <item><routeTableAssociationId>rtbassoc-d8ad4891</routeTableAssociationId><routeTableId>rtb-f9ad4890</routeTableId><main>true</main></item>
      </associationSet>
      <tagSet/>
    </item>
  </routeTableSet>
</DescribeRouteTablesResponse>)";

Ec2Client client_for(test::FakeAws& aws) { return Ec2Client(*aws.client, test::ec2_endpoint("us-east-1")); }

TEST(Ec2Params, FlattensListsFiltersAndTags) {
  Ec2Params params;
  params.add_list("SubnetId", {"subnet-a", "subnet-b"})
      .add_filters({{"tag:owner", {"dd"}}, {"vpc-id", {"vpc-1", "vpc-2"}}})
      .add_tag_specification("vpc-endpoint", {{"Name", "dd"}})
      .add_bool("PrivateDnsEnabled", false);
  EXPECT_EQ(form_encode(params.parameters()),
            "SubnetId.1=subnet-a&SubnetId.2=subnet-b&Filter.1.Name=tag%3Aowner&Filter.1.Value.1=dd"
            "&Filter.2.Name=vpc-id&Filter.2.Value.1=vpc-1&Filter.2.Value.2=vpc-2"
            "&TagSpecification.1.ResourceType=vpc-endpoint&TagSpecification.1.Tag.1.Key=Name"
            "&TagSpecification.1.Tag.1.Value=dd&PrivateDnsEnabled=false");
}

TEST(Ec2, DescribeVpcEndpointsParsesAndFollowsNextToken) {
  test::FakeAws aws;
  aws.transport.answer(200, describe_endpoints_page1);
  aws.transport.answer(200, describe_endpoints_page2);
  auto client = client_for(aws);
  client.set_page_size(5);
  auto endpoints = client.describe_vpc_endpoints({}, {{"vpc-id", {"vpc-1a2b3c4d"}}});
  ASSERT_TRUE(endpoints) << endpoints.error().message;
  ASSERT_EQ(endpoints->size(), 2u);
  const VpcEndpoint& first = endpoints->at(0);
  EXPECT_EQ(first.id, "vpce-0a1b2c3d4e5f60718");
  EXPECT_EQ(first.type, "Interface");
  EXPECT_EQ(first.state, "available");
  EXPECT_FALSE(first.private_dns_enabled);
  EXPECT_THAT(first.subnet_ids, ElementsAre("subnet-aaa", "subnet-bbb"));
  ASSERT_EQ(first.groups.size(), 1u);
  EXPECT_EQ(first.groups[0].group_id, "sg-123");
  ASSERT_EQ(first.dns_entries.size(), 2u);
  EXPECT_EQ(first.dns_entries[0].hosted_zone_id, "Z7HUB22UULQXV");
  EXPECT_THAT(first.dns_entries[0].dns_name, HasSubstr("-xyz.vpce-svc-"));
  EXPECT_THAT(first.tags, ElementsAre(Tag{"managed-by", "privatelink-sidecar"}));
  EXPECT_FALSE(first.service_region);
  EXPECT_EQ(endpoints->at(1).state, "pendingAcceptance");

  ASSERT_EQ(aws.transport.requests.size(), 2u);
  EXPECT_EQ(aws.transport.requests[0].body,
            "Action=DescribeVpcEndpoints&Version=2016-11-15&Filter.1.Name=vpc-id"
            "&Filter.1.Value.1=vpc-1a2b3c4d&MaxResults=5");
  EXPECT_THAT(aws.transport.requests[1].body, HasSubstr("&MaxResults=5&NextToken=page-2"));
}

TEST(Ec2, PageSizeIsNotSentNextToIds) {
  test::FakeAws aws;
  aws.transport.answer(200, describe_endpoints_page2);
  auto client = client_for(aws);
  client.set_page_size(5);
  ASSERT_TRUE(client.describe_vpc_endpoints({"vpce-second"}));
  EXPECT_EQ(aws.transport.requests[0].body,
            "Action=DescribeVpcEndpoints&Version=2016-11-15&VpcEndpointId.1=vpce-second");
}

TEST(Ec2, DescribeVpcEndpointServices) {
  test::FakeAws aws;
  aws.transport.answer(200, describe_services_body);
  auto services = client_for(aws).describe_vpc_endpoint_services(
      {"com.amazonaws.vpce.us-east-1.vpce-svc-09a8006e245d1e7b8"}, "us-east-1");
  ASSERT_TRUE(services) << services.error().message;
  ASSERT_EQ(services->size(), 1u);
  const auto& service = services->at(0);
  EXPECT_EQ(service.service_type, "Interface");
  EXPECT_THAT(service.availability_zones, ElementsAre("us-east-1a", "us-east-1b"));
  EXPECT_EQ(service.private_dns_name, "api.datadoghq.com");
  EXPECT_THAT(service.private_dns_names, ElementsAre("api.datadoghq.com"));
  EXPECT_THAT(service.base_endpoint_dns_names,
              ElementsAre("vpce-svc-09a8006e245d1e7b8.us-east-1.vpce.amazonaws.com"));
  EXPECT_EQ(service.service_region, "us-east-1");
  EXPECT_THAT(aws.transport.requests[0].body,
              HasSubstr("&ServiceName.1=com.amazonaws.vpce.us-east-1.vpce-svc-09a8006e245d1e7b8"
                        "&ServiceRegion.1=us-east-1"));
}

TEST(Ec2, CreateVpcEndpointSendsEveryParameter) {
  test::FakeAws aws;
  aws.transport.answer(200,
                       "<CreateVpcEndpointResponse><vpcEndpoint><vpcEndpointId>vpce-new"
                       "</vpcEndpointId><state>pending</state></vpcEndpoint><clientToken>tok"
                       "</clientToken></CreateVpcEndpointResponse>");
  CreateVpcEndpointRequest request;
  request.vpc_id = "vpc-1";
  request.service_name = "com.amazonaws.vpce.us-east-1.vpce-svc-x";
  request.subnet_ids = {"subnet-a", "subnet-b"};
  request.security_group_ids = {"sg-1"};
  request.service_region = "us-east-1";
  request.tags = {{"managed-by", "privatelink-sidecar"}};
  request.client_token = "tok";
  auto endpoint = client_for(aws).create_vpc_endpoint(request);
  ASSERT_TRUE(endpoint) << endpoint.error().message;
  EXPECT_EQ(endpoint->id, "vpce-new");
  EXPECT_EQ(aws.transport.requests[0].body,
            "Action=CreateVpcEndpoint&Version=2016-11-15&VpcEndpointType=Interface&VpcId=vpc-1"
            "&ServiceName=com.amazonaws.vpce.us-east-1.vpce-svc-x&SubnetId.1=subnet-a"
            "&SubnetId.2=subnet-b&SecurityGroupId.1=sg-1&PrivateDnsEnabled=false"
            "&ServiceRegion=us-east-1&ClientToken=tok"
            "&TagSpecification.1.ResourceType=vpc-endpoint"
            "&TagSpecification.1.Tag.1.Key=managed-by&TagSpecification.1.Tag.1.Value="
            "privatelink-sidecar");
}

TEST(Ec2, ModifyVpcEndpointSendsEveryChange) {
  test::FakeAws aws;
  aws.transport.answer(200, "<ModifyVpcEndpointResponse xmlns=\"http://ec2.amazonaws.com/doc/"
                            "2016-11-15/\"><requestId>r</requestId><return>true</return>"
                            "</ModifyVpcEndpointResponse>");
  ModifyVpcEndpointRequest request;
  request.endpoint_id = "vpce-1";
  request.add_subnet_ids = {"subnet-c", "subnet-d"};
  request.remove_subnet_ids = {"subnet-a"};
  request.add_security_group_ids = {"sg-2"};
  request.remove_security_group_ids = {"sg-1"};
  request.private_dns_enabled = true;
  auto modified = client_for(aws).modify_vpc_endpoint(request);
  ASSERT_TRUE(modified) << modified.error().message;
  ASSERT_EQ(aws.transport.requests.size(), 1u);
  EXPECT_EQ(aws.transport.requests[0].body,
            "Action=ModifyVpcEndpoint&Version=2016-11-15&VpcEndpointId=vpce-1"
            "&AddSubnetId.1=subnet-c&AddSubnetId.2=subnet-d&RemoveSubnetId.1=subnet-a"
            "&AddSecurityGroupId.1=sg-2&RemoveSecurityGroupId.1=sg-1&PrivateDnsEnabled=true");
}

TEST(Ec2, ModifyVpcEndpointSendsOnlyWhatChanges) {
  test::FakeAws aws;
  aws.transport.answer(200, "<ModifyVpcEndpointResponse><return>true</return>"
                            "</ModifyVpcEndpointResponse>");
  aws.transport.answer(200, "<ModifyVpcEndpointResponse><return>true</return>"
                            "</ModifyVpcEndpointResponse>");
  auto client = client_for(aws);
  ModifyVpcEndpointRequest request;
  request.endpoint_id = "vpce-1";
  request.add_subnet_ids = {"subnet-c"};
  ASSERT_TRUE(client.modify_vpc_endpoint(request));
  // Unset leaves private DNS as it is; false turns it off, so it is sent.
  request.private_dns_enabled = false;
  ASSERT_TRUE(client.modify_vpc_endpoint(request));
  EXPECT_EQ(aws.transport.requests[0].body,
            "Action=ModifyVpcEndpoint&Version=2016-11-15&VpcEndpointId=vpce-1"
            "&AddSubnetId.1=subnet-c");
  EXPECT_EQ(aws.transport.requests[1].body,
            "Action=ModifyVpcEndpoint&Version=2016-11-15&VpcEndpointId=vpce-1"
            "&AddSubnetId.1=subnet-c&PrivateDnsEnabled=false");
}

TEST(Ec2, ModifyUnknownVpcEndpointIsAnAwsError) {
  test::FakeAws aws;
  aws.transport.answer(400, "<Response><Errors><Error><Code>InvalidVpcEndpointId.NotFound</Code>"
                            "<Message>The Vpc Endpoint Id 'vpce-gone' does not exist</Message>"
                            "</Error></Errors><RequestID>rid</RequestID></Response>");
  ModifyVpcEndpointRequest request;
  request.endpoint_id = "vpce-gone";
  request.remove_security_group_ids = {"sg-1"};
  auto modified = client_for(aws).modify_vpc_endpoint(request);
  ASSERT_FALSE(modified);
  EXPECT_TRUE(modified.is_aws_error("InvalidVpcEndpointId.NotFound"));
  ASSERT_NE(modified.aws_error(), nullptr);
  EXPECT_EQ(modified.aws_error()->http_status, 400);
  EXPECT_EQ(modified.error().message,
            "EC2 ModifyVpcEndpoint: InvalidVpcEndpointId.NotFound: The Vpc Endpoint Id "
            "'vpce-gone' does not exist (request id rid, HTTP 400)");
  EXPECT_EQ(aws.transport.requests.size(), 1u);  // not retried
}

TEST(Ec2, DeleteVpcEndpointsReportsPartialFailures) {
  test::FakeAws aws;
  aws.transport.answer(200, R"(<DeleteVpcEndpointsResponse><unsuccessful><item>
      <error><code>InvalidVpcEndpoint.NotFound</code><message>The VPC endpoint 'vpce-gone' does not exist</message></error>
      <resourceId>vpce-gone</resourceId></item></unsuccessful></DeleteVpcEndpointsResponse>)");
  auto failures = client_for(aws).delete_vpc_endpoints({"vpce-gone", "vpce-ok"});
  ASSERT_TRUE(failures) << failures.error().message;
  ASSERT_EQ(failures->size(), 1u);
  EXPECT_EQ(failures->at(0).resource_id, "vpce-gone");
  EXPECT_EQ(failures->at(0).code, "InvalidVpcEndpoint.NotFound");
}

// Every associated block counts (Agents may live in a secondary one); a
// block being associated or removed does not.
TEST(Ec2, DescribeVpcsReadsEveryAssociatedCidrBlock) {
  test::FakeAws aws;
  aws.transport.answer(200, R"(<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><vpcSet><item>
      <ownerId>111111111111</ownerId><vpcId>vpc-1</vpcId><state>available</state><cidrBlock>10.1.0.0/16</cidrBlock>
      <cidrBlockAssociationSet>
        <item><cidrBlock>10.1.0.0/16</cidrBlock><cidrBlockState><state>associated</state></cidrBlockState></item>
        <item><cidrBlock>100.64.0.0/16</cidrBlock><cidrBlockState><state>associated</state></cidrBlockState></item>
        <item><cidrBlock>100.65.0.0/16</cidrBlock><cidrBlockState><state>disassociating</state></cidrBlockState></item>
      </cidrBlockAssociationSet></item></vpcSet></DescribeVpcsResponse>)");
  auto vpcs = client_for(aws).describe_vpcs({"vpc-1"});
  ASSERT_TRUE(vpcs) << vpcs.error().message;
  ASSERT_EQ(vpcs->size(), 1u);
  EXPECT_EQ(vpcs->at(0).cidr_block, "10.1.0.0/16");
  EXPECT_THAT(vpcs->at(0).cidr_blocks, ElementsAre("10.1.0.0/16", "100.64.0.0/16"));
  EXPECT_EQ(vpcs->at(0).owner_id, "111111111111");
}

TEST(Ec2, DuplicateIngressRuleIsSuccess) {
  test::FakeAws aws;
  aws.transport.answer(200, "<AuthorizeSecurityGroupIngressResponse><return>true</return>"
                            "</AuthorizeSecurityGroupIngressResponse>");
  aws.transport.answer(400, "<Response><Errors><Error><Code>InvalidPermission.Duplicate</Code>"
                            "<Message>the specified rule already exists</Message></Error>"
                            "</Errors><RequestID>r</RequestID></Response>");
  auto client = client_for(aws);
  auto first = client.authorize_tcp_ingress("sg-1", 443, {"10.0.0.0/8", "172.16.0.0/12"});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, Outcome::created);
  auto second = client.authorize_tcp_ingress("sg-1", 443, {"10.0.0.0/8", "172.16.0.0/12"});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(*second, Outcome::already_existed);
  EXPECT_EQ(aws.transport.requests[0].body,
            "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId=sg-1"
            "&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=443"
            "&IpPermissions.1.ToPort=443&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F8"
            "&IpPermissions.1.IpRanges.2.CidrIp=172.16.0.0%2F12");
}

TEST(Ec2, OtherIngressErrorsStayErrors) {
  test::FakeAws aws;
  aws.transport.answer(400, "<Response><Errors><Error><Code>InvalidGroup.NotFound</Code>"
                            "<Message>no sg-1</Message></Error></Errors></Response>");
  auto result = client_for(aws).authorize_tcp_ingress("sg-1", 443, {"10.0.0.0/8"});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message,
            "EC2 AuthorizeSecurityGroupIngress: InvalidGroup.NotFound: no sg-1 (HTTP 400)");
}

TEST(Ec2, ExistingRouteIsSuccess) {
  test::FakeAws aws;
  aws.transport.answer(400, "<Response><Errors><Error><Code>RouteAlreadyExists</Code><Message>"
                            "exists</Message></Error></Errors></Response>");
  auto result = client_for(aws).create_route("rtb-1", "10.8.0.0/16", "pcx-1");
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(*result, Outcome::already_existed);
}

TEST(Ec2, PeeringParses) {
  test::FakeAws aws;
  aws.transport.answer(200, peering_body);
  auto peering = client_for(aws).create_vpc_peering_connection(
      {"vpc-1a2b3c4d", "vpc-a1b2c3d4", "us-east-1", "123456789012", {}});
  ASSERT_TRUE(peering) << peering.error().message;
  EXPECT_EQ(peering->id, "pcx-111aaa111");
  EXPECT_EQ(peering->status_code, "initiating-request");
  EXPECT_EQ(peering->requester.cidr_block, "10.0.0.0/28");
  EXPECT_EQ(peering->accepter.region, "us-east-1");
  EXPECT_EQ(peering->accepter.owner_id, "123456789012");
  EXPECT_EQ(aws.transport.requests[0].body,
            "Action=CreateVpcPeeringConnection&Version=2016-11-15&VpcId=vpc-1a2b3c4d"
            "&PeerVpcId=vpc-a1b2c3d4&PeerRegion=us-east-1&PeerOwnerId=123456789012");
}

TEST(Ec2, RouteTablesParse) {
  test::FakeAws aws;
  aws.transport.answer(200, route_tables_body);
  auto tables = client_for(aws).describe_route_tables({}, {{"association.main", {"true"}}});
  ASSERT_TRUE(tables) << tables.error().message;
  ASSERT_EQ(tables->size(), 1u);
  ASSERT_EQ(tables->at(0).routes.size(), 2u);
  EXPECT_EQ(tables->at(0).routes[1].vpc_peering_connection_id, "pcx-111aaa111");
  EXPECT_EQ(tables->at(0).routes[0].gateway_id, "local");
  ASSERT_EQ(tables->at(0).associations.size(), 1u);
  EXPECT_TRUE(tables->at(0).associations[0].main);
}

TEST(Ec2, VpcAttributeOneAtATime) {
  test::FakeAws aws;
  aws.transport.answer(200, "<DescribeVpcAttributeResponse><vpcId>vpc-1</vpcId>"
                            "<enableDnsHostnames><value>false</value></enableDnsHostnames>"
                            "</DescribeVpcAttributeResponse>");
  aws.transport.answer(200, "<ModifyVpcAttributeResponse><return>true</return>"
                            "</ModifyVpcAttributeResponse>");
  aws.transport.answer(200, "<DescribeVpcAttributeResponse/>");
  auto client = client_for(aws);
  auto hostnames = client.describe_vpc_attribute("vpc-1", VpcAttribute::enable_dns_hostnames);
  ASSERT_TRUE(hostnames) << hostnames.error().message;
  EXPECT_FALSE(*hostnames);
  ASSERT_TRUE(client.modify_vpc_attribute("vpc-1", VpcAttribute::enable_dns_hostnames, true));
  EXPECT_THAT(aws.transport.requests[1].body, HasSubstr("&EnableDnsHostnames.Value=true"));
  auto missing = client.describe_vpc_attribute("vpc-1", VpcAttribute::enable_dns_support);
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message, HasSubstr("no enableDnsSupport"));
}

}  // namespace
}  // namespace aws
