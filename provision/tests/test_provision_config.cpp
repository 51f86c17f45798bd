// provision.yaml: raw -> finalized, and every error names file:line and key path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "provision/provision_config.h"
#include "provision/service_catalog.h"

namespace provision {
namespace {

using ::testing::HasSubstr;

const char* valid_yaml = R"(site: US1
mode: peering
services: [metrics, logs]
endpoint_vpc:
  region: us-east-1
  vpc_id: vpc-1
  subnet_ids: [subnet-a, subnet-b]
agent_vpcs:
  - {region: us-east-1, vpc_id: vpc-2, profile: agents}
tags: {team: observability}
)";

Expected<ProvisionConfig> finalize(const std::string& text) {
  auto raw = parse_provision_config(text, "provision.yaml");
  if (!raw) return raw.error();
  return finalize_provision_config(*raw);
}

std::string error_of(const std::string& text) {
  auto config = finalize(text);
  return config ? "(no error)" : config.error().message;
}

TEST(ProvisionConfig, FinalizesAValidFile) {
  auto config = finalize(valid_yaml);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->site_domain, "datadoghq.com");
  EXPECT_EQ(config->site_region, "us-east-1");
  EXPECT_EQ(config->mode, Mode::peering);
  EXPECT_FALSE(config->turn_on_vpc_dns);
  ASSERT_EQ(config->services.size(), 2u);
  EXPECT_EQ(config->services[0].short_name, "metrics");
  EXPECT_EQ(config->services[0].service_name, "com.amazonaws.vpce.us-east-1.vpce-svc-09a8006e245d1e7b8");
  EXPECT_EQ(config->endpoint_vpc.subnet_ids, (std::vector<std::string>{"subnet-a", "subnet-b"}));
  ASSERT_EQ(config->agent_vpcs.size(), 1u);
  EXPECT_EQ(config->agent_vpcs[0].profile, "agents");
  EXPECT_EQ(config->security_group_name, default_security_group_name);
  EXPECT_EQ(config->extra_tags, (std::vector<aws::Tag>{{"team", "observability"}}));
}

TEST(ProvisionConfig, DefaultsToEveryServiceOfTheSite) {
  std::string text = valid_yaml;
  text.erase(text.find("services: [metrics, logs]\n"), 26);
  auto config = finalize(text);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->services.size(), catalog_services("US1").size());
}

TEST(ProvisionConfig, AcceptsTheSiteDomainAndFullServiceNames) {
  std::string text = valid_yaml;
  text.replace(0, 9, "site: datadoghq.com");
  text.replace(text.find("[metrics, logs]"), 15, "[com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0]");
  auto config = finalize(text);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->services[0].short_name, "vpce-svc-0123456789abcdef0");
}

TEST(ProvisionConfig, UnknownKeyNamesFileLineAndPath) {
  std::string text = valid_yaml;
  text.replace(text.find("  vpc_id: vpc-1"), 15, "  vpcid: vpc-1");
  EXPECT_THAT(error_of(text), HasSubstr("provision.yaml:6:3: endpoint_vpc.vpcid: unknown key"));
}

TEST(ProvisionConfig, UnknownTopLevelKey) {
  EXPECT_THAT(error_of(std::string(valid_yaml) + "regoin: x\n"), HasSubstr("provision.yaml:11:1: regoin: unknown key"));
}

TEST(ProvisionConfig, UnknownAgentVpcKey) {
  std::string text = valid_yaml;
  text.replace(text.find("profile"), 7, "profil");
  EXPECT_THAT(error_of(text), HasSubstr("provision.yaml:9:40: agent_vpcs[0].profil: unknown key"));
}

TEST(ProvisionConfig, SiteWithoutPrivateLink) {
  std::string text = valid_yaml;
  text.replace(0, 9, "site: US3");
  EXPECT_THAT(error_of(text), HasSubstr("provision.yaml:1:7: site: US3 (us3.datadoghq.com) does not offer AWS PrivateLink"));
}

TEST(ProvisionConfig, UnknownService) {
  std::string text = valid_yaml;
  text.replace(text.find("logs]"), 4, "logz");
  EXPECT_THAT(error_of(text), HasSubstr("services[1]: 'logz' is not a US1 service"));
}

TEST(ProvisionConfig, UnknownMode) {
  std::string text = valid_yaml;
  text.replace(text.find("mode: peering"), 13, "mode: sideways");
  EXPECT_THAT(error_of(text), HasSubstr("provision.yaml:2:7: mode: unknown mode 'sideways'"));
  // A key given twice is an error, not a silently ignored second value.
  EXPECT_THAT(error_of(std::string(valid_yaml) + "mode: same-region\n"),
              HasSubstr("provision.yaml:11:1: mode: is given twice (first at line 2)"));
}

TEST(ProvisionConfig, MissingEndpointVpcFields) {
  std::string text = valid_yaml;
  text.replace(text.find("  subnet_ids: [subnet-a, subnet-b]\n"), 35, "");
  EXPECT_THAT(error_of(text), HasSubstr("provision.yaml:5:3: endpoint_vpc.subnet_ids: is required"));
}

TEST(ProvisionConfig, DuplicateSubnet) {
  std::string text = valid_yaml;
  text.replace(text.find("subnet-b"), 8, "subnet-a");
  EXPECT_THAT(error_of(text), HasSubstr("endpoint_vpc.subnet_ids: lists a subnet twice"));
}

std::string same_region(std::string text) {
  text.replace(text.find("mode: peering"), 13, "mode: same-region");
  return text;
}

TEST(ProvisionConfig, SameRegionAgentVpcInAnotherRegion) {
  std::string text = same_region(valid_yaml);
  text.replace(text.find("{region: us-east-1"), 18, "{region: eu-west-1");
  EXPECT_THAT(error_of(text), HasSubstr("provision.yaml:9:14: agent_vpcs[0].region: is eu-west-1, but mode "
                                        "same-region serves Agent VPCs in us-east-1 only"));
}

TEST(ProvisionConfig, SameRegionAgentsLiveInTheEndpointVpc) {
  const std::string text = same_region(valid_yaml);
  EXPECT_THAT(error_of(text), HasSubstr("provision.yaml:9:33: agent_vpcs[0].vpc_id: is vpc-2, but in mode "
                                        "same-region the endpoints' private DNS answers only inside the endpoint "
                                        "VPC vpc-1: Agents in vpc-2 would resolve Datadog's public addresses"));
  std::string own = text;
  own.replace(own.find("vpc_id: vpc-2"), 13, "vpc_id: vpc-1");
  EXPECT_THAT(error_of(own), HasSubstr("agent_vpcs[0].profile: is only used in modes cross-region and peering"));
  std::string without = text;
  without.erase(without.find("agent_vpcs:"), without.find("tags:") - without.find("agent_vpcs:"));
  auto config = finalize(without);
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->agent_vpcs.size(), 1u);
  EXPECT_EQ(config->agent_vpcs[0].vpc_id, "vpc-1");  // defaults to the endpoint VPC
}

TEST(ProvisionConfig, CrossRegionPutsEndpointsIntoTheAgentVpcs) {
  const std::string text = R"(site: AP1
mode: cross-region
services: [metrics]
turn_on_vpc_dns: true
agent_vpcs:
  - {region: us-west-2, vpc_id: vpc-7, subnet_ids: [subnet-x, subnet-y], profile: west}
)";
  auto config = finalize(text);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_TRUE(config->turn_on_vpc_dns);
  EXPECT_EQ(config->agent_vpcs[0].subnet_ids, (std::vector<std::string>{"subnet-x", "subnet-y"}));
  const auto where = placements(*config);
  ASSERT_EQ(where.size(), 1u);
  EXPECT_EQ(where[0].service_region, "ap-northeast-1");
  std::string no_subnets = text;
  no_subnets.replace(no_subnets.find(", subnet_ids: [subnet-x, subnet-y]"), 34, "");
  EXPECT_THAT(error_of(no_subnets), HasSubstr("provision.yaml:6:5: agent_vpcs[0].subnet_ids: is required"));
  const std::string with_endpoint_vpc =
      text + "endpoint_vpc: {region: ap-northeast-1, vpc_id: vpc-1, subnet_ids: [subnet-a]}\n";
  EXPECT_THAT(error_of(with_endpoint_vpc), HasSubstr("provision.yaml:7:15: endpoint_vpc: is not used in mode "
                                                     "cross-region"));
}

TEST(ProvisionConfig, SubnetsOfAnAgentVpcOnlyInCrossRegion) {
  std::string text = valid_yaml;
  text.replace(text.find("profile: agents}"), 16, "profile: agents, subnet_ids: [subnet-z]}");
  EXPECT_THAT(error_of(text), HasSubstr("agent_vpcs[0].subnet_ids: is only used in mode cross-region (mode peering "
                                        "puts the endpoints into endpoint_vpc)"));
}

TEST(ProvisionConfig, AgentVpcListedTwice) {
  std::string text = valid_yaml;
  text.replace(text.find("tags:"), 5, "  - {region: eu-west-1, vpc_id: vpc-2}\ntags:");
  EXPECT_THAT(error_of(text), HasSubstr("agent_vpcs[1].vpc_id: vpc-2 is listed twice"));
}

TEST(ProvisionConfig, TurnOnVpcDnsMustBeABoolean) {
  std::string text = valid_yaml;
  text += "turn_on_vpc_dns: sometimes\n";
  EXPECT_THAT(error_of(text), HasSubstr("turn_on_vpc_dns"));
}

TEST(ProvisionConfig, ReservedTagPrefix) {
  std::string text = valid_yaml;
  text.replace(text.find("team"), 4, "privatelink-sidecar:managed");
  EXPECT_THAT(error_of(text), HasSubstr("tags.privatelink-sidecar:managed: the privatelink-sidecar: prefix is reserved"));
}

TEST(ProvisionConfig, TagsProvisionSetsOrAwsOwnsAreRefused) {
  std::string text = valid_yaml;
  text.replace(text.find("team"), 4, "Name");
  EXPECT_THAT(error_of(text), HasSubstr("provision.yaml:10:8: tags.Name: is set by provision for each resource"));
  text = valid_yaml;
  text.replace(text.find("team"), 4, "aws:cloudformation:stack");
  EXPECT_THAT(error_of(text), HasSubstr("tags.aws:cloudformation:stack: the aws: prefix belongs to AWS"));
  text = valid_yaml;
  text.replace(text.find("{team: observability}"), 21, "{team: a, team: b}");
  EXPECT_THAT(error_of(text), HasSubstr("tags.team: is given twice"));
}

TEST(ProvisionConfig, InvalidYamlNamesTheLine) {
  EXPECT_THAT(error_of("site: [US1\n"), HasSubstr("provision.yaml:2:1: invalid YAML"));
}

TEST(ServiceCatalog, ReadsTheHostedRegionFromTheName) {
  EXPECT_EQ(hosted_region("com.amazonaws.vpce.ap-northeast-1.vpce-svc-002d904d5e69340ad"), "ap-northeast-1");
  EXPECT_EQ(hosted_region("com.amazonaws.us-east-1.s3"), std::nullopt);
  EXPECT_EQ(service_id("com.amazonaws.vpce.us-east-1.vpce-svc-09a8006e245d1e7b8"), "vpce-svc-09a8006e245d1e7b8");
}

TEST(ServiceCatalog, EverySiteWithPrivateLinkHasMetricsInItsRegion) {
  for (const char* site : {"US1", "AP1", "AP2", "UK1"}) {
    auto metrics = find_catalog_service(site, "metrics");
    ASSERT_TRUE(metrics) << site;
    EXPECT_TRUE(hosted_region(metrics->service_name)) << site;
  }
  EXPECT_TRUE(catalog_services("US3").empty());
}

// endpoint_vpc.region defaults to the site's region; an Agent VPC's region
// to the local one, asked only when some Agent VPC names none.
TEST(ProvisionConfig, RegionDefaults) {
  const std::string text = R"(site: AP1
mode: peering
services: [metrics]
endpoint_vpc: {vpc_id: vpc-1, subnet_ids: [subnet-a]}
agent_vpcs:
  - {vpc_id: vpc-2}
  - {region: eu-west-1, vpc_id: vpc-3}
)";
  auto raw = parse_provision_config(text, "provision.yaml");
  ASSERT_TRUE(raw) << raw.error().message;
  int asked = 0;
  auto config = finalize_provision_config(*raw, [&]() -> Expected<aws::Region> {
    ++asked;
    return aws::Region{"us-west-2", "AWS_REGION"};
  });
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->endpoint_vpc.region, "ap-northeast-1");
  EXPECT_EQ(config->agent_vpcs[0].region, "us-west-2");
  EXPECT_EQ(config->agent_vpcs[1].region, "eu-west-1");
  EXPECT_EQ(asked, 1);

  auto unresolved = finalize_provision_config(*raw, []() -> Expected<aws::Region> {
    return Error{checks::ErrorCode::config, "no AWS region: pass --region, set AWS_REGION"};
  });
  ASSERT_FALSE(unresolved);
  EXPECT_THAT(unresolved.error().message,
              HasSubstr("provision.yaml:6:5: agent_vpcs[0].region: is not given and no AWS region: pass --region"));
  EXPECT_THAT(error_of(text), HasSubstr("agent_vpcs[0].region: is required"));
}

}  // namespace
}  // namespace provision
