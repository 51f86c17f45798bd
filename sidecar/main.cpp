// privatelink-sidecar: checks that Datadog Agent traffic really goes over AWS
// PrivateLink. Subcommands are thin: the work is in sidecar_core and checks.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>

#include "commands.h"
#include "daemon.h"
#include "provision/provision_command.h"
#include "report.h"
#include "version.h"

namespace {

using sidecar::OutputFormat;

void add_output_option(CLI::App& command, OutputFormat& format) {
  command.add_option_function<std::string>(
             "-o,--output",
             [&format](const std::string& name) { format = name == "json" ? OutputFormat::json : OutputFormat::table; },
             "Output format: table (default) or json")
      ->check(CLI::IsMember({"table", "json"}));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"privatelink-sidecar: verify that Datadog Agent traffic goes over AWS PrivateLink"};
  app.set_version_flag("-V,--version", fmt::format("privatelink-sidecar {} ({})", sidecar::version, sidecar::git_revision));
  app.require_subcommand(1);

  sidecar::CommonOptions common;
  app.add_option("-c,--config", common.config_path, "Configuration file")
      ->capture_default_str()
      ->each([&common](const std::string&) { common.config_given = true; });

  OutputFormat check_format = OutputFormat::table;
  auto* check = app.add_subcommand(
      "check", "Probe every intake once: DNS (private?), TCP and TLS to every address. Exit 0 ok, 1 degraded, "
               "2 failing, 3 error");
  add_output_option(*check, check_format);

  OutputFormat config_format = OutputFormat::table;
  auto* check_config = app.add_subcommand(
      "check-config", "Validate the configuration and print the finalized values with their origin");
  add_output_option(*check_config, config_format);

  OutputFormat intakes_format = OutputFormat::table;
  auto* intakes = app.add_subcommand("intakes", "List the intakes that would be probed and where each comes from");
  add_output_option(*intakes, intakes_format);

  auto* run = app.add_subcommand(
      "run", "Run the daemon: probe continuously, restart the Agent after DNS changes (guarded), serve /metrics, "
             "/status, / and /healthz");

  OutputFormat status_format = OutputFormat::table;
  std::string status_url;
  auto* status = app.add_subcommand("status", "Ask the running daemon and print the same table as check");
  add_output_option(*status, status_format);
  status->add_option("--url", status_url, "Daemon status endpoint (default: from status.listen in the config)");

  provision::ProvisionCommandOptions provision_options;
  std::string provision_output = "table";
  auto* provision_command = app.add_subcommand(
      "provision", "Plan, apply, verify and tear down the AWS side (same-region, cross-region or peering): endpoints, "
      "security groups, peering, routes, private zones");
  provision_command->require_subcommand(1);
  for (const char* action : {"plan", "apply", "verify", "destroy"}) {
    const std::string name(action);
    auto* step = provision_command->add_subcommand(
        action, name == "plan"    ? "Read AWS and print what apply would create, keep or refuse. Changes nothing"
                : name == "apply" ? "Create what the plan lists (idempotent, resumable; asks unless --yes)"
                : name == "destroy"
                    ? "Delete what provision created (found by its tags), endpoints first; asks unless --yes"
                    : "Check every piece and print a checklist; non-zero exit when anything is wrong");
    step->callback([&provision_options, action] { provision_options.action = action; });
    step->add_option("-f,--file", provision_options.config_path, "Provision file")->capture_default_str();
    step->add_option("--profile", provision_options.profile,
                     "AWS profile of the endpoint VPC's account (default: environment, then [default], then the "
                     "instance role); Agent VPCs of other accounts use agent_vpcs[].profile");
    step->add_option("--region", provision_options.region,
                     "Region of Agent VPCs that name none (default: AWS_REGION, AWS_DEFAULT_REGION, the profile, "
                     "the instance's)");
    step->add_option("--endpoint-url", provision_options.endpoint_url,
                     "Send every AWS call to this URL (a local emulator); overrides AWS_ENDPOINT_URL*");
    step->add_option("-o,--output", provision_output, "Output format: table (default) or json")
        ->check(CLI::IsMember({"table", "json"}));
    if (name == "apply" || name == "destroy") {
      step->add_flag("-y,--yes", provision_options.yes, "Do not ask for confirmation");
      step->add_option("--poll-interval", provision_options.poll_seconds,
                       "Seconds between AWS polls while waiting (endpoints, peerings, deletions)")
          ->check(CLI::Range(0.05, 300.0))
          ->capture_default_str();
    }
  }

  auto* iam_policy = provision_command->add_subcommand(
      "iam-policy", "Print the least-privilege IAM policy for plan/apply/verify/destroy (no AWS call)");
  iam_policy->callback([&provision_options] { provision_options.action = "iam-policy"; });
  iam_policy->add_flag("--agent-account", provision_options.agent_account,
                       "The policy for the Agent VPCs' account (agent_vpcs[].profile) instead of the endpoint VPC's");

  app.add_option("--log-level", common.log_level, "Log level (overrides log_level in the config)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

  app.add_subcommand("version", "Print the version")->callback([] {
    fmt::print("privatelink-sidecar {} ({})\n", sidecar::version, sidecar::git_revision);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : static_cast<int>(sidecar::ExitCode::error);
  }
  if (check->parsed()) return sidecar::run_check_command(common, check_format);
  if (check_config->parsed()) return sidecar::run_check_config_command(common, config_format);
  if (intakes->parsed()) return sidecar::run_intakes_command(common, intakes_format);
  if (run->parsed()) return sidecar::run_daemon(common);
  if (status->parsed()) return sidecar::run_status_command(common, status_format, status_url);
  if (provision_command->parsed()) {
    provision_options.json = provision_output == "json";
    return provision::run_provision_command(provision_options, aws::process_environment(), std::cin, std::cout, std::cerr);
  }
  return 0;
}
