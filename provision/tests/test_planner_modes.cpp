// cross-region and peering: the planner and verify over hand-built states
// (no network). Same-region cases are in test_planner.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plan_helpers.h"
#include "provision/planner.h"
#include "provision/report.h"
#include "provision/verify.h"

namespace provision {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using test::details;
using test::kinds;
using test::messages;
using test::subnet;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const std::string metrics_name = "com.amazonaws.vpce.us-east-1.vpce-svc-09a8006e245d1e7b8";
const std::string metrics_dns = "metrics.agent.datadoghq.com";

ProvisionConfig base_config(Mode mode) {
  ProvisionConfig config;
  config.file = "provision.yaml";
  config.site_domain = "datadoghq.com";
  config.site_label = "US1";
  config.site_region = "us-east-1";
  config.mode = mode;
  config.services = {{"metrics", metrics_name}};
  config.security_group_name = "datadog-pl";
  return config;
}

// ---------------------------------------------------------------- cross-region

ProvisionConfig cross_region_config() {
  ProvisionConfig config = base_config(Mode::cross_region);
  config.agent_vpcs = {{"eu-west-1", "vpc-eu", std::nullopt, {"subnet-eu-a"}},
                       {"us-west-2", "vpc-usw", "west", {"subnet-usw-a"}}};
  return config;
}

PlacementState cross_region_placement(const std::string& vpc, const std::string& cidr, const std::string& subnet_id,
                                      const std::string& zone) {
  PlacementState placement;
  placement.vpc = ObservedVpc{vpc, cidr, true, true, "111111111111", {}};
  placement.subnets = {subnet(subnet_id, zone, vpc)};
  placement.services[metrics_name] = ObservedService{true, {zone}, metrics_dns};
  return placement;
}

ObservedState cross_region_state() {
  ObservedState state;
  state.placements = {cross_region_placement("vpc-eu", "10.5.0.0/16", "subnet-eu-a", "eu-west-1a"),
                      cross_region_placement("vpc-usw", "10.5.0.0/16", "subnet-usw-a", "us-west-2a")};
  state.agent_vpcs["vpc-eu"] = *state.placements[0].vpc;
  state.agent_vpcs["vpc-usw"] = *state.placements[1].vpc;
  return state;
}

TEST(CrossRegion, PlacementsAreTheAgentVpcsWithServiceRegion) {
  const auto where = placements(cross_region_config());
  ASSERT_EQ(where.size(), 2u);
  EXPECT_EQ(where[0].region, "eu-west-1");
  EXPECT_EQ(where[0].service_region, "us-east-1");
  EXPECT_TRUE(where[0].private_dns);
  EXPECT_EQ(where[1].profile, "west");
  EXPECT_EQ(where[1].config_key, "agent_vpcs[1]");
  EXPECT_THAT(where[1].admitted_vpc_ids, ElementsAre("vpc-usw"));
}

TEST(CrossRegion, FreshPlanMakesEndpointsInEachAgentVpc) {
  const Plan plan = make_plan(cross_region_config(), cross_region_state());
  // Same CIDRs in two separate networks are fine: they never route to each other.
  EXPECT_THAT(messages(plan), IsEmpty());
  ASSERT_THAT(kinds(plan), ElementsAre(ActionKind::create_security_group, ActionKind::authorize_ingress,
                                       ActionKind::create_endpoint, ActionKind::create_security_group,
                                       ActionKind::authorize_ingress, ActionKind::create_endpoint));
  EXPECT_EQ(plan.actions[5].target.region, "us-west-2");
  EXPECT_EQ(plan.actions[5].target.profile, "west");
  EXPECT_THAT(plan.actions[5].description, HasSubstr("from us-east-1"));
  const auto& west = details<actions::CreateEndpoint>(plan, 5);
  EXPECT_EQ(west.placement, 1u);
  EXPECT_EQ(west.vpc_id, "vpc-usw");
  EXPECT_TRUE(west.private_dns);
  EXPECT_THAT(details<actions::AuthorizeIngress>(plan, 4).cidrs, ElementsAre("10.5.0.0/16"));
}

TEST(CrossRegion, ServiceNotSharedWithThatRegion) {
  ObservedState state = cross_region_state();
  state.placements[1].services[metrics_name].found = false;
  EXPECT_THAT(messages(make_plan(cross_region_config(), state)),
              ElementsAre(HasSubstr("services.metrics: " + metrics_name +
                                    " is not offered to us-west-2 through cross-region PrivateLink (DescribeVpcEndpointServices "
                                    "with ServiceRegion us-east-1 does not list it); use mode peering for Agents in "
                                    "us-west-2")));
}

TEST(CrossRegion, ServiceOfAnotherSiteIsTheWrongRegion) {
  ProvisionConfig config = cross_region_config();
  config.services = {{"metrics", "com.amazonaws.vpce.ap-northeast-1.vpce-svc-002d904d5e69340ad"}};
  EXPECT_THAT(messages(make_plan(config, cross_region_state())),
              Contains(HasSubstr("is hosted in ap-northeast-1, but site US1 is served from us-east-1: the service "
                                 "was verified in the wrong region")));
}

// ---------------------------------------------------------------- peering

ProvisionConfig peering_config() {
  ProvisionConfig config = base_config(Mode::peering);
  config.endpoint_vpc = {"us-east-1", "vpc-hub", {"subnet-a", "subnet-b"}};
  config.agent_vpcs = {{"eu-west-1", "vpc-eu", std::nullopt, {}}, {"us-west-2", "vpc-other", "agents", {}}};
  return config;
}

aws::RouteTable table(const std::string& id, const std::string& vpc) {
  aws::RouteTable table;
  table.id = id;
  table.vpc_id = vpc;
  aws::Route local;  // every route table has its VPC's own CIDR
  local.destination_cidr_block = vpc == "vpc-hub" ? "10.1.0.0/16" : "10.9.0.0/16";
  local.gateway_id = "local";
  table.routes = {local};
  return table;
}

// Before apply: three VPCs, the second Agent VPC in another account.
ObservedState peering_state() {
  ObservedState state;
  PlacementState hub;
  hub.vpc = ObservedVpc{"vpc-hub", "10.1.0.0/16", true, true, "111111111111", {}};
  hub.subnets = {subnet("subnet-a", "us-east-1a", "vpc-hub"), subnet("subnet-b", "us-east-1b", "vpc-hub")};
  hub.services[metrics_name] = ObservedService{true, {"us-east-1a", "us-east-1b"}, metrics_dns};
  state.placements = {hub};
  state.agent_vpcs["vpc-eu"] = ObservedVpc{"vpc-eu", "10.2.0.0/16", true, true, "111111111111", {}};
  state.agent_vpcs["vpc-other"] = ObservedVpc{"vpc-other", "10.3.0.0/16", true, true, "222222222222", {}};
  state.route_tables["vpc-hub"] = {table("rtb-hub", "vpc-hub")};
  state.route_tables["vpc-eu"] = {table("rtb-eu", "vpc-eu")};
  state.route_tables["vpc-other"] = {table("rtb-other", "vpc-other")};
  return state;
}

aws::VpcPeeringConnection peering(const std::string& id, const std::string& agent_vpc, const std::string& status) {
  aws::VpcPeeringConnection peering;
  peering.id = id;
  peering.status_code = status;
  peering.requester.vpc_id = "vpc-hub";
  peering.accepter.vpc_id = agent_vpc;
  peering.tags = {{managed_tag, "true"}, {site_tag, "datadoghq.com"}};
  return peering;
}

void add_route(ObservedState& state, const std::string& vpc, const std::string& cidr, const std::string& pcx) {
  aws::Route route;
  route.destination_cidr_block = cidr;
  route.vpc_peering_connection_id = pcx;
  state.route_tables[vpc][0].routes.push_back(route);
}

// After apply: everything in place.
ObservedState peered_state() {
  ObservedState state = peering_state();
  PlacementState& hub = state.placements[0];
  hub.security_group = aws::SecurityGroup{"sg-1", "datadog-pl", "", "vpc-hub",
                                          {{"tcp", 443, 443, {"10.2.0.0/16", "10.3.0.0/16"}}},
                                          {{managed_tag, "true"}}};
  aws::VpcEndpoint endpoint;
  endpoint.id = "vpce-m";
  endpoint.vpc_id = "vpc-hub";
  endpoint.service_name = metrics_name;
  endpoint.state = "available";
  endpoint.subnet_ids = {"subnet-a", "subnet-b"};
  endpoint.groups = {{"sg-1", "datadog-pl"}};
  endpoint.private_dns_enabled = false;
  endpoint.dns_entries = {{"vpce-m-x.vpce-svc-09a8006e245d1e7b8.us-east-1.vpce.amazonaws.com", "Z7HUB22UULQXV"}};
  hub.endpoints = {endpoint};
  state.peerings = {peering("pcx-eu", "vpc-eu", "active"), peering("pcx-other", "vpc-other", "active")};
  add_route(state, "vpc-hub", "10.2.0.0/16", "pcx-eu");
  add_route(state, "vpc-hub", "10.3.0.0/16", "pcx-other");
  add_route(state, "vpc-eu", "10.1.0.0/16", "pcx-eu");
  add_route(state, "vpc-other", "10.1.0.0/16", "pcx-other");
  ObservedZone zone;
  zone.zone.id = "Z1";
  zone.zone.name = metrics_dns + ".";
  zone.zone.private_zone = true;
  zone.vpcs = {{"us-east-1", "vpc-hub"}, {"eu-west-1", "vpc-eu"}, {"us-west-2", "vpc-other"}};
  zone.tags = {{managed_tag, "true"}, {site_tag, "datadoghq.com"}, {endpoint_vpc_tag, "vpc-hub"}};
  zone.apex_a = aws::alias_a_record(metrics_dns, endpoint.dns_entries[0]);
  state.zones[metrics_dns] = {zone};
  return state;
}

TEST(Peering, FreshPlanInApplyOrder) {
  const Plan plan = make_plan(peering_config(), peering_state());
  EXPECT_THAT(messages(plan), IsEmpty());
  EXPECT_THAT(kinds(plan),
              ElementsAre(ActionKind::create_security_group, ActionKind::authorize_ingress,
                          ActionKind::create_endpoint,
                          // vpc-eu: same account, another region
                          ActionKind::create_peering, ActionKind::accept_peering, ActionKind::create_route,
                          ActionKind::create_route,
                          // vpc-other: another account
                          ActionKind::create_peering, ActionKind::accept_peering, ActionKind::create_route,
                          ActionKind::create_route,
                          // the zone, its alias, the associations
                          ActionKind::create_zone, ActionKind::upsert_alias, ActionKind::associate_zone,
                          ActionKind::authorize_association, ActionKind::associate_zone,
                          ActionKind::delete_authorization));
  EXPECT_FALSE(details<actions::CreateEndpoint>(plan, 2).private_dns);  // our zones answer instead
  EXPECT_THAT(details<actions::AuthorizeIngress>(plan, 1).cidrs, ElementsAre("10.2.0.0/16", "10.3.0.0/16"));
  const auto& cross_account = details<actions::CreatePeering>(plan, 7);
  EXPECT_EQ(cross_account.peer_owner_id, "222222222222");
  EXPECT_EQ(cross_account.peer_region, "us-west-2");
  EXPECT_EQ(plan.actions[7].target.region, "us-east-1");
  EXPECT_EQ(details<actions::CreatePeering>(plan, 3).peer_owner_id, "");  // same account
  EXPECT_EQ(plan.actions[8].target.region, "us-west-2");
  EXPECT_EQ(plan.actions[8].target.profile, "agents");
  EXPECT_EQ(details<actions::AcceptPeering>(plan, 8).peering_id, "");  // the one this apply creates
  EXPECT_EQ(details<actions::AcceptPeering>(plan, 8).peer_vpc_id, "vpc-other");
  EXPECT_EQ(details<actions::CreateRoute>(plan, 9).route_table_id, "rtb-hub");
  EXPECT_EQ(details<actions::CreateRoute>(plan, 9).destination_cidr, "10.3.0.0/16");
  EXPECT_EQ(details<actions::CreateRoute>(plan, 10).route_table_id, "rtb-other");
  EXPECT_EQ(details<actions::CreateRoute>(plan, 10).destination_cidr, "10.1.0.0/16");
  EXPECT_EQ(plan.actions[10].target.profile, "agents");
  const auto& zone = details<actions::CreateZone>(plan, 11);
  EXPECT_EQ(zone.zone_name, metrics_dns);  // read from DescribeVpcEndpointServices
  EXPECT_EQ(zone.first_vpc, (aws::ZoneVpc{"us-east-1", "vpc-hub"}));
  EXPECT_EQ(details<actions::AssociateZone>(plan, 13).vpc, (aws::ZoneVpc{"eu-west-1", "vpc-eu"}));
  EXPECT_EQ(plan.actions[13].target.profile, std::nullopt);
  EXPECT_EQ(plan.actions[15].target.profile, "agents");  // the VPC owner associates
  EXPECT_EQ(plan.actions[14].target.profile, std::nullopt);  // the zone owner authorizes
}

TEST(Peering, AppliedStateIsAllKeep) {
  const Plan plan = make_plan(peering_config(), peered_state());
  EXPECT_THAT(messages(plan), IsEmpty());
  EXPECT_THAT(plan.actions, IsEmpty()) << format_plan_text(plan);
}

TEST(Peering, PendingPeeringIsAcceptedAndALingeringAuthorizationDeleted) {
  ObservedState state = peered_state();
  state.peerings[1].status_code = "pending-acceptance";
  state.zones[metrics_dns][0].authorizations = {{"us-west-2", "vpc-other"}};
  const Plan plan = make_plan(peering_config(), state);
  ASSERT_THAT(kinds(plan), ElementsAre(ActionKind::accept_peering, ActionKind::delete_authorization));
  EXPECT_EQ(details<actions::AcceptPeering>(plan, 0).peering_id, "pcx-other");
}

TEST(Peering, StaleAliasIsUpserted) {
  ObservedState state = peered_state();
  state.zones[metrics_dns][0].apex_a->alias->dns_name = "vpce-old.vpce-svc-x.us-east-1.vpce.amazonaws.com";
  EXPECT_THAT(kinds(make_plan(peering_config(), state)), ElementsAre(ActionKind::upsert_alias));
}

TEST(Peering, EndpointWithPrivateDnsOnIsTurnedOff) {
  ObservedState state = peered_state();
  state.placements[0].endpoints[0].private_dns_enabled = true;
  const Plan plan = make_plan(peering_config(), state);
  ASSERT_THAT(kinds(plan), ElementsAre(ActionKind::modify_endpoint));
  EXPECT_FALSE(details<actions::ModifyEndpoint>(plan, 0).private_dns);
}

TEST(Peering, RouteToSomethingElseIsAProblem) {
  ObservedState state = peering_state();
  add_route(state, "vpc-eu", "10.1.0.0/16", "pcx-somebody");
  EXPECT_THAT(messages(make_plan(peering_config(), state)),
              ElementsAre("rtb-eu: already routes 10.1.0.0/16 to pcx-somebody; provision does not replace routes "
                          "it did not make"));
}

TEST(Peering, DeadPeeringIsReplacedUnknownStateStops) {
  ObservedState state = peered_state();
  state.peerings[0].status_code = "failed";
  state.peerings[0].status_message = "Overlapping CIDR range";
  // A failed peering is dead: it is not found, so a new one is planned...
  EXPECT_THAT(kinds(make_plan(peering_config(), state)), Contains(ActionKind::create_peering));
  // ...while a rejected-but-listed state we do not know stops the plan.
  state.peerings[0].status_code = "expired-soon";
  EXPECT_THAT(messages(make_plan(peering_config(), state)), ElementsAre(HasSubstr("peering pcx-eu: is expired-soon")));
}

TEST(Peering, OverlappingAgentVpc) {
  ObservedState state = peering_state();
  state.agent_vpcs["vpc-eu"].cidr_block = "10.1.0.0/20";
  const Plan plan = make_plan(peering_config(), state);
  EXPECT_THAT(messages(plan),
              ElementsAre("agent_vpcs: vpc-eu (10.1.0.0/20) and vpc-hub (10.1.0.0/16) overlap: traffic between them "
                          "cannot be routed"));
  // No peering or routes are planned towards it (only towards vpc-other).
  std::vector<std::string> peers;
  for (const auto& action : plan.actions) {
    if (const auto* create = std::get_if<actions::CreatePeering>(&action.details)) peers.push_back(create->peer_vpc_id);
  }
  EXPECT_THAT(peers, ElementsAre("vpc-other"));
}

TEST(Peering, AgentVpcDnsAttributesAreChecked) {
  ObservedState state = peering_state();
  state.agent_vpcs["vpc-other"].dns_hostnames = false;
  EXPECT_THAT(messages(make_plan(peering_config(), state)),
              ElementsAre(HasSubstr("agent_vpcs[1].vpc_id: vpc-other has enableDnsHostnames off")));
  ProvisionConfig fixing = peering_config();
  fixing.turn_on_vpc_dns = true;
  const Plan plan = make_plan(fixing, state);
  ASSERT_EQ(plan.actions[0].kind(), ActionKind::turn_on_vpc_dns);
  EXPECT_EQ(plan.actions[0].target.profile, "agents");
}

TEST(Peering, UnmanagedZoneOnTheEndpointVpcIsAdopted) {
  ObservedState state = peered_state();
  state.zones[metrics_dns][0].tags.clear();
  const Plan plan = make_plan(peering_config(), state);
  EXPECT_THAT(plan.actions, IsEmpty());
  EXPECT_THAT(format_plan_text(plan), HasSubstr("keep    private zone " + metrics_dns + " Z1 (not created by"));
}

// An earlier apply created the zone, but the answer to its tagging was lost:
// the comment says it is ours, so it is tagged, not duplicated or left alone.
TEST(Peering, ZoneWithOurCommentButNoTagsIsTagged) {
  ObservedState state = peered_state();
  ObservedZone& zone = state.zones[metrics_dns][0];
  zone.tags.clear();
  zone.vpcs = {{"eu-west-1", "vpc-eu"}, {"us-west-2", "vpc-other"}};  // not even the endpoint VPC
  zone.zone.comment = zone_comment(peering_config(), peering_config().services[0]);
  const Plan plan = make_plan(peering_config(), state);
  ASSERT_THAT(kinds(plan), ElementsAre(ActionKind::tag_zone, ActionKind::associate_zone));
  EXPECT_EQ(details<actions::TagZone>(plan, 0).zone_id, "Z1");
  EXPECT_THAT(details<actions::TagZone>(plan, 0).tags, Contains(aws::Tag{managed_tag, "true"}));
  EXPECT_TRUE(plan.keeps.back().managed);
}

// The Agent VPC already has a zone of that name (AWS's own, for an endpoint
// with private DNS on there): Route 53 would refuse ours.
TEST(Peering, ConflictingZoneOnAnAgentVpc) {
  ObservedState state = peering_state();
  state.zones_by_vpc["vpc-other"] = {{"ZAWS", metrics_dns + ".", ""}};
  EXPECT_THAT(messages(make_plan(peering_config(), state)),
              ElementsAre("vpc-other: already has a private zone named " + metrics_dns +
                          " (ZAWS, owned by an AWS service, e.g. an endpoint's private DNS); Route 53 refuses a "
                          "second one (ConflictingDomainExists). Remove that association (or the endpoint's private "
                          "DNS) first"));
  // Our own zone there is no conflict.
  ObservedState applied = peered_state();
  applied.zones_by_vpc["vpc-other"] = {{"Z1", metrics_dns + ".", "111111111111"}};
  EXPECT_THAT(messages(make_plan(peering_config(), applied)), IsEmpty());
}

// Zones are account-wide: the same site's zone of another deployment (its
// own endpoint VPC) is not taken over; ours is made next to it.
TEST(Peering, AnotherDeploymentsZoneIsNotAdopted) {
  ObservedState state = peered_state();
  ObservedZone& theirs = state.zones[metrics_dns][0];
  theirs.tags.back().value = "vpc-staging";
  theirs.vpcs = {{"us-east-1", "vpc-staging"}};
  const Plan plan = make_plan(peering_config(), state);
  EXPECT_THAT(messages(plan), IsEmpty());
  EXPECT_THAT(kinds(plan), Contains(ActionKind::create_zone));
  EXPECT_THAT(format_plan_text(plan), Not(HasSubstr("Z1")));
}

// A zone of that name already on the endpoint VPC would make
// CreateHostedZone fail; AWS's own zone of our endpoint with private DNS on
// does not count, since apply turns that off first.
TEST(Peering, ConflictingZoneOnTheEndpointVpc) {
  ObservedState state = peering_state();
  state.zones_by_vpc["vpc-hub"] = {{"ZUSER", metrics_dns + ".", "111111111111"}};
  EXPECT_THAT(messages(make_plan(peering_config(), state)),
              ElementsAre(HasSubstr("vpc-hub: already has a private zone named " + metrics_dns + " (ZUSER")));
  ObservedState own_dns = peered_state();
  own_dns.zones.clear();
  own_dns.placements[0].endpoints[0].private_dns_enabled = true;
  own_dns.zones_by_vpc["vpc-hub"] = {{"ZAWS", metrics_dns + ".", ""}};
  const Plan plan = make_plan(peering_config(), own_dns);
  EXPECT_THAT(messages(plan), IsEmpty());
  EXPECT_THAT(kinds(plan), Contains(ActionKind::create_zone));
}

// A secondary block (EKS pods, say) is admitted, routed both ways, checked
// for overlap and verified like the primary one.
TEST(Peering, SecondaryCidrBlocksAreAdmittedAndRouted) {
  ObservedState state = peered_state();
  state.agent_vpcs["vpc-eu"].secondary_cidr_blocks = {"100.64.0.0/16"};
  const Plan plan = make_plan(peering_config(), state);
  EXPECT_THAT(messages(plan), IsEmpty());
  ASSERT_THAT(kinds(plan), ElementsAre(ActionKind::authorize_ingress, ActionKind::create_route));
  EXPECT_THAT(details<actions::AuthorizeIngress>(plan, 0).cidrs, ElementsAre("100.64.0.0/16"));
  EXPECT_EQ(details<actions::CreateRoute>(plan, 1).route_table_id, "rtb-hub");
  EXPECT_EQ(details<actions::CreateRoute>(plan, 1).destination_cidr, "100.64.0.0/16");
  EXPECT_EQ(details<actions::CreateRoute>(plan, 1).peering_id, "pcx-eu");
  const std::string checks = format_checklist_text(verify(peering_config(), state));
  EXPECT_THAT(checks, HasSubstr("[FAIL] route table rtb-hub (vpc-hub) routes 100.64.0.0/16 over pcx-eu"));
  EXPECT_THAT(checks, HasSubstr("[FAIL] security group datadog-pl admits tcp/443 from 100.64.0.0/16"));

  state.agent_vpcs["vpc-eu"].secondary_cidr_blocks = {"10.1.128.0/17"};  // inside the hub's 10.1.0.0/16
  EXPECT_THAT(messages(make_plan(peering_config(), state)),
              ElementsAre("agent_vpcs: vpc-eu (10.1.128.0/17) and vpc-hub (10.1.0.0/16) overlap: traffic between "
                          "them cannot be routed"));
}

TEST(Peering, ServiceWithoutPrivateDnsName) {
  ObservedState state = peering_state();
  state.placements[0].services[metrics_name].private_dns_name = "";
  EXPECT_THAT(messages(make_plan(peering_config(), state)),
              ElementsAre(HasSubstr("has no private DNS name in DescribeVpcEndpointServices")));
}

TEST(PeeringVerify, AppliedStatePasses) {
  const Checklist list = verify(peering_config(), peered_state());
  EXPECT_TRUE(list.ok()) << format_checklist_text(list);
  const std::string text = format_checklist_text(list);
  EXPECT_THAT(text, HasSubstr("[ok] endpoint for metrics in vpc-hub has private DNS off (peering: our zones answer)"));
  EXPECT_THAT(text, HasSubstr("[ok] peering vpc-hub <-> vpc-other is active"));
  EXPECT_THAT(text, HasSubstr("[ok] route table rtb-other (vpc-other) routes 10.1.0.0/16 over pcx-other"));
  EXPECT_THAT(text, HasSubstr("[ok] " + metrics_dns + " A is an alias of the metrics endpoint's regional name"));
  EXPECT_THAT(text, HasSubstr("[ok] " + metrics_dns + " is associated with vpc-other (us-west-2)"));
  EXPECT_THAT(text, HasSubstr("[ok] vpc-hub (10.1.0.0/16) and vpc-eu (10.2.0.0/16) do not overlap"));
  EXPECT_THAT(text, HasSubstr("[ok] VPC vpc-eu has enableDnsHostnames on"));
}

TEST(PeeringVerify, EachBrokenLinkFails) {
  ObservedState state = peered_state();
  state.route_tables["vpc-eu"][0].routes.pop_back();
  state.peerings[1].status_code = "pending-acceptance";
  state.zones[metrics_dns][0].vpcs.pop_back();
  state.zones[metrics_dns][0].apex_a.reset();
  state.agent_vpcs["vpc-eu"].dns_support = false;
  const Checklist list = verify(peering_config(), state);
  const std::string text = format_checklist_text(list);
  EXPECT_FALSE(list.ok());
  EXPECT_THAT(text, HasSubstr("[FAIL] route table rtb-eu (vpc-eu) routes 10.1.0.0/16 over pcx-eu"));
  EXPECT_THAT(text, HasSubstr("[FAIL] peering vpc-hub <-> vpc-other is active (pcx-other is pending-acceptance)"));
  EXPECT_THAT(text, HasSubstr("[FAIL] " + metrics_dns + " is associated with vpc-other (us-west-2)"));
  EXPECT_THAT(text, HasSubstr("[FAIL] " + metrics_dns + " A is an alias of the metrics endpoint's regional name "
                              "(no alias A)"));
  EXPECT_THAT(text, HasSubstr("[FAIL] VPC vpc-eu has enableDnsSupport on"));
  EXPECT_THAT(text, HasSubstr("5 failed"));
}

TEST(PeeringVerify, NoZoneAtAll) {
  ObservedState state = peered_state();
  state.zones.clear();
  EXPECT_THAT(format_checklist_text(verify(peering_config(), state)),
              HasSubstr("[FAIL] private zone " + metrics_dns + " exists"));
  EXPECT_THAT(format_checklist_text(verify(peering_config(), state)), Not(HasSubstr("is associated")));
}

}  // namespace
}  // namespace provision
