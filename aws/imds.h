#pragma once
// EC2 instance profile credentials (and the instance's region) over IMDSv2, through an injected fetcher
// (no network code here). The three requests botocore makes:
//   PUT  <base>/latest/api/token                      X-aws-ec2-metadata-token-ttl-seconds: 21600
//   GET  <base>/latest/meta-data/iam/security-credentials/         -> role name
//   GET  <base>/latest/meta-data/iam/security-credentials/<role>   -> JSON keys
// with X-aws-ec2-metadata-token on both GETs. <base> is
// AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254.
// No IMDSv1 fallback: a refused token PUT is an error.
// The fetcher should use a short timeout (botocore: 1 s) and no proxy.
#include <string>

#include "aws/credentials.h"
#include "aws/http.h"

namespace aws {

inline constexpr const char* default_metadata_endpoint = "http://169.254.169.254";

std::string metadata_endpoint(const EnvironmentLookup& environment);

// The instance's region: the token, then GET <base>/latest/meta-data/placement/region.
Expected<std::string> fetch_instance_region(const HttpFetcher& fetch, const EnvironmentLookup& environment);

// Error messages never contain response bodies: the last one holds the keys.
Expected<Credentials> fetch_instance_credentials(const HttpFetcher& fetch,
                                                 const EnvironmentLookup& environment);

}  // namespace aws
