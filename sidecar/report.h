#pragma once
// How probe results are shown: a table for people, JSON for programs
// (schema in docs/check-output.md), and the exit code of `check`.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "checks/intake.h"

namespace sidecar {

enum class ExitCode : int {
  ok = 0,        // every intake private and reachable on every address
  degraded = 1,  // at least one intake degraded, none failing
  failing = 2,   // at least one intake failing
  error = 3,     // the check could not run (bad config, bad flags)
};

ExitCode exit_code_for(const std::vector<checks::IntakeResult>& results);

std::string render_table(const std::vector<checks::IntakeResult>& results);
// The same table from the JSON form (`intakes` of check --output json or /status).
std::string render_table(const nlohmann::json& intakes);
// `status`: the daemon's /status intakes with VERDICT = the reported verdict
// (after the thresholds: what the exit code and /metrics use), and the last
// probe's raw verdict next to it while a change is being confirmed.
std::string render_status_table(const nlohmann::json& intakes);
nlohmann::json intake_to_json(const checks::IntakeResult& result);
nlohmann::json results_to_json(const std::vector<checks::IntakeResult>& results);

}  // namespace sidecar
