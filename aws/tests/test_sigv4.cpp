#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/sigv4.h"

namespace aws {
namespace {

using ::testing::HasSubstr;

// 2024-05-17T09:30:15Z, the time botocore_golden.py pins.
const TimePoint golden_time = *parse_iso8601_utc("2024-05-17T09:30:15Z");
const Signer golden_signer([] { return golden_time; });

Credentials session_credentials() {
  return Credentials("AKIDEXAMPLE", SecretString("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                     SecretString("FwoGZXIvYXdzEXAMPLETOKEN"));
}

Credentials plain_credentials() {
  return Credentials("AKIDEXAMPLE", SecretString("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"));
}

std::string string_to_sign(const std::string& scope, const std::string& digest) {
  return "AWS4-HMAC-SHA256\n20240517T093015Z\n" + scope + "\n" + digest;
}

// ------------------------------------------- cross-check with botocore 1.43

TEST(BotocoreGolden, Ec2FormPostWithSessionToken) {
  SigningRequest request;
  request.method = "POST";
  request.headers = {{"Host", "ec2.eu-west-1.amazonaws.com"},
                     {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.payload = "Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-0abc123";
  auto signed_request = golden_signer.sign(request, session_credentials(), {"eu-west-1", "ec2"});
  ASSERT_TRUE(signed_request) << signed_request.error().message;
  EXPECT_EQ(signed_request->canonical_request,
            "POST\n/\n\n"
            "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
            "host:ec2.eu-west-1.amazonaws.com\n"
            "x-amz-date:20240517T093015Z\n"
            "x-amz-security-token:FwoGZXIvYXdzEXAMPLETOKEN\n\n"
            "content-type;host;x-amz-date;x-amz-security-token\n"
            "8938dc370b0c4def4a2e6be8fa30e9710c7f86a7cd684133b22ffa25e7521eb8");
  EXPECT_EQ(signed_request->string_to_sign,
            string_to_sign("20240517/eu-west-1/ec2/aws4_request",
                           "b0f69c88b84106b49e6a36f903fdfd9cb1b5bd09b601cdf3ffbcbfacd1c6abc7"));
  EXPECT_EQ(signed_request->authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240517/eu-west-1/ec2/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
            "Signature=d6a192cbf456f934630c8c66a9d311ab24c2c472915e41083e649079c284b4f7");
  EXPECT_THAT(signed_request->headers_to_add,
              ::testing::ElementsAre(Header{"X-Amz-Date", "20240517T093015Z"},
                                     Header{"X-Amz-Security-Token", "FwoGZXIvYXdzEXAMPLETOKEN"},
                                     Header{"Authorization", signed_request->authorization}));
}

TEST(BotocoreGolden, Route53GetWithQuery) {
  SigningRequest request;
  request.method = "GET";
  request.path = "/2013-04-01/hostedzone/Z0123456789ABC/rrset";
  request.query = {{"type", "A"}, {"name", "api.datadoghq.com."}, {"maxitems", "1"}};
  request.headers = {{"Host", "route53.amazonaws.com"}};
  auto signed_request =
      golden_signer.sign(request, session_credentials(), {"us-east-1", "route53"});
  ASSERT_TRUE(signed_request) << signed_request.error().message;
  EXPECT_THAT(signed_request->canonical_request,
              HasSubstr("/2013-04-01/hostedzone/Z0123456789ABC/rrset\n"
                        "maxitems=1&name=api.datadoghq.com.&type=A\n"));
  EXPECT_EQ(signed_request->string_to_sign,
            string_to_sign("20240517/us-east-1/route53/aws4_request",
                           "420a53d15bd46a0474166bc0c5dc86e6307f4f12fff83dc8bc49b092cbefea9e"));
  EXPECT_EQ(signed_request->signature,
            "e04e8a81744eb4c3896ccda8167c4c6264a4464a2bed8e69a92a51f3833bd016");
}

// The wire path is already encoded (x%20y); the canonical URI encodes it
// again, and the query escapes '*', '/', '+', '=' and UTF-8.
TEST(BotocoreGolden, DoubleEncodedPathAndEscapedQuery) {
  SigningRequest request;
  request.method = "GET";
  request.path = "/2013-04-01/x%20y/z~";
  request.query = {{"name", "*.a b/c+d=\xC3\xA9"}, {"empty", ""}};
  request.headers = {{"Host", "route53.amazonaws.com"}};
  auto signed_request =
      golden_signer.sign(request, session_credentials(), {"us-east-1", "route53"});
  ASSERT_TRUE(signed_request) << signed_request.error().message;
  EXPECT_THAT(signed_request->canonical_request,
              HasSubstr("GET\n/2013-04-01/x%2520y/z~\n"
                        "empty=&name=%2A.a%20b%2Fc%2Bd%3D%C3%A9\n"));
  EXPECT_EQ(signed_request->signature,
            "cf1b5545592cf5ddeef44e841efdf9066fb3c8a12628e77eb079101e7d1bd580");
}

// ------------------------------------------------------------- behaviour

SigningRequest minimal_get() {
  SigningRequest request;
  request.method = "GET";
  request.headers = {{"Host", "example.amazonaws.com"}};
  return request;
}

TEST(Signer, UsesTheInjectedClockForDateAndScope) {
  const Signer signer([] { return *parse_iso8601_utc("1999-12-31T23:59:59Z"); });
  auto signed_request = signer.sign(minimal_get(), plain_credentials(), {"eu-central-1", "ec2"});
  ASSERT_TRUE(signed_request);
  EXPECT_EQ(signed_request->amz_date, "19991231T235959Z");
  EXPECT_EQ(signed_request->scope, "19991231/eu-central-1/ec2/aws4_request");
}

TEST(Signer, NoTokenHeaderWithoutSessionToken) {
  auto signed_request =
      golden_signer.sign(minimal_get(), plain_credentials(), {"us-east-1", "ec2"});
  ASSERT_TRUE(signed_request);
  EXPECT_EQ(signed_request->signed_headers, "host;x-amz-date");
  EXPECT_EQ(signed_request->headers_to_add.size(), 2u);
}

TEST(Signer, ContentSha256HeaderOnlyWhenAsked) {
  SigningRequest request = minimal_get();
  request.payload = "Param1=value1";
  SigningOptions options;
  options.add_content_sha256_header = true;
  auto signed_request =
      golden_signer.sign(request, plain_credentials(), {"us-east-1", "s3"}, options);
  ASSERT_TRUE(signed_request);
  EXPECT_EQ(signed_request->signed_headers, "host;x-amz-content-sha256;x-amz-date");
  EXPECT_THAT(signed_request->headers_to_add,
              ::testing::Contains(
                  Header{"X-Amz-Content-Sha256",
                         "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"}));
}

TEST(Signer, PrecomputedPayloadHashIsUsedVerbatim) {
  SigningRequest request = minimal_get();
  request.payload = "ignored";
  request.payload_sha256_hex = "UNSIGNED-PAYLOAD";
  auto signed_request = golden_signer.sign(request, plain_credentials(), {"us-east-1", "ec2"});
  ASSERT_TRUE(signed_request);
  EXPECT_THAT(signed_request->canonical_request, ::testing::EndsWith("\nUNSIGNED-PAYLOAD"));
}

TEST(Signer, DifferentSecretGivesDifferentSignature) {
  auto first = golden_signer.sign(minimal_get(), plain_credentials(), {"us-east-1", "ec2"});
  auto second =
      golden_signer.sign(minimal_get(), Credentials("AKIDEXAMPLE", SecretString("another-secret")),
                         {"us-east-1", "ec2"});
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->canonical_request, second->canonical_request);
  EXPECT_NE(first->signature, second->signature);
}

std::string sign_error(SigningRequest request, SigningScope scope = {"us-east-1", "ec2"},
                       const Credentials& credentials = plain_credentials()) {
  auto signed_request = golden_signer.sign(request, credentials, scope);
  EXPECT_FALSE(signed_request);
  if (signed_request) return "";
  EXPECT_EQ(signed_request.error().code, ErrorCode::invalid_argument);
  return signed_request.error().message;
}

TEST(Signer, RejectsRequestsItCannotSignCorrectly) {
  SigningRequest no_host = minimal_get();
  no_host.headers = {{"Content-Type", "text/xml"}};
  EXPECT_THAT(sign_error(no_host), HasSubstr("no Host header"));

  for (const char* reserved :
       {"Authorization", "X-Amz-Date", "x-amz-security-token", "X-Amz-Content-Sha256"}) {
    SigningRequest request = minimal_get();
    request.headers.emplace_back(reserved, "x");
    EXPECT_THAT(sign_error(request), HasSubstr("set by the signer")) << reserved;
  }

  SigningRequest injected = minimal_get();
  injected.headers.emplace_back("X-Custom", "a\r\nInjected: yes");
  EXPECT_THAT(sign_error(injected), HasSubstr("CR, LF or NUL"));

  SigningRequest bad_name = minimal_get();
  bad_name.headers.emplace_back("Bad Name", "x");
  EXPECT_THAT(sign_error(bad_name), HasSubstr("invalid header name"));

  SigningRequest relative = minimal_get();
  relative.path = "relative/path";
  EXPECT_THAT(sign_error(relative), HasSubstr("does not start with '/'"));

  SigningRequest no_method = minimal_get();
  no_method.method.clear();
  EXPECT_THAT(sign_error(no_method), HasSubstr("empty HTTP method"));

  EXPECT_THAT(sign_error(minimal_get(), {"", "ec2"}), HasSubstr("invalid signing scope"));
  EXPECT_THAT(sign_error(minimal_get(), {"us-east-1", "ec2/x"}),
              HasSubstr("invalid signing scope"));
  EXPECT_THAT(sign_error(minimal_get(), {"us-east-1", "ec2"}, Credentials("AKID", SecretString())),
              HasSubstr("empty access key id or secret"));
}

TEST(Signer, ErrorsNeverContainTheSecret) {
  const Credentials credentials("AKIDEXAMPLE", SecretString("TOP-SECRET-VALUE"),
                                SecretString("TOKEN-VALUE"));
  SigningRequest request = minimal_get();
  request.headers.clear();
  auto signed_request = golden_signer.sign(request, credentials, {"us-east-1", "ec2"});
  ASSERT_FALSE(signed_request);
  EXPECT_THAT(signed_request.error().message, ::testing::Not(HasSubstr("TOP-SECRET")));
  EXPECT_THAT(signed_request.error().message, ::testing::Not(HasSubstr("TOKEN-VALUE")));
}

// ------------------------------------------------------ encoding helpers

TEST(UriEncode, KeepsUnreservedAndEncodesEverythingElseUppercase) {
  EXPECT_EQ(uri_encode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(uri_encode("a b/c+d=e&f*g%"), "a%20b%2Fc%2Bd%3De%26f%2Ag%25");
  EXPECT_EQ(uri_encode("\xE1\x88\xB4"), "%E1%88%B4");
  EXPECT_EQ(uri_encode(std::string_view("\0\xff", 2)), "%00%FF");
}

TEST(CanonicalQuery, SortsByEncodedNameThenValue) {
  const QueryParameters query = {{"b", "2"}, {"a", "z"}, {"a", "y"}, {"A", "1"}, {"c", ""}};
  EXPECT_EQ(canonical_query_string(query), "A=1&a=y&a=z&b=2&c=");
  EXPECT_EQ(canonical_query_string({}), "");
  // '*' (0x2A) sorts after '%' (0x25) only once encoded: %2A.
  EXPECT_EQ(canonical_query_string({{"*", "1"}, {"+", "2"}}), "%2A=1&%2B=2");
}

TEST(CanonicalUri, NormalisesUnlessAskedNotTo) {
  EXPECT_EQ(canonical_uri("", true), "/");
  EXPECT_EQ(canonical_uri("/", true), "/");
  EXPECT_EQ(canonical_uri("/a/./b/../c//d/", true), "/a/c/d/");
  EXPECT_EQ(canonical_uri("/../..", true), "/");
  EXPECT_EQ(canonical_uri("/a/./b/../c//d/", false), "/a/./b/../c//d/");
  EXPECT_EQ(canonical_uri("/2013-04-01/hostedzone/Z1/rrset/", true),
            "/2013-04-01/hostedzone/Z1/rrset/");
}

}  // namespace
}  // namespace aws
