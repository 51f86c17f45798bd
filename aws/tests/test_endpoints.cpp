#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/endpoints.h"
#include "test_support.h"

namespace aws {
namespace {

using test::environment;
using ::testing::HasSubstr;

TEST(Endpoints, DefaultsInTheAwsPartition) {
  auto ec2 = resolve_endpoint(Service::ec2, "eu-west-1", environment());
  ASSERT_TRUE(ec2) << ec2.error().message;
  EXPECT_EQ(ec2->base_url, "https://ec2.eu-west-1.amazonaws.com");
  EXPECT_EQ(ec2->host, "ec2.eu-west-1.amazonaws.com");
  EXPECT_EQ(ec2->signing_name, "ec2");
  EXPECT_EQ(ec2->signing_region, "eu-west-1");
  EXPECT_EQ(ec2->origin, "default");

  auto route53 = resolve_endpoint(Service::route53, "ap-northeast-1", environment());
  ASSERT_TRUE(route53);
  EXPECT_EQ(route53->base_url, "https://route53.amazonaws.com");
  EXPECT_EQ(route53->signing_name, "route53");
  EXPECT_EQ(route53->signing_region, "us-east-1") << "Route 53 is signed for us-east-1";
}

TEST(Endpoints, ServiceSpecificOverrideWins) {
  const auto env = environment({{"AWS_ENDPOINT_URL", "http://127.0.0.1:5000"},
                                {"AWS_ENDPOINT_URL_EC2", "http://localhost:4566/"}});
  auto ec2 = resolve_endpoint(Service::ec2, "us-east-1", env);
  ASSERT_TRUE(ec2) << ec2.error().message;
  EXPECT_EQ(ec2->base_url, "http://localhost:4566");
  EXPECT_EQ(ec2->host, "localhost:4566");
  EXPECT_EQ(ec2->origin, "AWS_ENDPOINT_URL_EC2");

  auto route53 = resolve_endpoint(Service::route53, "us-east-1", env);
  ASSERT_TRUE(route53);
  EXPECT_EQ(route53->base_url, "http://127.0.0.1:5000");
  EXPECT_EQ(route53->host, "127.0.0.1:5000");
  EXPECT_EQ(route53->origin, "AWS_ENDPOINT_URL");
  EXPECT_EQ(route53->signing_region, "us-east-1");
}

TEST(Endpoints, Route53SpecificOverride) {
  auto route53 =
      resolve_endpoint(Service::route53, "eu-west-1",
                       environment({{"AWS_ENDPOINT_URL_ROUTE_53", "https://r53.test/base"}}));
  ASSERT_TRUE(route53);
  EXPECT_EQ(route53->base_url, "https://r53.test/base");
  EXPECT_EQ(route53->host, "r53.test");
  auto ec2 = resolve_endpoint(Service::ec2, "eu-west-1",
                              environment({{"AWS_ENDPOINT_URL_ROUTE_53", "https://r53.test"}}));
  ASSERT_TRUE(ec2);
  EXPECT_EQ(ec2->origin, "default") << "another service's override does not apply";
}

TEST(Endpoints, OverridesCanBeIgnored) {
  auto ec2 = resolve_endpoint(Service::ec2, "us-east-1",
                              environment({{"AWS_ENDPOINT_URL", "http://127.0.0.1:5000"},
                                           {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}}));
  ASSERT_TRUE(ec2);
  EXPECT_EQ(ec2->base_url, "https://ec2.us-east-1.amazonaws.com");
}

std::string error_of(Service service, std::string_view region,
                     std::map<std::string, std::string> env = {}) {
  auto endpoint = resolve_endpoint(service, region, environment(std::move(env)));
  EXPECT_FALSE(endpoint) << endpoint->base_url;
  return endpoint ? "" : endpoint.error().message;
}

TEST(Endpoints, Errors) {
  EXPECT_EQ(
      error_of(Service::ec2, "cn-north-1"),
      "region cn-north-1 is outside the aws partition; set AWS_ENDPOINT_URL_EC2 to its endpoint");
  EXPECT_EQ(
      error_of(Service::route53, "us-gov-west-1"),
      "region us-gov-west-1 is outside the aws partition; set AWS_ENDPOINT_URL_ROUTE_53 to its "
      "endpoint");
  EXPECT_EQ(error_of(Service::ec2, "evil.com/x"), "invalid AWS region 'evil.com/x'");
  EXPECT_EQ(error_of(Service::ec2, ""), "invalid AWS region ''");
  EXPECT_EQ(error_of(Service::ec2, "us-east-1", {{"AWS_ENDPOINT_URL_EC2", "localhost:5000"}}),
            "AWS_ENDPOINT_URL_EC2: 'localhost:5000' is not an http:// or https:// URL");
  EXPECT_EQ(error_of(Service::ec2, "us-east-1", {{"AWS_ENDPOINT_URL", "http://"}}),
            "AWS_ENDPOINT_URL: 'http:' is not an http:// or https:// URL");
  EXPECT_EQ(error_of(Service::ec2, "us-east-1", {{"AWS_ENDPOINT_URL", "http://user:pw@host"}}),
            "AWS_ENDPOINT_URL: user info (user:password@) is not allowed in the URL");
  EXPECT_EQ(error_of(Service::ec2, "us-east-1", {{"AWS_ENDPOINT_URL", "https:///path"}}),
            "AWS_ENDPOINT_URL: 'https:///path' has no host");
  EXPECT_EQ(error_of(Service::ec2, "us-east-1", {{"AWS_ENDPOINT_URL", "http://host?x=1"}}),
            "AWS_ENDPOINT_URL: 'http://host?x=1' must not carry a query or fragment");
}

TEST(Endpoints, OverrideAllowsOtherPartitions) {
  auto ec2 = resolve_endpoint(
      Service::ec2, "cn-north-1",
      environment({{"AWS_ENDPOINT_URL_EC2", "https://ec2.cn-north-1.amazonaws.com.cn"}}));
  ASSERT_TRUE(ec2);
  EXPECT_EQ(ec2->signing_region, "cn-north-1");
}

}  // namespace
}  // namespace aws
