#include "provision/provision_command.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>

#include "aws/curl_transport.h"
#include "provision/aws_clients.h"
#include "provision/destroy.h"
#include "provision/executor.h"
#include "provision/iam_policy.h"
#include "provision/report.h"
#include "provision/state_reader.h"
#include "provision/verify.h"

namespace provision {
namespace {

constexpr int exit_ok = 0;
constexpr int exit_not_ok = 1;
constexpr int exit_usage = 2;
constexpr int exit_aws = 3;
constexpr int exit_declined = 4;

struct Session {
  ProvisionConfig config;
  std::unique_ptr<AwsClients> clients;
};

// Credentials are resolved on first use per profile; errors name only where
// they were looked for, never their values.
Expected<Session> open_session(const ProvisionCommandOptions& options, const aws::EnvironmentLookup& environment) {
  // IMDS answers on the link-local address within milliseconds on EC2; off
  // EC2 a short limit keeps the "no credentials" error quick.
  aws::CurlTransportOptions metadata_transport;
  metadata_transport.connect_timeout = std::chrono::milliseconds(1000);
  metadata_transport.total_timeout = std::chrono::milliseconds(2000);
  const aws::HttpFetcher instance_metadata = aws::curl_fetcher(metadata_transport);
  // Asked once, and only if an Agent VPC names no region (IMDS may take a second).
  std::optional<Expected<aws::Region>> resolved;
  auto local_region = [&]() -> Expected<aws::Region> {
    if (!resolved) resolved = aws::resolve_region(environment, options.region, options.profile, instance_metadata);
    return *resolved;
  };
  auto config = load_provision_config(options.config_path, local_region);
  if (!config) return config.error();
  Session session{std::move(*config), nullptr};
  session.clients = std::make_unique<AwsClients>(aws::curl_fetcher(), environment, options.profile,
                                                 aws::AwsClientOptions{}, instance_metadata);
  return session;
}

// --endpoint-url wins over the AWS_ENDPOINT_URL* variables, as in the SDKs.
aws::EnvironmentLookup with_endpoint_flag(const aws::EnvironmentLookup& environment,
                                          const std::optional<std::string>& endpoint_url) {
  if (!endpoint_url) return environment;
  return [environment, url = *endpoint_url](const std::string& name) -> std::optional<std::string> {
    if (name == "AWS_ENDPOINT_URL") return url;
    if (name.starts_with("AWS_ENDPOINT_URL_")) return std::nullopt;
    return environment(name);
  };
}

int fail(std::ostream& err, const Error& error, int code) {
  err << "provision: " << error.message << "\n";
  return code;
}

// Where people-facing lines go: stdout, or stderr when stdout carries JSON.
std::ostream& people(const ProvisionCommandOptions& options, std::ostream& out, std::ostream& err) {
  return options.json ? err : out;
}

// Asks on a terminal; elsewhere (CI, pipes) --yes is required, so that a
// script never creates resources by accident.
bool confirmed(const ProvisionCommandOptions& options, std::size_t changes, std::istream& in, std::ostream& to) {
  if (options.yes) return true;
  if (isatty(STDIN_FILENO) == 0) {
    to << options.action << ": not a terminal; run with --yes to make these changes\n";
    return false;
  }
  to << fmt::format("Make these {} change(s)? [y/N] ", changes) << std::flush;
  std::string answer;
  std::getline(in, answer);
  return answer == "y" || answer == "yes";
}

std::chrono::milliseconds poll_interval(const ProvisionCommandOptions& options) {
  return std::chrono::milliseconds(static_cast<long>(options.poll_seconds * 1000.0));
}

// What apply or destroy did: the closing line, or the "result" of the JSON.
struct RunOutcome {
  int exit_code = exit_ok;
  std::vector<std::string> done;
  std::vector<std::string> endpoint_ids;
  std::optional<Error> failure;
  bool declined = false;
  bool interrupted = false;
};

// While apply or destroy changes AWS, SIGINT (Ctrl-C) and SIGTERM stop the
// run at the next step or poll instead of killing it mid-way, so that it
// can say what it did and how to resume. A second signal kills at once
// (SA_RESETHAND puts the default action back after the first). A signal
// the caller ignores (`provision apply &` in a script ignores SIGINT) stays
// ignored. SA_RESTART: nothing relies on a call failing with EINTR, the run
// polls the flag.
class InterruptGuard {
 public:
  InterruptGuard() {
    received_ = 0;
    install(SIGINT, previous_int_);
    install(SIGTERM, previous_term_);
  }
  ~InterruptGuard() {
    sigaction(SIGINT, &previous_int_, nullptr);
    sigaction(SIGTERM, &previous_term_, nullptr);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  static bool received() { return received_ != 0; }
  // As shells report a process killed by it: 130 for SIGINT, 143 for SIGTERM.
  static int exit_code() { return 128 + received_; }

 private:
  static void on_signal(int number) { received_ = number; }
  static void install(int number, struct sigaction& previous) {
    sigaction(number, nullptr, &previous);
    if (previous.sa_handler == SIG_IGN) return;
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    // SA_RESETHAND is 0x80000000 in glibc: a sign-converting constant.
    action.sa_flags = static_cast<int>(SA_RESETHAND) | SA_RESTART;
    sigaction(number, &action, nullptr);
  }

  static inline volatile std::sig_atomic_t received_ = 0;
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

// How apply and destroy wait and report progress. Progress goes to stderr so
// that --output json keeps stdout parseable; an InterruptGuard must be alive
// while they run.
WaitOptions run_options(const ProvisionCommandOptions& options, std::ostream& err) {
  WaitOptions wait;
  wait.poll_interval = poll_interval(options);
  wait.progress = [&err](const std::string& line) { err << line << "\n"; };
  wait.interrupted = &InterruptGuard::received;
  return wait;
}

// An interruption is the run's own stop (a step not started), never an AWS
// failure that happened while the signal came in.
void finish(RunOutcome& outcome) {
  if (!outcome.failure) return;
  outcome.interrupted = outcome.failure->code == checks::ErrorCode::interrupted;
  outcome.exit_code = outcome.interrupted ? InterruptGuard::exit_code() : exit_aws;
}

// On a failure: what was done so far, what failed, and how to go on.
void print_failure(const RunOutcome& outcome, const char* verb, std::ostream& err) {
  err << fmt::format("{}: {} change(s) made before the {}:\n", verb, outcome.done.size(),
                     outcome.interrupted ? "interruption" : "failure");
  for (const auto& line : outcome.done) err << "  done  " << line << "\n";
  err << fmt::format("{}: run `provision {}` again to resume; `provision plan` shows what is left\n", verb, verb);
  err << "provision: " << outcome.failure->message << "\n";
}

// -o json for apply and destroy: one document on stdout, the plan and then
// what happened to it.
void print_json_result(const std::string& plan_json, const RunOutcome& outcome, std::ostream& out) {
  nlohmann::json result = {{"ok", outcome.exit_code == exit_ok},
                           {"declined", outcome.declined},
                           {"interrupted", outcome.interrupted},
                           {"done", outcome.done},
                           {"endpoint_ids", outcome.endpoint_ids},
                           {"error", nullptr}};
  if (outcome.failure) result["error"] = outcome.failure->message;
  const nlohmann::json document = {{"plan", nlohmann::json::parse(plan_json)}, {"result", std::move(result)}};
  out << document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

RunOutcome apply_confirmed_plan(const ProvisionCommandOptions& options, Session& session, const Plan& plan,
                                std::istream& in, std::ostream& out, std::ostream& err) {
  RunOutcome outcome;
  if (!plan.ok()) {
    outcome.exit_code = exit_not_ok;
    outcome.failure = Error{checks::ErrorCode::config, fmt::format("the plan has {} problem(s)", plan.problems.size())};
    return outcome;
  }
  if (!plan.actions.empty() && !confirmed(options, plan.actions.size(), in, people(options, out, err))) {
    outcome.exit_code = exit_declined;
    outcome.declined = true;
    return outcome;
  }
  const InterruptGuard interrupt;
  ApplyReport applied = apply_plan(session.config, plan, *session.clients, run_options(options, err));
  outcome.done = std::move(applied.done);
  outcome.endpoint_ids = std::move(applied.endpoint_ids);
  outcome.failure = std::move(applied.failure);
  finish(outcome);
  return outcome;
}

int run_apply(const ProvisionCommandOptions& options, Session& session, const Plan& plan, std::istream& in,
              std::ostream& out, std::ostream& err) {
  const RunOutcome outcome = apply_confirmed_plan(options, session, plan, in, out, err);
  if (outcome.failure && outcome.exit_code != exit_not_ok) print_failure(outcome, "apply", err);
  if (options.json) {
    print_json_result(format_plan_json(plan), outcome, out);
  } else if (outcome.exit_code == exit_ok && plan.actions.empty()) {
    out << fmt::format("apply: nothing to change; {} endpoint(s) available\n", outcome.endpoint_ids.size());
  } else if (outcome.exit_code == exit_ok) {
    out << fmt::format("apply: {} change(s) made; {} endpoint(s) available\n", outcome.done.size(),
                       outcome.endpoint_ids.size());
  }
  return outcome.exit_code;
}

RunOutcome destroy_confirmed_plan(const ProvisionCommandOptions& options, Session& session, const DestroyPlan& plan,
                                  std::istream& in, std::ostream& out, std::ostream& err) {
  RunOutcome outcome;
  outcome.exit_code = plan.problems.empty() ? exit_ok : exit_not_ok;
  if (plan.empty()) return outcome;
  if (!confirmed(options, plan.size(), in, people(options, out, err))) {
    outcome.exit_code = exit_declined;
    outcome.declined = true;
    return outcome;
  }
  const InterruptGuard interrupt;
  DestroyReport destroyed = run_destroy(session.config, plan, *session.clients, run_options(options, err));
  outcome.done = std::move(destroyed.done);
  outcome.failure = std::move(destroyed.failure);
  finish(outcome);
  return outcome;
}

// Only what carries our tags and the site's.
int run_destroy_action(const ProvisionCommandOptions& options, Session& session, std::istream& in,
                       std::ostream& out, std::ostream& err) {
  auto state = read_destroy_state(session.config, *session.clients);
  if (!state) return fail(err, state.error(), exit_aws);
  const DestroyPlan plan = make_destroy_plan(session.config, *state);
  if (!options.json) out << format_destroy_plan_text(plan);
  const RunOutcome outcome = destroy_confirmed_plan(options, session, plan, in, out, err);
  if (outcome.failure) print_failure(outcome, "destroy", err);
  if (options.json) {
    print_json_result(format_destroy_plan_json(plan), outcome, out);
  } else if (plan.empty()) {
    out << fmt::format("destroy: nothing to do (nothing tagged {}=true for {})\n", managed_tag,
                       session.config.site_domain);
  } else if (!outcome.declined && !outcome.failure) {
    out << fmt::format("destroy: {} resource(s) deleted\n", outcome.done.size());
  }
  return outcome.exit_code;
}

}  // namespace

int run_provision_command(const ProvisionCommandOptions& options, const aws::EnvironmentLookup& environment,
                          std::istream& in, std::ostream& out, std::ostream& err) {
  if (options.action == "iam-policy") {  // no file, no credentials, no AWS call
    out << iam_policy_json(options.agent_account ? PolicyAccount::agent : PolicyAccount::endpoint);
    return exit_ok;
  }
  if (options.action != "plan" && options.action != "apply" && options.action != "verify" &&
      options.action != "destroy") {
    err << "provision: unknown action '" << options.action << "' (plan, apply, verify, destroy or iam-policy)\n";
    return exit_usage;
  }
  auto session = open_session(options, with_endpoint_flag(environment, options.endpoint_url));
  if (!session) return fail(err, session.error(), session.error().code == checks::ErrorCode::config ? exit_usage : exit_aws);
  if (options.action == "destroy") return run_destroy_action(options, *session, in, out, err);
  auto state = read_state(session->config, *session->clients);
  if (!state) return fail(err, state.error(), exit_aws);
  if (options.action == "verify") {
    const Checklist checklist = verify(session->config, *state);
    out << (options.json ? format_checklist_json(checklist) : format_checklist_text(checklist));
    return checklist.ok() ? exit_ok : exit_not_ok;
  }
  const Plan plan = make_plan(session->config, *state);
  if (options.action == "plan") {
    out << (options.json ? format_plan_json(plan) : format_plan_text(plan));
    return plan.ok() ? exit_ok : exit_not_ok;
  }
  if (!options.json) out << format_plan_text(plan);
  return run_apply(options, *session, plan, in, out, err);
}

}  // namespace provision
