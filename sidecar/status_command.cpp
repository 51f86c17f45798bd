// `privatelink-sidecar status`: asks the running daemon (GET /status on its
// local endpoint) and prints the same table as `check`. A one-shot tool, so a
// blocking libcurl easy transfer with a short timeout is the simple choice.
#include <curl/curl.h>
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "config.h"
#include "report.h"

namespace sidecar {
namespace {

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// "127.0.0.1:9719" -> "http://127.0.0.1:9719"; "0.0.0.0:p" asks loopback.
std::string base_url_for(const std::string& listen) {
  std::string host_port = listen;
  if (host_port.starts_with("0.0.0.0:")) host_port = "127.0.0.1:" + host_port.substr(8);
  if (host_port.starts_with("[::]:")) host_port = "[::1]:" + host_port.substr(5);
  return "http://" + host_port;
}

Expected<nlohmann::json> fetch_status(const std::string& url) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return checks::unexpected(checks::ErrorCode::http_init, "libcurl could not start");
  std::string body;
  char error_text[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOPROXY, "*");  // the daemon is local; never ask a proxy
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error_text);
  if (curl_easy_perform(curl.get()) != CURLE_OK) {
    return checks::unexpected(checks::ErrorCode::io,
                              fmt::format("{}: {} (is `privatelink-sidecar run` running?)", url, error_text));
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) return checks::unexpected(checks::ErrorCode::io, fmt::format("{}: HTTP {}", url, status));
  auto document = nlohmann::json::parse(body, nullptr, false);
  if (document.is_discarded() || !document.contains("intakes")) {
    return checks::unexpected(checks::ErrorCode::io, fmt::format("{}: not a privatelink-sidecar status document", url));
  }
  return document;
}

int exit_code_of(const nlohmann::json& document) {
  bool degraded = false;
  for (const auto& intake : document["intakes"]) {
    const auto& verdict = intake["reported_verdict"];
    if (!verdict.is_string() || verdict == "failing") return static_cast<int>(ExitCode::failing);
    if (verdict == "degraded") degraded = true;
  }
  return static_cast<int>(degraded ? ExitCode::degraded : ExitCode::ok);
}

void print_summary(const nlohmann::json& document) {
  const auto& agent = document["agent"];
  fmt::print("\nAgent: {} process(es){}", agent["processes"].get<std::size_t>(),
             agent["version"].is_string() ? ", version " + agent["version"].get<std::string>() : "");
  fmt::print(", {} connection(s) to intake ports\n", agent["connections"].size());
  const auto& restart = document["restart"];
  fmt::print("Restarts: {}{}, state {}, {} event(s)\n", restart["enabled"].get<bool>() ? "enabled" : "disabled",
             restart["dry_run"].get<bool>() ? " (dry run)" : "", restart["state"].get<std::string>(),
             restart["events"].size());
  for (const auto& event : restart["events"]) {
    fmt::print("  {} {}: {}\n", event["at"].get<std::string>(), event["outcome"].get<std::string>(),
               event["reason"].get<std::string>());
  }
  for (const auto& finding : document["findings"]) {
    fmt::print("Finding {} ({}): {}\n", finding["id"].get<std::string>(), finding["severity"].get<std::string>(),
               finding["message"].get<std::string>());
  }
}

}  // namespace

int run_status_command(const CommonOptions& options, OutputFormat format, const std::string& url_override) {
  std::string base;
  if (!url_override.empty()) {
    base = url_override;
  } else {
    auto config = load_config(options);
    if (!config) {
      fmt::print(stderr, "privatelink-sidecar: {}\n", config.error().message);
      return static_cast<int>(ExitCode::error);
    }
    base = base_url_for(config->status_listen);
  }
  while (base.ends_with('/')) base.pop_back();
  auto document = fetch_status(base + "/status");
  if (!document) {
    fmt::print(stderr, "privatelink-sidecar: {}\n", document.error().message);
    return static_cast<int>(ExitCode::error);
  }
  if (format == OutputFormat::json) {
    fmt::print("{}\n", document->dump(2));
  } else {
    fmt::print("{}", render_status_table((*document)["intakes"]));
    print_summary(*document);
  }
  return exit_code_of(*document);
}

}  // namespace sidecar
