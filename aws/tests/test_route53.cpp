#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/route53.h"
#include "fake_transport.h"

namespace aws {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Shaped like the Route 53 API reference examples.
constexpr const char* create_zone_body = R"(<?xml version="1.0" encoding="UTF-8"?>
<CreateHostedZoneResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">
  <HostedZone>
    <Id>/hostedzone/Z1D633PJN98FT9</Id>
    <Name>api.datadoghq.com.</Name>
    <CallerReference>provision-7f3a</CallerReference>
    <Config><Comment>privatelink-sidecar</Comment><PrivateZone>true</PrivateZone></Config>
    <ResourceRecordSetCount>2</ResourceRecordSetCount>
  </HostedZone>
  <ChangeInfo><Id>/change/C1PA6795UKMFR9</Id><Status>PENDING</Status><SubmittedAt>2017-03-15T01:36:41.958Z</SubmittedAt></ChangeInfo>
  <VPC><VPCRegion>us-east-1</VPCRegion><VPCId>vpc-1a2b3c4d</VPCId></VPC>
</CreateHostedZoneResponse>)";

constexpr const char* get_zone_body = R"(<GetHostedZoneResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">
  <HostedZone><Id>/hostedzone/Z1D633PJN98FT9</Id><Name>api.datadoghq.com.</Name>
    <Config><PrivateZone>true</PrivateZone></Config><ResourceRecordSetCount>3</ResourceRecordSetCount></HostedZone>
  <VPCs>
    <VPC><VPCRegion>us-east-1</VPCRegion><VPCId>vpc-1a2b3c4d</VPCId></VPC>
    <VPC><VPCRegion>eu-west-1</VPCRegion><VPCId>vpc-99</VPCId></VPC>
  </VPCs>
</GetHostedZoneResponse>)";

std::string zones_page(const std::vector<std::string>& names, bool truncated,
                       const std::string& next_fields) {
  std::string body = "<ListHostedZonesResponse><HostedZones>";
  for (const auto& name : names) {
    body += "<HostedZone><Id>/hostedzone/Z" + name + "</Id><Name>" + name + ".</Name></HostedZone>";
  }
  body += std::string("</HostedZones><IsTruncated>") + (truncated ? "true" : "false") +
          "</IsTruncated>" + next_fields + "</ListHostedZonesResponse>";
  return body;
}

Route53Client client_for(test::FakeAws& aws) {
  return Route53Client(*aws.client, test::route53_endpoint());
}

TEST(Route53, AliasUpsertBatchIsExact) {
  const DnsEntry entry{"vpce-0abc-xyz.vpce-svc-09a8.us-east-1.vpce.amazonaws.com", "Z7HUB22UULQXV"};
  EXPECT_EQ(change_batch_xml({{ChangeAction::upsert, alias_a_record("api.datadoghq.com", entry)}},
                             ""),
            "<?xml version=\"1.0\"?>"
            "<ChangeResourceRecordSetsRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
            "<ChangeBatch><Changes><Change><Action>UPSERT</Action><ResourceRecordSet>"
            "<Name>api.datadoghq.com</Name><Type>A</Type><AliasTarget>"
            "<HostedZoneId>Z7HUB22UULQXV</HostedZoneId>"
            "<DNSName>vpce-0abc-xyz.vpce-svc-09a8.us-east-1.vpce.amazonaws.com</DNSName>"
            "<EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget>"
            "</ResourceRecordSet></Change></Changes></ChangeBatch>"
            "</ChangeResourceRecordSetsRequest>");
}

TEST(Route53, PlainRecordsAreEscaped) {
  ResourceRecordSet record{"x.example.", "TXT", 300, {"\"a<b&c\""}, std::nullopt};
  const std::string xml = change_batch_xml({{ChangeAction::remove, record}}, "why & how");
  EXPECT_THAT(xml, HasSubstr("<Comment>why &amp; how</Comment>"));
  EXPECT_THAT(xml, HasSubstr("<Action>DELETE</Action>"));
  EXPECT_THAT(xml, HasSubstr("<TTL>300</TTL><ResourceRecords><ResourceRecord><Value>\"a&lt;b&amp;c\""
                             "</Value></ResourceRecord></ResourceRecords>"));
}

TEST(Route53, CreatePrivateHostedZone) {
  test::FakeAws aws;
  aws.transport.answer(201, create_zone_body);
  auto created = client_for(aws).create_private_hosted_zone(
      "api.datadoghq.com", {"us-east-1", "vpc-1a2b3c4d"}, "provision-7f3a", "privatelink-sidecar");
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->zone.id, "Z1D633PJN98FT9");
  EXPECT_EQ(created->zone.name, "api.datadoghq.com.");
  EXPECT_TRUE(created->zone.private_zone);
  EXPECT_EQ(created->zone.record_count, 2);
  EXPECT_EQ(created->change.id, "C1PA6795UKMFR9");
  EXPECT_EQ(created->change.status, "PENDING");
  const HttpRequest& request = aws.transport.requests.at(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "https://route53.amazonaws.com/2013-04-01/hostedzone");
  EXPECT_EQ(test::header_value(request, "Content-Type"), "text/xml");
  EXPECT_THAT(request.body,
              HasSubstr("<CreateHostedZoneRequest xmlns=\"https://route53.amazonaws.com/doc/"
                        "2013-04-01/\"><Name>api.datadoghq.com</Name><CallerReference>"
                        "provision-7f3a</CallerReference><VPC><VPCRegion>us-east-1</VPCRegion>"
                        "<VPCId>vpc-1a2b3c4d</VPCId></VPC><HostedZoneConfig><Comment>"
                        "privatelink-sidecar</Comment><PrivateZone>true</PrivateZone>"
                        "</HostedZoneConfig></CreateHostedZoneRequest>"));
}

TEST(Route53, GetHostedZoneListsVpcs) {
  test::FakeAws aws;
  aws.transport.answer(200, get_zone_body);
  auto zone = client_for(aws).get_hosted_zone("/hostedzone/Z1D633PJN98FT9");
  ASSERT_TRUE(zone) << zone.error().message;
  EXPECT_THAT(zone->vpcs, ElementsAre(ZoneVpc{"us-east-1", "vpc-1a2b3c4d"},
                                      ZoneVpc{"eu-west-1", "vpc-99"}));
  EXPECT_EQ(aws.transport.requests[0].url,
            "https://route53.amazonaws.com/2013-04-01/hostedzone/Z1D633PJN98FT9");
}

TEST(Route53, NoSuchHostedZoneIsAnAwsError) {
  test::FakeAws aws;
  aws.transport.answer(404, "<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchHostedZone"
                            "</Code><Message>No hosted zone found with ID: Z9</Message></Error>"
                            "<RequestId>rid</RequestId></ErrorResponse>");
  auto zone = client_for(aws).get_hosted_zone("Z9");
  ASSERT_FALSE(zone);
  EXPECT_TRUE(zone.is_aws_error("NoSuchHostedZone"));
  EXPECT_EQ(zone.error().message,
            "Route 53 GetHostedZone: NoSuchHostedZone: No hosted zone found with ID: Z9 "
            "(request id rid, HTTP 404)");
}

TEST(Route53, ListHostedZonesFollowsNextMarker) {
  test::FakeAws aws;
  aws.transport.answer(200, zones_page({"a.example", "b.example"}, true, "<NextMarker>ZN</NextMarker>"));
  aws.transport.answer(200, zones_page({"c.example"}, false, ""));
  auto client = client_for(aws);
  client.set_page_size(2);
  auto zones = client.list_hosted_zones();
  ASSERT_TRUE(zones) << zones.error().message;
  ASSERT_EQ(zones->size(), 3u);
  EXPECT_EQ(zones->at(2).id, "Zc.example");
  EXPECT_EQ(aws.transport.requests[0].url,
            "https://route53.amazonaws.com/2013-04-01/hostedzone?maxitems=2");
  EXPECT_EQ(aws.transport.requests[1].url,
            "https://route53.amazonaws.com/2013-04-01/hostedzone?marker=ZN&maxitems=2");
}

TEST(Route53, ListHostedZonesByNameStopsAtAnotherName) {
  test::FakeAws aws;
  aws.transport.answer(200, zones_page({"api.datadoghq.com"}, true,
                                       "<NextDNSName>api.datadoghq.com.</NextDNSName>"
                                       "<NextHostedZoneId>Z2</NextHostedZoneId>"));
  aws.transport.answer(200, zones_page({"api.datadoghq.com", "app.datadoghq.com"}, true,
                                       "<NextDNSName>b.</NextDNSName>"));
  auto zones = client_for(aws).list_hosted_zones_by_name("API.datadoghq.com.");
  ASSERT_TRUE(zones) << zones.error().message;
  EXPECT_EQ(zones->size(), 2u);
  ASSERT_EQ(aws.transport.requests.size(), 2u);
  EXPECT_EQ(aws.transport.requests[1].url,
            "https://route53.amazonaws.com/2013-04-01/hostedzonesbyname?"
            "dnsname=api.datadoghq.com.&hostedzoneid=Z2");
}

TEST(Route53, ListHostedZonesByVpcParsesOwnersAndFollowsNextToken) {
  test::FakeAws aws;
  // Shaped like the API reference example; NextToken is opaque (base64 in practice).
  aws.transport.answer(200, R"(<?xml version="1.0" encoding="UTF-8"?>
<ListHostedZonesByVPCResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">
  <HostedZoneSummaries>
    <HostedZoneSummary><HostedZoneId>Z1D633PJN98FT9</HostedZoneId><Name>api.datadoghq.com.</Name>
      <Owner><OwningAccount>123456789012</OwningAccount></Owner></HostedZoneSummary>
    <HostedZoneSummary><HostedZoneId>/hostedzone/Z2EFS</HostedZoneId><Name>efs.example.</Name>
      <Owner><OwningService>efs.amazonaws.com</OwningService></Owner></HostedZoneSummary>
  </HostedZoneSummaries>
  <MaxItems>2</MaxItems>
  <NextToken>a+b/c=</NextToken>
</ListHostedZonesByVPCResponse>)");
  aws.transport.answer(200, "<ListHostedZonesByVPCResponse><HostedZoneSummaries><HostedZoneSummary>"
                            "<HostedZoneId>Z3</HostedZoneId><Name>other.example.</Name><Owner>"
                            "<OwningAccount>222222222222</OwningAccount></Owner></HostedZoneSummary>"
                            "</HostedZoneSummaries><MaxItems>2</MaxItems>"
                            "</ListHostedZonesByVPCResponse>");
  auto client = client_for(aws);
  client.set_page_size(2);
  auto zones = client.list_hosted_zones_by_vpc({"us-east-1", "vpc-1a2b3c4d"});
  ASSERT_TRUE(zones) << zones.error().message;
  EXPECT_THAT(*zones,
              ElementsAre(HostedZoneSummary{"Z1D633PJN98FT9", "api.datadoghq.com.", "123456789012"},
                          HostedZoneSummary{"Z2EFS", "efs.example.", ""},
                          HostedZoneSummary{"Z3", "other.example.", "222222222222"}));
  ASSERT_EQ(aws.transport.requests.size(), 2u);
  EXPECT_EQ(aws.transport.requests[0].method, "GET");
  EXPECT_EQ(aws.transport.requests[0].body, "");
  EXPECT_EQ(aws.transport.requests[0].url,
            "https://route53.amazonaws.com/2013-04-01/hostedzonesbyvpc?"
            "maxitems=2&vpcid=vpc-1a2b3c4d&vpcregion=us-east-1");
  EXPECT_EQ(aws.transport.requests[1].url,
            "https://route53.amazonaws.com/2013-04-01/hostedzonesbyvpc?"
            "maxitems=2&nexttoken=a%2Bb%2Fc%3D&vpcid=vpc-1a2b3c4d&vpcregion=us-east-1");
}

TEST(Route53, ListHostedZonesByVpcWithoutPageSize) {
  test::FakeAws aws;
  aws.transport.answer(200, "<ListHostedZonesByVPCResponse><HostedZoneSummaries/><MaxItems>100"
                            "</MaxItems></ListHostedZonesByVPCResponse>");
  auto zones = client_for(aws).list_hosted_zones_by_vpc({"eu-west-1", "vpc-9"});
  ASSERT_TRUE(zones) << zones.error().message;
  EXPECT_TRUE(zones->empty());
  EXPECT_EQ(aws.transport.requests.at(0).url,
            "https://route53.amazonaws.com/2013-04-01/hostedzonesbyvpc?"
            "vpcid=vpc-9&vpcregion=eu-west-1");
}

TEST(Route53, ListResourceRecordSetsParsesAliasesAndPages) {
  test::FakeAws aws;
  aws.transport.answer(200, R"(<ListResourceRecordSetsResponse><ResourceRecordSets>
    <ResourceRecordSet><Name>api.datadoghq.com.</Name><Type>A</Type><AliasTarget>
      <HostedZoneId>Z7HUB22UULQXV</HostedZoneId><DNSName>vpce-1.example.</DNSName>
      <EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget></ResourceRecordSet>
    </ResourceRecordSets><IsTruncated>true</IsTruncated><NextRecordName>api.datadoghq.com.</NextRecordName>
    <NextRecordType>NS</NextRecordType><MaxItems>1</MaxItems></ListResourceRecordSetsResponse>)");
  aws.transport.answer(200, R"(<ListResourceRecordSetsResponse><ResourceRecordSets>
    <ResourceRecordSet><Name>api.datadoghq.com.</Name><Type>NS</Type><TTL>172800</TTL>
      <ResourceRecords><ResourceRecord><Value>ns-1.awsdns-00.com.</Value></ResourceRecord>
      <ResourceRecord><Value>ns-2.awsdns-00.net.</Value></ResourceRecord></ResourceRecords>
    </ResourceRecordSet></ResourceRecordSets><IsTruncated>false</IsTruncated>
    </ListResourceRecordSetsResponse>)");
  auto records = client_for(aws).list_resource_record_sets("Z1");
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 2u);
  ASSERT_TRUE(records->at(0).alias);
  EXPECT_EQ(records->at(0).alias->hosted_zone_id, "Z7HUB22UULQXV");
  EXPECT_FALSE(records->at(0).ttl);
  EXPECT_EQ(records->at(1).ttl, 172800);
  EXPECT_THAT(records->at(1).values, ElementsAre("ns-1.awsdns-00.com.", "ns-2.awsdns-00.net."));
  EXPECT_EQ(aws.transport.requests[1].url,
            "https://route53.amazonaws.com/2013-04-01/hostedzone/Z1/rrset?"
            "name=api.datadoghq.com.&type=NS");
}

TEST(Route53, VpcAssociationCalls) {
  test::FakeAws aws;
  aws.transport.answer(200, "<AssociateVPCWithHostedZoneResponse><ChangeInfo><Id>/change/C2</Id>"
                            "<Status>INSYNC</Status></ChangeInfo></AssociateVPCWithHostedZoneResponse>");
  aws.transport.answer(200, "<ListVPCAssociationAuthorizationsResponse><HostedZoneId>Z1"
                            "</HostedZoneId><NextToken>t2</NextToken><VPCs><VPC><VPCRegion>"
                            "eu-west-1</VPCRegion><VPCId>vpc-9</VPCId></VPC></VPCs>"
                            "</ListVPCAssociationAuthorizationsResponse>");
  aws.transport.answer(200, "<ListVPCAssociationAuthorizationsResponse><VPCs/>"
                            "</ListVPCAssociationAuthorizationsResponse>");
  auto client = client_for(aws);
  auto change = client.associate_vpc("Z1", {"eu-west-1", "vpc-9"}, "peered");
  ASSERT_TRUE(change) << change.error().message;
  EXPECT_EQ(change->id, "C2");
  EXPECT_EQ(change->status, "INSYNC");
  EXPECT_EQ(aws.transport.requests[0].url,
            "https://route53.amazonaws.com/2013-04-01/hostedzone/Z1/associatevpc");
  EXPECT_THAT(aws.transport.requests[0].body,
              HasSubstr("<AssociateVPCWithHostedZoneRequest xmlns=\"https://route53.amazonaws.com"
                        "/doc/2013-04-01/\"><VPC><VPCRegion>eu-west-1</VPCRegion><VPCId>vpc-9"
                        "</VPCId></VPC><Comment>peered</Comment>"));
  auto authorizations = client.list_vpc_association_authorizations("Z1");
  ASSERT_TRUE(authorizations) << authorizations.error().message;
  EXPECT_THAT(*authorizations, ElementsAre(ZoneVpc{"eu-west-1", "vpc-9"}));
  EXPECT_THAT(aws.transport.requests[2].url, HasSubstr("/authorizevpcassociation?nexttoken=t2"));
}

TEST(Route53, TagsForHostedZone) {
  test::FakeAws aws;
  aws.transport.answer(200, "<ChangeTagsForResourceResponse/>");
  aws.transport.answer(200, "<ListTagsForResourceResponse><ResourceTagSet><ResourceType>hostedzone"
                            "</ResourceType><ResourceId>Z1</ResourceId><Tags><Tag><Key>managed-by"
                            "</Key><Value>sidecar</Value></Tag></Tags></ResourceTagSet>"
                            "</ListTagsForResourceResponse>");
  auto client = client_for(aws);
  ASSERT_TRUE(client.change_tags_for_hosted_zone("Z1", {{"managed-by", "sidecar"}}, {"old"}));
  EXPECT_EQ(aws.transport.requests[0].url,
            "https://route53.amazonaws.com/2013-04-01/tags/hostedzone/Z1");
  EXPECT_THAT(aws.transport.requests[0].body,
              HasSubstr("<AddTags><Tag><Key>managed-by</Key><Value>sidecar</Value></Tag></AddTags>"
                        "<RemoveTagKeys><Key>old</Key></RemoveTagKeys>"));
  auto tags = client.list_tags_for_hosted_zone("Z1");
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_THAT(*tags, ElementsAre(Tag{"managed-by", "sidecar"}));
}

TEST(Route53, StripsIdPrefixes) {
  EXPECT_EQ(strip_id_prefix("/hostedzone/Z1"), "Z1");
  EXPECT_EQ(strip_id_prefix("/change/C1"), "C1");
  EXPECT_EQ(strip_id_prefix("Z1"), "Z1");
}

}  // namespace
}  // namespace aws
