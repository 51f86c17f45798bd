#pragma once
// The one-shot subcommands. Each returns the process exit code.
#include <string>

#include "checks/expected.h"
#include "config.h"

namespace sidecar {

enum class OutputFormat { table, json };

struct CommonOptions {
  std::string config_path = "/etc/privatelink-sidecar/sidecar.yaml";
  bool config_given = false;  // without --config, a missing default file means "all defaults"
  std::string log_level;      // empty: from the config
};

int run_check_command(const CommonOptions& options, OutputFormat format);
int run_check_config_command(const CommonOptions& options, OutputFormat format);
int run_intakes_command(const CommonOptions& options, OutputFormat format);
int run_status_command(const CommonOptions& options, OutputFormat format, const std::string& url_override);

// The config file of `options`, or the built-in defaults when the default
// path does not exist; then validated (docs/configuration.md).
checks::Expected<Config> load_config(const CommonOptions& options);

}  // namespace sidecar
