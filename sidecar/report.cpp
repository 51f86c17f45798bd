#include "report.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace sidecar {
namespace {

using checks::IntakeResult;
using checks::ReachResult;
using checks::Verdict;

nlohmann::json milliseconds_json(const std::optional<std::chrono::microseconds>& duration) {
  if (!duration) return nullptr;
  return static_cast<double>(duration->count()) / 1000.0;
}

struct Row {
  std::vector<std::string> cells;
};

std::string format_rows(const std::vector<Row>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.cells.size()));
    for (std::size_t column = 0; column < row.cells.size(); ++column) {
      widths[column] = std::max(widths[column], row.cells[column].size());
    }
  }
  std::string text;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t column = 0; column < row.cells.size(); ++column) {
      const bool last = column + 1 == row.cells.size();
      line += last ? row.cells[column] : fmt::format("{:<{}}  ", row.cells[column], widths[column]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    text += line + "\n";
  }
  return text;
}

std::string text_of(const nlohmann::json& value, const char* fallback = "-") {
  return value.is_string() ? value.get<std::string>() : std::string(fallback);
}

std::string milliseconds_of(const nlohmann::json& value) {
  return value.is_number() ? fmt::format("{:.1f}ms", value.get<double>()) : "-";
}

// Rows from the JSON form, so that `check` and `status` (which gets JSON from
// the daemon) print the very same table.
void add_intake_rows(std::vector<Row>& rows, const nlohmann::json& intake) {
  const std::string name = text_of(intake["name"]);
  const std::string host = fmt::format("{}:{}", text_of(intake["host"]), intake["port"].dump());
  const std::string dns = text_of(intake["dns"]["outcome"]);
  const std::string klass = text_of(intake["dns"]["class"]);
  const std::string verdict = text_of(intake["verdict"]);
  const auto& addresses = intake["addresses"];
  if (addresses.empty()) {
    rows.push_back({{name, host, dns, klass, "-", "-", "-", "-", "-", verdict}});
    return;
  }
  bool first = true;
  for (const auto& address : addresses) {
    const auto& days = address["cert_days_left"];
    std::string cert = days.is_number() ? fmt::format("{}d", days.get<int>()) : "-";
    std::string outcome = text_of(address["outcome"]);
    if (address["https"].is_object()) outcome += fmt::format(" (HTTP {})", address["https"]["status"].dump());
    rows.push_back({{first ? name : "", first ? host : "", first ? dns : "", first ? klass : "",
                     text_of(address["address"]), outcome, milliseconds_of(address["connect_ms"]),
                     milliseconds_of(address["tls_ms"]), cert, first ? verdict : ""}});
    first = false;
  }
}

}  // namespace

ExitCode exit_code_for(const std::vector<IntakeResult>& results) {
  const auto has = [&](Verdict verdict) {
    return std::any_of(results.begin(), results.end(), [&](const IntakeResult& r) { return r.verdict == verdict; });
  };
  if (has(Verdict::failing)) return ExitCode::failing;
  if (has(Verdict::degraded)) return ExitCode::degraded;
  return ExitCode::ok;
}

std::string render_table(const std::vector<IntakeResult>& results) {
  return render_table(results_to_json(results)["intakes"]);
}

std::string render_table(const nlohmann::json& intakes) {
  std::vector<Row> rows;
  rows.push_back({{"INTAKE", "HOST", "DNS", "CLASS", "ADDRESS", "RESULT", "CONNECT", "TLS", "CERT", "VERDICT"}});
  for (const auto& intake : intakes) add_intake_rows(rows, intake);
  std::string text = format_rows(rows);
  std::string reasons;
  for (const auto& intake : intakes) {
    if (text_of(intake["verdict"]) == "ok") continue;
    reasons += fmt::format("  {} ({}): {}\n", text_of(intake["name"]), text_of(intake["verdict"]),
                           text_of(intake["reason"], ""));
  }
  if (!reasons.empty()) text += "\n" + reasons;
  return text;
}

std::string render_status_table(const nlohmann::json& intakes) {
  nlohmann::json shown = intakes;
  for (auto& intake : shown) {
    const std::string raw = text_of(intake["verdict"]);
    const auto& reported = intake["reported_verdict"];
    if (!reported.is_string()) {
      intake["verdict"] = "failing (no probe finished yet)";  // as the exit code counts it
    } else if (reported.get<std::string>() != raw) {
      intake["verdict"] = fmt::format("{} (last probe: {})", reported.get<std::string>(), raw);
    }
  }
  return render_table(shown);
}

nlohmann::json intake_to_json(const IntakeResult& result) {
  using nlohmann::json;
  json chain = json::array();
  for (const auto& hop : result.dns.cname_chain) chain.push_back({{"alias", hop.alias}, {"target", hop.target}, {"ttl", hop.ttl}});
  json resolved = json::array();
  for (const auto& entry : result.dns.addresses) {
    resolved.push_back({{"address", entry.address.to_string()}, {"family", entry.address.is_v4() ? "ipv4" : "ipv6"},
                        {"ttl", entry.ttl}});
  }
  json dns = {
      {"query", result.dns.query_name},
      {"outcome", checks::to_string(result.dns.outcome)},
      {"a", {{"outcome", checks::to_string(result.dns.a.outcome)}, {"detail", result.dns.a.detail}}},
      {"aaaa", {{"outcome", checks::to_string(result.dns.aaaa.outcome)}, {"detail", result.dns.aaaa.detail}}},
      {"class", checks::to_string(result.address_class)},
      {"cname_chain", chain},
      {"addresses", resolved},
      {"min_ttl", result.dns.min_ttl ? json(*result.dns.min_ttl) : json(nullptr)},
      {"elapsed_ms", static_cast<double>(result.dns.elapsed.count()) / 1000.0},
      {"server", result.dns.server},
      {"detail", result.dns.detail},
  };
  json addresses = json::array();
  for (const auto& address : result.addresses) {
    json entry = {
        {"address", address.address.to_string()},
        {"port", address.port},
        {"outcome", checks::to_string(address.outcome)},
        {"connect_ms", milliseconds_json(address.connect_time)},
        {"tls_ms", milliseconds_json(address.tls_time)},
        {"tls_version", address.tls_version.empty() ? json(nullptr) : json(address.tls_version)},
        {"cert_days_left", address.cert_days_left ? json(*address.cert_days_left) : json(nullptr)},
        {"cert_issuer", address.cert_issuer.empty() ? json(nullptr) : json(address.cert_issuer)},
        {"detail", address.detail},
        {"https", nullptr},
    };
    if (address.https) {
      entry["https"] = {{"path", address.https->url_path},
                        {"status", address.https->status_code},
                        {"error", address.https->error},
                        {"total_ms", static_cast<double>(address.https->total_time.count()) / 1000.0}};
    }
    addresses.push_back(std::move(entry));
  }
  return {{"name", result.name},   {"host", result.host},     {"port", result.port},
          {"verdict", checks::to_string(result.verdict)}, {"reason", result.reason},
          {"dns", std::move(dns)}, {"addresses", std::move(addresses)}};
}

nlohmann::json results_to_json(const std::vector<IntakeResult>& results) {
  nlohmann::json intakes = nlohmann::json::array();
  int ok = 0, degraded = 0, failing = 0;
  for (const auto& result : results) {
    intakes.push_back(intake_to_json(result));
    (result.verdict == Verdict::ok ? ok : result.verdict == Verdict::degraded ? degraded : failing)++;
  }
  return {{"intakes", std::move(intakes)},
          {"summary", {{"ok", ok}, {"degraded", degraded}, {"failing", failing},
                       {"exit_code", static_cast<int>(exit_code_for(results))}}}};
}

}  // namespace sidecar
