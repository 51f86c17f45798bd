#include "commands.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <iostream>

#include "config.h"
#include "intake_sources.h"
#include "probe_stack.h"
#include "report.h"
#include "site_table.h"

namespace sidecar {
namespace {

bool file_exists(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0;
}

int report_error(const Error& error) {
  fmt::print(stderr, "privatelink-sidecar: {}\n", error.message);
  return static_cast<int>(ExitCode::error);
}

void warn_about_site(const Config& config) {
  if (!config.site_offers_privatelink) {
    fmt::print(stderr, "warning: site {} does not offer AWS PrivateLink; its intakes cannot resolve privately\n",
               config.site);
  }
}

}  // namespace

Expected<Config> load_config(const CommonOptions& options) {
  RawConfig raw;
  if (options.config_given || file_exists(options.config_path)) {
    auto loaded = load_raw_config(options.config_path);
    if (!loaded) return loaded.error();
    raw = std::move(*loaded);
  } else {
    raw.file = "(built-in defaults)";
  }
  return finalize_config(raw, process_environment());
}

int run_check_command(const CommonOptions& options, OutputFormat format) {
  auto config = load_config(options);
  if (!config) return report_error(config.error());
  auto intakes = resolve_intakes(*config, process_environment());
  if (!intakes) return report_error(intakes.error());
  config->intakes = intakes->intakes;
  config->site = intakes->site;
  warn_about_site(*config);
  boost::asio::io_context io(1);
  auto stack = make_probe_stack(io, *config);
  if (!stack) return report_error(stack.error());
  std::vector<checks::IntakeResult> results;
  stack->prober->probe_all(targets_from(*config),
                           [&](std::vector<checks::IntakeResult> finished) {
                             results = std::move(finished);
                             // Every deadline has passed; c-ares may still be retrying a
                             // silent server, which must not keep a one-shot command alive.
                             io.stop();
                           });
  io.run();
  if (format == OutputFormat::json) {
    auto document = results_to_json(results);
    document["site"] = config->site;
    fmt::print("{}\n", document.dump(2));
  } else {
    fmt::print("{}", render_table(results));
  }
  return static_cast<int>(exit_code_for(results));
}

int run_check_config_command(const CommonOptions& options, OutputFormat format) {
  auto config = load_config(options);
  if (!config) return report_error(config.error());
  nlohmann::json document;
  auto origin = [&](const std::string& key) { return config->origins.count(key) ? config->origins.at(key) : "default"; };
  auto entry = [&](const std::string& key, nlohmann::json value) {
    return nlohmann::json{{"value", std::move(value)}, {"origin", origin(key)}};
  };
  nlohmann::json cidrs = nlohmann::json::array();
  for (const auto& range : config->private_cidrs) cidrs.push_back(range.to_string());
  nlohmann::json expected = nlohmann::json::array();
  for (const auto& range : config->expected_cidrs) expected.push_back(range.to_string());
  nlohmann::json intakes = nlohmann::json::array();
  for (const auto& intake : config->intakes) {
    nlohmann::json item = {{"name", intake.name}, {"host", intake.host}, {"port", intake.port}, {"origin", intake.origin}};
    if (intake.https) {
      // The key itself is never printed: only where it comes from.
      item["https"] = {{"path", intake.https->path},
                       {"api_key", intake.https->api_key_source ? *intake.https->api_key_source : "none"},
                       {"accepted_status", intake.https->accepted_status}};
    }
    intakes.push_back(std::move(item));
  }
  document = {
      {"file", config->file},
      {"site", entry("site", config->site)},
      {"log_level", entry("log_level", config->log_level)},
      {"timeout", entry("timeout", format_duration(config->timeout))},
      {"dns.servers", entry("dns.servers", config->dns_servers)},
      {"dns.resolv_conf", entry("dns.resolv_conf", config->resolv_conf)},
      {"private_cidrs", entry("private_cidrs", cidrs)},
      {"expected_cidrs", entry("expected_cidrs", expected)},
      {"probe_public_addresses", entry("probe_public_addresses", config->probe_public_addresses)},
      {"tls.ca_file", entry("tls.ca_file", config->ca_file ? nlohmann::json(*config->ca_file) : nlohmann::json(nullptr))},
      {"intakes", entry("intakes", intakes)},
      {"interval", entry("interval", format_duration(config->interval))},
      {"confirm_interval", entry("confirm_interval", format_duration(config->confirm_interval))},
      {"healthy_threshold", entry("healthy_threshold", config->healthy_threshold)},
      {"unhealthy_threshold", entry("unhealthy_threshold", config->unhealthy_threshold)},
      {"status.listen", entry("status.listen", config->status_listen)},
      {"state_dir", entry("state_dir", config->state_dir)},
      {"agent.config", entry("agent.config", config->agent.config)},
      {"agent.environment_file", entry("agent.environment_file", config->agent.environment_file)},
      {"agent.version_manifest", entry("agent.version_manifest", config->agent.version_manifest)},
      {"agent.version_command", entry("agent.version_command", config->agent.version_command)},
      {"agent.units", entry("agent.units", config->agent.units)},
      {"agent.pid_files", entry("agent.pid_files", config->agent.pid_files)},
      {"agent.process_names", entry("agent.process_names", config->agent.process_names)},
      {"restart.enabled", entry("restart.enabled", config->restart.enabled)},
      {"restart.command", entry("restart.command", config->restart.command)},
      {"restart.verify_command", entry("restart.verify_command", config->restart.verify_command)},
      {"restart.upgrade_check_command", entry("restart.upgrade_check_command", config->restart.upgrade_check_command)},
      {"restart.command_timeout", entry("restart.command_timeout", format_duration(config->restart.command_timeout))},
      {"restart.stable_checks", entry("restart.stable_checks", config->restart.stable_checks)},
      {"restart.cooldown", entry("restart.cooldown", format_duration(config->restart.cooldown))},
      {"restart.max_per_hour", entry("restart.max_per_hour", config->restart.max_per_hour)},
      {"restart.jitter", entry("restart.jitter", format_duration(config->restart.jitter))},
      {"restart.dry_run", entry("restart.dry_run", config->restart.dry_run)},
  };
  if (format == OutputFormat::json) {
    fmt::print("{}\n", document.dump(2));
    return 0;
  }
  fmt::print("# {}: valid\n", config->file);
  for (const auto& [key, value] : document.items()) {
    if (key == "file") continue;
    if (key == "intakes") {
      fmt::print("{:<24} # {}\n", "intakes:", value["origin"].get<std::string>());
      for (const auto& intake : value["value"]) fmt::print("  - {}\n", intake.dump());
      continue;
    }
    fmt::print("{:<32} {:<40} # {}\n", key + ":", value["value"].dump(), value["origin"].get<std::string>());
  }
  return 0;
}

int run_intakes_command(const CommonOptions& options, OutputFormat format) {
  auto config = load_config(options);
  if (!config) return report_error(config.error());
  auto resolved = resolve_intakes(*config, process_environment());
  if (!resolved) return report_error(resolved.error());
  config->site = resolved->site;
  warn_about_site(*config);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& intake : resolved->intakes) {
    list.push_back({{"name", intake.name}, {"host", intake.host}, {"port", intake.port}, {"origin", intake.origin},
                    {"optional", intake.optional}});
  }
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& finding : resolved->findings) {
    findings.push_back({{"id", finding.id}, {"severity", finding.severity}, {"key", finding.key}, {"message", finding.message}});
  }
  if (format == OutputFormat::json) {
    fmt::print("{}\n", nlohmann::json{{"site", resolved->site}, {"source", resolved->source},
                                      {"agent_version", resolved->agent_version ? nlohmann::json(*resolved->agent_version) : nlohmann::json(nullptr)},
                                      {"intakes", list}, {"findings", findings}}.dump(2));
    return 0;
  }
  for (const auto& note : resolved->notes) fmt::print("# {}\n", note);
  fmt::print("{:<16} {:<48} {:<6} {:<9} {}\n", "NAME", "HOST", "PORT", "OPTIONAL", "FROM");
  for (const auto& intake : resolved->intakes) {
    fmt::print("{:<16} {:<48} {:<6} {:<9} {}\n", intake.name, intake.host, intake.port, intake.optional ? "yes" : "no",
               intake.origin);
  }
  for (const auto& finding : resolved->findings) {
    fmt::print("finding {} ({}): {}\n", finding.id, finding.severity, finding.message);
  }
  return 0;
}

}  // namespace sidecar
