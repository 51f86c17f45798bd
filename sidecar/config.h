#pragma once
// The sidecar's configuration file (docs/configuration.md). Read in two steps:
// parse_raw_config() turns YAML into RawConfig (types checked, unknown keys
// rejected, every value keeps its location), then finalize_config() applies
// environment overrides and defaults and validates meaning (CIDRs, hosts,
// ranges) into Config, which is what the rest of the program uses.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "checks/cidr.h"
#include "checks/expected.h"
#include "yaml_reader.h"

namespace sidecar {

// A value that must never be logged, printed or served (the API key).
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

 private:
  std::string value_;
};

// ---------------------------------------------------------------- raw form
struct RawHttps {
  Location where;
  std::optional<Located<std::string>> path;
  std::optional<Located<std::string>> api_key_env;
  std::optional<Located<std::string>> api_key_file;
  std::optional<Located<std::vector<std::string>>> accepted_status;
};

struct RawIntake {
  Location where;
  std::optional<Located<std::string>> name;
  std::optional<Located<std::string>> host;
  std::optional<Located<std::uint16_t>> port;
  std::optional<RawHttps> https;
};

struct RawAgent {
  std::optional<Located<std::string>> config;
  std::optional<Located<std::string>> environment_file;
  std::optional<Located<std::string>> version_manifest;
  std::optional<Located<std::vector<std::string>>> version_command;
  std::optional<Located<std::vector<std::string>>> units;
  std::optional<Located<std::vector<std::string>>> pid_files;
  std::optional<Located<std::vector<std::string>>> process_names;
};

struct RawRestart {
  std::optional<Located<bool>> enabled;
  std::optional<Located<std::vector<std::string>>> command;
  std::optional<Located<std::vector<std::string>>> verify_command;
  std::optional<Located<std::vector<std::string>>> upgrade_check_command;
  std::optional<Located<std::chrono::milliseconds>> command_timeout;
  std::optional<Located<std::int64_t>> stable_checks;
  std::optional<Located<std::chrono::milliseconds>> cooldown;
  std::optional<Located<std::int64_t>> max_per_hour;
  std::optional<Located<std::chrono::milliseconds>> jitter;
  std::optional<Located<bool>> dry_run;
};

struct RawConfig {
  std::string file;
  // Daemon keys (`run`); `check` ignores them.
  std::optional<Located<std::chrono::milliseconds>> interval;
  std::optional<Located<std::chrono::milliseconds>> confirm_interval;
  std::optional<Located<std::int64_t>> healthy_threshold;
  std::optional<Located<std::int64_t>> unhealthy_threshold;
  std::optional<Located<std::string>> status_listen;
  std::optional<Located<std::string>> state_dir;
  RawAgent agent;
  RawRestart restart;
  std::optional<Located<std::string>> site;
  std::optional<Located<std::string>> log_level;
  std::optional<Located<std::chrono::milliseconds>> timeout;
  std::optional<Located<std::vector<std::string>>> dns_servers;
  std::optional<Located<std::string>> resolv_conf;
  std::optional<Located<std::vector<std::string>>> private_cidrs;
  std::optional<Located<std::vector<std::string>>> expected_cidrs;
  std::optional<Located<bool>> probe_public_addresses;
  std::optional<Located<std::string>> ca_file;
  std::optional<Located<std::vector<RawIntake>>> intakes;
};

Expected<RawConfig> parse_raw_config(const std::string& text, const std::string& file);
// Reads and parses a file. A missing file is an error naming it.
Expected<RawConfig> load_raw_config(const std::string& path);

// ---------------------------------------------------------- finalized form
struct HttpsCheckConfig {
  std::string path;
  std::optional<std::string> api_key_source;  // "env:DD_API_KEY" or "file:/path": safe to print
  Secret api_key;
  std::vector<long> accepted_status;
};

struct IntakeConfig {
  std::string name;
  std::string host;
  std::uint16_t port = 443;
  std::optional<HttpsCheckConfig> https;
  std::string origin;  // "file:12" or "site datadoghq.com"
  bool optional = false;  // the Agent may legitimately not use it (a feature on by default only)
};

// Where the Agent's own configuration and processes are.
struct AgentSettings {
  std::string config = "/etc/datadog-agent/datadog.yaml";
  bool config_explicit = false;  // set in the file: a missing datadog.yaml is then an error
  std::string environment_file = "/etc/datadog-agent/environment";
  std::string version_manifest = "/opt/datadog-agent/version-manifest.txt";
  std::vector<std::string> version_command = {"/opt/datadog-agent/bin/agent/agent", "version"};
  std::vector<std::string> units = {"datadog-agent*.service"};
  std::vector<std::string> pid_files;
  std::vector<std::string> process_names;
};

struct RestartSettings {
  bool enabled = true;
  std::vector<std::string> command = {"systemctl", "restart", "datadog-agent.service"};
  std::vector<std::string> verify_command = {"systemctl", "is-active", "datadog-agent.service"};
  // Exit 0 means an Agent upgrade is in progress (the -exp twin unit runs): do not restart.
  std::vector<std::string> upgrade_check_command = {"systemctl", "is-active", "--quiet", "datadog-agent-exp.service"};
  std::chrono::milliseconds command_timeout{std::chrono::seconds(60)};
  int stable_checks = 3;
  std::chrono::milliseconds cooldown{std::chrono::minutes(10)};
  int max_per_hour = 3;
  std::chrono::milliseconds jitter{std::chrono::minutes(5)};
  bool dry_run = false;
};

struct Config {
  std::string file;
  std::chrono::milliseconds interval{std::chrono::seconds(30)};
  std::chrono::milliseconds confirm_interval{std::chrono::seconds(10)};  // > the default timeout
  int healthy_threshold = 2;
  int unhealthy_threshold = 2;
  std::string status_listen = "127.0.0.1:9719";
  std::string state_dir = "/var/lib/privatelink-sidecar";
  AgentSettings agent;
  RestartSettings restart;
  bool intakes_explicit = false;  // `intakes:` given: no discovery from the Agent's config
  std::string site;
  bool site_offers_privatelink = true;
  std::string log_level;
  std::chrono::milliseconds timeout{};
  std::vector<std::string> dns_servers;  // empty: follow resolv_conf
  std::string resolv_conf;
  std::vector<checks::Cidr> private_cidrs;
  std::vector<checks::Cidr> expected_cidrs;
  bool probe_public_addresses = false;
  std::optional<std::string> ca_file;
  std::vector<IntakeConfig> intakes;
  // Where each top-level value came from: "default", "file:LINE", "env:NAME".
  std::map<std::string, std::string> origins;
};

using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvironmentLookup process_environment();

// The environment variables that override file values (documented in docs/configuration.md).
inline constexpr const char* env_prefix = "PRIVATELINK_SIDECAR_";

Expected<Config> finalize_config(const RawConfig& raw, const EnvironmentLookup& environment);

}  // namespace sidecar
