#include "aws/imds.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "aws/crypto.h"

namespace aws {
namespace {

constexpr const char* token_path = "/latest/api/token";
constexpr const char* roles_path = "/latest/meta-data/iam/security-credentials/";
constexpr const char* region_path = "/latest/meta-data/placement/region";
// Six hours, the value botocore asks for; we only need the token for 2 GETs.
constexpr const char* token_ttl_seconds = "21600";

Error metadata_error(std::string message) { return Error{ErrorCode::io, std::move(message)}; }

Expected<std::string> fetch_token(const HttpFetcher& fetch, const std::string& base) {
  const HttpRequest request{
      "PUT", base + token_path, {{"X-aws-ec2-metadata-token-ttl-seconds", token_ttl_seconds}}, {}};
  auto response = fetch(request);
  if (!response) return response.error().with_prefix("IMDSv2 token request: ");
  if (response->status != 200) {
    return metadata_error(fmt::format("IMDSv2 token request: HTTP {}", response->status));
  }
  if (response->body.empty()) return metadata_error("IMDSv2 token request: empty token");
  return std::move(response->body);
}

Expected<std::string> fetch_with_token(const HttpFetcher& fetch, const std::string& url,
                                       const std::string& token, std::string_view what,
                                       std::string_view not_found_hint = " (no IAM role attached to this instance?)") {
  const HttpRequest request{"GET", url, {{"X-aws-ec2-metadata-token", token}}, {}};
  auto response = fetch(request);
  if (!response) return response.error().with_prefix(fmt::format("{}: ", what));
  if (response->status == 404) return metadata_error(fmt::format("{}: HTTP 404{}", what, not_found_hint));
  if (response->status != 200)
    return metadata_error(fmt::format("{}: HTTP {}", what, response->status));
  return std::move(response->body);
}

// The listing holds one role name per line; instances have at most one.
Expected<std::string> first_role(const std::string& listing) {
  std::string role = listing.substr(0, listing.find('\n'));
  if (!role.empty() && role.back() == '\r') role.pop_back();
  if (role.empty()) return metadata_error("IMDS role listing is empty (no IAM role attached)");
  return role;
}

Expected<std::string> string_field(const nlohmann::json& document, const char* name) {
  const auto found = document.find(name);
  if (found == document.end() || !found->is_string() ||
      found->get_ref<const std::string&>().empty()) {
    return metadata_error(fmt::format("IMDS credentials document has no '{}' string", name));
  }
  return found->get<std::string>();
}

Expected<Credentials> parse_credentials_document(const std::string& body, const std::string& role) {
  const auto document = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    return metadata_error(fmt::format("IMDS credentials for role '{}': not a JSON object", role));
  }
  if (auto code = document.find("Code"); code != document.end() && *code != "Success") {
    return metadata_error(fmt::format("IMDS credentials for role '{}': Code is {}", role,
                                      code->is_string() ? code->get<std::string>() : code->dump()));
  }
  auto key_id = string_field(document, "AccessKeyId");
  if (!key_id) return key_id.error();
  auto secret = string_field(document, "SecretAccessKey");
  if (!secret) return secret.error();
  auto token = string_field(document, "Token");
  if (!token) return token.error();
  std::optional<TimePoint> expiration;
  if (auto text = string_field(document, "Expiration")) expiration = parse_iso8601_utc(*text);
  Credentials credentials(std::move(*key_id), SecretString(std::move(*secret)),
                          SecretString(std::move(*token)), CredentialSource::instance_metadata,
                          expiration);
  credentials.set_origin(fmt::format("role {}", role));
  return credentials;
}

}  // namespace

std::string metadata_endpoint(const EnvironmentLookup& environment) {
  auto endpoint = environment("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  if (!endpoint || endpoint->empty()) return default_metadata_endpoint;
  while (!endpoint->empty() && endpoint->back() == '/') endpoint->pop_back();
  return std::move(*endpoint);
}

Expected<std::string> fetch_instance_region(const HttpFetcher& fetch, const EnvironmentLookup& environment) {
  const std::string base = metadata_endpoint(environment);
  auto token = fetch_token(fetch, base);
  if (!token) return token.error();
  auto region = fetch_with_token(fetch, base + region_path, *token, "IMDS region", "");
  if (!region) return region.error();
  while (!region->empty() && (region->back() == '\n' || region->back() == '\r')) region->pop_back();
  if (region->empty()) return metadata_error("IMDS region: empty answer");
  return region;
}

Expected<Credentials> fetch_instance_credentials(const HttpFetcher& fetch,
                                                 const EnvironmentLookup& environment) {
  const std::string base = metadata_endpoint(environment);
  auto token = fetch_token(fetch, base);
  if (!token) return token.error();
  auto listing = fetch_with_token(fetch, base + roles_path, *token, "IMDS role listing");
  if (!listing) return listing.error();
  auto role = first_role(*listing);
  if (!role) return role.error();
  auto document = fetch_with_token(fetch, base + roles_path + *role, *token,
                                   fmt::format("IMDS credentials for role '{}'", *role));
  if (!document) return document.error();
  auto credentials = parse_credentials_document(*document, *role);
  wipe(*document);
  return credentials;
}

}  // namespace aws
