#include "provision/provision_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <iostream>

#include "aws/curl_transport.h"
#include "aws/ec2.h"
#include "provision/destroy.h"
#include "provision/executor.h"
#include "provision/iam_policy.h"
#include "provision/report.h"
#include "provision/state_reader.h"

namespace provision {
namespace {

constexpr int exit_ok = 0;
constexpr int exit_not_ok = 1;
constexpr int exit_usage = 2;
constexpr int exit_aws = 3;
constexpr int exit_declined = 4;

struct Session {
  ProvisionConfig config;
  std::unique_ptr<aws::AwsClient> client;
  std::unique_ptr<aws::Ec2Client> ec2;
};

// Nothing here prints credentials: resolver errors name only where it looked.
Expected<Session> open_session(const ProvisionCommandOptions& options, const aws::EnvironmentLookup& environment) {
  auto config = load_provision_config(options.config_path);
  if (!config) return config.error();
  aws::CredentialOptions credential_options;
  credential_options.profile = options.profile;
  auto credentials = aws::resolve_credentials(environment, credential_options);
  if (!credentials) return credentials.error().with_prefix("AWS credentials: ");
  auto endpoint = aws::resolve_endpoint(aws::Service::ec2, config->endpoint_vpc.region, environment);
  if (!endpoint) return endpoint.error();
  Session session{std::move(*config), nullptr, nullptr};
  session.client = std::make_unique<aws::AwsClient>(aws::curl_fetcher(), std::move(*credentials));
  session.ec2 = std::make_unique<aws::Ec2Client>(*session.client, *endpoint);
  return session;
}

int fail(std::ostream& err, const Error& error, int code) {
  err << "provision: " << error.message << "\n";
  return code;
}

// Asks on a terminal; elsewhere (CI, pipes) --yes is required, so that a
// script never creates resources by accident.
bool confirmed(const ProvisionCommandOptions& options, std::size_t changes, std::istream& in, std::ostream& out) {
  if (options.yes) return true;
  if (isatty(STDIN_FILENO) == 0) {
    out << options.action << ": not a terminal; run with --yes to make these changes\n";
    return false;
  }
  out << fmt::format("Make these {} change(s)? [y/N] ", changes) << std::flush;
  std::string answer;
  std::getline(in, answer);
  return answer == "y" || answer == "yes";
}

int run_apply(const ProvisionCommandOptions& options, const Session& session, const Plan& plan, std::istream& in,
              std::ostream& out, std::ostream& err) {
  if (!plan.ok()) return exit_not_ok;
  if (!plan.actions.empty() && !confirmed(options, plan.actions.size(), in, out)) return exit_declined;
  ApplyOptions apply_options;
  // Progress goes to stderr so that --output json keeps stdout parseable.
  apply_options.progress = [&err](const std::string& line) { err << line << "\n"; };
  auto applied = apply_plan(session.config, plan, *session.ec2, apply_options);
  if (!applied) return fail(err, applied.error(), exit_aws);
  out << fmt::format("apply: {} change(s) made; {} endpoint(s) available\n", applied->done.size(),
                     applied->endpoint_ids.size());
  return exit_ok;
}

// Only what carries our tags and the site's, in the endpoint VPC.
int run_destroy_action(const ProvisionCommandOptions& options, const Session& session, std::istream& in,
                       std::ostream& out, std::ostream& err) {
  auto state = read_destroy_state(session.config, *session.ec2);
  if (!state) return fail(err, state.error(), exit_aws);
  const DestroyPlan plan = make_destroy_plan(session.config, *state);
  out << format_destroy_plan_text(plan);
  if (plan.empty()) {
    out << fmt::format("destroy: nothing to do (nothing tagged {}=true for {} in {})\n", managed_tag,
                       session.config.site_domain, session.config.endpoint_vpc.vpc_id);
    return plan.problems.empty() ? exit_ok : exit_not_ok;
  }
  if (!confirmed(options, plan.endpoints.size() + plan.groups.size(), in, out)) return exit_declined;
  DestroyOptions destroy_options;
  destroy_options.progress = [&err](const std::string& line) { err << line << "\n"; };
  auto destroyed = run_destroy(session.config, plan, *session.ec2, destroy_options);
  if (!destroyed) return fail(err, destroyed.error(), exit_aws);
  out << fmt::format("destroy: {} resource(s) deleted\n", destroyed->done.size());
  return plan.problems.empty() ? exit_ok : exit_not_ok;
}

}  // namespace

int run_provision_command(const ProvisionCommandOptions& options, const aws::EnvironmentLookup& environment,
                          std::istream& in, std::ostream& out, std::ostream& err) {
  if (options.action == "iam-policy") {  // no file, no credentials, no AWS call
    out << same_region_iam_policy_json();
    return exit_ok;
  }
  if (options.action != "plan" && options.action != "apply" && options.action != "verify" &&
      options.action != "destroy") {
    err << "provision: unknown action '" << options.action << "' (plan, apply, verify, destroy or iam-policy)\n";
    return exit_usage;
  }
  auto session = open_session(options, environment);
  if (!session) return fail(err, session.error(), session.error().code == checks::ErrorCode::config ? exit_usage : exit_aws);
  if (options.action == "destroy") return run_destroy_action(options, *session, in, out, err);
  auto state = read_state(session->config, *session->ec2);
  if (!state) return fail(err, state.error(), exit_aws);
  if (options.action == "verify") {
    const Checklist checklist = verify_same_region(session->config, *state);
    out << (options.json ? format_checklist_json(checklist) : format_checklist_text(checklist));
    return checklist.ok() ? exit_ok : exit_not_ok;
  }
  const Plan plan = make_plan(session->config, *state);
  out << (options.json ? format_plan_json(plan) : format_plan_text(plan));
  if (options.action == "plan") return plan.ok() ? exit_ok : exit_not_ok;
  return run_apply(options, *session, plan, in, out, err);
}

}  // namespace provision
