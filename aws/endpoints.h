#pragma once
// Where to send EC2 and Route 53 calls, and how to sign them. Overrides follow
// the AWS SDK convention, so the same variables point the AWS CLI and this
// tool at a local peer such as moto:
//   AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL_ROUTE_53   (service-specific, wins)
//   AWS_ENDPOINT_URL                                   (all services)
//   AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true           (ignore both)
// Endpoint settings in the config file (endpoint_url, [services]) are not read.
#include <string>
#include <string_view>

#include "aws/credentials.h"

namespace aws {

enum class Service { ec2, route53 };

struct ServiceEndpoint {
  std::string base_url;        // scheme://host[:port][/path], no trailing slash
  std::string host;            // host[:port] as the Host header must carry it
  std::string signing_name;    // "ec2", "route53"
  std::string signing_region;  // the EC2 region; always us-east-1 for Route 53
  std::string origin;          // "default", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL"
};

// `region` is the region being provisioned. Only the `aws` partition has
// default endpoints (Datadog sites all live there); other partitions need an
// override and are otherwise an error rather than a wrong host name.
Expected<ServiceEndpoint> resolve_endpoint(Service service, std::string_view region,
                                           const EnvironmentLookup& environment);

}  // namespace aws
