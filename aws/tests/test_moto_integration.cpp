// Every call of aws/ec2.h and aws/route53.h that moto 5 implements, through
// the real libcurl transport, against a moto.server this suite starts on a
// loopback port. What moto lacks is asserted as such, so a moto upgrade that
// adds it shows up here. Never talks to real AWS.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "aws/curl_transport.h"
#include "aws/ec2.h"
#include "aws/route53.h"
#include "moto_server.h"
#include "test_support.h"

namespace aws {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const std::vector<Tag> managed = {{"managed-by", "privatelink-sidecar"}};

class MotoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { moto_ = new test::MotoServer(); }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(moto_->reset());
    const auto environment = test::environment({{"AWS_ENDPOINT_URL", moto_->url()}});
    // Retries would only hide moto answering something unexpected.
    AwsClientOptions options;
    options.retry.max_attempts = 1;
    HttpFetcher counting = [this, fetch = curl_fetcher()](const HttpRequest& request) {
      ++requests_;
      return fetch(request);
    };
    client_ = std::make_unique<AwsClient>(std::move(counting),
                                          Credentials("test", SecretString("test")), options);
    east_ = std::make_unique<Ec2Client>(*client_, endpoint(Service::ec2, "us-east-1", environment));
    west_ = std::make_unique<Ec2Client>(*client_, endpoint(Service::ec2, "eu-west-1", environment));
    route53_ = std::make_unique<Route53Client>(
        *client_, endpoint(Service::route53, "us-east-1", environment));
  }

  static ServiceEndpoint endpoint(Service service, const std::string& region,
                                  const EnvironmentLookup& environment) {
    auto resolved = resolve_endpoint(service, region, environment);
    EXPECT_TRUE(resolved) << resolved.error().message;
    return *resolved;
  }

  Vpc make_vpc(const Ec2Client& ec2, const std::string& cidr) {
    auto vpc = ec2.create_vpc(cidr, managed);
    EXPECT_TRUE(vpc) << vpc.error().message;
    return vpc ? *vpc : Vpc{};
  }

  VpcEndpoint make_endpoint(const std::string& vpc_id) {
    auto subnet = east_->create_subnet(vpc_id, "10.1.1.0/24", "us-east-1a");
    EXPECT_TRUE(subnet) << subnet.error().message;
    CreateVpcEndpointRequest request;
    request.vpc_id = vpc_id;
    request.service_name = "com.amazonaws.vpce.us-east-1.vpce-svc-09a8006e245d1e7b8";
    request.subnet_ids = {subnet ? subnet->id : ""};
    request.tags = managed;
    request.client_token = "provision-test-1";
    auto created = east_->create_vpc_endpoint(request);
    EXPECT_TRUE(created) << created.error().message;
    return created ? *created : VpcEndpoint{};
  }

  // Runs the real AWS CLI against the same moto, so a second client
  // confirms what ours wrote. Loopback endpoint, dummy keys.
  nlohmann::json aws_cli(const std::string& arguments) const {
    const std::string command =
        "env AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_SESSION_TOKEN= "
        "NO_PROXY=127.0.0.1 no_proxy=127.0.0.1 aws --endpoint-url " +
        moto_->url() + " --output json " + arguments + " 2>/dev/null";
    std::string output;
    if (FILE* pipe = popen(command.c_str(), "r")) {
      char buffer[4096];
      size_t read = 0;
      while ((read = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, read);
      pclose(pipe);
    }
    return nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  }

  static test::MotoServer* moto_;
  int requests_ = 0;
  std::unique_ptr<AwsClient> client_;
  std::unique_ptr<Ec2Client> east_;
  std::unique_ptr<Ec2Client> west_;
  std::unique_ptr<Route53Client> route53_;
};

test::MotoServer* MotoTest::moto_ = nullptr;

TEST_F(MotoTest, VpcSubnetsAndDnsAttributes) {
  const Vpc vpc = make_vpc(*east_, "10.1.0.0/16");
  EXPECT_EQ(vpc.cidr_block, "10.1.0.0/16");

  auto by_id = east_->describe_vpcs({vpc.id});
  ASSERT_TRUE(by_id) << by_id.error().message;
  ASSERT_THAT(*by_id, SizeIs(1));
  EXPECT_THAT(by_id->at(0).tags, ElementsAre(managed[0]));
  auto by_tag = east_->describe_vpcs({}, {{"tag:managed-by", {"privatelink-sidecar"}}});
  ASSERT_TRUE(by_tag) << by_tag.error().message;
  ASSERT_THAT(*by_tag, SizeIs(1));
  EXPECT_EQ(by_tag->at(0).id, vpc.id);

  for (const auto attribute : {VpcAttribute::enable_dns_support, VpcAttribute::enable_dns_hostnames}) {
    ASSERT_TRUE(east_->modify_vpc_attribute(vpc.id, attribute, true));
    auto value = east_->describe_vpc_attribute(vpc.id, attribute);
    ASSERT_TRUE(value) << value.error().message;
    EXPECT_TRUE(*value);
  }

  ASSERT_TRUE(east_->create_subnet(vpc.id, "10.1.1.0/24", "us-east-1a", managed));
  ASSERT_TRUE(east_->create_subnet(vpc.id, "10.1.2.0/24", "us-east-1b"));
  auto subnets = east_->describe_subnets({}, {{"vpc-id", {vpc.id}}});
  ASSERT_TRUE(subnets) << subnets.error().message;
  ASSERT_THAT(*subnets, SizeIs(2));
  EXPECT_NE(subnets->at(0).availability_zone, subnets->at(1).availability_zone);
}

TEST_F(MotoTest, UnknownVpcIsANotFoundAwsError) {
  auto vpcs = east_->describe_vpcs({"vpc-00000000000000000"});
  ASSERT_FALSE(vpcs);
  EXPECT_TRUE(vpcs.is_aws_error("InvalidVpcID.NotFound"));
  EXPECT_THAT(vpcs.error().message, HasSubstr("EC2 DescribeVpcs: InvalidVpcID.NotFound: "));
}

TEST_F(MotoTest, SecurityGroupWithHttpsRuleAddedTwice) {
  const Vpc vpc = make_vpc(*east_, "10.1.0.0/16");
  auto group_id = east_->create_security_group("dd-privatelink", "Datadog PrivateLink", vpc.id,
                                               managed);
  ASSERT_TRUE(group_id) << group_id.error().message;
  auto first = east_->authorize_tcp_ingress(*group_id, 443, {"10.1.0.0/16", "10.2.0.0/16"});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, Outcome::created);
  auto second = east_->authorize_tcp_ingress(*group_id, 443, {"10.1.0.0/16", "10.2.0.0/16"});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(*second, Outcome::already_existed);

  auto groups = east_->describe_security_groups({}, {{"group-name", {"dd-privatelink"}},
                                                     {"vpc-id", {vpc.id}}});
  ASSERT_TRUE(groups) << groups.error().message;
  ASSERT_THAT(*groups, SizeIs(1));
  const SecurityGroup& group = groups->at(0);
  EXPECT_EQ(group.id, *group_id);
  EXPECT_THAT(group.tags, ElementsAre(managed[0]));
  ASSERT_THAT(group.ingress, SizeIs(1));
  EXPECT_EQ(group.ingress[0].protocol, "tcp");
  EXPECT_EQ(group.ingress[0].from_port, 443);
  EXPECT_THAT(group.ingress[0].cidrs, ElementsAre("10.1.0.0/16", "10.2.0.0/16"));

  auto duplicate = east_->create_security_group("dd-privatelink", "again", vpc.id);
  EXPECT_TRUE(duplicate.is_aws_error("InvalidGroup.Duplicate"));
  ASSERT_TRUE(east_->delete_security_group(*group_id));
  EXPECT_TRUE(east_->describe_security_groups({*group_id}).is_aws_error("InvalidGroup.NotFound"));
}

TEST_F(MotoTest, EndpointServicesParseAndDatadogIsUnknownToMoto) {
  auto all = east_->describe_vpc_endpoint_services({});
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_FALSE(all->empty());
  const std::string name = all->at(0).service_name;
  auto one = east_->describe_vpc_endpoint_services({name});
  ASSERT_TRUE(one) << one.error().message;
  ASSERT_THAT(*one, SizeIs(1));
  EXPECT_EQ(one->at(0).service_type, "Interface");
  EXPECT_FALSE(one->at(0).availability_zones.empty());

  // moto does not know Datadog's services: the real error shape, though.
  auto datadog = east_->describe_vpc_endpoint_services(
      {"com.amazonaws.vpce.us-east-1.vpce-svc-09a8006e245d1e7b8"});
  ASSERT_FALSE(datadog);
  EXPECT_TRUE(datadog.is_aws_error("InvalidServiceName"));
  EXPECT_THAT(datadog.error().message,
              HasSubstr("EC2 DescribeVpcEndpointServices: InvalidServiceName: "));
}

TEST_F(MotoTest, EndpointLifecycleSeenByTheAwsCliToo) {
  const Vpc vpc = make_vpc(*east_, "10.1.0.0/16");
  const VpcEndpoint created = make_endpoint(vpc.id);
  ASSERT_FALSE(created.id.empty());
  EXPECT_EQ(created.vpc_id, vpc.id);
  EXPECT_FALSE(created.dns_entries.empty());

  auto by_tag = east_->describe_vpc_endpoints(
      {}, {{"tag:managed-by", {"privatelink-sidecar"}}, {"vpc-id", {vpc.id}}});
  ASSERT_TRUE(by_tag) << by_tag.error().message;
  ASSERT_THAT(*by_tag, SizeIs(1));
  const VpcEndpoint& described = by_tag->at(0);
  EXPECT_EQ(described.id, created.id);
  EXPECT_TRUE(same_error_code(described.state, "available"));
  EXPECT_EQ(described.type, "Interface");
  EXPECT_THAT(described.tags, ElementsAre(managed[0]));
  EXPECT_THAT(described.subnet_ids, SizeIs(1));
  ASSERT_FALSE(described.dns_entries.empty());
  EXPECT_FALSE(described.dns_entries[0].hosted_zone_id.empty());

  const auto cli = aws_cli("ec2 describe-vpc-endpoints --region us-east-1");
  ASSERT_TRUE(cli.contains("VpcEndpoints")) << cli.dump();
  ASSERT_EQ(cli["VpcEndpoints"].size(), 1u);
  EXPECT_EQ(cli["VpcEndpoints"][0]["VpcEndpointId"], created.id);
  EXPECT_EQ(cli["VpcEndpoints"][0]["DnsEntries"][0]["DnsName"], described.dns_entries[0].dns_name);

  auto failures = east_->delete_vpc_endpoints({created.id});
  ASSERT_TRUE(failures) << failures.error().message;
  EXPECT_TRUE(failures->empty());
  auto after = east_->describe_vpc_endpoints({}, {{"vpc-id", {vpc.id}}});
  ASSERT_TRUE(after) << after.error().message;
  for (const auto& endpoint : *after) EXPECT_TRUE(same_error_code(endpoint.state, "deleted"));
  EXPECT_TRUE(aws_cli("ec2 describe-vpc-endpoints --region us-east-1 --filters "
                      "Name=vpc-endpoint-state,Values=available")["VpcEndpoints"]
                  .empty());
}

TEST_F(MotoTest, EndpointGetsASubnetInAnotherZone) {
  const Vpc vpc = make_vpc(*east_, "10.1.0.0/16");
  const VpcEndpoint created = make_endpoint(vpc.id);
  ASSERT_THAT(created.subnet_ids, SizeIs(1));
  auto second = east_->create_subnet(vpc.id, "10.1.2.0/24", "us-east-1b");
  ASSERT_TRUE(second) << second.error().message;

  ModifyVpcEndpointRequest request;
  request.endpoint_id = created.id;
  request.add_subnet_ids = {second->id};
  request.private_dns_enabled = true;
  auto modified = east_->modify_vpc_endpoint(request);
  ASSERT_TRUE(modified) << modified.error().message;
  auto described = east_->describe_vpc_endpoints({created.id});
  ASSERT_TRUE(described) << described.error().message;
  ASSERT_THAT(*described, SizeIs(1));
  EXPECT_THAT(described->at(0).subnet_ids, ElementsAre(created.subnet_ids[0], second->id));
  // moto 5.2 ignores PrivateDnsEnabled on modify (AWS would turn it on).
  EXPECT_FALSE(described->at(0).private_dns_enabled);

  request.endpoint_id = "vpce-00000000000000000";
  auto unknown = east_->modify_vpc_endpoint(request);
  EXPECT_TRUE(unknown.is_aws_error("InvalidVpcEndpointId.NotFound")) << unknown.error().message;
}

TEST_F(MotoTest, PeeringAcrossRegionsWithRoutes) {
  const Vpc east_vpc = make_vpc(*east_, "10.1.0.0/16");
  const Vpc west_vpc = make_vpc(*west_, "10.2.0.0/16");
  auto requested = east_->create_vpc_peering_connection(
      {east_vpc.id, west_vpc.id, "eu-west-1", std::nullopt, managed});
  ASSERT_TRUE(requested) << requested.error().message;
  EXPECT_EQ(requested->requester.vpc_id, east_vpc.id);
  EXPECT_EQ(requested->accepter.vpc_id, west_vpc.id);

  // The accepter side sees it in its own region, and accepts it there.
  auto seen = west_->describe_vpc_peering_connections(
      {}, {{"accepter-vpc-info.vpc-id", {west_vpc.id}}});
  ASSERT_TRUE(seen) << seen.error().message;
  ASSERT_THAT(*seen, SizeIs(1));
  EXPECT_EQ(seen->at(0).id, requested->id);
  auto accepted = west_->accept_vpc_peering_connection(requested->id);
  ASSERT_TRUE(accepted) << accepted.error().message;
  auto status = east_->describe_vpc_peering_connections({requested->id});
  ASSERT_TRUE(status) << status.error().message;
  ASSERT_THAT(*status, SizeIs(1));
  EXPECT_EQ(status->at(0).status_code, "active");

  auto tables = east_->describe_route_tables(
      {}, {{"vpc-id", {east_vpc.id}}, {"association.main", {"true"}}});
  ASSERT_TRUE(tables) << tables.error().message;
  ASSERT_THAT(*tables, SizeIs(1));
  const std::string table_id = tables->at(0).id;
  auto route = east_->create_route(table_id, "10.2.0.0/16", requested->id);
  ASSERT_TRUE(route) << route.error().message;
  EXPECT_EQ(*route, Outcome::created);
  auto again = east_->create_route(table_id, "10.2.0.0/16", requested->id);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, Outcome::already_existed);
  auto with_route = east_->describe_route_tables({table_id});
  ASSERT_TRUE(with_route) << with_route.error().message;
  bool found = false;
  for (const auto& entry : with_route->at(0).routes) {
    found = found || (entry.destination_cidr_block == "10.2.0.0/16" &&
                      entry.vpc_peering_connection_id == requested->id);
  }
  EXPECT_TRUE(found);
  ASSERT_TRUE(east_->delete_route(table_id, "10.2.0.0/16"));
  ASSERT_TRUE(east_->create_tags({requested->id}, {{"stage", "test"}}));
  ASSERT_TRUE(east_->delete_vpc_peering_connection(requested->id));
}

TEST_F(MotoTest, PrivateZoneWithAliasAndAssociations) {
  const Vpc vpc = make_vpc(*east_, "10.1.0.0/16");
  const Vpc other = make_vpc(*west_, "10.2.0.0/16");
  const VpcEndpoint endpoint = make_endpoint(vpc.id);
  ASSERT_FALSE(endpoint.dns_entries.empty());

  auto created = route53_->create_private_hosted_zone("api.datadoghq.com", {"us-east-1", vpc.id},
                                                      "provision-test-zone", "privatelink-sidecar");
  ASSERT_TRUE(created) << created.error().message;
  const std::string zone_id = created->zone.id;
  EXPECT_TRUE(created->zone.private_zone);
  EXPECT_EQ(created->zone.name, "api.datadoghq.com.");

  auto change = route53_->change_resource_record_sets(
      zone_id, {{ChangeAction::upsert, alias_a_record("api.datadoghq.com", endpoint.dns_entries[0])}});
  ASSERT_TRUE(change) << change.error().message;
  auto status = route53_->get_change(change->id);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->status, "INSYNC");

  auto records = route53_->list_resource_record_sets(zone_id);
  ASSERT_TRUE(records) << records.error().message;
  const ResourceRecordSet* alias = nullptr;
  for (const auto& record : *records) {
    if (record.type == "A") alias = &record;
  }
  ASSERT_NE(alias, nullptr);
  ASSERT_TRUE(alias->alias);
  EXPECT_EQ(alias->alias->hosted_zone_id, endpoint.dns_entries[0].hosted_zone_id);
  EXPECT_THAT(alias->alias->dns_name, HasSubstr(endpoint.dns_entries[0].dns_name));

  auto associated = route53_->associate_vpc(zone_id, {"eu-west-1", other.id}, "peered region");
  ASSERT_TRUE(associated) << associated.error().message;
  auto details = route53_->get_hosted_zone(zone_id);
  ASSERT_TRUE(details) << details.error().message;
  EXPECT_THAT(details->vpcs, ::testing::UnorderedElementsAre(ZoneVpc{"us-east-1", vpc.id},
                                                             ZoneVpc{"eu-west-1", other.id}));
  ASSERT_TRUE(route53_->disassociate_vpc(zone_id, {"eu-west-1", other.id}));
  auto last = route53_->disassociate_vpc(zone_id, {"us-east-1", vpc.id});
  EXPECT_TRUE(last.is_aws_error("LastVPCAssociation")) << last.error().message;

  ASSERT_TRUE(route53_->change_tags_for_hosted_zone(zone_id, managed));
  auto tags = route53_->list_tags_for_hosted_zone(zone_id);
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_THAT(*tags, ElementsAre(managed[0]));

  auto by_name = route53_->list_hosted_zones_by_name("api.datadoghq.com");
  ASSERT_TRUE(by_name) << by_name.error().message;
  ASSERT_THAT(*by_name, SizeIs(1));
  EXPECT_EQ(by_name->at(0).id, zone_id);

  auto not_empty = route53_->delete_hosted_zone(zone_id);
  EXPECT_TRUE(not_empty.is_aws_error("HostedZoneNotEmpty")) << not_empty.error().message;
  ASSERT_TRUE(route53_->change_resource_record_sets(zone_id, {{ChangeAction::remove, *alias}}));
  auto deleted = route53_->delete_hosted_zone(zone_id);
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_TRUE(route53_->get_hosted_zone(zone_id).is_aws_error("NoSuchHostedZone"));
}

// moto 5.2 lists a zone here only if it was created with PrivateZone=true,
// as ours are: unlike AWS it makes a zone created with a VPC but without that
// flag public (so the AWS CLI's create-hosted-zone --vpc gets an empty list).
TEST_F(MotoTest, HostedZonesByVpc) {
  const Vpc vpc = make_vpc(*east_, "10.1.0.0/16");
  auto created = route53_->create_private_hosted_zone("api.datadoghq.com", {"us-east-1", vpc.id},
                                                      "provision-by-vpc-zone");
  ASSERT_TRUE(created) << created.error().message;
  auto zones = route53_->list_hosted_zones_by_vpc({"us-east-1", vpc.id});
  ASSERT_TRUE(zones) << zones.error().message;
  EXPECT_THAT(*zones, ElementsAre(HostedZoneSummary{created->zone.id, "api.datadoghq.com.",
                                                    "123456789012"}));
}

TEST_F(MotoTest, VpcAssociationAuthorizationsAreMissingFromMoto) {
  const Vpc vpc = make_vpc(*east_, "10.1.0.0/16");
  auto created = route53_->create_private_hosted_zone("api.datadoghq.com", {"us-east-1", vpc.id},
                                                      "provision-auth-zone");
  ASSERT_TRUE(created) << created.error().message;
  // moto 5.2 answers 404 without an AWS error body; AWS would accept these.
  auto authorization =
      route53_->create_vpc_association_authorization(created->zone.id, {"eu-west-1", "vpc-9"});
  ASSERT_FALSE(authorization);
  ASSERT_NE(authorization.aws_error(), nullptr);
  EXPECT_EQ(authorization.aws_error()->http_status, 404);
  EXPECT_FALSE(route53_->list_vpc_association_authorizations(created->zone.id));
  EXPECT_FALSE(
      route53_->delete_vpc_association_authorization(created->zone.id, {"eu-west-1", "vpc-9"}));
}

TEST_F(MotoTest, PaginationFollowsTokensAndMarkers) {
  // Of the EC2 calls here, moto 5.2 pages only DescribeVpcEndpointServices
  // (it ignores MaxResults on DescribeVpcs, DescribeVpcEndpoints, ...).
  auto unpaged = east_->describe_vpc_endpoint_services({});
  ASSERT_TRUE(unpaged) << unpaged.error().message;
  ASSERT_GT(unpaged->size(), 10u);
  east_->set_page_size(10);
  const int before = requests_;
  auto paged = east_->describe_vpc_endpoint_services({});
  ASSERT_TRUE(paged) << paged.error().message;
  EXPECT_EQ(paged->size(), unpaged->size());
  EXPECT_EQ(requests_ - before, static_cast<int>((unpaged->size() + 9) / 10));

  const Vpc vpc = make_vpc(*east_, "10.1.0.0/16");
  for (int index = 0; index < 5; ++index) {
    auto zone = route53_->create_private_hosted_zone(fmt::format("zone{}.example", index),
                                                     {"us-east-1", vpc.id},
                                                     fmt::format("ref-{}", index));
    ASSERT_TRUE(zone) << zone.error().message;
  }
  route53_->set_page_size(2);
  const int before_zones = requests_;
  auto zones = route53_->list_hosted_zones();
  ASSERT_TRUE(zones) << zones.error().message;
  EXPECT_THAT(*zones, SizeIs(5));
  EXPECT_EQ(requests_ - before_zones, 3);

  auto first_zone = route53_->list_hosted_zones_by_name("zone0.example.");
  ASSERT_TRUE(first_zone) << first_zone.error().message;
  ASSERT_THAT(*first_zone, SizeIs(1));
  route53_->set_page_size(1);
  auto records = route53_->list_resource_record_sets(first_zone->at(0).id);
  ASSERT_TRUE(records) << records.error().message;
  EXPECT_GE(records->size(), 2u);  // SOA and NS at least, one per page
}

}  // namespace
}  // namespace aws
