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

struct RawConfig {
  std::string file;
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
};

struct Config {
  std::string file;
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
