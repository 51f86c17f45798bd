// Same-region plan / apply / apply again / verify against the AWS fake
// (tests/support/aws_fake: moto plus Datadog's endpoint services, endpoints
// that stay pending for a few describes). Loopback only, never real AWS.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "aws/curl_transport.h"
#include "aws/ec2.h"
#include "aws_fake_process.h"
#include "provision/destroy.h"
#include "provision/executor.h"
#include "provision/iam_policy.h"
#include "provision/planner.h"
#include "provision/provision_command.h"
#include "provision/report.h"
#include "provision/service_catalog.h"
#include "provision/state_reader.h"

namespace provision {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

class ProvisionFakeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { fake_ = new test::AwsFakeProcess(PROVISION_AWS_FAKE_DIR); }
  static void TearDownTestSuite() {
    delete fake_;
    fake_ = nullptr;
  }

  void SetUp() override {
    auto reset = aws::curl_fetcher()(aws::HttpRequest{"POST", fake_->url() + "/fake-api/reset", {}, {}});
    ASSERT_TRUE(reset && reset->status == 200);
    const std::string url = fake_->url();
    auto environment = [url](const std::string& name) -> std::optional<std::string> {
      if (name == "AWS_ENDPOINT_URL") return url;
      return std::nullopt;
    };
    aws::AwsClientOptions options;
    options.retry.max_attempts = 1;  // retries would only hide a surprising answer
    client_ = std::make_unique<aws::AwsClient>(aws::curl_fetcher(),
                                               aws::Credentials("test", aws::SecretString("test")), options);
    auto tool_environment = [url](const std::string& name) -> std::optional<std::string> {
      if (name == "AWS_ENDPOINT_URL") return url;
      if (name == "AWS_ACCESS_KEY_ID" || name == "AWS_SECRET_ACCESS_KEY") return std::string("test");
      return std::nullopt;
    };
    clients_ = std::make_unique<AwsClients>(aws::curl_fetcher(), tool_environment, std::nullopt, options);
    auto endpoint = aws::resolve_endpoint(aws::Service::ec2, "us-east-1", environment);
    ASSERT_TRUE(endpoint) << endpoint.error().message;
    ec2_ = std::make_unique<aws::Ec2Client>(*client_, *endpoint);
    make_network();
  }

  // The customer's side, as it exists before provision: the Agents' VPC
  // with two subnets in two AZs, DNS hostnames still off (the EC2 default).
  void make_network() {
    auto vpc = ec2_->create_vpc("10.1.0.0/16");
    ASSERT_TRUE(vpc) << vpc.error().message;
    vpc_id_ = vpc->id;
    auto first = ec2_->create_subnet(vpc_id_, "10.1.1.0/24", "us-east-1a");
    ASSERT_TRUE(first) << first.error().message;
    auto second = ec2_->create_subnet(vpc_id_, "10.1.2.0/24", "us-east-1b");
    ASSERT_TRUE(second) << second.error().message;
    subnet_ids_ = {first->id, second->id};
  }

  void configure_fake(const std::string& json) {
    auto answer = aws::curl_fetcher()(
        aws::HttpRequest{"POST", fake_->url() + "/fake-api/config", {{"Content-Type", "application/json"}}, json});
    ASSERT_TRUE(answer && answer->status == 200);
  }

  void enable_dns() {
    for (auto attribute : {aws::VpcAttribute::enable_dns_support, aws::VpcAttribute::enable_dns_hostnames}) {
      auto modified = ec2_->modify_vpc_attribute(vpc_id_, attribute, true);
      ASSERT_TRUE(modified) << modified.error().message;
    }
  }

  ProvisionConfig config() const {
    const std::string yaml = fmt::format(
        "site: US1\n"
        "services: [metrics, logs]\n"
        "endpoint_vpc: {{region: us-east-1, vpc_id: {}, subnet_ids: [{}, {}]}}\n"
        "agent_vpcs: [{{region: us-east-1, vpc_id: {}}}]\n"
        "tags: {{team: observability}}\n",
        vpc_id_, subnet_ids_[0], subnet_ids_[1], vpc_id_);
    auto raw = parse_provision_config(yaml, "provision.yaml");
    EXPECT_TRUE(raw) << raw.error().message;
    auto finalized = finalize_provision_config(*raw);
    EXPECT_TRUE(finalized) << finalized.error().message;
    return *finalized;
  }

  Plan plan(const ProvisionConfig& wanted) const {
    auto state = read_state(wanted, *clients_);
    EXPECT_TRUE(state) << state.error().message;
    return state ? make_plan(wanted, *state) : Plan{};
  }

  ApplyOptions quick_options() {
    ApplyOptions options;
    options.progress = [this](const std::string& line) { progress_.push_back(line); };
    options.sleep = [](std::chrono::milliseconds) {};
    options.poll_interval = std::chrono::milliseconds(1000);
    options.wait_limit = std::chrono::milliseconds(30000);
    return options;
  }

  static test::AwsFakeProcess* fake_;

 public:
  static std::string fake_url() { return fake_->url(); }

 protected:
  std::unique_ptr<aws::AwsClient> client_;
  std::unique_ptr<AwsClients> clients_;
  std::unique_ptr<aws::Ec2Client> ec2_;
  std::string vpc_id_;
  std::vector<std::string> subnet_ids_;
  std::vector<std::string> progress_;
};

test::AwsFakeProcess* ProvisionFakeTest::fake_ = nullptr;

TEST_F(ProvisionFakeTest, PlanRefusesAVpcWithoutDnsHostnames) {
  const Plan refused = plan(config());
  ASSERT_THAT(refused.problems, SizeIs(1));
  EXPECT_THAT(refused.problems[0].message, HasSubstr("has enableDnsHostnames off"));
  const ApplyReport applied = apply_plan(config(), refused, *clients_, quick_options());
  ASSERT_FALSE(applied.ok());
  EXPECT_THAT(applied.failure->message, HasSubstr("the plan has 1 problem(s)"));
}

TEST_F(ProvisionFakeTest, PlanApplyApplyAgainVerify) {
  enable_dns();
  const ProvisionConfig wanted = config();

  const Plan first = plan(wanted);
  EXPECT_TRUE(first.ok()) << format_plan_text(first);
  EXPECT_THAT(first.actions, SizeIs(4)) << format_plan_text(first);
  EXPECT_THAT(format_plan_text(first), HasSubstr("4 to create, 0 to keep, 0 problem(s)"));

  const ApplyReport applied = apply_plan(wanted, first, *clients_, quick_options());
  ASSERT_TRUE(applied.ok()) << applied.failure->message;
  EXPECT_THAT(applied.done, SizeIs(4));
  EXPECT_THAT(applied.endpoint_ids, SizeIs(2));
  // The fake keeps new endpoints pending for their first describes.
  EXPECT_THAT(progress_, ::testing::Contains(HasSubstr("waiting for the endpoints to become available (0 s "
                                                       "elapsed): 2 pending")));

  const Plan second = plan(wanted);
  EXPECT_TRUE(second.ok()) << format_plan_text(second);
  EXPECT_THAT(second.actions, IsEmpty()) << format_plan_text(second);
  EXPECT_THAT(second.keeps, SizeIs(3));
  const ApplyReport again = apply_plan(wanted, second, *clients_, quick_options());
  ASSERT_TRUE(again.ok()) << again.failure->message;
  EXPECT_THAT(again.done, IsEmpty());

  auto state = read_state(wanted, *clients_);
  ASSERT_TRUE(state) << state.error().message;
  const Checklist checklist = verify(wanted, *state);
  EXPECT_TRUE(checklist.ok()) << format_checklist_text(checklist);
  EXPECT_THAT(checklist.items, SizeIs(3 + 2 * 5 + 1)) << format_checklist_text(checklist);
}

// A first apply whose CreateSecurityGroup answer is lost (the group is made,
// the caller sees a 500): the next plan adopts the group and finishes the job.
TEST_F(ProvisionFakeTest, ResumesAfterALostAnswer) {
  enable_dns();
  configure_fake(R"({"failures": [{"action": "CreateSecurityGroup", "when": "after",
                                    "code": "InternalError", "status": 500}]})");
  const ProvisionConfig wanted = config();
  const ApplyReport failed = apply_plan(wanted, plan(wanted), *clients_, quick_options());
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.failure->message, HasSubstr("create security group privatelink-sidecar-datadog"));

  const Plan resumed = plan(wanted);
  EXPECT_THAT(resumed.actions, SizeIs(3)) << format_plan_text(resumed);  // rule + 2 endpoints
  ASSERT_THAT(resumed.keeps, SizeIs(1));
  EXPECT_TRUE(resumed.keeps[0].managed);  // tagged at creation, so destroy will find it
  const ApplyReport applied = apply_plan(wanted, resumed, *clients_, quick_options());
  ASSERT_TRUE(applied.ok()) << applied.failure->message;

  auto state = read_state(wanted, *clients_);
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_TRUE(verify(wanted, *state).ok());
  EXPECT_THAT(plan(wanted).actions, IsEmpty());
}

// Not-found answers from EC2 become plan problems, not read failures; a
// service of another region gets the "wrong region" message.
TEST_F(ProvisionFakeTest, PlanExplainsMissingResourcesAndWrongRegion) {
  enable_dns();
  ProvisionConfig wanted = config();
  wanted.endpoint_vpc.subnet_ids.push_back("subnet-0123456789abcdef0");
  wanted.agent_vpcs.push_back({"us-east-1", "vpc-0123456789abcdef0", std::nullopt, {}});
  wanted.services.push_back({"ap1-metrics", "com.amazonaws.vpce.ap-northeast-1.vpce-svc-002d904d5e69340ad"});
  wanted.services.push_back({"made-up", "com.amazonaws.vpce.us-east-1.vpce-svc-0000000000000000f"});
  std::vector<std::string> problems;
  for (const auto& problem : plan(wanted).problems) problems.push_back(problem.subject + ": " + problem.message);
  EXPECT_THAT(problems, ElementsAre(HasSubstr("agent_vpcs[1]: vpc-0123456789abcdef0 does not exist in us-east-1"),
                                    HasSubstr("subnet-0123456789abcdef0 does not exist in us-east-1"),
                                    HasSubstr("verified in the wrong region"),
                                    HasSubstr("services.made-up: com.amazonaws.vpce.us-east-1.vpce-svc-"
                                              "0000000000000000f is not offered in us-east-1")));
}

// The fake's call log (account, service, action) against the iam-policy
// lists: the endpoint account's calls in its policy, the Agent account's in
// the agent policy.
void expect_calls_in_policy(const std::string& agent_account = "") {
  auto calls = aws::curl_fetcher()(aws::HttpRequest{"GET", ProvisionFakeTest::fake_url() + "/fake-api/calls", {}, {}});
  ASSERT_TRUE(calls && calls->status == 200);
  const auto log = nlohmann::json::parse(calls->body);
  std::set<std::string> endpoint_policy, agent_policy;
  for (const auto& use : iam_actions) {
    const std::string name = std::string(use.service) + ":" + std::string(use.action);
    if (use.endpoint_account) endpoint_policy.insert(name);
    if (use.agent_account) agent_policy.insert(name);
  }
  for (const auto& call : log.is_array() ? log : log["calls"]) {
    const std::string name = call["service"].get<std::string>() + ":" + call["action"].get<std::string>();
    const bool agent = !agent_account.empty() && call["account"] == agent_account;
    EXPECT_TRUE((agent ? agent_policy : endpoint_policy).contains(name))
        << name << " by " << call["account"] << " is not in the " << (agent ? "agent" : "endpoint") << " policy";
  }
}

DestroyOptions quick_destroy_options(std::vector<std::string>& progress) {
  DestroyOptions options;
  options.progress = [&progress](const std::string& line) { progress.push_back(line); };
  options.sleep = [](std::chrono::milliseconds) {};
  options.poll_interval = std::chrono::milliseconds(1000);
  options.wait_limit = std::chrono::milliseconds(30000);
  return options;
}

// apply, an untagged endpoint made by hand (its own group), destroy: only
// ours go, endpoints before the group; verify then fails; destroy again has
// nothing to do. The fake's call log must match the iam-policy list.
TEST_F(ProvisionFakeTest, DestroyRemovesOnlyWhatProvisionMade) {
  enable_dns();
  const ProvisionConfig wanted = config();
  auto cleared = aws::curl_fetcher()(aws::HttpRequest{"DELETE", fake_->url() + "/fake-api/calls", {}, {}});
  ASSERT_TRUE(cleared && cleared->status == 200);
  const ApplyReport applied = apply_plan(wanted, plan(wanted), *clients_, quick_options());
  ASSERT_TRUE(applied.ok()) << applied.failure->message;

  auto user_group = ec2_->create_security_group("users-own", "not provision's", vpc_id_);
  ASSERT_TRUE(user_group) << user_group.error().message;
  aws::CreateVpcEndpointRequest by_hand;
  by_hand.vpc_id = vpc_id_;
  by_hand.service_name = find_catalog_service("US1", "api")->service_name;
  by_hand.subnet_ids = subnet_ids_;
  by_hand.security_group_ids = {*user_group};
  auto untagged = ec2_->create_vpc_endpoint(by_hand);
  ASSERT_TRUE(untagged) << untagged.error().message;

  auto state = read_destroy_state(wanted, *clients_);
  ASSERT_TRUE(state) << state.error().message;
  const DestroyPlan first = make_destroy_plan(wanted, *state);
  EXPECT_THAT(first.placements[0].endpoints, SizeIs(2)) << format_destroy_plan_text(first);
  EXPECT_THAT(first.placements[0].groups, SizeIs(1)) << format_destroy_plan_text(first);
  EXPECT_THAT(first.problems, IsEmpty()) << format_destroy_plan_text(first);
  std::vector<std::string> progress;
  const DestroyReport destroyed = run_destroy(wanted, first, *clients_, quick_destroy_options(progress));
  ASSERT_TRUE(destroyed.ok()) << destroyed.failure->message;
  ASSERT_THAT(destroyed.done, SizeIs(3));
  EXPECT_THAT(destroyed.done[2], HasSubstr("delete security group privatelink-sidecar-datadog"));

  auto endpoints = ec2_->describe_vpc_endpoints({}, {{"vpc-id", {vpc_id_}}});
  ASSERT_TRUE(endpoints) << endpoints.error().message;
  std::vector<std::string> live;
  for (const auto& endpoint : *endpoints) {
    if (!is_dead_endpoint_state(endpoint.state)) live.push_back(endpoint.id);
  }
  EXPECT_THAT(live, ElementsAre(untagged->id));
  auto groups = ec2_->describe_security_groups({*user_group});
  ASSERT_TRUE(groups) << groups.error().message;
  EXPECT_THAT(*groups, SizeIs(1));

  auto after = read_state(wanted, *clients_);
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_FALSE(after->placements[0].security_group.has_value());
  EXPECT_FALSE(verify(wanted, *after).ok());

  auto again = read_destroy_state(wanted, *clients_);
  ASSERT_TRUE(again) << again.error().message;
  const DestroyPlan second = make_destroy_plan(wanted, *again);
  EXPECT_TRUE(second.empty()) << format_destroy_plan_text(second);

  // Every action provision made (plan/apply/destroy, plus the test's own
  // CreateSecurityGroup/CreateVpcEndpoint/Describe*) is in the policy.
  expect_calls_in_policy();
}

// Peering from us-east-1 to an Agent VPC in eu-west-1, with two lost
// answers on the way: the peering is created but its answer is lost (EC2 has
// no ClientToken for peerings: it must be found, not made twice), and the
// zone's tagging fails (Route 53 cannot tag at creation, so the next plan
// must recognise the zone by its comment).
TEST_F(ProvisionFakeTest, PeeringResumesAfterLostAnswers) {
  enable_dns();
  auto eu_endpoint = aws::resolve_endpoint(aws::Service::ec2, "eu-west-1", [this](const std::string& name) {
    return name == "AWS_ENDPOINT_URL" ? std::optional<std::string>(fake_->url()) : std::nullopt;
  });
  ASSERT_TRUE(eu_endpoint);
  const aws::Ec2Client eu(*client_, *eu_endpoint);
  auto agents = eu.create_vpc("10.2.0.0/16");
  ASSERT_TRUE(agents) << agents.error().message;
  for (auto attribute : {aws::VpcAttribute::enable_dns_support, aws::VpcAttribute::enable_dns_hostnames}) {
    ASSERT_TRUE(eu.modify_vpc_attribute(agents->id, attribute, true));
  }
  auto raw = parse_provision_config(
      fmt::format("site: US1\nmode: peering\nservices: [metrics]\n"
                  "endpoint_vpc: {{region: us-east-1, vpc_id: {}, subnet_ids: [{}, {}]}}\n"
                  "agent_vpcs: [{{region: eu-west-1, vpc_id: {}}}]\n",
                  vpc_id_, subnet_ids_[0], subnet_ids_[1], agents->id),
      "provision.yaml");
  ASSERT_TRUE(raw) << raw.error().message;
  auto wanted = finalize_provision_config(*raw);
  ASSERT_TRUE(wanted) << wanted.error().message;

  auto cleared = aws::curl_fetcher()(aws::HttpRequest{"DELETE", fake_->url() + "/fake-api/calls", {}, {}});
  ASSERT_TRUE(cleared && cleared->status == 200);  // the policy check below covers provision's calls only
  configure_fake(R"({"failures": [
      {"action": "CreateVpcPeeringConnection", "when": "after", "code": "InternalError", "status": 500},
      {"action": "ChangeTagsForResource", "when": "before", "code": "InvalidInput", "status": 400}]})");
  // The peering's lost answer is not retried blindly (no ClientToken): apply
  // finds the peering it made and goes on, up to the zone's failed tagging.
  const ApplyReport lost_tags = apply_plan(*wanted, plan(*wanted), *clients_, quick_options());
  ASSERT_FALSE(lost_tags.ok());
  EXPECT_THAT(lost_tags.failure->message, HasSubstr("create private zone metrics.agent.datadoghq.com"));
  EXPECT_THAT(progress_, ::testing::Contains(HasSubstr("(found after: ")));
  EXPECT_THAT(lost_tags.done, ::testing::Contains(HasSubstr("create peering")));

  const Plan third = plan(*wanted);
  EXPECT_TRUE(third.ok()) << format_plan_text(third);
  const std::string text = format_plan_text(third);
  EXPECT_THAT(text, Not(HasSubstr("create peering"))) << text;
  EXPECT_THAT(text, Not(HasSubstr("create private zone"))) << text;
  EXPECT_THAT(text, HasSubstr("tag private zone metrics.agent.datadoghq.com")) << text;
  const ApplyReport finished = apply_plan(*wanted, third, *clients_, quick_options());
  ASSERT_TRUE(finished.ok()) << finished.failure->message;

  auto state = read_state(*wanted, *clients_);
  ASSERT_TRUE(state) << state.error().message;
  const Checklist checklist = verify(*wanted, *state);
  EXPECT_TRUE(checklist.ok()) << format_checklist_text(checklist);
  EXPECT_THAT(state->peerings, SizeIs(1));  // never two
  EXPECT_THAT(plan(*wanted).actions, IsEmpty());

  // destroy finds everything again, the zone by its tags now, and the Agent
  // side's route even with that VPC gone from the config (it would be left
  // as a black hole otherwise).
  auto shrunk_raw = parse_provision_config(
      fmt::format("site: US1\nmode: peering\nservices: [metrics]\n"
                  "endpoint_vpc: {{region: us-east-1, vpc_id: {}, subnet_ids: [{}, {}]}}\n"
                  "agent_vpcs: [{{region: us-east-1, vpc_id: {}}}]\n",
                  vpc_id_, subnet_ids_[0], subnet_ids_[1], vpc_id_),
      "provision.yaml");
  ASSERT_TRUE(shrunk_raw) << shrunk_raw.error().message;
  auto shrunk = finalize_provision_config(*shrunk_raw);
  ASSERT_TRUE(shrunk) << shrunk.error().message;
  auto destroy_state = read_destroy_state(*shrunk, *clients_);
  ASSERT_TRUE(destroy_state) << destroy_state.error().message;
  const DestroyPlan teardown = make_destroy_plan(*shrunk, *destroy_state);
  EXPECT_THAT(teardown.zones, SizeIs(1)) << format_destroy_plan_text(teardown);
  EXPECT_THAT(teardown.peerings, SizeIs(1)) << format_destroy_plan_text(teardown);
  ASSERT_THAT(teardown.routes, SizeIs(2)) << format_destroy_plan_text(teardown);
  EXPECT_TRUE(std::any_of(teardown.routes.begin(), teardown.routes.end(),
                          [](const RouteRemoval& route) { return route.target.region == "eu-west-1"; }));
  std::vector<std::string> progress;
  const DestroyReport destroyed = run_destroy(*shrunk, teardown, *clients_, quick_destroy_options(progress));
  ASSERT_TRUE(destroyed.ok()) << destroyed.failure->message;
  auto eu_tables = eu.describe_route_tables({}, {{"vpc-id", {agents->id}}});
  ASSERT_TRUE(eu_tables) << eu_tables.error().message;
  for (const auto& table : *eu_tables) {
    for (const auto& route : table.routes) EXPECT_EQ(route.vpc_peering_connection_id, "") << route.destination_cidr_block;
  }
  auto after = read_state(*wanted, *clients_);
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_FALSE(verify(*wanted, *after).ok());
  EXPECT_TRUE(after->peerings.empty());
  EXPECT_TRUE(after->zones["metrics.agent.datadoghq.com"].empty());
  expect_calls_in_policy();
}

// The command the CLI will call: plan (exit 0, creates listed), apply --yes,
// verify --output json, and apply without --yes off a terminal.
TEST_F(ProvisionFakeTest, CommandPlanApplyVerify) {
  enable_dns();
  const auto path = std::filesystem::temp_directory_path() / fmt::format("provision-{}.yaml", getpid());
  std::ofstream(path) << fmt::format(
      "site: US1\nservices: [metrics]\n"
      "endpoint_vpc: {{region: us-east-1, vpc_id: {}, subnet_ids: [{}, {}]}}\n"
      "agent_vpcs: [{{region: us-east-1, vpc_id: {}}}]\n",
      vpc_id_, subnet_ids_[0], subnet_ids_[1], vpc_id_);
  const std::string url = fake_->url();
  auto environment = [url](const std::string& name) -> std::optional<std::string> {
    if (name == "AWS_ENDPOINT_URL") return url;
    if (name == "AWS_ACCESS_KEY_ID" || name == "AWS_SECRET_ACCESS_KEY") return std::string("test");
    return std::nullopt;
  };
  auto run = [&](const std::string& action, bool yes, bool json, std::string& out) {
    std::istringstream in;
    std::ostringstream stdout_text, stderr_text;
    ProvisionCommandOptions options;
    options.action = action;
    options.config_path = path.string();
    options.yes = yes;
    options.json = json;
    options.poll_seconds = 0.05;
    const int code = run_provision_command(options, environment, in, stdout_text, stderr_text);
    out = stdout_text.str() + stderr_text.str();
    return code;
  };
  std::string out;
  EXPECT_EQ(run("plan", false, false, out), 0) << out;
  EXPECT_THAT(out, HasSubstr("3 to create, 0 to keep, 0 problem(s)"));
  EXPECT_EQ(run("apply", false, false, out), 4) << out;  // stdin is no terminal here
  EXPECT_THAT(out, HasSubstr("run with --yes"));
  EXPECT_EQ(run("apply", true, false, out), 0) << out;
  EXPECT_THAT(out, HasSubstr("apply: 3 change(s) made; 1 endpoint(s) available"));
  EXPECT_EQ(run("verify", false, true, out), 0) << out;
  EXPECT_THAT(out, HasSubstr("\"ok\": true"));
  EXPECT_EQ(run("destroy", false, false, out), 4) << out;  // off a terminal without --yes
  EXPECT_THAT(out, HasSubstr("destroy: not a terminal; run with --yes"));
  EXPECT_EQ(run("destroy", true, false, out), 0) << out;
  EXPECT_THAT(out, HasSubstr("destroy: 2 resource(s) deleted"));
  EXPECT_EQ(run("destroy", true, false, out), 0) << out;
  EXPECT_THAT(out, HasSubstr("destroy: nothing to do"));
  EXPECT_EQ(run("iam-policy", false, false, out), 0) << out;
  EXPECT_THAT(out, HasSubstr("ec2:DeleteVpcEndpoints"));
  EXPECT_EQ(run("teardown", false, false, out), 2) << out;
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace provision
