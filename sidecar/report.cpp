#include "report.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace sidecar {
namespace {

using checks::IntakeResult;
using checks::ReachResult;
using checks::Verdict;

std::string milliseconds_text(const std::optional<std::chrono::microseconds>& duration) {
  if (!duration) return "-";
  return fmt::format("{:.1f}ms", static_cast<double>(duration->count()) / 1000.0);
}

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

void add_intake_rows(std::vector<Row>& rows, const IntakeResult& result) {
  const std::string dns = std::string(checks::to_string(result.dns.outcome));
  const std::string klass = std::string(checks::to_string(result.address_class));
  std::vector<std::string> intake_cells = {result.name, fmt::format("{}:{}", result.host, result.port), dns, klass,
                                           std::string(checks::to_string(result.verdict))};
  if (result.addresses.empty()) {
    rows.push_back({{intake_cells[0], intake_cells[1], intake_cells[2], intake_cells[3], "-", "-", "-", "-", "-",
                     intake_cells[4]}});
    return;
  }
  bool first = true;
  for (const ReachResult& address : result.addresses) {
    std::string cert = address.cert_days_left ? fmt::format("{}d", *address.cert_days_left) : "-";
    std::string outcome = std::string(checks::to_string(address.outcome));
    if (address.https) outcome += fmt::format(" (HTTP {})", address.https->status_code);
    rows.push_back({{first ? intake_cells[0] : "", first ? intake_cells[1] : "", first ? intake_cells[2] : "",
                     first ? intake_cells[3] : "", address.address.to_string(), outcome,
                     milliseconds_text(address.connect_time), milliseconds_text(address.tls_time), cert,
                     first ? intake_cells[4] : ""}});
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
  std::vector<Row> rows;
  rows.push_back({{"INTAKE", "HOST", "DNS", "CLASS", "ADDRESS", "RESULT", "CONNECT", "TLS", "CERT", "VERDICT"}});
  for (const auto& result : results) add_intake_rows(rows, result);
  std::string text = format_rows(rows);
  std::string reasons;
  for (const auto& result : results) {
    if (result.verdict == Verdict::ok) continue;
    reasons += fmt::format("  {} ({}): {}\n", result.name, checks::to_string(result.verdict), result.reason);
  }
  if (!reasons.empty()) text += "\n" + reasons;
  return text;
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
