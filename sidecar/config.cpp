#include "config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "site_table.h"

namespace sidecar {
namespace {

using checks::ErrorCode;
using checks::unexpected;

// Assigns `out` from the child `key` of `map` when present, using `read`.
template <typename Target, typename Reader>
Expected<void> read_optional(const YAML::Node& map, const char* key, const std::string& path, Target& out,
                             Reader read) {
  const YAML::Node child = map[key];
  if (!child) return {};
  auto value = read(child, path.empty() ? std::string(key) : path + "." + key);
  if (!value) return value.error();
  out = std::move(*value);
  return {};
}

#define SIDECAR_TRY(expression)                    \
  do {                                             \
    if (auto status_ = (expression); !status_) {   \
      return status_.error();                      \
    }                                              \
  } while (false)

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

}  // namespace

Expected<RawConfig> parse_raw_config(const std::string& text, const std::string& file) {
  const YamlReader reader(file);
  auto loaded = reader.load(text);
  if (!loaded) return loaded.error();
  const YAML::Node& root = *loaded;
  SIDECAR_TRY(reader.require_map(root, "",
                                 {"site", "log_level", "timeout", "dns", "private_cidrs", "expected_cidrs",
                                  "probe_public_addresses", "tls", "intakes"}));
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

Error located_error(const Location& where, std::string_view path, std::string_view message) {
  return Error{ErrorCode::config, fmt::format("{}: {}: {}", where.describe(), path, message)};
}

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
    if (!duration) return located_error(text.where, "timeout", "must be a duration with a unit, like 500ms or 5s");
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
      const Location where = raw_.ca_file ? raw_.ca_file->where : env_location(env_name);
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
      if (!file || !std::getline(file, key) || key.empty()) {
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

  const RawConfig& raw_;
  const EnvironmentLookup& environment_;
  Config config_;
};

}  // namespace

Expected<Config> finalize_config(const RawConfig& raw, const EnvironmentLookup& environment) {
  return Finalizer(raw, environment).run();
}

}  // namespace sidecar
