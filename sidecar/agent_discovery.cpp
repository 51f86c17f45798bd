#include "agent_discovery.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <regex>
#include <sstream>

#include "site_table.h"
#include "yaml_reader.h"

// Sources for the rules below (DataDog/datadog-agent): pkg/config/utils/endpoints.go
// (GetMainEndpoint, BuildURLWithPrefix, AddAgentVersionToDomain), pkg/config/setup/
// config.go and process.go (keys, defaults, environment bindings), comp/logs/agent/
// config/config.go (logs transport choice), pkg/util/http/transport.go (no_proxy).
//
// Which intakes a feature contributes:
//  - a feature that is off contributes nothing: the Agent opens no connection,
//    so probing it would only produce noise (the `features` map still says "off");
//  - `optional` marks an intake of a feature that is on, but whose connection
//    depends on the workload: APM and orchestrator when on only by default
//    (traces only flow when apps send them; the orchestrator check only runs
//    in Kubernetes), process when only container collection / process
//    discovery are on, profiling, and the on-demand flare host.

namespace sidecar {
namespace {

using checks::ErrorCode;
using checks::unexpected;
using Names = std::initializer_list<std::string_view>;

#define DISCOVERY_TRY(expression)                \
  do {                                           \
    if (auto status_ = (expression); !status_) { \
      return status_.error();                    \
    }                                            \
  } while (false)

template <typename T>
struct Valued {
  T value;
  std::string origin;  // "env DD_SITE", "environment:3 DD_SITE", "datadog.yaml:12 site"
  bool from_yaml = false;
};

// ------------------------------------------------------------------ text helpers
std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::string lower(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char letter) { return static_cast<char>(std::tolower(letter)); });
  return result;
}

std::string without_trailing_dot(std::string host) {
  while (!host.empty() && host.back() == '.') host.pop_back();
  return host;
}

std::string base_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// The Agent's booleans: Go's strconv.ParseBool plus YAML 1.1 yes/no/on/off.
std::optional<bool> parse_bool(std::string_view text) {
  static constexpr std::string_view truths[] = {"1", "t", "true", "yes", "y", "on"};
  static constexpr std::string_view falsehoods[] = {"0", "f", "false", "no", "n", "off"};
  const std::string value = lower(trim(text));
  if (std::find(std::begin(truths), std::end(truths), value) != std::end(truths)) return true;
  if (std::find(std::begin(falsehoods), std::end(falsehoods), value) != std::end(falsehoods)) return false;
  return std::nullopt;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  text = trim(text);
  std::int64_t value = 0;
  const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (status != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::vector<std::string> split(std::string_view text, std::string_view separators) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find_first_of(separators, start);
    if (end == std::string_view::npos) end = text.size();
    if (auto part = trim(text.substr(start, end - start)); !part.empty()) parts.emplace_back(part);
    start = end + 1;
  }
  return parts;
}

// ------------------------------------------------------------------ files
Expected<std::optional<std::string>> read_optional_file(const std::string& path) {
  std::error_code failure;
  const auto status = std::filesystem::status(path, failure);
  if (!std::filesystem::exists(status)) return std::optional<std::string>{};
  if (!std::filesystem::is_regular_file(status)) {
    return unexpected(ErrorCode::io, fmt::format("{}: not a regular file", path));
  }
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  if (!file || file.bad()) return unexpected(ErrorCode::io, fmt::format("{}: cannot read the file", path));
  return std::optional<std::string>{text.str()};
}

// ------------------------------------------------------------------ environment
struct EnvironmentFile {
  std::map<std::string, Valued<std::string>> values;
  std::vector<LintFinding> findings;
};

bool is_variable_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char letter) { return std::isalnum(static_cast<unsigned char>(letter)) || letter == '_'; });
}

std::string unquote(std::string_view value) {
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
    return std::string(value.substr(1, value.size() - 2));
  }
  return std::string(value);
}

// systemd EnvironmentFile syntax, the common subset: KEY=VALUE, optional
// quotes, '#' and ';' comments. systemd skips lines it cannot parse, and so
// do we, with a finding so that a typo does not go unnoticed.
EnvironmentFile parse_environment_file(std::string_view text, const std::string& path) {
  EnvironmentFile parsed;
  int line_number = 0;
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const auto line = trim(text.substr(start, end - start));
    start = end + 1;
    ++line_number;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    const auto equals = line.find('=');
    const auto name = equals == std::string_view::npos ? line : trim(line.substr(0, equals));
    if (equals == std::string_view::npos || !is_variable_name(name)) {
      parsed.findings.push_back(
          {"environment_file_line_ignored", "warning", path,
           fmt::format("{}:{}: not a KEY=VALUE line; the Agent's systemd unit ignores it too", path, line_number)});
      continue;
    }
    const std::string key(name);
    parsed.values[key] = {unquote(trim(line.substr(equals + 1))),
                          fmt::format("{}:{} {}", base_name(path), line_number, key)};
  }
  return parsed;
}

class AgentEnvironment {
 public:
  AgentEnvironment(const EnvironmentLookup& process, std::map<std::string, Valued<std::string>> from_file)
      : process_(process), from_file_(std::move(from_file)) {}

  // The process environment wins: see the comment on discover_agent().
  std::optional<Valued<std::string>> find(std::string_view name) const {
    const std::string key(name);
    if (auto value = process_(key)) return Valued<std::string>{*value, "env " + key};
    if (auto found = from_file_.find(key); found != from_file_.end()) return found->second;
    return std::nullopt;
  }

  std::optional<Valued<std::string>> first_of(Names names) const {
    for (auto name : names) {
      if (auto value = find(name)) return value;
    }
    return std::nullopt;
  }

 private:
  const EnvironmentLookup& process_;
  std::map<std::string, Valued<std::string>> from_file_;
};

// ------------------------------------------------------------------ settings
// One Agent setting as the Agent resolves it: the first environment variable
// bound to it that is set, else datadog.yaml, else (left to the caller) the default.
class AgentSettings {
 public:
  AgentSettings(std::string file, YAML::Node root, const AgentEnvironment& environment)
      : reader_(file), label_(base_name(file)), root_(std::move(root)), environment_(environment) {}

  const AgentEnvironment& environment() const { return environment_; }
  const YamlReader& reader() const { return reader_; }

  std::string yaml_origin(const YAML::Node& node, std::string_view key) const {
    return fmt::format("{}:{} {}", label_, reader_.locate(node).line, key);
  }

  // A structured value (map or list). An environment variable holds JSON, as the Agent expects.
  Expected<std::optional<Valued<YAML::Node>>> find_node(std::string_view key, Names env_names) const {
    if (auto from_env = environment_.first_of(env_names)) {
      try {
        return std::optional<Valued<YAML::Node>>{{YAML::Load(from_env->value), from_env->origin}};
      } catch (const YAML::Exception& failure) {
        return unexpected(ErrorCode::config,
                          fmt::format("{}: {}: not valid JSON: {}", from_env->origin, key, failure.msg));
      }
    }
    auto node = yaml_at(key);
    if (!node) return node.error();
    if (!node->IsDefined() || node->IsNull()) return std::optional<Valued<YAML::Node>>{};
    return std::optional<Valued<YAML::Node>>{{*node, yaml_origin(*node, key), true}};
  }

  // A string; empty counts as unset, as in the Agent's GetMainEndpoint().
  Expected<std::optional<Valued<std::string>>> find_string(std::string_view key, Names env_names) const {
    auto found = find_node_or_text(key, env_names);
    if (!found) return found.error();
    if (!*found || trim((*found)->value).empty()) return std::optional<Valued<std::string>>{};
    (*found)->value = std::string(trim((*found)->value));
    return found;
  }

  Expected<std::optional<Valued<bool>>> find_bool(std::string_view key, Names env_names) const {
    return find_parsed<bool>(key, env_names, parse_bool, "must be true or false");
  }

  Expected<std::optional<Valued<std::int64_t>>> find_integer(std::string_view key, Names env_names) const {
    return find_parsed<std::int64_t>(key, env_names, parse_integer, "must be an integer");
  }

  // Whether datadog.yaml has a non-empty section at `key`.
  bool has_section(std::string_view key) const {
    auto node = yaml_at(key);
    return node && node->IsDefined() && !node->IsNull();
  }

 private:
  // The scalar text of a setting, with the YAML node kept for error locations.
  Expected<std::optional<Valued<std::string>>> find_node_or_text(std::string_view key, Names env_names) const {
    if (auto from_env = environment_.first_of(env_names)) return std::optional<Valued<std::string>>{*from_env};
    auto node = yaml_at(key);
    if (!node) return node.error();
    if (!node->IsDefined() || node->IsNull()) return std::optional<Valued<std::string>>{};
    if (!node->IsScalar()) return reader_.error_at(*node, key, "must be a single value");
    return std::optional<Valued<std::string>>{{node->Scalar(), yaml_origin(*node, key), true}};
  }

  template <typename T, typename Parser>
  Expected<std::optional<Valued<T>>> find_parsed(std::string_view key, Names env_names, Parser parse,
                                                 std::string_view complaint) const {
    auto text = find_string(key, env_names);
    if (!text) return text.error();
    if (!*text) return std::optional<Valued<T>>{};
    if (auto value = parse((*text)->value))
      return std::optional<Valued<T>>{{*value, (*text)->origin, (*text)->from_yaml}};
    return unexpected(ErrorCode::config, fmt::format("{}: '{}' {}", describe(key, **text), (*text)->value, complaint));
  }

  std::string describe(std::string_view key, const Valued<std::string>& value) const {
    if (!value.from_yaml) return fmt::format("{} (for {})", value.origin, key);
    auto node = yaml_at(key);
    return fmt::format("{}: {}", reader_.locate(*node).describe(), key);
  }

  // The node at a dotted path; an undefined node when a level is missing.
  Expected<YAML::Node> yaml_at(std::string_view key) const {
    YAML::Node current = root_;
    std::string walked;
    for (const auto& part : split(key, ".")) {
      if (!current.IsDefined() || current.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
      if (!current.IsMap()) return reader_.error_at(current, walked, "must be a mapping of keys");
      const YAML::Node& parent = current;
      const YAML::Node child = parent[part];  // const: a lookup must never insert the key
      if (!child.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
      current.reset(child);
      walked += (walked.empty() ? "" : ".") + part;
    }
    return current;
  }

  YamlReader reader_;
  std::string label_;
  YAML::Node root_;
  const AgentEnvironment& environment_;
};

// ------------------------------------------------------------------ endpoints
struct Endpoint {
  std::string scheme = "https";
  std::string host;  // lower case, no trailing dot
  std::uint16_t port = 443;
  bool fqdn = false;
  std::string authority;  // host[:port] as written (Go's url.Host): what the versioning rule matches
};

std::optional<std::uint16_t> parse_port(std::string_view text) {
  auto value = parse_integer(text);
  if (!value || *value < 1 || *value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(*value);
}

// "host", "host:port", "[v6]:port" -> endpoint with `default_port` when none is given.
std::optional<Endpoint> parse_authority(std::string_view authority, std::uint16_t default_port, bool port_required) {
  Endpoint endpoint;
  endpoint.authority = lower(authority);
  std::string_view host = authority;
  std::optional<std::string_view> port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port_text = authority.substr(close + 2);
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  if (port_required && !port_text) return std::nullopt;
  endpoint.port = default_port;
  if (port_text) {
    auto port = parse_port(*port_text);
    if (!port) return std::nullopt;
    endpoint.port = *port;
  }
  endpoint.fqdn = host.ends_with('.');
  endpoint.host = without_trailing_dot(lower(host));
  if (endpoint.host.empty()) return std::nullopt;
  return endpoint;
}

// "https://host[:port][/path]": the form of dd_url, apm_dd_url, process_dd_url, rc_dd_url...
std::optional<Endpoint> parse_url(std::string_view text) {
  text = trim(text);
  const auto separator = text.find("://");
  if (separator == std::string_view::npos) return std::nullopt;
  const std::string scheme = lower(text.substr(0, separator));
  if (scheme != "https" && scheme != "http") return std::nullopt;
  auto rest = text.substr(separator + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  auto endpoint = parse_authority(rest, scheme == "https" ? 443 : 80, false);
  if (endpoint) endpoint->scheme = scheme;
  return endpoint;
}

// logs_dd_url and the event-platform *.logs_dd_url keys: "host:port" (the
// port is required), or a URL since the HTTP transport accepts one.
std::optional<Endpoint> parse_logs_address(std::string_view text, bool no_ssl) {
  text = trim(text);
  if (text.find("://") != std::string_view::npos) return parse_url(text);
  auto endpoint = parse_authority(text, 443, true);
  if (endpoint && no_ssl) endpoint->scheme = "http";
  return endpoint;
}

// Strips credentials from a proxy URL before it goes into a message.
std::string redact_credentials(std::string_view url) {
  const auto scheme_end = url.find("://");
  const auto authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  const auto at = url.find('@', authority_start);
  if (at == std::string_view::npos) return std::string(url);
  return fmt::format("{}***@{}", url.substr(0, authority_start), url.substr(at + 1));
}

// ------------------------------------------------------------------ versions
std::optional<std::string> leading_version(std::string_view text) {
  static const std::regex pattern(R"(^v?(\d{1,5})\.(\d{1,5})\.(\d{1,5}))");
  const std::string subject(text);
  std::smatch parts;
  if (!std::regex_search(subject, parts, pattern)) return std::nullopt;
  // Through integers, as the Agent formats them with %d ("07" would be "7").
  return fmt::format("{}.{}.{}", std::stoi(parts[1]), std::stoi(parts[2]), std::stoi(parts[3]));
}

std::string strip_ansi_escapes(std::string_view text) {
  static const std::regex escape("\x1b\\[[0-9;]*[A-Za-z]");
  return std::regex_replace(std::string(text), escape, "");
}

// AddAgentVersionToDomain only rewrites app[.mrf].<Datadog site>; it matches
// Go's url.Host, so an explicit port ("app.datadoghq.com:443") is left alone.
bool is_versioned_by_agent(const std::string& authority) {
  static const std::regex pattern(
      R"(^app(\.mrf)?\.([a-z]{2,}\d{1,2}\.)?(datad(?:oghq|0g)\.(?:com|eu)|ddog-gov\.(?:com|mil))\.?$)");
  return std::regex_match(authority, pattern);
}

// "app.datadoghq.com" -> "7-57-2-<app>.agent.datadoghq.com"
std::string versioned_host(const std::string& host, const std::string& version, std::string_view app) {
  std::string dashed = version;
  std::replace(dashed.begin(), dashed.end(), '.', '-');
  return fmt::format("{}-{}.agent{}", dashed, app, host.substr(host.find('.')));
}

// ------------------------------------------------------------------ no_proxy
// The Agent's default: a no_proxy entry must equal the host exactly.
bool bypassed_exactly(const std::string& entry, const DiscoveredIntake& intake) {
  const auto name = without_trailing_dot(lower(entry));
  return name == intake.host || name == fmt::format("{}:{}", intake.host, intake.port);
}

// no_proxy_nonexact_match: Go's golang.org/x/net/http/httpproxy rules.
// "example.com" matches it and its subdomains, ".example.com" and
// "*.example.com" only subdomains, "*" everything, ":port" narrows.
bool bypassed_by_domain(const std::string& entry, const DiscoveredIntake& intake) {
  std::string name = lower(entry);
  if (name == "*") return true;
  if (auto colon = name.rfind(':'); colon != std::string::npos && name.find(']') == std::string::npos) {
    if (name.substr(colon + 1) != std::to_string(intake.port)) return false;
    name.resize(colon);
  }
  name = without_trailing_dot(name);
  if (name.starts_with("*.")) name.erase(0, 1);
  if (name.empty()) return false;
  const bool subdomains_only = name.front() == '.';
  const std::string suffix = subdomains_only ? name : "." + name;
  return intake.host.ends_with(suffix) || (!subdomains_only && intake.host == name);
}

// ------------------------------------------------------------------ discovery
struct ProxySetting {
  std::optional<Valued<std::string>> https;
  std::optional<Valued<std::string>> http;
  std::vector<std::string> no_proxy;
  bool nonexact_match = false;
};

class Discovery {
 public:
  Discovery(const AgentSettings& settings, const AgentSources& sources, AgentProfile& profile)
      : settings_(settings), sources_(sources), profile_(profile) {}

  Expected<void> run() {
    DISCOVERY_TRY(resolve_site());
    DISCOVERY_TRY(resolve_fqdn_rule());
    DISCOVERY_TRY(add_core_intakes());
    DISCOVERY_TRY(add_logs_intakes());
    DISCOVERY_TRY(add_apm_intakes());
    DISCOVERY_TRY(add_process_intakes());
    DISCOVERY_TRY(add_orchestrator_intakes());
    DISCOVERY_TRY(add_remote_config_intakes());
    DISCOVERY_TRY(add_dbm_intakes());
    DISCOVERY_TRY(lint_tls_validation());
    DISCOVERY_TRY(
        lint_connection_reset("forwarder_connection_reset_interval", {"DD_FORWARDER_CONNECTION_RESET_INTERVAL"}));
    return lint_proxy();
  }

 private:
  // ---------------------------------------------------------------- site
  Expected<void> resolve_site() {
    auto site = settings_.find_string("site", {"DD_SITE"});
    if (!site) return site.error();
    profile_.site = *site ? without_trailing_dot(lower((*site)->value)) : "datadoghq.com";
    profile_.site_origin = *site ? (*site)->origin : "default";
    const auto known = find_site(profile_.site);
    if (!known) {
      add_finding(
          "unknown_site", "warning", "site",
          fmt::format("site '{}' ({}) is not a Datadog site this daemon knows", profile_.site, profile_.site_origin));
    } else if (!known->offers_privatelink) {
      add_finding("site_without_privatelink", "error", "site",
                  fmt::format("site {} ({}, {}) has no AWS PrivateLink endpoints: the Agent's traffic "
                              "cannot stay private",
                              profile_.site, known->label, profile_.site_origin));
    }
    return {};
  }

  // convert_dd_site_fqdn.enabled (default true): site-derived names of
  // well-known sites get a trailing dot (BuildURLWithPrefix).
  Expected<void> resolve_fqdn_rule() {
    auto enabled = settings_.find_bool("convert_dd_site_fqdn.enabled", {"DD_CONVERT_DD_SITE_FQDN_ENABLED"});
    if (!enabled) return enabled.error();
    site_fqdn_ = (*enabled ? (*enabled)->value : true) && is_datadog_domain(profile_.site);
    return {};
  }

  Endpoint site_endpoint(std::string_view prefix, std::uint16_t port = 443) const {
    Endpoint endpoint;
    endpoint.host = fmt::format("{}{}", prefix, profile_.site);
    endpoint.port = port;
    endpoint.fqdn = site_fqdn_;
    endpoint.authority = endpoint.host + (site_fqdn_ ? "." : "");
    return endpoint;
  }

  std::string site_origin() const { return "site " + profile_.site; }

  // ---------------------------------------------------------------- core
  Expected<void> add_core_intakes() {
    profile_.features["core"] = true;
    auto dd_url = settings_.find_string("dd_url", {"DD_DD_URL", "DD_URL"});
    if (!dd_url) return dd_url.error();
    if (!*dd_url) {
      add_forwarder_domain("metrics", site_endpoint("app."), site_origin());
    } else if (auto endpoint = parse_checked_url(**dd_url, "dd_url")) {
      add_forwarder_domain("metrics", *endpoint, checked_origin((*dd_url)->origin, *endpoint, "dd_url"));
    }
    return add_url_map("additional_endpoints", {"DD_ADDITIONAL_ENDPOINTS"}, "additional-metrics",
                       [this](const std::string& name, const Endpoint& endpoint, const std::string& origin) {
                         add_forwarder_domain(name, endpoint, origin);
                       });
  }

  // The core forwarder renames app.<site> after the Agent's version; the flare
  // goes to the same domain, renamed with "flare".
  void add_forwarder_domain(const std::string& name, const Endpoint& endpoint, const std::string& origin) {
    if (!is_versioned_by_agent(endpoint.authority)) {
      add_intake(name, endpoint, "core", false, origin);
      return;
    }
    Endpoint renamed = endpoint;
    if (!profile_.agent_version) {
      // The bare app.<site> is the web application, never a PrivateLink name;
      // every versioned name is a CNAME to metrics.agent.<site>, the endpoint
      // service's private DNS name, so that is what we can check.
      renamed.host = "metrics.agent" + endpoint.host.substr(endpoint.host.find('.'));
      report_unknown_version();
      add_intake(name, renamed, "core", false, origin + " (Agent version unknown: metrics.agent name)");
      return;
    }
    renamed.host = versioned_host(endpoint.host, *profile_.agent_version, "app");
    add_intake(name, renamed, "core", false, fmt::format("{} (Agent {})", origin, *profile_.agent_version));
    renamed.host = versioned_host(endpoint.host, *profile_.agent_version, "flare");
    add_intake(name == "metrics" ? "flare" : name + "-flare", renamed, "core", true,
               fmt::format("{} (Agent {}, flare)", origin, *profile_.agent_version));
  }

  void report_unknown_version() {
    if (unknown_version_reported_) return;
    unknown_version_reported_ = true;
    add_finding("unknown_agent_version", "warning", sources_.version_manifest,
                fmt::format("the Agent's version is unknown ({} has none and no override was given): the "
                            "Agent sends metrics to <major>-<minor>-<patch>-app.agent.{}, which cannot be "
                            "named; checking metrics.agent.{}, the name those hosts are aliases of",
                            sources_.version_manifest, profile_.site, profile_.site));
  }

  // ---------------------------------------------------------------- logs
  struct LogsTransport {
    bool tcp = false;
    std::string reason;  // why TCP, or empty
    bool forced_http = false;
  };

  Expected<void> add_logs_intakes() {
    auto enabled = settings_.find_bool("logs_enabled", {"DD_LOGS_ENABLED"});
    if (!enabled) return enabled.error();
    profile_.features["logs"] = *enabled && (*enabled)->value;
    if (!profile_.features["logs"]) return {};
    auto transport = choose_logs_transport();
    if (!transport) return transport.error();
    auto no_ssl = settings_.find_bool("logs_config.logs_no_ssl", {"DD_LOGS_CONFIG_LOGS_NO_SSL"});
    if (!no_ssl) return no_ssl.error();
    const bool plain = *no_ssl && (*no_ssl)->value;
    DISCOVERY_TRY(transport->tcp ? add_logs_tcp_intake(*transport) : add_logs_http_intake(*transport, plain));
    DISCOVERY_TRY(add_logs_additional_endpoints(transport->tcp, plain));
    return lint_connection_reset("logs_config.connection_reset_interval", {"DD_LOGS_CONFIG_CONNECTION_RESET_INTERVAL"});
  }

  // comp/logs/agent/config BuildEndpoints: HTTP when forced; otherwise TCP when
  // forced, when a SOCKS5 proxy is set, when logs additional_endpoints exist,
  // or when the HTTP connectivity test fails at startup.
  Expected<LogsTransport> choose_logs_transport() const {
    LogsTransport transport;
    auto force_http = any_true({{"logs_config.force_use_http", "DD_LOGS_CONFIG_FORCE_USE_HTTP"},
                                {"logs_config.use_http", "DD_LOGS_CONFIG_USE_HTTP"}});
    if (!force_http) return force_http.error();
    transport.forced_http = *force_http;
    if (transport.forced_http) return transport;
    auto force_tcp = any_true({{"logs_config.force_use_tcp", "DD_LOGS_CONFIG_FORCE_USE_TCP"},
                               {"logs_config.use_tcp", "DD_LOGS_CONFIG_USE_TCP"}});
    if (!force_tcp) return force_tcp.error();
    auto socks5 = settings_.find_string("logs_config.socks5_proxy_address", {"DD_LOGS_CONFIG_SOCKS5_PROXY_ADDRESS"});
    if (!socks5) return socks5.error();
    auto additional = settings_.find_node("logs_config.additional_endpoints", {"DD_LOGS_CONFIG_ADDITIONAL_ENDPOINTS"});
    if (!additional) return additional.error();
    if (*force_tcp)
      transport.reason = "logs_config.force_use_tcp is true";
    else if (*socks5)
      transport.reason = fmt::format("a SOCKS5 proxy is set ({})", (*socks5)->origin);
    else if (*additional && (*additional)->value.size() > 0)
      transport.reason = fmt::format("logs_config.additional_endpoints is set ({})", (*additional)->origin);
    transport.tcp = !transport.reason.empty();
    return transport;
  }

  struct KeyAndVariable {
    std::string_view key;
    std::string_view variable;
  };

  Expected<bool> any_true(std::initializer_list<KeyAndVariable> settings) const {
    for (const auto& setting : settings) {
      auto value = settings_.find_bool(setting.key, {setting.variable});
      if (!value) return value.error();
      if (*value && (*value)->value) return true;
    }
    return false;
  }

  Expected<void> add_logs_http_intake(const LogsTransport& transport, bool plain) {
    if (!transport.forced_http) {
      add_finding("logs_tcp_fallback", "warning", "logs_config.force_use_http",
                  fmt::format("logs_config.force_use_http is not true: if the Agent's HTTPS connectivity test "
                              "fails at startup (for example while DNS is not ready), it sends logs over TCP to "
                              "agent-intake.logs.{} instead, which PrivateLink does not cover, and older Agents "
                              "stay there until restarted",
                              profile_.site));
    }
    return add_logs_address_or_default("logs", "logs_config.logs_dd_url", {"DD_LOGS_CONFIG_LOGS_DD_URL"},
                                       "agent-http-intake.logs.", "logs", plain);
  }

  Expected<void> add_logs_tcp_intake(const LogsTransport& transport) {
    add_finding("logs_tcp_forced", "error", "logs_config.force_use_http",
                fmt::format("logs go over TCP because {} (and logs_config.force_use_http is not true): the TCP "
                            "intake has no PrivateLink endpoint",
                            transport.reason));
    auto override = settings_.find_string("logs_config.logs_dd_url", {"DD_LOGS_CONFIG_LOGS_DD_URL"});
    if (!override) return override.error();
    if (*override) return add_logs_address("logs", **override, "logs_config.logs_dd_url", "logs", false, "tcp");
    auto port_443 = settings_.find_bool("logs_config.use_port_443", {"DD_LOGS_CONFIG_USE_PORT_443"});
    if (!port_443) return port_443.error();
    Endpoint endpoint = *port_443 && (*port_443)->value ? site_endpoint("agent-443-intake.logs.")
                                                        : site_endpoint("agent-intake.logs.", tcp_logs_port());
    endpoint.scheme = "tcp";
    add_intake("logs", endpoint, "logs", false, site_origin() + " (logs over TCP)");
    return {};
  }

  // The Agent's table: 10516 on .com sites, 443 on .eu.
  std::uint16_t tcp_logs_port() const { return profile_.site.ends_with(".eu") ? 443 : 10516; }

  Expected<void> add_logs_address_or_default(const std::string& name, std::string_view key, Names env_names,
                                             std::string_view prefix, const std::string& feature, bool plain) {
    auto override = settings_.find_string(key, env_names);
    if (!override) return override.error();
    if (*override) return add_logs_address(name, **override, key, feature, plain, "");
    Endpoint endpoint = site_endpoint(prefix);
    if (plain) endpoint.scheme = "http";
    add_intake(name, endpoint, feature, false, site_origin());
    return {};
  }

  Expected<void> add_logs_address(const std::string& name, const Valued<std::string>& value, std::string_view key,
                                  const std::string& feature, bool plain, std::string_view scheme) {
    auto endpoint = parse_logs_address(value.value, plain);
    if (!endpoint) {
      report_invalid_override(value, key, "must be host:port (for example agent-http-intake.logs.datadoghq.com:443)");
      return {};
    }
    if (!scheme.empty()) endpoint->scheme = std::string(scheme);
    add_intake(name, *endpoint, feature, false, checked_origin(value.origin, *endpoint, key));
    return {};
  }

  // logs_config.additional_endpoints: a list of {host, port, api_key, ...}.
  Expected<void> add_logs_additional_endpoints(bool tcp, bool plain) {
    auto list = settings_.find_node("logs_config.additional_endpoints", {"DD_LOGS_CONFIG_ADDITIONAL_ENDPOINTS"});
    if (!list) return list.error();
    if (!*list) return {};
    const auto& [node, origin, from_yaml] = **list;
    if (!node.IsSequence()) return located_error(**list, "logs_config.additional_endpoints", "must be a list");
    int index = 0;
    for (const auto& entry : node) {
      const std::string entry_origin =
          from_yaml ? settings_.yaml_origin(entry, "logs_config.additional_endpoints") : origin;
      DISCOVERY_TRY(add_logs_additional_endpoint(entry, ++index, entry_origin, tcp, plain));
    }
    return {};
  }

  Expected<void> add_logs_additional_endpoint(const YAML::Node& entry, int index, const std::string& origin, bool tcp,
                                              bool plain) {
    const auto field = [&](std::string_view wanted) -> YAML::Node {
      if (!entry.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
      for (const auto& item : entry) {
        if (lower(item.first.Scalar()) == wanted) return item.second;
      }
      return YAML::Node(YAML::NodeType::Undefined);
    };
    const YAML::Node host = field("host");
    const YAML::Node port = field("port");
    const auto port_number = port.IsDefined() ? parse_port(port.IsScalar() ? port.Scalar() : "") : std::uint16_t{443};
    if (!host.IsDefined() || !host.IsScalar() || !port_number) {
      add_finding(
          "invalid_override", "error", "logs_config.additional_endpoints",
          fmt::format("{}: entry {} needs a host and a port from 1 to 65535; the Agent cannot use it", origin, index));
      return {};
    }
    auto endpoint = parse_authority(fmt::format("{}:{}", host.Scalar(), *port_number), 443, true);
    if (!endpoint) return {};
    endpoint->scheme = tcp ? "tcp" : (plain ? "http" : "https");
    add_intake(fmt::format("additional-logs-{}", index), *endpoint, "logs", false,
               checked_origin(origin, *endpoint, "logs_config.additional_endpoints"));
    return {};
  }

  // ---------------------------------------------------------------- APM
  Expected<void> add_apm_intakes() {
    auto enabled = settings_.find_bool("apm_config.enabled", {"DD_APM_ENABLED"});
    if (!enabled) return enabled.error();
    profile_.features["apm"] = *enabled ? (*enabled)->value : true;
    if (!profile_.features["apm"]) return {};
    const bool optional = !*enabled;  // on by default only: traces flow only if apps send them
    // The Agent binds DD_APM_DD_URL; DD_APM_CONFIG_APM_DD_URL (the generic
    // name) is what the serverless agent reads, accepted second.
    DISCOVERY_TRY(add_url_or_default("traces", "apm_config.apm_dd_url", {"DD_APM_DD_URL", "DD_APM_CONFIG_APM_DD_URL"},
                                     "trace.agent.", "apm", optional));
    DISCOVERY_TRY(add_url_or_default("profiling", "apm_config.profiling_dd_url", {"DD_APM_PROFILING_DD_URL"},
                                     "intake.profile.", "apm", true));
    DISCOVERY_TRY(
        add_url_map("apm_config.additional_endpoints", {"DD_APM_ADDITIONAL_ENDPOINTS"}, "additional-traces",
                    [this, optional](const std::string& name, const Endpoint& endpoint, const std::string& origin) {
                      add_intake(name, endpoint, "apm", optional, origin);
                    }));
    return lint_connection_reset("apm_config.connection_reset_interval", {"DD_APM_CONNECTION_RESET_INTERVAL"});
  }

  // ---------------------------------------------------------------- process
  struct ProcessCollection {
    bool processes = false;
    bool containers = true;
  };

  Expected<void> add_process_intakes() {
    auto collection = resolve_process_collection();
    if (!collection) return collection.error();
    auto discovery = settings_.find_bool(
        "process_config.process_discovery.enabled",
        {"DD_PROCESS_CONFIG_PROCESS_DISCOVERY_ENABLED", "DD_PROCESS_AGENT_PROCESS_DISCOVERY_ENABLED",
         "DD_PROCESS_CONFIG_DISCOVERY_ENABLED", "DD_PROCESS_AGENT_DISCOVERY_ENABLED"});
    if (!discovery) return discovery.error();
    profile_.features["process"] = collection->processes;
    profile_.features["containers"] = collection->containers;
    const bool discovering = *discovery ? (*discovery)->value : true;
    if (!collection->processes && !collection->containers && !discovering) return {};
    // Without process collection the intake only sees container payloads
    // (on container hosts) and a discovery payload every few hours.
    const bool optional = !collection->processes;
    DISCOVERY_TRY(add_url_or_default("process", "process_config.process_dd_url",
                                     {"DD_PROCESS_CONFIG_PROCESS_DD_URL", "DD_PROCESS_AGENT_PROCESS_DD_URL",
                                      "DD_PROCESS_AGENT_URL", "DD_PROCESS_CONFIG_URL"},
                                     "process.", "process", optional));
    return add_url_map("process_config.additional_endpoints",
                       {"DD_PROCESS_CONFIG_ADDITIONAL_ENDPOINTS", "DD_PROCESS_AGENT_ADDITIONAL_ENDPOINTS",
                        "DD_PROCESS_ADDITIONAL_ENDPOINTS"},
                       "additional-process",
                       [this, optional](const std::string& name, const Endpoint& endpoint, const std::string& origin) {
                         add_intake(name, endpoint, "process", optional, origin);
                       });
  }

  // The deprecated process_config.enabled ("true" | "false" | "disabled")
  // overrides the two collection switches when set (pkg/config/setup/process.go).
  Expected<ProcessCollection> resolve_process_collection() const {
    ProcessCollection collection;
    auto legacy =
        settings_.find_string("process_config.enabled", {"DD_PROCESS_CONFIG_ENABLED", "DD_PROCESS_AGENT_ENABLED"});
    if (!legacy) return legacy.error();
    if (*legacy) {
      const std::string value = lower((*legacy)->value);
      if (value == "disabled") return ProcessCollection{false, false};
      const bool processes = parse_bool(value).value_or(false);
      return ProcessCollection{processes, !processes};
    }
    auto processes = settings_.find_bool(
        "process_config.process_collection.enabled",
        {"DD_PROCESS_CONFIG_PROCESS_COLLECTION_ENABLED", "DD_PROCESS_AGENT_PROCESS_COLLECTION_ENABLED"});
    if (!processes) return processes.error();
    auto containers = settings_.find_bool(
        "process_config.container_collection.enabled",
        {"DD_PROCESS_CONFIG_CONTAINER_COLLECTION_ENABLED", "DD_PROCESS_AGENT_CONTAINER_COLLECTION_ENABLED"});
    if (!containers) return containers.error();
    if (*processes) collection.processes = (*processes)->value;
    if (*containers) collection.containers = (*containers)->value;
    return collection;
  }

  // ---------------------------------------------------------------- orchestrator, RC, DBM
  Expected<void> add_orchestrator_intakes() {
    auto enabled = settings_.find_bool("orchestrator_explorer.enabled", {"DD_ORCHESTRATOR_EXPLORER_ENABLED"});
    if (!enabled) return enabled.error();
    profile_.features["orchestrator"] = *enabled ? (*enabled)->value : true;
    if (!profile_.features["orchestrator"]) return {};
    // On by default, but the check only runs in Kubernetes with a cluster name.
    return add_url_or_default("orchestrator", "orchestrator_explorer.orchestrator_dd_url",
                              {"DD_ORCHESTRATOR_EXPLORER_ORCHESTRATOR_DD_URL", "DD_ORCHESTRATOR_URL"}, "orchestrator.",
                              "orchestrator", !*enabled);
  }

  Expected<void> add_remote_config_intakes() {
    auto enabled = settings_.find_bool("remote_configuration.enabled", {"DD_REMOTE_CONFIGURATION_ENABLED"});
    if (!enabled) return enabled.error();
    profile_.features["remote_config"] = *enabled ? (*enabled)->value : true;
    if (!profile_.features["remote_config"]) return {};
    return add_url_or_default("remote-config", "remote_configuration.rc_dd_url", {"DD_REMOTE_CONFIGURATION_RC_DD_URL"},
                              "config.", "remote_config", false);
  }

  // DBM is switched on per database check instance (conf.d), which we do not
  // read; a database_monitoring section in datadog.yaml is the sign it is used.
  Expected<void> add_dbm_intakes() {
    struct Track {
      const char* name;
      const char* key;
      const char* variable;
      const char* prefix;
    };
    static constexpr Track tracks[] = {
        {"dbm-metrics", "database_monitoring.metrics.logs_dd_url", "DD_DATABASE_MONITORING_METRICS_LOGS_DD_URL",
         "dbm-metrics-intake."},
        {"dbm-samples", "database_monitoring.samples.logs_dd_url", "DD_DATABASE_MONITORING_SAMPLES_LOGS_DD_URL",
         "dbquery-intake."},
        {"dbm-activity", "database_monitoring.activity.logs_dd_url", "DD_DATABASE_MONITORING_ACTIVITY_LOGS_DD_URL",
         "dbquery-intake."},
    };
    bool configured = settings_.has_section("database_monitoring");
    for (const auto& track : tracks) configured = configured || settings_.environment().find(track.variable);
    profile_.features["dbm"] = configured;
    if (!configured) return {};
    for (const auto& track : tracks) {
      DISCOVERY_TRY(add_logs_address_or_default(track.name, track.key, {track.variable}, track.prefix, "dbm", false));
    }
    return {};
  }

  // ---------------------------------------------------------------- overrides
  Expected<void> add_url_or_default(const std::string& name, std::string_view key, Names env_names,
                                    std::string_view prefix, const std::string& feature, bool optional) {
    auto override = settings_.find_string(key, env_names);
    if (!override) return override.error();
    if (!*override) {
      add_intake(name, site_endpoint(prefix), feature, optional, site_origin());
    } else if (auto endpoint = parse_checked_url(**override, key)) {
      add_intake(name, *endpoint, feature, optional, checked_origin((*override)->origin, *endpoint, key));
    }
    return {};
  }

  template <typename AddEndpoint>
  Expected<void> add_url_map(std::string_view key, Names env_names, const std::string& name_prefix, AddEndpoint add) {
    auto map = settings_.find_node(key, env_names);
    if (!map) return map.error();
    if (!*map) return {};
    const auto& [node, origin, from_yaml] = **map;
    if (!node.IsMap()) return located_error(**map, key, "must be a map of URL to a list of API keys");
    int index = 0;
    for (const auto& entry : node) {
      if (!has_api_key(entry.second)) continue;  // the Agent drops a domain without keys
      const Valued<std::string> url{entry.first.Scalar(), from_yaml ? settings_.yaml_origin(entry.first, key) : origin,
                                    from_yaml};
      if (auto endpoint = parse_checked_url(url, key)) {
        add(fmt::format("{}-{}", name_prefix, ++index), *endpoint, checked_origin(url.origin, *endpoint, key));
      }
    }
    return {};
  }

  static bool has_api_key(const YAML::Node& keys) {
    if (keys.IsScalar()) return !trim(keys.Scalar()).empty();
    if (!keys.IsSequence()) return false;
    return std::any_of(keys.begin(), keys.end(),
                       [](const YAML::Node& key) { return key.IsScalar() && !trim(key.Scalar()).empty(); });
  }

  std::optional<Endpoint> parse_checked_url(const Valued<std::string>& value, std::string_view key) {
    auto endpoint = parse_url(value.value);
    if (!endpoint) report_invalid_override(value, key, "must be a URL such as https://host[:port]");
    return endpoint;
  }

  void report_invalid_override(const Valued<std::string>& value, std::string_view key, std::string_view expected) {
    add_finding("invalid_override", "error", std::string(key),
                fmt::format("{}: '{}' {}; the Agent cannot send this traffic", value.origin, value.value, expected));
  }

  // A relay or proxy in an override is still where the Agent connects, so it
  // stays an intake; PrivateLink then depends on the relay's own upstream.
  std::string checked_origin(const std::string& origin, const Endpoint& endpoint, std::string_view key) {
    if (is_datadog_domain(endpoint.host)) return origin;
    add_finding("non_datadog_override", "warning", std::string(key),
                fmt::format("{} sends to {}:{}, which is not a Datadog domain (a proxy or relay?): whether that "
                            "traffic reaches Datadog over PrivateLink depends on the relay",
                            origin, endpoint.host, endpoint.port));
    return origin + " (not a Datadog domain)";
  }

  Error located_error(const Valued<YAML::Node>& value, std::string_view key, std::string_view message) const {
    if (value.from_yaml) return settings_.reader().error_at(value.value, key, message);
    return Error{ErrorCode::config, fmt::format("{} (for {}): {}", value.origin, key, message)};
  }

  // ---------------------------------------------------------------- lints
  Expected<void> lint_tls_validation() {
    auto skip = settings_.find_bool("skip_ssl_validation", {"DD_SKIP_SSL_VALIDATION"});
    if (!skip) return skip.error();
    if (*skip && (*skip)->value) {
      add_finding("skip_ssl_validation", "warning", "skip_ssl_validation",
                  fmt::format("{}: the Agent does not verify intake certificates, so it would not notice being "
                              "sent somewhere other than Datadog",
                              (*skip)->origin));
    }
    return {};
  }

  // Without a reset interval the Agent keeps its connections to the old
  // addresses after DNS changes (datadog-agent#5528); Datadog's recovery
  // guidance is 1-300 s, never 0.
  Expected<void> lint_connection_reset(std::string_view key, Names env_names) {
    auto interval = settings_.find_integer(key, env_names);
    if (!interval) return interval.error();
    if (*interval && (*interval)->value > 0) return {};
    add_finding("connection_reset_disabled", "warning", std::string(key),
                fmt::format("{} is {} ({}): connections opened before a DNS change (for example a new "
                            "PrivateLink endpoint) are kept until the Agent restarts; set 60-300 seconds",
                            key, *interval ? (*interval)->value : 0, *interval ? (*interval)->origin : "default"));
    return {};
  }

  Expected<ProxySetting> resolve_proxy() const {
    // pkg/config/setup LoadProxyFromEnv: DD_PROXY_* first, then the usual
    // variables, each field over datadog.yaml's proxy section.
    ProxySetting proxy;
    auto https = settings_.find_string("proxy.https", {"DD_PROXY_HTTPS", "HTTPS_PROXY", "https_proxy"});
    if (!https) return https.error();
    auto http = settings_.find_string("proxy.http", {"DD_PROXY_HTTP", "HTTP_PROXY", "http_proxy"});
    if (!http) return http.error();
    proxy.https = *https;
    proxy.http = *http;
    auto nonexact = settings_.find_bool("no_proxy_nonexact_match", {"DD_NO_PROXY_NONEXACT_MATCH"});
    if (!nonexact) return nonexact.error();
    proxy.nonexact_match = *nonexact && (*nonexact)->value;
    auto no_proxy = resolve_no_proxy();
    if (!no_proxy) return no_proxy.error();
    proxy.no_proxy = std::move(*no_proxy);
    return proxy;
  }

  // DD_PROXY_NO_PROXY is space-separated, NO_PROXY comma-separated.
  Expected<std::vector<std::string>> resolve_no_proxy() const {
    if (auto value = settings_.environment().find("DD_PROXY_NO_PROXY")) return split(value->value, " ");
    if (auto value = settings_.environment().first_of({"NO_PROXY", "no_proxy"})) return split(value->value, ",");
    auto node = settings_.find_node("proxy.no_proxy", {});
    if (!node) return node.error();
    if (!*node) return std::vector<std::string>{};
    const YAML::Node& list = (*node)->value;
    if (list.IsScalar()) return split(list.Scalar(), " ,");
    auto entries = settings_.reader().read_string_list(list, "proxy.no_proxy");
    if (!entries) return entries.error();
    return entries->value;
  }

  bool bypasses(const ProxySetting& proxy, const DiscoveredIntake& intake) const {
    return std::any_of(proxy.no_proxy.begin(), proxy.no_proxy.end(), [&](const std::string& entry) {
      return proxy.nonexact_match ? bypassed_by_domain(entry, intake) : bypassed_exactly(entry, intake);
    });
  }

  Expected<void> lint_proxy() {
    auto proxy = resolve_proxy();
    if (!proxy) return proxy.error();
    lint_proxy_scheme(*proxy, proxy->https, "https", "proxy.https");
    lint_proxy_scheme(*proxy, proxy->http, "http", "proxy.http");
    return {};
  }

  void lint_proxy_scheme(const ProxySetting& proxy, const std::optional<Valued<std::string>>& setting,
                         std::string_view scheme, std::string_view key) {
    if (!setting) return;
    std::vector<std::string> proxied;
    for (const auto& intake : profile_.intakes) {
      if (intake.scheme == scheme && !bypasses(proxy, intake)) proxied.push_back(intake.host);
    }
    if (proxied.empty()) return;
    std::string message = fmt::format(
        "the Agent sends {} {} through proxy {} ({}). PrivateLink needs them in "
        "proxy.no_proxy, or a proxy that itself resolves them privately",
        proxied.size() == 1 ? "intake" : "intakes", fmt::join(proxied, ", "), redact_credentials(setting->value),
        setting->origin);
    if (!proxy.nonexact_match && has_domain_entry(proxy)) {
      message += "; no_proxy has domain entries, which only match with no_proxy_nonexact_match: true";
    }
    add_finding("proxy_not_bypassed", "warning", std::string(key), message);
  }

  static bool has_domain_entry(const ProxySetting& proxy) {
    return std::any_of(proxy.no_proxy.begin(), proxy.no_proxy.end(), [](const std::string& entry) {
      return entry == "*" || entry.starts_with('.') || entry.starts_with("*.");
    });
  }

  // ---------------------------------------------------------------- results
  // De-duplicates by host:port: the first name and origin stay, and the
  // intake is optional only if every feature using it finds it optional.
  void add_intake(const std::string& name, const Endpoint& endpoint, const std::string& feature, bool optional,
                  const std::string& origin) {
    auto& intakes = profile_.intakes;
    auto same = std::find_if(intakes.begin(), intakes.end(), [&](const DiscoveredIntake& intake) {
      return intake.host == endpoint.host && intake.port == endpoint.port;
    });
    if (same != intakes.end()) {
      same->optional = same->optional && optional;
      return;
    }
    intakes.push_back({name, endpoint.host, endpoint.port, endpoint.scheme, endpoint.fqdn, feature, optional, origin});
  }

  void add_finding(std::string id, std::string severity, std::string key, std::string message) {
    profile_.findings.push_back({std::move(id), std::move(severity), std::move(key), std::move(message)});
  }

  const AgentSettings& settings_;
  const AgentSources& sources_;
  AgentProfile& profile_;
  bool site_fqdn_ = true;
  bool unknown_version_reported_ = false;
};

// ------------------------------------------------------------------ entry points
Expected<void> resolve_version(const AgentSources& sources, AgentProfile& profile) {
  auto manifest = read_optional_file(sources.version_manifest);
  if (!manifest) return manifest.error();
  if (*manifest) {
    if (auto version = parse_version_manifest(**manifest)) {
      profile.agent_version = version;
      profile.version_origin = base_name(sources.version_manifest) + ":1";
      return {};
    }
  }
  if (sources.version_override) {
    profile.agent_version = leading_version(trim(*sources.version_override));
    if (!profile.agent_version) profile.agent_version = parse_agent_version_output(*sources.version_override);
    if (profile.agent_version) {
      profile.version_origin = "version override";
      return {};
    }
  }
  profile.version_origin = "unknown";
  return {};
}

Expected<EnvironmentFile> load_environment_file(const std::string& path) {
  auto text = read_optional_file(path);
  if (!text) return text.error();
  if (!*text) return EnvironmentFile{};
  return parse_environment_file(**text, path);
}

Expected<YAML::Node> load_agent_config(const std::string& path) {
  auto text = read_optional_file(path);
  if (!text) return text.error().with_prefix("reading the Agent configuration: ");
  if (!*text)
    return unexpected(ErrorCode::config, fmt::format("{}: the Agent configuration file does not exist", path));
  const YamlReader reader(path);
  auto root = reader.load(**text);
  if (!root) return root.error();
  if (!root->IsMap()) return reader.error_at(*root, "(top level)", "must be a mapping of keys");
  return root;
}

Expected<AgentProfile> discover_agent_or_throw(const AgentSources& sources, const EnvironmentLookup& environment);

}  // namespace

Expected<AgentProfile> discover_agent(const AgentSources& sources, const EnvironmentLookup& environment) {
  // yaml-cpp reports misuse (a map read as a list...) by throwing: this is the edge.
  try {
    return discover_agent_or_throw(sources, environment);
  } catch (const YAML::Exception& failure) {
    return unexpected(ErrorCode::config, fmt::format("{}:{}:{}: {}", sources.config_file, failure.mark.line + 1,
                                                     failure.mark.column + 1, failure.msg));
  }
}

namespace {

Expected<AgentProfile> discover_agent_or_throw(const AgentSources& sources, const EnvironmentLookup& environment) {
  auto root = load_agent_config(sources.config_file);
  if (!root) return root.error();
  auto environment_file = load_environment_file(sources.environment_file);
  if (!environment_file) return environment_file.error();
  AgentProfile profile;
  profile.findings = std::move(environment_file->findings);
  DISCOVERY_TRY(resolve_version(sources, profile));
  const AgentEnvironment agent_environment(environment, std::move(environment_file->values));
  const AgentSettings settings(sources.config_file, std::move(*root), agent_environment);
  Discovery discovery(settings, sources, profile);
  DISCOVERY_TRY(discovery.run());
  return profile;
}

}  // namespace

std::optional<std::string> parse_agent_version_output(std::string_view text) {
  static const std::regex pattern(R"((?:^|\s)Agent\s+(v?\d+\.\d+\.\d+))");
  const std::string plain = strip_ansi_escapes(text);
  std::smatch match;
  if (!std::regex_search(plain, match, pattern)) return std::nullopt;
  return leading_version(match[1].str());
}

std::optional<std::string> parse_version_manifest(std::string_view text) {
  const auto first_line = trim(text.substr(0, text.find('\n')));
  constexpr std::string_view product = "datadog-agent ";
  if (!first_line.starts_with(product)) return std::nullopt;
  auto version = trim(first_line.substr(product.size()));
  if (const auto epoch = version.find(':'); epoch != std::string_view::npos) version = version.substr(epoch + 1);
  return leading_version(version);
}

#undef DISCOVERY_TRY

}  // namespace sidecar
