#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>

#include "aws/imds.h"
#include "test_support.h"

namespace aws {
namespace {

using test::environment;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* credentials_document =
    R"({"Code":"Success","LastUpdated":"2024-05-17T09:00:00Z","Type":"AWS-HMAC",)"
    R"("AccessKeyId":"ASIAIMDSEXAMPLE","SecretAccessKey":"imds-secret",)"
    R"("Token":"imds-token","Expiration":"2024-05-17T15:00:00Z"})";

// Answers requests in order from a script and records what it was asked.
class FakeMetadataService {
 public:
  explicit FakeMetadataService(std::deque<Expected<HttpResponse>> answers)
      : answers_(std::move(answers)) {}

  HttpFetcher fetcher() {
    return [this](const HttpRequest& request) -> Expected<HttpResponse> {
      requests.push_back(request);
      if (answers_.empty()) return Error{ErrorCode::internal, "unexpected request"};
      auto answer = std::move(answers_.front());
      answers_.pop_front();
      return answer;
    };
  }

  std::vector<HttpRequest> requests;

 private:
  std::deque<Expected<HttpResponse>> answers_;
};

std::deque<Expected<HttpResponse>> happy_path(std::string document = credentials_document) {
  return {HttpResponse{200, "AQAEAEXAMPLETOKEN=="}, HttpResponse{200, "web-role\n"},
          HttpResponse{200, std::move(document)}};
}

TEST(Imds, TokenThenRoleThenCredentials) {
  FakeMetadataService service(happy_path());
  auto credentials = fetch_instance_credentials(service.fetcher(), environment());
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id(), "ASIAIMDSEXAMPLE");
  EXPECT_EQ(credentials->secret_access_key().reveal(), "imds-secret");
  EXPECT_EQ(credentials->session_token().reveal(), "imds-token");
  EXPECT_EQ(credentials->source(), CredentialSource::instance_metadata);
  EXPECT_EQ(credentials->origin(), "role web-role");
  ASSERT_TRUE(credentials->expiration());
  EXPECT_EQ(iso8601_utc(*credentials->expiration()), "2024-05-17T15:00:00Z");

  ASSERT_EQ(service.requests.size(), 3u);
  EXPECT_EQ(service.requests[0].method, "PUT");
  EXPECT_EQ(service.requests[0].url, "http://169.254.169.254/latest/api/token");
  EXPECT_THAT(service.requests[0].headers,
              ::testing::ElementsAre(Header{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}));
  EXPECT_EQ(service.requests[1].method, "GET");
  EXPECT_EQ(service.requests[1].url,
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/");
  EXPECT_THAT(service.requests[1].headers,
              ::testing::ElementsAre(Header{"X-aws-ec2-metadata-token", "AQAEAEXAMPLETOKEN=="}));
  EXPECT_EQ(service.requests[2].url,
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/web-role");
  EXPECT_EQ(service.requests[2].headers, service.requests[1].headers);
}

TEST(Imds, EndpointOverrideForLocalStubs) {
  FakeMetadataService service(happy_path());
  auto credentials = fetch_instance_credentials(
      service.fetcher(),
      environment({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:8111/"}}));
  ASSERT_TRUE(credentials);
  EXPECT_EQ(service.requests[0].url, "http://127.0.0.1:8111/latest/api/token");
}

TEST(Imds, ExpiredCredentialsArePassedThrough) {
  std::string document = credentials_document;
  document.replace(document.find("2024-05-17T15:00:00Z"), 20, "2001-01-01T00:00:00Z");
  FakeMetadataService service(happy_path(document));
  auto credentials = fetch_instance_credentials(service.fetcher(), environment());
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_EQ(iso8601_utc(*credentials->expiration()), "2001-01-01T00:00:00Z");
}

std::string error_of(std::deque<Expected<HttpResponse>> answers) {
  FakeMetadataService service(std::move(answers));
  auto credentials = fetch_instance_credentials(service.fetcher(), environment());
  EXPECT_FALSE(credentials);
  return credentials ? "" : credentials.error().message;
}

TEST(Imds, TokenRefusedHasNoV1Fallback) {
  EXPECT_EQ(error_of({HttpResponse{403, "Forbidden"}}), "IMDSv2 token request: HTTP 403");
  EXPECT_EQ(error_of({Error{ErrorCode::io, "timed out after 1000 ms"}}),
            "IMDSv2 token request: timed out after 1000 ms");
  EXPECT_EQ(error_of({HttpResponse{200, ""}}), "IMDSv2 token request: empty token");
}

TEST(Imds, NoRoleAttached) {
  EXPECT_THAT(error_of({HttpResponse{200, "t"}, HttpResponse{404, "Not Found"}}),
              HasSubstr("IMDS role listing: HTTP 404 (no IAM role attached"));
  EXPECT_EQ(error_of({HttpResponse{200, "t"}, HttpResponse{200, ""}}),
            "IMDS role listing is empty (no IAM role attached)");
}

TEST(Imds, BadCredentialsDocuments) {
  const auto with_document = [](std::string document) {
    return error_of(
        {HttpResponse{200, "t"}, HttpResponse{200, "web-role"}, HttpResponse{200, document}});
  };
  EXPECT_EQ(with_document("not json"), "IMDS credentials for role 'web-role': not a JSON object");
  EXPECT_EQ(with_document(R"({"Code":"AssumeRoleUnauthorizedAccess","SecretAccessKey":"leak"})"),
            "IMDS credentials for role 'web-role': Code is AssumeRoleUnauthorizedAccess");
  EXPECT_EQ(with_document(R"({"Code":"Success","AccessKeyId":"A","Token":"t"})"),
            "IMDS credentials document has no 'SecretAccessKey' string");
  EXPECT_EQ(with_document(R"({"Code":"Success","AccessKeyId":"A","SecretAccessKey":"leak"})"),
            "IMDS credentials document has no 'Token' string");
  EXPECT_EQ(
      error_of({HttpResponse{200, "t"}, HttpResponse{200, "web-role"}, HttpResponse{500, "leak"}}),
      "IMDS credentials for role 'web-role': HTTP 500");
}

TEST(Imds, ErrorsNeverEchoTheDocument) {
  const std::string message = error_of(
      {HttpResponse{200, "t"}, HttpResponse{200, "web-role"},
       HttpResponse{200, R"({"Code":"Success","AccessKeyId":"A","SecretAccessKey":"leak"})"}});
  EXPECT_THAT(message, Not(HasSubstr("leak")));
}

TEST(Imds, RegionWithAToken) {
  FakeMetadataService service({HttpResponse{200, "AQAEAEXAMPLETOKEN=="}, HttpResponse{200, "eu-west-1\n"}});
  auto region = fetch_instance_region(service.fetcher(), environment({{"AWS_EC2_METADATA_SERVICE_ENDPOINT",
                                                                       "http://127.0.0.1:8111/"}}));
  ASSERT_TRUE(region) << region.error().message;
  EXPECT_EQ(*region, "eu-west-1");
  ASSERT_EQ(service.requests.size(), 2u);
  EXPECT_EQ(service.requests[1].url, "http://127.0.0.1:8111/latest/meta-data/placement/region");
  EXPECT_THAT(service.requests[1].headers,
              ::testing::ElementsAre(Header{"X-aws-ec2-metadata-token", "AQAEAEXAMPLETOKEN=="}));
}

// The chain's last step: only when nothing else names a region, and never
// with AWS_EC2_METADATA_DISABLED.
TEST(Imds, RegionIsTheLastStepOfTheRegionChain) {
  const auto env = environment({{"AWS_CONFIG_FILE", "/nonexistent/config"},
                                {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"}});
  FakeMetadataService service({HttpResponse{200, "token"}, HttpResponse{200, "ap-southeast-2"}});
  auto region = resolve_region(env, std::nullopt, std::nullopt, service.fetcher());
  ASSERT_TRUE(region) << region.error().message;
  EXPECT_EQ(region->name, "ap-southeast-2");
  EXPECT_EQ(region->origin, "instance metadata");

  FakeMetadataService unused({});
  auto flag = resolve_region(env, std::string("us-east-2"), std::nullopt, unused.fetcher());
  ASSERT_TRUE(flag);
  EXPECT_TRUE(unused.requests.empty());

  auto disabled = resolve_region(environment({{"AWS_CONFIG_FILE", "/nonexistent/config"},
                                              {"AWS_EC2_METADATA_DISABLED", "true"}}),
                                 std::nullopt, std::nullopt, unused.fetcher());
  ASSERT_FALSE(disabled);
  EXPECT_THAT(disabled.error().message, HasSubstr("instance metadata is off (AWS_EC2_METADATA_DISABLED)"));
  EXPECT_TRUE(unused.requests.empty());

  FakeMetadataService down({Error{ErrorCode::io, "connection refused"}});
  auto failed = resolve_region(env, std::nullopt, std::nullopt, down.fetcher());
  ASSERT_FALSE(failed);
  EXPECT_THAT(failed.error().message, HasSubstr("no AWS region: pass --region"));
  EXPECT_THAT(failed.error().message, HasSubstr("instance metadata did not answer"));
}

}  // namespace
}  // namespace aws
