#pragma once
// AWS credentials and where they come from, without any network access:
// environment, then the shared credentials file, then the config file
// (the AWS SDKs' order), plus the region. IMDSv2 lives in aws/imds.h and is
// only tried when the caller hands in a fetcher.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "aws/http.h"
#include "aws/timestamp.h"
#include "checks/expected.h"

namespace aws {

using checks::Error;
using checks::ErrorCode;
using checks::Expected;

// Returns the value of an environment variable, or nullopt when unset. Tests
// pass a map; production passes process_environment(). Same shape as
// sidecar::EnvironmentLookup so one lookup serves both.
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvironmentLookup process_environment();

// A secret string that cannot be printed by accident: no operator<<, no fmt
// formatter, and the bytes are wiped on destruction. reveal() is for the
// signer only.
class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string value) : value_(std::move(value)) {}
  SecretString(const SecretString&) = default;
  SecretString& operator=(const SecretString&) = default;
  SecretString(SecretString&&) noexcept = default;
  SecretString& operator=(SecretString&&) noexcept = default;
  ~SecretString();

  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

 private:
  std::string value_;
};

enum class CredentialSource {
  explicit_value,
  environment,
  shared_credentials_file,
  config_file,
  instance_metadata,
};
const char* to_string(CredentialSource source);

class Credentials {
 public:
  Credentials(std::string access_key_id, SecretString secret_access_key,
              SecretString session_token = {},
              CredentialSource source = CredentialSource::explicit_value,
              std::optional<TimePoint> expiration = std::nullopt);

  // The access key id identifies the key but does not grant access; AWS
  // prints it in CloudTrail. describe() still shows only its last 4 chars.
  const std::string& access_key_id() const { return access_key_id_; }
  const SecretString& secret_access_key() const { return secret_access_key_; }
  const SecretString& session_token() const { return session_token_; }
  bool has_session_token() const { return !session_token_.empty(); }
  CredentialSource source() const { return source_; }
  // Only known for instance metadata. Nothing here rejects expired
  // credentials: AWS answers ExpiredToken, which is the clearer message.
  const std::optional<TimePoint>& expiration() const { return expiration_; }
  // Where the keys came from, e.g. "[dev] in /home/u/.aws/credentials".
  const std::string& origin() const { return origin_; }
  void set_origin(std::string origin) { origin_ = std::move(origin); }

  // Safe for logs: "access key ****MPLE, secret redacted, session token
  // present, from environment".
  std::string describe() const;

 private:
  std::string access_key_id_;
  SecretString secret_access_key_;
  SecretString session_token_;
  CredentialSource source_;
  std::optional<TimePoint> expiration_;
  std::string origin_;
};

// ------------------------------------------------------------- resolution

// The files and profile the SDKs would use for this environment.
struct SharedConfigLocation {
  std::string credentials_file;  // AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials
  std::string config_file;       // AWS_CONFIG_FILE, else ~/.aws/config
  std::string profile;           // parameter, else AWS_PROFILE, else "default"
  bool profile_chosen = false;   // true unless it fell back to "default"
};
Expected<SharedConfigLocation> locate_shared_config(const EnvironmentLookup& environment,
                                                    const std::optional<std::string>& profile);

struct CredentialOptions {
  // --profile. As in botocore, a profile passed explicitly disables the
  // environment keys (AWS_PROFILE does not).
  std::optional<std::string> profile;
  // Last resort: EC2 instance metadata (IMDSv2) through this fetcher. Empty
  // means "do not try" (the default, and always in unit tests).
  HttpFetcher instance_metadata;
};

// Environment, then credentials file, then config file, then (if a fetcher
// is given) instance metadata. Errors: partial keys (an id without a secret),
// a profile chosen by name that exists in neither file, a malformed file
// (file:line), a profile that needs a provider we do not have (role_arn,
// credential_process, SSO, web identity), and nothing found (the message
// lists what was tried).
Expected<Credentials> resolve_credentials(const EnvironmentLookup& environment,
                                          const CredentialOptions& options = {});

struct Region {
  std::string name;
  std::string origin;  // "flag", "AWS_REGION", "AWS_DEFAULT_REGION", "<file>:<line>" or "instance metadata"
};
// flag > AWS_REGION > AWS_DEFAULT_REGION > `region` of the profile (the
// credentials file's section wins over the config file's, as botocore merges
// them) > the instance's placement/region from IMDSv2 through
// `instance_metadata` (skipped when empty or AWS_EC2_METADATA_DISABLED=true).
// An error when none of them names a region.
Expected<Region> resolve_region(const EnvironmentLookup& environment,
                                const std::optional<std::string>& region_flag,
                                const std::optional<std::string>& profile = std::nullopt,
                                const HttpFetcher& instance_metadata = {});

}  // namespace aws
