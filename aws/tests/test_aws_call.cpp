#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/aws_call.h"
#include "fake_transport.h"

namespace aws {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using std::chrono::milliseconds;

// Shapes from the EC2 and Route 53 error documentation.
constexpr const char* ec2_error_body =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Response><Errors><Error><Code>InvalidServiceName</Code>"
    "<Message>The Vpc Endpoint Service 'com.amazonaws.vpce.us-east-1.vpce-svc-bad' does not "
    "exist</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID>"
    "</Response>";

constexpr const char* throttle_body =
    "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit "
    "exceeded.</Message></Error></Errors><RequestID>r-throttle</RequestID></Response>";

constexpr const char* route53_error_body =
    "<?xml version=\"1.0\"?>\n"
    "<ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Error>"
    "<Type>Sender</Type><Code>NoSuchHostedZone</Code><Message>No hosted zone found with ID: "
    "Z111</Message></Error><RequestId>8b0f8f1c-example</RequestId></ErrorResponse>";

constexpr const char* describe_vpcs_body =
    "<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
    "<requestId>r-1</requestId><vpcSet/></DescribeVpcsResponse>";

TEST(AwsError, ParsesEc2Body) {
  const AwsError error = parse_aws_error(ec2_error_body, 400);
  EXPECT_EQ(error.code, "InvalidServiceName");
  EXPECT_THAT(error.message, HasSubstr("vpce-svc-bad' does not exist"));
  EXPECT_EQ(error.request_id, "ea966190-f9aa-478e-9ede-example");
  EXPECT_EQ(error.http_status, 400);
}

TEST(AwsError, ParsesRoute53Body) {
  const AwsError error = parse_aws_error(route53_error_body, 404);
  EXPECT_EQ(error.code, "NoSuchHostedZone");
  EXPECT_EQ(error.message, "No hosted zone found with ID: Z111");
  EXPECT_EQ(error.request_id, "8b0f8f1c-example");
}

TEST(AwsError, ForeignBodyKeepsStatusAndAShortOneLinePrefix) {
  const std::string html = "<html>\n<body>Bad Gateway</body>\n" + std::string(500, 'x');
  const AwsError error = parse_aws_error(html, 502);
  EXPECT_EQ(error.code, "HTTP 502");
  EXPECT_THAT(error.message, Not(HasSubstr("\n")));
  EXPECT_LE(error.message.size(), 200u);
  EXPECT_EQ(parse_aws_error("", 503).message, "empty body");
}

TEST(AwsError, CodesCompareCaseInsensitively) {
  EXPECT_TRUE(same_error_code("InvalidVpcPeeringConnectionID.NotFound",
                              "InvalidVpcPeeringConnectionId.NotFound"));
  EXPECT_FALSE(same_error_code("InvalidGroup.NotFound", "InvalidGroup.Duplicate"));
}

TEST(AwsError, RetryableCodes) {
  for (const char* code : {"RequestLimitExceeded", "Throttling", "ThrottlingException",
                           "PriorRequestNotComplete", "EC2ThrottledException"}) {
    EXPECT_TRUE(is_retryable(AwsError{code, "", "", 400})) << code;
  }
  EXPECT_TRUE(is_retryable(AwsError{"InternalError", "", "", 500}));
  EXPECT_TRUE(is_retryable(AwsError{"HTTP 503", "", "", 503}));
  EXPECT_FALSE(is_retryable(AwsError{"InvalidParameterValue", "", "", 400}));
  EXPECT_FALSE(is_retryable(AwsError{"UnauthorizedOperation", "", "", 403}));
}

TEST(Backoff, FullJitterDoublesUpToTheCap) {
  const RetryPolicy policy{10, milliseconds(100), milliseconds(1000)};
  EXPECT_EQ(backoff_delay(policy, 1, 0.999), milliseconds(99));
  EXPECT_EQ(backoff_delay(policy, 2, 0.5), milliseconds(100));
  EXPECT_EQ(backoff_delay(policy, 3, 0.5), milliseconds(200));
  EXPECT_EQ(backoff_delay(policy, 8, 0.5), milliseconds(500));  // capped at 1000
  EXPECT_EQ(backoff_delay(policy, 3, 0.0), milliseconds(0));
}

TEST(AwsCall, Ec2RequestIsASignedFormPost) {
  test::FakeAws aws;
  aws.transport.answer(200, describe_vpcs_body);
  auto result = aws.client->call_ec2(test::ec2_endpoint(), "DescribeVpcs",
                                     {{"VpcId.1", "vpc-1"}, {"Filter.1.Name", "tag:Name"}});
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_EQ(aws.transport.requests.size(), 1u);
  const HttpRequest& request = aws.transport.requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "https://ec2.us-west-2.amazonaws.com/");
  EXPECT_EQ(request.body,
            "Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-1&Filter.1.Name=tag%3AName");
  EXPECT_EQ(test::header_value(request, "Content-Type"),
            "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(test::header_value(request, "Host"), "ec2.us-west-2.amazonaws.com");
  EXPECT_EQ(test::header_value(request, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(test::header_value(request, "X-Amz-Security-Token"), "session-token");
  EXPECT_THAT(test::header_value(request, "Authorization"),
              StartsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-west-2/ec2/"
                         "aws4_request, SignedHeaders=content-type;host;x-amz-date;"
                         "x-amz-security-token, Signature="));
  EXPECT_EQ(result->document_element().name(), std::string("DescribeVpcsResponse"));
}

TEST(AwsCall, Route53IsSignedForUsEast1WithASortedQuery) {
  test::FakeAws aws;
  aws.transport.answer(200, "<ListHostedZonesByNameResponse/>");
  auto result = aws.client->call_route53(test::route53_endpoint(), "ListHostedZonesByName", "GET",
                                         "/hostedzonesbyname",
                                         {{"maxitems", "1"}, {"dnsname", "api.datadoghq.com"}});
  ASSERT_TRUE(result) << result.error().message;
  const HttpRequest& request = aws.transport.requests.at(0);
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url,
            "https://route53.amazonaws.com/2013-04-01/hostedzonesbyname?"
            "dnsname=api.datadoghq.com&maxitems=1");
  EXPECT_EQ(request.body, "");
  EXPECT_EQ(test::header_value(request, "Content-Type"), "");
  EXPECT_THAT(test::header_value(request, "Authorization"),
              HasSubstr("/20150830/us-east-1/route53/aws4_request"));
}

TEST(AwsCall, EndpointBasePathIsKept) {
  test::FakeAws aws;
  aws.transport.answer(200, "<GetChangeResponse/>");
  const auto endpoint =
      test::endpoint("http://127.0.0.1:5000/moto", "127.0.0.1:5000", "route53", "us-east-1");
  auto result = aws.client->call_route53(endpoint, "GetChange", "GET", "/change/C1");
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(aws.transport.requests.at(0).url, "http://127.0.0.1:5000/moto/2013-04-01/change/C1");
}

TEST(AwsCall, RefusalSaysWhichCallWhatCodeAndRequestId) {
  test::FakeAws aws;
  aws.transport.answer(400, ec2_error_body);
  auto result = aws.client->call_ec2(test::ec2_endpoint(), "CreateVpcEndpoint", {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message,
            "EC2 CreateVpcEndpoint: InvalidServiceName: The Vpc Endpoint Service "
            "'com.amazonaws.vpce.us-east-1.vpce-svc-bad' does not exist (request id "
            "ea966190-f9aa-478e-9ede-example, HTTP 400)");
  ASSERT_NE(result.aws_error(), nullptr);
  EXPECT_TRUE(result.is_aws_error("invalidservicename"));
  EXPECT_EQ(aws.transport.requests.size(), 1u);  // not retryable
  EXPECT_TRUE(aws.sleeps.empty());
}

TEST(AwsCall, ThrottlingIsRetriedWithJitteredBackoff) {
  test::FakeAws aws(RetryPolicy{5, milliseconds(100), milliseconds(20000)});
  aws.transport.answer(503, throttle_body);
  aws.transport.answer(400, throttle_body);
  aws.transport.answer(200, describe_vpcs_body);
  auto result = aws.client->call_ec2(test::ec2_endpoint(), "DescribeVpcs", {});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(aws.transport.requests.size(), 3u);
  EXPECT_THAT(aws.sleeps, ElementsAre(milliseconds(50), milliseconds(100)));
}

TEST(AwsCall, GivesUpAfterMaxAttemptsAndSaysSo) {
  test::FakeAws aws(RetryPolicy{3, milliseconds(100), milliseconds(20000)});
  for (int i = 0; i < 3; ++i) aws.transport.answer(400, throttle_body);
  auto result = aws.client->call_ec2(test::ec2_endpoint(), "DescribeVpcs", {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message,
            "EC2 DescribeVpcs: RequestLimitExceeded: Request limit exceeded. (request id "
            "r-throttle, HTTP 400) after 3 attempts");
  EXPECT_TRUE(result.is_aws_error("RequestLimitExceeded"));
  EXPECT_EQ(aws.sleeps.size(), 2u);
}

TEST(AwsCall, Route53ServerErrorsAndPriorRequestNotCompleteAreRetried) {
  test::FakeAws aws;
  aws.transport.answer(502, "<html>bad gateway</html>");
  aws.transport.answer(400,
                       "<ErrorResponse><Error><Type>Sender</Type><Code>PriorRequestNotComplete"
                       "</Code><Message>busy</Message></Error><RequestId>x</RequestId>"
                       "</ErrorResponse>");
  aws.transport.answer(200, "<GetChangeResponse/>");
  auto result = aws.client->call_route53(test::route53_endpoint(), "GetChange", "GET", "/change/C1");
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(aws.transport.requests.size(), 3u);
}

// A create without an idempotency token is not sent twice after a lost
// answer (it may have happened), but throttling is retried.
TEST(AwsCall, UnrepeatableCreateIsNotRetriedAfterALostAnswer) {
  test::FakeAws aws(RetryPolicy{5, milliseconds(10), milliseconds(100)});
  aws.transport.fail("timeout");
  auto lost = aws.client->call_ec2(test::ec2_endpoint(), "CreateVpcPeeringConnection", {}, /*repeatable=*/false);
  ASSERT_FALSE(lost);
  EXPECT_EQ(aws.transport.requests.size(), 1u);
  aws.transport.answer(500, "<Response><Errors><Error><Code>InternalError</Code><Message>x</Message></Error>"
                            "</Errors><RequestID>r</RequestID></Response>");
  EXPECT_FALSE(aws.client->call_ec2(test::ec2_endpoint(), "CreateVpcPeeringConnection", {}, false));
  EXPECT_EQ(aws.transport.requests.size(), 2u);
  aws.transport.answer(503, throttle_body);
  aws.transport.answer(200, describe_vpcs_body);
  EXPECT_TRUE(aws.client->call_ec2(test::ec2_endpoint(), "CreateVpcPeeringConnection", {}, false));
  EXPECT_EQ(aws.transport.requests.size(), 4u);
}

TEST(AwsCall, TransportErrorsAreRetriedThenReported) {
  test::FakeAws aws(RetryPolicy{2, milliseconds(10), milliseconds(100)});
  aws.transport.fail("connection refused");
  aws.transport.fail("connection refused");
  auto result = aws.client->call_ec2(test::ec2_endpoint(), "DescribeVpcs", {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.aws_error(), nullptr);
  EXPECT_EQ(result.error().message, "EC2 DescribeVpcs: connection refused after 2 attempts");
}

TEST(AwsCall, MessagesNeverCarryTheSessionTokenOrSecret) {
  test::FakeAws aws(RetryPolicy{1, milliseconds(1), milliseconds(1)});
  aws.transport.answer(403, "<Response><Errors><Error><Code>AuthFailure</Code><Message>denied"
                            "</Message></Error></Errors></Response>");
  auto result = aws.client->call_ec2(test::ec2_endpoint(), "DescribeVpcs", {});
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message, Not(HasSubstr("session-token")));
  EXPECT_THAT(result.error().message, Not(HasSubstr("secret")));
  EXPECT_EQ(result.error().message, "EC2 DescribeVpcs: AuthFailure: denied (HTTP 403)");
}

TEST(AwsCall, NonXmlSuccessIsAnError) {
  test::FakeAws aws;
  aws.transport.answer(200, "not xml <");
  auto result = aws.client->call_ec2(test::ec2_endpoint(), "DescribeVpcs", {});
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message, StartsWith("EC2 DescribeVpcs: HTTP 200 answer is not XML"));
}

TEST(Paginate, StopsWhenThereIsNoContinuation) {
  int pages = 0;
  auto result = paginate([&](const QueryParameters& continuation)
                             -> Result<std::optional<QueryParameters>> {
    ++pages;
    if (continuation.empty()) return std::optional<QueryParameters>(QueryParameters{{"t", "2"}});
    return std::optional<QueryParameters>();
  });
  ASSERT_TRUE(result);
  EXPECT_EQ(pages, 2);
}

TEST(Paginate, RepeatedTokenIsAnError) {
  auto result = paginate([](const QueryParameters&) -> Result<std::optional<QueryParameters>> {
    return std::optional<QueryParameters>(QueryParameters{{"NextToken", "same"}});
  });
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message, HasSubstr("repeated"));
}

TEST(Paginate, PassesFailuresThrough) {
  auto result = paginate([](const QueryParameters&) -> Result<std::optional<QueryParameters>> {
    return CallFailure{Error{ErrorCode::io, "boom"}, AwsError{"Throttling", "", "", 400}};
  });
  ASSERT_FALSE(result);
  EXPECT_TRUE(result.is_aws_error("Throttling"));
}

TEST(FormEncode, EncodesStrictlyInOrder) {
  EXPECT_EQ(form_encode({{"B", "a b/c"}, {"A", "x=y&z~"}}), "B=a%20b%2Fc&A=x%3Dy%26z~");
}

}  // namespace
}  // namespace aws
