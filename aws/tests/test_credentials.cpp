#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>

#include "aws/credentials.h"
#include "test_support.h"

namespace aws {
namespace {

using test::environment;
using ::testing::HasSubstr;
using ::testing::Not;

// --------------------------------------------------------- never printable

template <typename T>
concept Streamable = requires(std::ostream& stream, const T& value) {
  stream << value;
};
static_assert(!Streamable<SecretString>, "SecretString must not have operator<<");
static_assert(!Streamable<Credentials>, "Credentials must not have operator<<");
static_assert(!fmt::is_formattable<SecretString>::value, "SecretString must not be formattable");
static_assert(!fmt::is_formattable<Credentials>::value, "Credentials must not be formattable");
static_assert(!std::is_convertible_v<SecretString, std::string>);

TEST(Credentials, DescribeRedactsSecretAndToken) {
  const Credentials credentials("AKIDEXAMPLE1234", SecretString("wJalrXUtnFEMI/SECRET"),
                                SecretString("SESSION-TOKEN-VALUE"), CredentialSource::environment);
  const std::string text = credentials.describe();
  EXPECT_EQ(text, "access key ****1234, secret redacted, session token present, from environment");
  EXPECT_THAT(text, Not(HasSubstr("SECRET")));
  EXPECT_THAT(text, Not(HasSubstr("SESSION-TOKEN")));
  EXPECT_THAT(text, Not(HasSubstr("AKIDEXAMPLE")));
}

TEST(Credentials, DescribeShowsOriginAndExpiration) {
  Credentials credentials("AKID", SecretString("s"), SecretString(),
                          CredentialSource::instance_metadata,
                          parse_iso8601_utc("2030-01-02T03:04:05Z"));
  credentials.set_origin("role web");
  EXPECT_EQ(
      credentials.describe(),
      "access key ****, secret redacted, no session token, from instance metadata (role web), "
      "expires 2030-01-02T03:04:05Z");
}

// -------------------------------------------------------------- environment

// No HOME and no file variables: the shared files are never looked at.
Expected<Credentials> resolve(std::map<std::string, std::string> values,
                              CredentialOptions options = {}) {
  return resolve_credentials(environment(std::move(values)), options);
}

std::string error_of(std::map<std::string, std::string> values, CredentialOptions options = {}) {
  auto credentials = resolve(std::move(values), std::move(options));
  EXPECT_FALSE(credentials) << credentials->describe();
  return credentials ? "" : credentials.error().message;
}

TEST(EnvironmentCredentials, KeysAndSessionToken) {
  auto credentials = resolve({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                              {"AWS_SECRET_ACCESS_KEY", "secret-env"},
                              {"AWS_SESSION_TOKEN", "token-env"}});
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id(), "AKIDENV");
  EXPECT_EQ(credentials->secret_access_key().reveal(), "secret-env");
  EXPECT_EQ(credentials->session_token().reveal(), "token-env");
  EXPECT_EQ(credentials->source(), CredentialSource::environment);
  EXPECT_FALSE(credentials->expiration());
}

TEST(EnvironmentCredentials, OldSecurityTokenName) {
  auto credentials = resolve({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                              {"AWS_SECRET_ACCESS_KEY", "secret-env"},
                              {"AWS_SECURITY_TOKEN", "old-token"}});
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->session_token().reveal(), "old-token");
}

TEST(EnvironmentCredentials, PartialKeysAreAnError) {
  EXPECT_EQ(error_of({{"AWS_ACCESS_KEY_ID", "AKIDENV"}}),
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both or neither");
  EXPECT_EQ(error_of({{"AWS_SECRET_ACCESS_KEY", "secret-env"}, {"AWS_ACCESS_KEY_ID", ""}}),
            "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not; set both or neither");
}

TEST(EnvironmentCredentials, NothingAnywhereIsAnError) {
  const std::string message = error_of({{"AWS_SESSION_TOKEN", "token-without-keys"}});
  EXPECT_THAT(message, HasSubstr("no AWS credentials found"));
  EXPECT_THAT(message, HasSubstr("profile 'default'"));
  EXPECT_THAT(message, HasSubstr("instance metadata was not tried"));
}

// ------------------------------------------------------------- shared files

class SharedFiles : public ::testing::Test {
 protected:
  // HOME points at the temporary directory, so ~/.aws/* are the test's files.
  std::map<std::string, std::string> home() const { return {{"HOME", dir_.path().string()}}; }
  std::string credentials_file(const std::string& content) {
    return dir_.write(".aws/credentials", content);
  }
  std::string config_file(const std::string& content) { return dir_.write(".aws/config", content); }

  Expected<Credentials> resolve_with(std::map<std::string, std::string> extra = {},
                                     std::optional<std::string> profile = std::nullopt) {
    auto values = home();
    values.insert(extra.begin(), extra.end());
    CredentialOptions options;
    options.profile = std::move(profile);
    return resolve_credentials(environment(values), options);
  }

  test::TempDir dir_;
};

TEST_F(SharedFiles, DefaultProfileFromCredentialsFile) {
  const std::string path = credentials_file(
      "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = secret-file\n");
  auto credentials = resolve_with();
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id(), "AKIDFILE");
  EXPECT_EQ(credentials->secret_access_key().reveal(), "secret-file");
  EXPECT_FALSE(credentials->has_session_token());
  EXPECT_EQ(credentials->source(), CredentialSource::shared_credentials_file);
  EXPECT_EQ(credentials->origin(), "[default] in " + path);
}

TEST_F(SharedFiles, EnvironmentKeysWinOverFiles) {
  credentials_file("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n");
  auto credentials =
      resolve_with({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "e"}});
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->access_key_id(), "AKIDENV");
}

TEST_F(SharedFiles, ExplicitProfileParameterSkipsEnvironmentKeys) {
  credentials_file("[ops]\naws_access_key_id = AKIDOPS\naws_secret_access_key = s\n");
  auto credentials =
      resolve_with({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "e"}}, "ops");
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id(), "AKIDOPS");
}

TEST_F(SharedFiles, AwsProfileVariableKeepsEnvironmentKeysFirst) {
  credentials_file("[ops]\naws_access_key_id = AKIDOPS\naws_secret_access_key = s\n");
  auto credentials = resolve_with(
      {{"AWS_PROFILE", "ops"}, {"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "e"}});
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->access_key_id(), "AKIDENV");
}

TEST_F(SharedFiles, ProfileSectionInConfigFile) {
  config_file(
      "[default]\nregion = us-east-1\n"
      "[profile dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\n"
      "aws_session_token = session-dev\n");
  auto credentials = resolve_with({{"AWS_PROFILE", "dev"}});
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id(), "AKIDDEV");
  EXPECT_EQ(credentials->session_token().reveal(), "session-dev");
  EXPECT_EQ(credentials->source(), CredentialSource::config_file);
}

TEST_F(SharedFiles, PlainSectionNameInConfigIsNotAProfile) {
  config_file("[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\n");
  auto credentials = resolve_with({{"AWS_PROFILE", "dev"}});
  ASSERT_FALSE(credentials);
  EXPECT_THAT(credentials.error().message, HasSubstr("AWS profile 'dev' not found"));
}

TEST_F(SharedFiles, DefaultProfileMayBeWrittenProfileDefault) {
  config_file("[profile default]\naws_access_key_id = AKIDDEF\naws_secret_access_key = s\n");
  auto credentials = resolve_with();
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id(), "AKIDDEF");
}

TEST_F(SharedFiles, CredentialsFileWinsOverConfigFile) {
  credentials_file("[dev]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = s\n");
  config_file("[profile dev]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = s\n");
  auto credentials = resolve_with({}, "dev");
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->access_key_id(), "AKIDCREDS");
}

TEST_F(SharedFiles, FileLocationsFromEnvironmentWithTildeExpansion) {
  dir_.write("elsewhere/creds",
             "[default]\naws_access_key_id = AKIDELSE\naws_secret_access_key = s\n");
  credentials_file("[default]\naws_access_key_id = AKIDHOME\naws_secret_access_key = s\n");
  auto credentials = resolve_with({{"AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/creds"}});
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id(), "AKIDELSE");
}

TEST_F(SharedFiles, ExpiredSessionCredentialsArePassedThrough) {
  // The CLI writes an expiration for temporary keys; nothing here checks it.
  credentials_file(
      "[default]\naws_access_key_id = ASIAOLD\naws_secret_access_key = s\n"
      "aws_session_token = old-token\n"
      "aws_expiration = 2001-01-01T00:00:00Z\n");
  auto credentials = resolve_with();
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id(), "ASIAOLD");
  EXPECT_EQ(credentials->session_token().reveal(), "old-token");
  EXPECT_FALSE(credentials->expiration());
}

TEST_F(SharedFiles, MissingSecretNamesFileAndSection) {
  const std::string path = credentials_file("[default]\n\n[dev]\naws_access_key_id = AKIDDEV\n");
  auto credentials = resolve_with({}, "dev");
  ASSERT_FALSE(credentials);
  EXPECT_EQ(credentials.error().message,
            path + ":3: [dev] has aws_access_key_id but no aws_secret_access_key");
}

TEST_F(SharedFiles, MissingKeyIdNamesFileAndSection) {
  const std::string path = config_file("[default]\naws_secret_access_key = s\n");
  auto credentials = resolve_with();
  ASSERT_FALSE(credentials);
  EXPECT_EQ(credentials.error().message,
            path + ":1: [default] has aws_secret_access_key but no aws_access_key_id");
}

TEST_F(SharedFiles, MalformedLineNamesFileAndLine) {
  const std::string path = config_file("[default]\nregion us-east-1\n");
  auto credentials = resolve_with();
  ASSERT_FALSE(credentials);
  EXPECT_EQ(credentials.error().message,
            path + ":2: expected 'key = value', a [section] or a # comment");
}

TEST_F(SharedFiles, UnknownProfileIsAnError) {
  const std::string creds =
      credentials_file("[default]\naws_access_key_id = A\naws_secret_access_key = s\n");
  const std::string config = config_file("[default]\nregion = us-east-1\n");
  auto credentials = resolve_with({}, "nope");
  ASSERT_FALSE(credentials);
  EXPECT_EQ(credentials.error().code, ErrorCode::config);
  EXPECT_EQ(credentials.error().message,
            "AWS profile 'nope' not found in " + creds + " or " + config);
}

TEST_F(SharedFiles, UnsupportedProvidersAreReportedNotIgnored) {
  const std::string path = config_file(
      "[profile assume]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = default\n"
      "aws_access_key_id = AKID\naws_secret_access_key = s\n"
      "[profile process]\ncredential_process = /bin/creds\n"
      "[profile sso]\nsso_session = corp\n");
  auto assume = resolve_with({}, "assume");
  ASSERT_FALSE(assume);
  EXPECT_THAT(
      assume.error().message,
      HasSubstr(path + ":2: [profile assume] uses role_arn (assume-role), which is not supported"));
  auto process = resolve_with({}, "process");
  ASSERT_FALSE(process);
  EXPECT_THAT(process.error().message, HasSubstr(":7: [profile process] uses credential_process"));
  auto sso = resolve_with({}, "sso");
  ASSERT_FALSE(sso);
  EXPECT_THAT(sso.error().message, HasSubstr("IAM Identity Center (SSO)"));
}

TEST_F(SharedFiles, LocateReportsChosenProfileAndPaths) {
  auto location = locate_shared_config(
      environment({{"HOME", "/home/u"}, {"AWS_CONFIG_FILE", "/etc/aws.cfg"}}), std::nullopt);
  ASSERT_TRUE(location);
  EXPECT_EQ(location->credentials_file, "/home/u/.aws/credentials");
  EXPECT_EQ(location->config_file, "/etc/aws.cfg");
  EXPECT_EQ(location->profile, "default");
  EXPECT_FALSE(location->profile_chosen);
  auto chosen = locate_shared_config(environment({{"AWS_PROFILE", "ops"}}), std::string("cli"));
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->profile, "cli") << "the parameter wins over AWS_PROFILE";
  EXPECT_TRUE(chosen->profile_chosen);
}

// ------------------------------------------------------------------ region

TEST_F(SharedFiles, RegionPrecedence) {
  config_file("[default]\nregion = eu-west-3\n");
  const auto values = [&](std::map<std::string, std::string> extra) {
    auto all = home();
    all.insert(extra.begin(), extra.end());
    return environment(all);
  };
  const std::map<std::string, std::string> both = {{"AWS_REGION", "us-west-2"},
                                                   {"AWS_DEFAULT_REGION", "ap-southeast-2"}};
  EXPECT_EQ(resolve_region(values(both), std::string("eu-central-1"))->name, "eu-central-1");
  EXPECT_EQ(resolve_region(values(both), std::string("eu-central-1"))->origin, "flag");
  EXPECT_EQ(resolve_region(values(both), std::nullopt)->name, "us-west-2");
  EXPECT_EQ(
      resolve_region(values({{"AWS_DEFAULT_REGION", "ap-southeast-2"}}), std::nullopt)->origin,
      "AWS_DEFAULT_REGION");
  auto from_profile = resolve_region(values({}), std::nullopt);
  ASSERT_TRUE(from_profile) << from_profile.error().message;
  EXPECT_EQ(from_profile->name, "eu-west-3");
  EXPECT_THAT(from_profile->origin, ::testing::EndsWith(".aws/config:2"));
}

TEST_F(SharedFiles, RegionOfNamedProfile) {
  config_file("[default]\nregion = eu-west-3\n[profile ops]\nregion = sa-east-1\n");
  auto region = resolve_region(environment(home()), std::nullopt, std::string("ops"));
  ASSERT_TRUE(region);
  EXPECT_EQ(region->name, "sa-east-1");
}

TEST_F(SharedFiles, NoRegionIsAnError) {
  config_file("[default]\noutput = json\n");
  auto region = resolve_region(environment(home()), std::nullopt);
  ASSERT_FALSE(region);
  EXPECT_THAT(region.error().message, HasSubstr("no AWS region: pass --region, set AWS_REGION"));
}

TEST_F(SharedFiles, RegionOfUnknownProfileIsAnError) {
  config_file("[default]\nregion = eu-west-3\n");
  auto region = resolve_region(environment(home()), std::nullopt, std::string("nope"));
  ASSERT_FALSE(region);
  EXPECT_THAT(region.error().message, HasSubstr("AWS profile 'nope' not found"));
}

// ------------------------------------------------- instance metadata step

TEST(CredentialChain, FallsBackToInstanceMetadataWhenGiven) {
  int calls = 0;
  CredentialOptions options;
  options.instance_metadata = [&](const HttpRequest& request) -> Expected<HttpResponse> {
    ++calls;
    if (request.method == "PUT") return HttpResponse{200, "token"};
    if (request.url.ends_with("/security-credentials/")) return HttpResponse{200, "web-role"};
    return HttpResponse{200, R"({"Code":"Success","AccessKeyId":"ASIAIMDS","SecretAccessKey":"s",)"
                             R"("Token":"t","Expiration":"2030-01-01T00:00:00Z"})"};
  };
  auto credentials = resolve({}, options);
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id(), "ASIAIMDS");
  EXPECT_EQ(credentials->source(), CredentialSource::instance_metadata);
  EXPECT_EQ(calls, 3);
}

TEST(CredentialChain, InstanceMetadataCanBeDisabled) {
  CredentialOptions options;
  options.instance_metadata = [](const HttpRequest&) -> Expected<HttpResponse> {
    ADD_FAILURE() << "IMDS must not be called";
    return HttpResponse{500, ""};
  };
  EXPECT_THAT(error_of({{"AWS_EC2_METADATA_DISABLED", "true"}}, options),
              HasSubstr("AWS_EC2_METADATA_DISABLED=true"));
}

TEST(CredentialChain, InstanceMetadataFailureExplainsTheChain) {
  CredentialOptions options;
  options.instance_metadata = [](const HttpRequest&) -> Expected<HttpResponse> {
    return Error{ErrorCode::io, "connect timeout"};
  };
  EXPECT_EQ(error_of({}, options),
            "no AWS credentials in the environment or shared files; instance metadata: "
            "IMDSv2 token request: connect timeout");
}

}  // namespace
}  // namespace aws
