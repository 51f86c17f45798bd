#include "aws/endpoints.h"

#include <fmt/format.h>

#include <optional>

namespace aws {
namespace {

struct ServiceNames {
  const char* signing_name;
  const char* override_variable;  // AWS_ENDPOINT_URL_ + the service id, upper snake case
};

ServiceNames names_of(Service service) {
  switch (service) {
    case Service::ec2:
      return {"ec2", "AWS_ENDPOINT_URL_EC2"};
    case Service::route53:
      return {"route53", "AWS_ENDPOINT_URL_ROUTE_53"};
  }
  return {"ec2", "AWS_ENDPOINT_URL_EC2"};
}

bool is_region_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

// The region goes into a host name and the credential scope: only
// lowercase letters, digits and dashes, like every AWS region name.
Expected<void> check_region(std::string_view region) {
  bool valid = !region.empty();
  for (const char c : region) valid = valid && is_region_char(c);
  if (!valid) return Error{ErrorCode::config, fmt::format("invalid AWS region '{}'", region)};
  return {};
}

bool in_aws_partition(std::string_view region) {
  for (const std::string_view other :
       {"cn-", "us-gov-", "us-iso-", "us-isob-", "eu-isoe-", "us-isof-"}) {
    if (region.substr(0, other.size()) == other) return false;
  }
  return true;
}

std::optional<std::pair<std::string, std::string>> configured_override(
    const EnvironmentLookup& environment, const char* service_variable) {
  const auto ignore = environment("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  if (ignore && (*ignore == "true" || *ignore == "TRUE" || *ignore == "True")) return std::nullopt;
  for (const char* name : {service_variable, "AWS_ENDPOINT_URL"}) {
    auto value = environment(name);
    if (value && !value->empty()) return std::make_pair(std::string(name), std::move(*value));
  }
  return std::nullopt;
}

// Splits "scheme://authority[/path]" and checks the scheme. The authority
// becomes the Host header, which is signed.
Expected<ServiceEndpoint> parse_base_url(std::string url, std::string_view origin) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  const auto scheme_end = url.find("://");
  const std::string_view scheme = std::string_view(url).substr(0, scheme_end);
  if (scheme_end == std::string::npos || (scheme != "http" && scheme != "https")) {
    return Error{ErrorCode::config,
                 fmt::format("{}: '{}' is not an http:// or https:// URL", origin, url)};
  }
  const auto authority_start = scheme_end + 3;
  const auto authority_end = url.find_first_of("/?#", authority_start);
  std::string host = url.substr(authority_start, authority_end - authority_start);
  // user:password@ would end up in logs and errors; the URL is not echoed.
  if (host.find('@') != std::string::npos) {
    return Error{ErrorCode::config,
                 fmt::format("{}: user info (user:password@) is not allowed in the URL", origin)};
  }
  if (host.empty())
    return Error{ErrorCode::config, fmt::format("{}: '{}' has no host", origin, url)};
  if (authority_end != std::string::npos && url[authority_end] != '/') {
    return Error{ErrorCode::config,
                 fmt::format("{}: '{}' must not carry a query or fragment", origin, url)};
  }
  ServiceEndpoint endpoint;
  endpoint.base_url = std::move(url);
  endpoint.host = std::move(host);
  endpoint.origin = std::string(origin);
  return endpoint;
}

std::string default_url(Service service, std::string_view region) {
  if (service == Service::route53) return "https://route53.amazonaws.com";
  return fmt::format("https://ec2.{}.amazonaws.com", region);
}

}  // namespace

Expected<ServiceEndpoint> resolve_endpoint(Service service, std::string_view region,
                                           const EnvironmentLookup& environment) {
  if (auto valid = check_region(region); !valid) return valid.error();
  const ServiceNames names = names_of(service);
  auto override_url = configured_override(environment, names.override_variable);
  if (!override_url && !in_aws_partition(region)) {
    return Error{ErrorCode::config,
                 fmt::format("region {} is outside the aws partition; set {} to its endpoint",
                             region, names.override_variable)};
  }
  auto endpoint = override_url
                      ? parse_base_url(std::move(override_url->second), override_url->first)
                      : parse_base_url(default_url(service, region), "default");
  if (!endpoint) return endpoint.error();
  endpoint->signing_name = names.signing_name;
  // Route 53 is global: the aws partition signs it for us-east-1 whatever
  // region the VPCs are in (botocore's globalEndpoint / credentialScope).
  endpoint->signing_region = service == Service::route53 ? "us-east-1" : std::string(region);
  return endpoint;
}

}  // namespace aws
