#include "config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "site_table.h"

namespace sidecar {
namespace {

using checks::ErrorCode;
using checks::unexpected;


Expected<RawHttps> read_https(const YamlReader& reader, const YAML::Node& node, const std::string& path) {
  SIDECAR_TRY(reader.require_map(node, path, {"path", "api_key_env", "api_key_file", "accepted_status"}));
  RawHttps https;
  https.where = reader.locate(node);
  auto string = [&](const YAML::Node& n, const std::string& p) { return reader.read_string(n, p); };
  SIDECAR_TRY(read_optional(node, "path", path, https.path, string));
  SIDECAR_TRY(read_optional(node, "api_key_env", path, https.api_key_env, string));
  SIDECAR_TRY(read_optional(node, "api_key_file", path, https.api_key_file, string));
  SIDECAR_TRY(read_optional(node, "accepted_status", path, https.accepted_status,
                            [&](const YAML::Node& n, const std::string& p) { return reader.read_string_list(n, p); }));
  return https;
}

Expected<RawIntake> read_intake(const YamlReader& reader, const YAML::Node& node, const std::string& path) {
  SIDECAR_TRY(reader.require_map(node, path, {"name", "host", "port", "https"}));
  RawIntake intake;
  intake.where = reader.locate(node);
  auto string = [&](const YAML::Node& n, const std::string& p) { return reader.read_string(n, p); };
  SIDECAR_TRY(read_optional(node, "name", path, intake.name, string));
  SIDECAR_TRY(read_optional(node, "host", path, intake.host, string));
  SIDECAR_TRY(read_optional(node, "port", path, intake.port,
                            [&](const YAML::Node& n, const std::string& p) { return reader.read_port(n, p); }));
  SIDECAR_TRY(read_optional(node, "https", path, intake.https,
                            [&](const YAML::Node& n, const std::string& p) { return read_https(reader, n, p); }));
  return intake;
}

Expected<Located<std::vector<RawIntake>>> read_intakes(const YamlReader& reader, const YAML::Node& node,
                                                       const std::string& path) {
  if (!node.IsSequence()) return reader.error_at(node, path, "must be a list of intakes");
  Located<std::vector<RawIntake>> intakes{{}, reader.locate(node)};
  std::size_t index = 0;
  for (const auto& item : node) {
    auto intake = read_intake(reader, item, fmt::format("{}[{}]", path, index++));
    if (!intake) return intake.error();
    intakes.value.push_back(std::move(*intake));
  }
  return intakes;
}

Expected<void> read_agent(const YamlReader& reader, const YAML::Node& node, RawAgent& agent) {
  SIDECAR_TRY(reader.require_map(node, "agent",
                                 {"config", "environment_file", "version_manifest", "version_command", "units",
                                  "pid_files", "process_names"}));
  auto string = [&](const YAML::Node& n, const std::string& p) { return reader.read_string(n, p); };
  auto string_list = [&](const YAML::Node& n, const std::string& p) { return reader.read_string_list(n, p); };
  SIDECAR_TRY(read_optional(node, "config", "agent", agent.config, string));
  SIDECAR_TRY(read_optional(node, "environment_file", "agent", agent.environment_file, string));
  SIDECAR_TRY(read_optional(node, "version_manifest", "agent", agent.version_manifest, string));
  SIDECAR_TRY(read_optional(node, "version_command", "agent", agent.version_command, string_list));
  SIDECAR_TRY(read_optional(node, "units", "agent", agent.units, string_list));
  SIDECAR_TRY(read_optional(node, "pid_files", "agent", agent.pid_files, string_list));
  SIDECAR_TRY(read_optional(node, "process_names", "agent", agent.process_names, string_list));
  return {};
}

Expected<void> read_restart(const YamlReader& reader, const YAML::Node& node, RawRestart& restart) {
  SIDECAR_TRY(reader.require_map(node, "restart",
                                 {"enabled", "command", "verify_command", "upgrade_check_command", "command_timeout",
                                  "stable_checks", "cooldown", "max_per_hour", "jitter", "dry_run"}));
  auto boolean = [&](const YAML::Node& n, const std::string& p) { return reader.read_bool(n, p); };
  auto string_list = [&](const YAML::Node& n, const std::string& p) { return reader.read_string_list(n, p); };
  auto duration = [&](const YAML::Node& n, const std::string& p) { return reader.read_duration(n, p); };
  auto count = [&](std::int64_t max) {
    return [&reader, max](const YAML::Node& n, const std::string& p) { return reader.read_integer(n, p, 1, max); };
  };
  SIDECAR_TRY(read_optional(node, "enabled", "restart", restart.enabled, boolean));
  SIDECAR_TRY(read_optional(node, "command", "restart", restart.command, string_list));
  SIDECAR_TRY(read_optional(node, "verify_command", "restart", restart.verify_command, string_list));
  SIDECAR_TRY(read_optional(node, "upgrade_check_command", "restart", restart.upgrade_check_command, string_list));
  SIDECAR_TRY(read_optional(node, "command_timeout", "restart", restart.command_timeout, duration));
  SIDECAR_TRY(read_optional(node, "stable_checks", "restart", restart.stable_checks, count(100)));
  SIDECAR_TRY(read_optional(node, "cooldown", "restart", restart.cooldown, duration));
  SIDECAR_TRY(read_optional(node, "max_per_hour", "restart", restart.max_per_hour, count(60)));
  SIDECAR_TRY(read_optional(node, "jitter", "restart", restart.jitter, duration));
  SIDECAR_TRY(read_optional(node, "dry_run", "restart", restart.dry_run, boolean));
  return {};
}

Expected<void> read_daemon_keys(const YamlReader& reader, const YAML::Node& root, RawConfig& raw) {
  auto string = [&](const YAML::Node& n, const std::string& p) { return reader.read_string(n, p); };
  auto duration = [&](const YAML::Node& n, const std::string& p) { return reader.read_duration(n, p); };
  auto threshold = [&](const YAML::Node& n, const std::string& p) { return reader.read_integer(n, p, 1, 20); };
  SIDECAR_TRY(read_optional(root, "interval", "", raw.interval, duration));
  SIDECAR_TRY(read_optional(root, "confirm_interval", "", raw.confirm_interval, duration));
  SIDECAR_TRY(read_optional(root, "healthy_threshold", "", raw.healthy_threshold, threshold));
  SIDECAR_TRY(read_optional(root, "unhealthy_threshold", "", raw.unhealthy_threshold, threshold));
  SIDECAR_TRY(read_optional(root, "state_dir", "", raw.state_dir, string));
  if (const YAML::Node status = root["status"]) {
    SIDECAR_TRY(reader.require_map(status, "status", {"listen"}));
    SIDECAR_TRY(read_optional(status, "listen", "status", raw.status_listen, string));
  }
  if (const YAML::Node agent = root["agent"]) SIDECAR_TRY(read_agent(reader, agent, raw.agent));
  if (const YAML::Node restart = root["restart"]) SIDECAR_TRY(read_restart(reader, restart, raw.restart));
  return {};
}

}  // namespace

Expected<RawConfig> parse_raw_config(const std::string& text, const std::string& file) {
  const YamlReader reader(file);
  auto loaded = reader.load(text);
  if (!loaded) return loaded.error();
  const YAML::Node& root = *loaded;
  SIDECAR_TRY(reader.require_map(root, "",
                                 {"site", "log_level", "timeout", "dns", "private_cidrs", "expected_cidrs",
                                  "probe_public_addresses", "tls", "intakes", "interval", "confirm_interval",
                                  "healthy_threshold", "unhealthy_threshold", "agent", "status", "state_dir",
                                  "restart"}));
  RawConfig raw;
  raw.file = file;
  auto string = [&](const YAML::Node& n, const std::string& p) { return reader.read_string(n, p); };
  auto string_list = [&](const YAML::Node& n, const std::string& p) { return reader.read_string_list(n, p); };
  SIDECAR_TRY(read_optional(root, "site", "", raw.site, string));
  SIDECAR_TRY(read_optional(root, "log_level", "", raw.log_level, string));
  SIDECAR_TRY(read_optional(root, "timeout", "", raw.timeout,
                            [&](const YAML::Node& n, const std::string& p) { return reader.read_duration(n, p); }));
  if (const YAML::Node dns = root["dns"]) {
    SIDECAR_TRY(reader.require_map(dns, "dns", {"servers", "resolv_conf"}));
    SIDECAR_TRY(read_optional(dns, "servers", "dns", raw.dns_servers, string_list));
    SIDECAR_TRY(read_optional(dns, "resolv_conf", "dns", raw.resolv_conf, string));
  }
  SIDECAR_TRY(read_optional(root, "private_cidrs", "", raw.private_cidrs, string_list));
  SIDECAR_TRY(read_optional(root, "expected_cidrs", "", raw.expected_cidrs, string_list));
  SIDECAR_TRY(read_optional(root, "probe_public_addresses", "", raw.probe_public_addresses,
                            [&](const YAML::Node& n, const std::string& p) { return reader.read_bool(n, p); }));
  if (const YAML::Node tls = root["tls"]) {
    SIDECAR_TRY(reader.require_map(tls, "tls", {"ca_file"}));
    SIDECAR_TRY(read_optional(tls, "ca_file", "tls", raw.ca_file, string));
  }
  SIDECAR_TRY(read_optional(root, "intakes", "", raw.intakes,
                            [&](const YAML::Node& n, const std::string& p) { return read_intakes(reader, n, p); }));
  SIDECAR_TRY(read_daemon_keys(reader, root, raw));
  return raw;
}

Expected<RawConfig> load_raw_config(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    return unexpected(ErrorCode::config, fmt::format("{}: cannot read the configuration file", path));
  }
  std::stringstream text;
  text << file.rdbuf();
  return parse_raw_config(text.str(), path);
}

EnvironmentLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

// ------------------------------------------------------------------ finalize
namespace {


// A value after overrides: the environment wins over the file, the file over the default.
template <typename T>
struct Resolved {
  T value;
  std::string origin;
  Location where;
};

class Finalizer {
 public:
  Finalizer(const RawConfig& raw, const EnvironmentLookup& environment) : raw_(raw), environment_(environment) {}

  Expected<Config> run() {
    config_.file = raw_.file;
    SIDECAR_TRY(finalize_site());
    SIDECAR_TRY(finalize_log_level());
    SIDECAR_TRY(finalize_timeout());
    SIDECAR_TRY(finalize_dns());
    SIDECAR_TRY(finalize_cidrs());
    SIDECAR_TRY(finalize_tls());
    SIDECAR_TRY(finalize_intakes());
    SIDECAR_TRY(finalize_schedule());
    SIDECAR_TRY(finalize_status_and_state());
    finalize_agent();
    SIDECAR_TRY(finalize_restart());
    return std::move(config_);
  }

 private:
  Location env_location(const std::string& name) const { return Location{"environment variable " + name, 0, 0}; }

  // Picks env > file > default for a string-valued key.
  Resolved<std::string> pick_string(const std::string& key, const std::string& env_name,
                                    const std::optional<Located<std::string>>& from_file, std::string fallback) {
    if (auto value = environment_(env_name)) {
      config_.origins[key] = "env:" + env_name;
      return {*value, "env:" + env_name, env_location(env_name)};
    }
    if (from_file) {
      config_.origins[key] = fmt::format("file:{}", from_file->where.line);
      return {from_file->value, config_.origins[key], from_file->where};
    }
    config_.origins[key] = "default";
    return {std::move(fallback), "default", Location{"default", 0, 0}};
  }

  Expected<void> finalize_site() {
    auto site = pick_string("site", std::string(env_prefix) + "SITE", raw_.site, "datadoghq.com");
    auto known = find_site(site.value);
    if (!known) {
      std::string names;
      for (const auto& entry : known_sites()) names += fmt::format("{}{}", names.empty() ? "" : ", ", entry.domain);
      return located_error(site.where, "site", fmt::format("unknown Datadog site '{}' (known: {})", site.value, names));
    }
    config_.site = std::string(known->domain);
    config_.site_offers_privatelink = known->offers_privatelink;
    return {};
  }

  Expected<void> finalize_log_level() {
    auto level = pick_string("log_level", std::string(env_prefix) + "LOG_LEVEL", raw_.log_level, "info");
    static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error", "off"};
    if (!levels.contains(level.value)) {
      return located_error(level.where, "log_level",
                           fmt::format("'{}' is not one of trace, debug, info, warn, error, off", level.value));
    }
    config_.log_level = level.value;
    return {};
  }

  Expected<void> finalize_timeout() {
    const std::string env_name = std::string(env_prefix) + "TIMEOUT";
    std::optional<Located<std::string>> as_text;
    if (raw_.timeout) as_text = Located<std::string>{format_duration(raw_.timeout->value), raw_.timeout->where};
    auto text = pick_string("timeout", env_name, as_text, "5s");
    auto duration = parse_duration(text.value);
    if (!duration) return located_error(text.where, "timeout", "must be a duration with a unit, like 500ms, 5s, 10m or 1h");
    if (*duration < std::chrono::milliseconds(10) || *duration > std::chrono::minutes(1)) {
      return located_error(text.where, "timeout", "must be between 10ms and 1m");
    }
    config_.timeout = *duration;
    return {};
  }

  Expected<void> finalize_dns() {
    const std::string env_name = std::string(env_prefix) + "DNS_SERVERS";
    Location where{"default", 0, 0};
    if (auto value = environment_(env_name)) {
      std::stringstream list(*value);
      for (std::string item; std::getline(list, item, ',');) {
        if (!item.empty()) config_.dns_servers.push_back(item);
      }
      config_.origins["dns.servers"] = "env:" + env_name;
      where = env_location(env_name);
    } else if (raw_.dns_servers) {
      config_.dns_servers = raw_.dns_servers->value;
      config_.origins["dns.servers"] = fmt::format("file:{}", raw_.dns_servers->where.line);
      where = raw_.dns_servers->where;
    } else {
      config_.origins["dns.servers"] = "default";
    }
    for (std::size_t index = 0; index < config_.dns_servers.size(); ++index) {
      if (auto problem = server_problem(config_.dns_servers[index])) {
        return located_error(where, fmt::format("dns.servers[{}]", index), *problem);
      }
    }
    auto resolv_conf = pick_string("dns.resolv_conf", std::string(env_prefix) + "RESOLV_CONF", raw_.resolv_conf,
                                   "/etc/resolv.conf");
    config_.resolv_conf = resolv_conf.value;
    return {};
  }

  // Accepts "ip", "ip:port", "[ipv6]:port"; c-ares takes addresses only.
  static std::optional<std::string> server_problem(const std::string& server) {
    std::string host = server;
    std::string port;
    if (server.starts_with('[')) {
      const auto close = server.find(']');
      if (close == std::string::npos) return fmt::format("'{}': missing ']'", server);
      host = server.substr(1, close - 1);
      if (close + 1 < server.size()) {
        if (server[close + 1] != ':') return fmt::format("'{}': expected ':' after ']'", server);
        port = server.substr(close + 2);
      }
    } else if (std::count(server.begin(), server.end(), ':') == 1) {
      host = server.substr(0, server.find(':'));
      port = server.substr(server.find(':') + 1);
    }
    if (!checks::parse_ip_address(host)) {
      return fmt::format("'{}' is not an IP address (host:port, [v6]:port); DNS servers cannot be names", server);
    }
    const bool has_port_separator = server.starts_with('[') ? server.find("]:") != std::string::npos
                                                             : std::count(server.begin(), server.end(), ':') == 1;
    if (has_port_separator && port.empty()) return fmt::format("'{}': the port after ':' is missing", server);
    if (!port.empty()) {
      const bool digits = std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits || port.size() > 5 || std::stoi(port) < 1 || std::stoi(port) > 65535) {
        return fmt::format("'{}': port must be 1..65535", server);
      }
    }
    return std::nullopt;
  }

  Expected<void> finalize_cidrs() {
    auto parse_list = [](const Located<std::vector<std::string>>& list,
                         const std::string& key) -> Expected<std::vector<checks::Cidr>> {
      std::vector<checks::Cidr> ranges;
      for (std::size_t index = 0; index < list.value.size(); ++index) {
        auto range = checks::Cidr::parse(list.value[index]);
        if (!range) return located_error(list.where, fmt::format("{}[{}]", key, index), range.error().message);
        ranges.push_back(*range);
      }
      return ranges;
    };
    if (raw_.private_cidrs) {
      if (raw_.private_cidrs->value.empty()) {
        return located_error(raw_.private_cidrs->where, "private_cidrs",
                             "must not be empty (every address would count as public)");
      }
      auto ranges = parse_list(*raw_.private_cidrs, "private_cidrs");
      if (!ranges) return ranges.error();
      config_.private_cidrs = std::move(*ranges);
      config_.origins["private_cidrs"] = fmt::format("file:{}", raw_.private_cidrs->where.line);
    } else {
      config_.private_cidrs = checks::default_private_cidrs();
      config_.origins["private_cidrs"] = "default";
    }
    if (raw_.expected_cidrs) {
      auto ranges = parse_list(*raw_.expected_cidrs, "expected_cidrs");
      if (!ranges) return ranges.error();
      config_.expected_cidrs = std::move(*ranges);
      config_.origins["expected_cidrs"] = fmt::format("file:{}", raw_.expected_cidrs->where.line);
    } else {
      config_.origins["expected_cidrs"] = "default";
    }
    config_.probe_public_addresses = raw_.probe_public_addresses && raw_.probe_public_addresses->value;
    config_.origins["probe_public_addresses"] =
        raw_.probe_public_addresses ? fmt::format("file:{}", raw_.probe_public_addresses->where.line) : "default";
    return {};
  }

  Expected<void> finalize_tls() {
    const std::string env_name = std::string(env_prefix) + "CA_FILE";
    if (auto value = environment_(env_name)) {
      config_.ca_file = *value;
      config_.origins["tls.ca_file"] = "env:" + env_name;
    } else if (raw_.ca_file) {
      config_.ca_file = raw_.ca_file->value;
      config_.origins["tls.ca_file"] = fmt::format("file:{}", raw_.ca_file->where.line);
    } else {
      config_.origins["tls.ca_file"] = "default";
    }
    if (config_.ca_file) {
      std::ifstream probe(*config_.ca_file);
      const bool from_environment = config_.origins["tls.ca_file"] != "default" &&
                                    config_.origins["tls.ca_file"].starts_with("env:");
      const Location where = from_environment || !raw_.ca_file ? env_location(env_name) : raw_.ca_file->where;
      if (!probe) return located_error(where, "tls.ca_file", fmt::format("cannot read '{}'", *config_.ca_file));
    }
    return {};
  }

  Expected<void> finalize_intakes() {
    if (!raw_.intakes) {
      for (const auto& intake : core_intakes()) {
        config_.intakes.push_back(
            IntakeConfig{std::string(intake.name), intake_host(intake, config_.site), 443, std::nullopt,
                         fmt::format("site {}", config_.site)});
      }
      config_.origins["intakes"] = "default";
      return {};
    }
    config_.intakes_explicit = true;
    if (raw_.intakes->value.empty()) return located_error(raw_.intakes->where, "intakes", "must not be empty");
    config_.origins["intakes"] = fmt::format("file:{}", raw_.intakes->where.line);
    std::set<std::string> names;
    for (std::size_t index = 0; index < raw_.intakes->value.size(); ++index) {
      auto intake = finalize_intake(raw_.intakes->value[index], fmt::format("intakes[{}]", index));
      if (!intake) return intake.error();
      if (!names.insert(intake->name).second) {
        return located_error(raw_.intakes->value[index].where, fmt::format("intakes[{}].name", index),
                             fmt::format("'{}' is used by another intake", intake->name));
      }
      config_.intakes.push_back(std::move(*intake));
    }
    return {};
  }

  static std::optional<std::string> hostname_problem(const std::string& host) {
    if (host.find("://") != std::string::npos) return "must be a hostname, not a URL";
    std::string_view name = host;
    if (name.ends_with('.')) name.remove_suffix(1);
    if (name.empty() || name.size() > 253) return "must be a hostname of 1 to 253 characters";
    std::size_t label_length = 0;
    for (char c : name) {
      if (c == '.') {
        if (label_length == 0) return "has an empty label";
        label_length = 0;
        continue;
      }
      const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                           c == '_';
      if (!allowed) return fmt::format("'{}' is not allowed in a hostname", c);
      if (++label_length > 63) return "has a label longer than 63 characters";
    }
    if (label_length == 0) return "has an empty label";
    return std::nullopt;
  }

  Expected<IntakeConfig> finalize_intake(const RawIntake& raw, const std::string& path) {
    if (!raw.name || raw.name->value.empty()) return located_error(raw.where, path + ".name", "is required");
    if (!raw.host) return located_error(raw.where, path + ".host", "is required");
    if (auto problem = hostname_problem(raw.host->value)) {
      return located_error(raw.host->where, path + ".host", fmt::format("'{}' {}", raw.host->value, *problem));
    }
    IntakeConfig intake;
    intake.name = raw.name->value;
    intake.host = raw.host->value;
    intake.port = raw.port ? raw.port->value : std::uint16_t{443};
    intake.origin = fmt::format("file:{}", raw.where.line);
    if (raw.https) {
      auto https = finalize_https(*raw.https, path + ".https");
      if (!https) return https.error();
      intake.https = std::move(*https);
    }
    return intake;
  }

  Expected<HttpsCheckConfig> finalize_https(const RawHttps& raw, const std::string& path) {
    HttpsCheckConfig https;
    https.path = raw.path ? raw.path->value : "/";
    if (!https.path.starts_with('/')) {
      return located_error(raw.path->where, path + ".path", "must start with '/'");
    }
    if (raw.api_key_env && raw.api_key_file) {
      return located_error(raw.where, path, "set api_key_env or api_key_file, not both");
    }
    if (raw.api_key_env) {
      auto value = environment_(raw.api_key_env->value);
      if (!value || value->empty()) {
        return located_error(raw.api_key_env->where, path + ".api_key_env",
                             fmt::format("environment variable {} is not set", raw.api_key_env->value));
      }
      https.api_key = Secret(*value);
      https.api_key_source = "env:" + raw.api_key_env->value;
    }
    if (raw.api_key_file) {
      std::ifstream file(raw.api_key_file->value);
      std::string key;
      if (file) std::getline(file, key);
      // Files written on Windows or by `echo` carry \r or spaces that would end up in the header.
      while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
      while (!key.empty() && std::isspace(static_cast<unsigned char>(key.front()))) key.erase(key.begin());
      if (key.empty()) {
        return located_error(raw.api_key_file->where, path + ".api_key_file",
                             fmt::format("cannot read an API key from '{}'", raw.api_key_file->value));
      }
      https.api_key = Secret(key);
      https.api_key_source = "file:" + raw.api_key_file->value;
    }
    https.accepted_status = {200, 201, 202, 204};
    if (raw.accepted_status) {
      https.accepted_status.clear();
      for (const auto& text : raw.accepted_status->value) {
        char* end = nullptr;
        const long status = std::strtol(text.c_str(), &end, 10);
        if (end == text.c_str() || *end != '\0' || status < 100 || status > 599) {
          return located_error(raw.accepted_status->where, path + ".accepted_status",
                               fmt::format("'{}' is not an HTTP status code", text));
        }
        https.accepted_status.push_back(status);
      }
    }
    return https;
  }

  // Records the origin of a file value (or "default") and returns the value to use.
  template <typename T, typename U>
  T from_file(const std::string& key, const std::optional<Located<U>>& value, T fallback) {
    if (!value) {
      config_.origins[key] = "default";
      return fallback;
    }
    config_.origins[key] = fmt::format("file:{}", value->where.line);
    return static_cast<T>(value->value);
  }

  Expected<std::chrono::milliseconds> duration_with_env(const std::string& key, const std::string& env_suffix,
                                                        const std::optional<Located<std::chrono::milliseconds>>& raw,
                                                        std::chrono::milliseconds fallback, Location& where) {
    const std::string env_name = std::string(env_prefix) + env_suffix;
    std::optional<Located<std::string>> as_text;
    if (raw) as_text = Located<std::string>{format_duration(raw->value), raw->where};
    auto text = pick_string(key, env_name, as_text, format_duration(fallback));
    where = text.where;
    auto duration = parse_duration(text.value);
    if (!duration) return located_error(text.where, key, "must be a duration with a unit, like 500ms, 5s, 10m or 1h");
    return *duration;
  }

  Expected<void> finalize_schedule() {
    Location where;
    auto interval = duration_with_env("interval", "INTERVAL", raw_.interval, config_.interval, where);
    if (!interval) return interval.error();
    if (*interval < std::chrono::milliseconds(200) || *interval > std::chrono::hours(1)) {
      return located_error(where, "interval", "must be between 200ms and 1h");
    }
    // A probe must finish before the next one is due, or cycles would pile up.
    if (config_.timeout >= *interval) {
      return located_error(where, "interval",
                           fmt::format("must be longer than timeout ({}), or probes would overlap",
                                       format_duration(config_.timeout)));
    }
    config_.interval = *interval;
    config_.confirm_interval = from_file("confirm_interval", raw_.confirm_interval,
                                         std::min(config_.confirm_interval, config_.interval));
    if (raw_.confirm_interval && (config_.confirm_interval > config_.interval ||
                                  config_.confirm_interval <= config_.timeout)) {
      return located_error(raw_.confirm_interval->where, "confirm_interval",
                           "must be longer than timeout and at most interval");
    }
    if (!raw_.confirm_interval && config_.confirm_interval <= config_.timeout) config_.confirm_interval = config_.interval;
    config_.healthy_threshold = from_file("healthy_threshold", raw_.healthy_threshold, config_.healthy_threshold);
    config_.unhealthy_threshold = from_file("unhealthy_threshold", raw_.unhealthy_threshold, config_.unhealthy_threshold);
    return {};
  }

  Expected<void> finalize_status_and_state() {
    auto listen = pick_string("status.listen", std::string(env_prefix) + "STATUS_LISTEN", raw_.status_listen,
                              config_.status_listen);
    if (auto problem = listen_problem(listen.value)) return located_error(listen.where, "status.listen", *problem);
    config_.status_listen = listen.value;
    auto state_dir = pick_string("state_dir", std::string(env_prefix) + "STATE_DIR", raw_.state_dir, config_.state_dir);
    if (!state_dir.value.starts_with('/')) {
      return located_error(state_dir.where, "state_dir", "must be an absolute path");
    }
    config_.state_dir = state_dir.value;
    return {};
  }

  // "127.0.0.1:9719", "[::1]:9719"; port 0 picks a free port (tests).
  static std::optional<std::string> listen_problem(const std::string& listen) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) return fmt::format("'{}' must be address:port", listen);
    std::string host = listen.substr(0, colon);
    if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
    if (!checks::parse_ip_address(host)) return fmt::format("'{}': '{}' is not an IP address", listen, host);
    const std::string port = listen.substr(colon + 1);
    const bool digits = !port.empty() && port.size() <= 5 &&
                        std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoi(port) > 65535) return fmt::format("'{}': port must be 0..65535", listen);
    return std::nullopt;
  }

  void finalize_agent() {
    AgentSettings& agent = config_.agent;
    const RawAgent& raw = raw_.agent;
    auto agent_config = pick_string("agent.config", std::string(env_prefix) + "AGENT_CONFIG", raw.config, agent.config);
    agent.config = agent_config.value;
    agent.config_explicit = agent_config.origin != "default";
    agent.environment_file = from_file("agent.environment_file", raw.environment_file, agent.environment_file);
    agent.version_manifest = from_file("agent.version_manifest", raw.version_manifest, agent.version_manifest);
    agent.version_command = from_file("agent.version_command", raw.version_command, agent.version_command);
    agent.units = from_file("agent.units", raw.units, agent.units);
    agent.pid_files = from_file("agent.pid_files", raw.pid_files, agent.pid_files);
    agent.process_names = from_file("agent.process_names", raw.process_names, agent.process_names);
  }

  Expected<void> finalize_restart() {
    RestartSettings& restart = config_.restart;
    const RawRestart& raw = raw_.restart;
    restart.enabled = from_file("restart.enabled", raw.enabled, restart.enabled);
    restart.command = from_file("restart.command", raw.command, restart.command);
    restart.verify_command = from_file("restart.verify_command", raw.verify_command, restart.verify_command);
    restart.upgrade_check_command =
        from_file("restart.upgrade_check_command", raw.upgrade_check_command, restart.upgrade_check_command);
    restart.command_timeout = from_file("restart.command_timeout", raw.command_timeout, restart.command_timeout);
    restart.stable_checks = from_file("restart.stable_checks", raw.stable_checks, restart.stable_checks);
    restart.cooldown = from_file("restart.cooldown", raw.cooldown, restart.cooldown);
    restart.max_per_hour = from_file("restart.max_per_hour", raw.max_per_hour, restart.max_per_hour);
    restart.jitter = from_file("restart.jitter", raw.jitter, restart.jitter);
    const std::string dry_run_env = std::string(env_prefix) + "DRY_RUN";
    if (auto value = environment_(dry_run_env)) {
      if (*value != "true" && *value != "false") {
        return located_error(env_location(dry_run_env), "restart.dry_run", "must be true or false");
      }
      restart.dry_run = *value == "true";
      config_.origins["restart.dry_run"] = "env:" + dry_run_env;
    } else {
      restart.dry_run = from_file("restart.dry_run", raw.dry_run, restart.dry_run);
    }
    if (raw.command && raw.command->value.empty()) {
      return located_error(raw.command->where, "restart.command", "must not be empty (set restart.enabled: false)");
    }
    if (raw.command_timeout && (restart.command_timeout < std::chrono::seconds(1) ||
                                restart.command_timeout > std::chrono::minutes(10))) {
      return located_error(raw.command_timeout->where, "restart.command_timeout", "must be between 1s and 10m");
    }
    if (raw.jitter && restart.jitter > std::chrono::hours(1)) {
      return located_error(raw.jitter->where, "restart.jitter", "must be at most 1h");
    }
    return {};
  }

  const RawConfig& raw_;
  const EnvironmentLookup& environment_;
  Config config_;
};

}  // namespace

Expected<Config> finalize_config(const RawConfig& raw, const EnvironmentLookup& environment) {
  return Finalizer(raw, environment).run();
}

}  // namespace sidecar
