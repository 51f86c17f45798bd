#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/curl_transport.h"
#include "moto_server.h"

namespace aws {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(CurlTransport, LoopbackAndLinkLocalHostsBypassProxies) {
  for (const char* host : {"127.0.0.1", "127.8.9.1", "localhost", "::1", "[::1]", "169.254.169.254"}) {
    EXPECT_TRUE(bypasses_proxy(host)) << host;
  }
  for (const char* host : {"ec2.us-east-1.amazonaws.com", "route53.amazonaws.com", "10.0.0.1",
                           "1127.0.0.1.example"}) {
    EXPECT_FALSE(bypasses_proxy(host)) << host;
  }
}

TEST(CurlTransport, NoAnswerIsAnErrorWithoutHeaders) {
  const int port = test::free_loopback_port();  // nothing listens there now
  auto fetch = curl_fetcher({std::chrono::milliseconds(500), std::chrono::milliseconds(1000), {}, 1024});
  auto response = fetch(HttpRequest{"POST", "http://127.0.0.1:" + std::to_string(port) + "/?q=1",
                                    {{"X-Amz-Security-Token", "very-secret-token"}},
                                    "Action=DescribeVpcs"});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, checks::ErrorCode::io);
  EXPECT_THAT(response.error().message, HasSubstr("POST http://127.0.0.1:"));
  EXPECT_THAT(response.error().message, Not(HasSubstr("very-secret-token")));
  EXPECT_THAT(response.error().message, Not(HasSubstr("q=1")));
}

TEST(CurlTransport, RejectsSchemesOtherThanHttp) {
  auto response = curl_fetcher()(HttpRequest{"GET", "file:///etc/passwd", {}, {}});
  ASSERT_FALSE(response);
}

}  // namespace
}  // namespace aws
