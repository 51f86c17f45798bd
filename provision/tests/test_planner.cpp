// The same-region planner and verify, over hand-built AWS states (no network).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "provision/executor.h"
#include "provision/verify.h"
#include "plan_helpers.h"
#include "provision/planner.h"
#include "provision/report.h"

namespace provision {
namespace {

using ::testing::ElementsAre;
using test::details;
using test::kinds;
using test::messages;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

const std::string metrics_name = "com.amazonaws.vpce.us-east-1.vpce-svc-09a8006e245d1e7b8";
const std::string logs_name = "com.amazonaws.vpce.us-east-1.vpce-svc-025a56b9187ac1f63";

ProvisionConfig config() {
  ProvisionConfig config;
  config.file = "provision.yaml";
  config.site_domain = "datadoghq.com";
  config.site_label = "US1";
  config.site_region = "us-east-1";
  config.services = {{"metrics", metrics_name}, {"logs", logs_name}};
  config.endpoint_vpc = {"us-east-1", "vpc-endpoints", {"subnet-a", "subnet-b"}};
  config.agent_vpcs = {{"us-east-1", "vpc-agents", std::nullopt, {}}};
  config.security_group_name = "datadog-pl";
  return config;
}

aws::Subnet subnet(const std::string& id, const std::string& zone, const std::string& vpc = "vpc-endpoints") {
  return test::subnet(id, zone, vpc);
}

// A fresh account: VPCs and subnets exist, nothing of ours yet.
ObservedState empty_state() {
  ObservedState state;
  state.placements.resize(1);
  state.placements[0].vpc = ObservedVpc{"vpc-endpoints", "10.1.0.0/16", true, true, "", {}};
  state.placements[0].subnets = {subnet("subnet-a", "us-east-1a"), subnet("subnet-b", "us-east-1b")};
  state.agent_vpcs["vpc-agents"] = ObservedVpc{"vpc-agents", "10.2.0.0/16", true, true, "", {}};
  const ObservedService offered{true, {"us-east-1a", "us-east-1b", "us-east-1c"}, ""};
  state.placements[0].services[metrics_name] = offered;
  state.placements[0].services[logs_name] = offered;
  return state;
}

aws::SecurityGroup our_group(std::vector<std::string> cidrs) {
  aws::SecurityGroup group;
  group.id = "sg-1";
  group.name = "datadog-pl";
  group.vpc_id = "vpc-endpoints";
  group.tags = {{managed_tag, "true"}};
  if (!cidrs.empty()) group.ingress = {{"tcp", 443, 443, std::move(cidrs)}};
  return group;
}

aws::VpcEndpoint our_endpoint(const std::string& id, const std::string& service_name) {
  aws::VpcEndpoint endpoint;
  endpoint.id = id;
  endpoint.vpc_id = "vpc-endpoints";
  endpoint.service_name = service_name;
  endpoint.state = "available";
  endpoint.subnet_ids = {"subnet-a", "subnet-b"};
  endpoint.groups = {{"sg-1", "datadog-pl"}};
  endpoint.private_dns_enabled = true;
  endpoint.tags = {{managed_tag, "true"}};
  return endpoint;
}

// Everything apply would have made.
ObservedState applied_state() {
  ObservedState state = empty_state();
  state.placements[0].security_group = our_group({"10.2.0.0/16"});
  state.placements[0].endpoints = {our_endpoint("vpce-m", metrics_name), our_endpoint("vpce-l", logs_name)};
  return state;
}

TEST(Planner, FreshAccountCreatesGroupRuleAndOneEndpointPerService) {
  const Plan plan = make_plan(config(), empty_state());
  EXPECT_THAT(messages(plan), IsEmpty());
  EXPECT_THAT(kinds(plan), ElementsAre(ActionKind::create_security_group, ActionKind::authorize_ingress,
                                       ActionKind::create_endpoint, ActionKind::create_endpoint));
  EXPECT_THAT(details<actions::AuthorizeIngress>(plan, 1).cidrs, ElementsAre("10.2.0.0/16"));
  EXPECT_EQ(details<actions::AuthorizeIngress>(plan, 1).security_group_id, "");  // the group made by the first action
  const auto& metrics = details<actions::CreateEndpoint>(plan, 2);
  EXPECT_EQ(metrics.service.service_name, metrics_name);
  EXPECT_THAT(metrics.subnet_ids, ElementsAre("subnet-a", "subnet-b"));
  EXPECT_THAT(metrics.tags, ::testing::Contains(aws::Tag{managed_tag, "true"}));
  EXPECT_THAT(metrics.tags, ::testing::Contains(aws::Tag{service_tag, "metrics"}));
  EXPECT_THAT(metrics.tags, ::testing::Contains(aws::Tag{site_tag, "datadoghq.com"}));
  EXPECT_THAT(plan.keeps, IsEmpty());
}

TEST(Planner, AppliedStateIsAllKeep) {
  const Plan plan = make_plan(config(), applied_state());
  EXPECT_THAT(messages(plan), IsEmpty());
  EXPECT_THAT(plan.actions, IsEmpty());
  ASSERT_THAT(plan.keeps, SizeIs(3));
  EXPECT_EQ(plan.keeps[0].resource_id, "sg-1");
  EXPECT_TRUE(plan.keeps[0].managed);
}

TEST(Planner, ExistingGroupMissingACidrGetsOnlyThatRule) {
  ProvisionConfig wanted = config();
  wanted.agent_vpcs.push_back({"us-east-1", "vpc-more-agents", std::nullopt, {}});
  ObservedState state = applied_state();
  state.agent_vpcs["vpc-more-agents"] = ObservedVpc{"vpc-more-agents", "10.3.0.0/16", true, true, "", {}};
  const Plan plan = make_plan(wanted, state);
  ASSERT_THAT(kinds(plan), ElementsAre(ActionKind::authorize_ingress));
  EXPECT_EQ(details<actions::AuthorizeIngress>(plan, 0).security_group_id, "sg-1");
  EXPECT_THAT(details<actions::AuthorizeIngress>(plan, 0).cidrs, ElementsAre("10.3.0.0/16"));
}

TEST(Planner, AllTrafficRuleAlreadyAdmits443) {
  ObservedState state = applied_state();
  state.placements[0].security_group->ingress = {{"-1", 0, 0, {"10.2.0.0/16"}}};
  EXPECT_THAT(make_plan(config(), state).actions, IsEmpty());
}

TEST(Planner, EndpointsCreatedInTheExistingGroup) {
  ObservedState state = empty_state();
  state.placements[0].security_group = our_group({"10.2.0.0/16"});
  const Plan plan = make_plan(config(), state);
  ASSERT_THAT(kinds(plan), ElementsAre(ActionKind::create_endpoint, ActionKind::create_endpoint));
  EXPECT_EQ(details<actions::CreateEndpoint>(plan, 0).security_group_id, "sg-1");
}

TEST(Planner, UnmanagedEndpointIsKeptNotDuplicated) {
  ObservedState state = applied_state();
  state.placements[0].endpoints[0].tags.clear();
  const Plan plan = make_plan(config(), state);
  EXPECT_THAT(plan.actions, IsEmpty());
  EXPECT_FALSE(plan.keeps[1].managed);
  EXPECT_THAT(format_plan_text(plan), HasSubstr("not created by provision; destroy leaves it"));
}

TEST(Planner, ServiceVerifiedInTheWrongRegion) {
  ProvisionConfig wanted = config();
  wanted.services = {{"metrics", "com.amazonaws.vpce.ap-northeast-1.vpce-svc-002d904d5e69340ad"}};
  // No endpoint is planned for it, only the group and its rule.
  EXPECT_THAT(kinds(make_plan(wanted, empty_state())),
              ElementsAre(ActionKind::create_security_group, ActionKind::authorize_ingress));
  EXPECT_THAT(messages(make_plan(wanted, empty_state())),
              ElementsAre("services.metrics: com.amazonaws.vpce.ap-northeast-1.vpce-svc-002d904d5e69340ad is "
                          "hosted in ap-northeast-1, but endpoint_vpc.region is us-east-1: the service was "
                          "verified in the wrong region. Mode same-region needs the endpoint VPC in "
                          "ap-northeast-1 (or use mode cross-region)"));
}

TEST(Planner, ServiceUnknownInItsRegion) {
  ObservedState state = empty_state();
  state.placements[0].services[logs_name].found = false;
  EXPECT_THAT(messages(make_plan(config(), state)),
              ElementsAre(HasSubstr("services.logs: " + logs_name + " is not offered in us-east-1")));
}

TEST(Planner, TwoSubnetsInOneZone) {
  ObservedState state = empty_state();
  state.placements[0].subnets[1].availability_zone = "us-east-1a";
  EXPECT_THAT(messages(make_plan(config(), state)),
              ElementsAre("endpoint_vpc.subnet_ids: subnet-a and subnet-b are both in us-east-1a: an endpoint "
                          "takes one subnet per AZ"));
}

TEST(Planner, SubnetMissingOrInAnotherVpc) {
  ObservedState state = empty_state();
  state.placements[0].subnets = {subnet("subnet-a", "us-east-1a", "vpc-other")};
  EXPECT_THAT(messages(make_plan(config(), state)),
              ElementsAre(HasSubstr("subnet-a is in vpc-other, not in vpc-endpoints"),
                          HasSubstr("subnet-b does not exist in us-east-1")));
}

TEST(Planner, SubnetInAZoneTheServiceDoesNotOffer) {
  ObservedState state = empty_state();
  state.placements[0].services[metrics_name].availability_zones = {"us-east-1a"};
  EXPECT_THAT(messages(make_plan(config(), state)),
              ElementsAre("services.metrics: subnet subnet-b is in us-east-1b, where the service is not offered "
                          "(offered in: us-east-1a)"));
}

TEST(Planner, VpcDnsAttributesOff) {
  ObservedState state = empty_state();
  state.placements[0].vpc->dns_hostnames = false;
  EXPECT_THAT(messages(make_plan(config(), state)),
              ElementsAre("endpoint_vpc.vpc_id: vpc-endpoints has enableDnsHostnames off; private DNS needs it. "
                          "Set turn_on_vpc_dns: true, or run aws ec2 modify-vpc-attribute --vpc-id vpc-endpoints "
                          "--enable-dns-hostnames"));
}

TEST(Planner, VpcDnsAttributesTurnedOnWhenAsked) {
  ProvisionConfig wanted = config();
  wanted.turn_on_vpc_dns = true;
  ObservedState state = empty_state();
  state.placements[0].vpc->dns_hostnames = false;
  state.placements[0].vpc->dns_support = false;
  const Plan plan = make_plan(wanted, state);
  EXPECT_THAT(messages(plan), IsEmpty());
  ASSERT_GE(plan.actions.size(), 2u);
  EXPECT_EQ(plan.actions[0].kind(), ActionKind::turn_on_vpc_dns);
  EXPECT_EQ(details<actions::TurnOnVpcDns>(plan, 0).attribute, aws::VpcAttribute::enable_dns_support);
  EXPECT_EQ(details<actions::TurnOnVpcDns>(plan, 1).attribute, aws::VpcAttribute::enable_dns_hostnames);
  EXPECT_EQ(details<actions::TurnOnVpcDns>(plan, 1).vpc_id, "vpc-endpoints");
}

TEST(Planner, MissingVpcs) {
  ObservedState state = empty_state();
  state.placements[0].vpc.reset();
  state.agent_vpcs.clear();
  EXPECT_THAT(messages(make_plan(config(), state)),
              ElementsAre("agent_vpcs[0]: vpc-agents does not exist in us-east-1",
                          "endpoint_vpc.vpc_id: vpc-endpoints does not exist in us-east-1"));
}

TEST(Planner, OverlappingCidrs) {
  ObservedState state = empty_state();
  state.agent_vpcs["vpc-agents"].cidr_block = "10.1.128.0/17";
  EXPECT_THAT(messages(make_plan(config(), state)),
              ElementsAre("agent_vpcs: vpc-agents (10.1.128.0/17) and vpc-endpoints (10.1.0.0/16) overlap: "
                          "traffic between them cannot be routed"));
}

TEST(Planner, AgentsInTheEndpointVpcAreFine) {
  ProvisionConfig wanted = config();
  wanted.agent_vpcs = {{"us-east-1", "vpc-endpoints", std::nullopt, {}}};
  ObservedState state = empty_state();
  state.agent_vpcs = {{"vpc-endpoints", *state.placements[0].vpc}};
  const Plan plan = make_plan(wanted, state);
  EXPECT_THAT(messages(plan), IsEmpty());
  EXPECT_THAT(details<actions::AuthorizeIngress>(plan, 1).cidrs, ElementsAre("10.1.0.0/16"));
}

TEST(Planner, ExistingEndpointIsChangedInPlace) {
  ObservedState state = applied_state();
  state.placements[0].endpoints[0].private_dns_enabled = false;
  state.placements[0].endpoints[1].subnet_ids = {"subnet-a"};
  state.placements[0].endpoints[1].groups.clear();
  const Plan plan = make_plan(config(), state);
  EXPECT_THAT(messages(plan), IsEmpty());
  ASSERT_THAT(kinds(plan), ElementsAre(ActionKind::modify_endpoint, ActionKind::modify_endpoint));
  EXPECT_EQ(plan.actions[0].description, "change endpoint vpce-m for metrics: turn private DNS on");
  EXPECT_TRUE(details<actions::ModifyEndpoint>(plan, 0).private_dns);
  EXPECT_THAT(details<actions::ModifyEndpoint>(plan, 0).add_subnet_ids, IsEmpty());
  EXPECT_FALSE(details<actions::ModifyEndpoint>(plan, 0).attach_group);
  EXPECT_EQ(plan.actions[1].description,
            "change endpoint vpce-l for logs: add subnet(s) subnet-b, attach security group datadog-pl");
  EXPECT_THAT(details<actions::ModifyEndpoint>(plan, 1).add_subnet_ids, ElementsAre("subnet-b"));
  EXPECT_TRUE(details<actions::ModifyEndpoint>(plan, 1).attach_group);
  EXPECT_EQ(details<actions::ModifyEndpoint>(plan, 1).security_group_id, "sg-1");
}

TEST(Planner, EndpointWithAnotherSubnetInAConfiguredAz) {
  ObservedState state = applied_state();
  state.placements[0].endpoints[1].subnet_ids = {"subnet-a", "subnet-other-b"};
  state.placements[0].subnets.push_back(subnet("subnet-other-b", "us-east-1b"));
  const Plan plan = make_plan(config(), state);
  EXPECT_THAT(plan.actions, IsEmpty());
  EXPECT_THAT(messages(plan), ElementsAre("services.logs: endpoint vpce-l already uses subnet subnet-other-b in "
                                          "us-east-1b, not subnet-b; list subnet-other-b instead (or move the "
                                          "endpoint by hand)"));
}

TEST(PlanReport, TextAndJson) {
  const Plan plan = make_plan(config(), empty_state());
  const std::string text = format_plan_text(plan);
  EXPECT_THAT(text, HasSubstr("create  create security group datadog-pl in vpc-endpoints\n"));
  EXPECT_THAT(text, HasSubstr("4 to create, 0 to keep, 0 problem(s)\n"));
  const std::string json = format_plan_json(plan);
  EXPECT_THAT(json, HasSubstr("\"kind\": \"create-endpoint\""));
  EXPECT_THAT(json, HasSubstr("\"ok\": true"));
}

TEST(Verify, AppliedStatePassesEveryCheck) {
  const Checklist list = verify(config(), applied_state());
  EXPECT_TRUE(list.ok()) << format_checklist_text(list);
  // 3 VPC checks, 2 services x (available, private DNS, 2 AZs, group), 1 CIDR,
  // the Agent VPC exists.
  EXPECT_THAT(list.items, SizeIs(3 + 2 * 5 + 1 + 1));
}

TEST(Verify, ReportsEachFailure) {
  ObservedState state = applied_state();
  state.placements[0].endpoints[0].state = "pending";
  state.placements[0].endpoints[1].subnet_ids = {"subnet-a"};
  state.placements[0].security_group->ingress.clear();
  const Checklist list = verify(config(), state);
  EXPECT_FALSE(list.ok());
  const std::string text = format_checklist_text(list);
  EXPECT_THAT(text, HasSubstr("[FAIL] endpoint for metrics in vpc-endpoints is available (vpce-m is pending)"));
  EXPECT_THAT(text, HasSubstr("[FAIL] endpoint for logs in vpc-endpoints has a subnet in us-east-1b (vpce-l)"));
  EXPECT_THAT(text, HasSubstr("[FAIL] security group datadog-pl admits tcp/443 from 10.2.0.0/16 (sg-1)"));
  EXPECT_THAT(text, HasSubstr("3 failed"));
  EXPECT_THAT(format_checklist_json(list), HasSubstr("\"ok\": false"));
}

TEST(Verify, MissingEndpoint) {
  ObservedState state = applied_state();
  state.placements[0].endpoints.pop_back();
  EXPECT_THAT(format_checklist_text(verify(config(), state)),
              HasSubstr("[FAIL] endpoint for logs in vpc-endpoints exists (" + logs_name + ")"));
}

// The run's nonce makes a re-create after destroy a new request, even in a
// group that survived; within one run the SDK's retries share it.
TEST(Executor, ClientTokenFitsAndDependsOnRunGroupAndService) {
  const std::string token = endpoint_client_token("0123abcd", "sg-0123456789abcdef0", metrics_name);
  EXPECT_EQ(token, "0123abcd-sg-0123456789abcdef0-vpce-svc-09a8006e245d1e7b8");
  EXPECT_LE(token.size(), 64u);
  EXPECT_NE(token, endpoint_client_token("4567cdef", "sg-0123456789abcdef0", metrics_name));
}

}  // namespace
}  // namespace provision
