#pragma once
// AWS Signature Version 4 for the Authorization header, written here rather
// than using libcurl's CURLOPT_AWS_SIGV4: libcurl 7.88 neither sorts nor
// encodes the query and cannot fix its clock for tests
// (docs: ../shared/aws-provision.md §5). libcurl only carries the bytes.
//
// Use: build the wire path and query with uri_encode()/canonical_query_string(),
// sign, then send every header of the request plus SignedRequest::headers_to_add
// and exactly the payload that was signed.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "aws/http.h"
#include "aws/timestamp.h"
#include "checks/expected.h"

namespace aws {

// Names and values as plain text (not percent-encoded): the signer encodes.
using QueryParameters = std::multimap<std::string, std::string>;

struct SigningRequest {
  std::string method;  // "GET", "POST", ...
  // The path exactly as it goes on the wire, i.e. already percent-encoded
  // (uri_encode each segment). The canonical URI encodes each segment once
  // more, which is what AWS calls "double encoding" for non-S3 services.
  std::string path = "/";
  QueryParameters query;
  // Must contain Host (host[:port] of the URL). Repeated names are allowed and
  // are joined with ',' in the given order. Must not contain the headers the
  // signer adds (Authorization, X-Amz-Date, X-Amz-Security-Token,
  // X-Amz-Content-Sha256).
  HeaderList headers;
  std::string payload;  // the exact body bytes (EC2: the form; Route 53: the XML)
  // Set to sign a payload by hash instead of hashing `payload`.
  std::optional<std::string> payload_sha256_hex;
};

struct SigningScope {
  std::string region;   // "us-east-1"
  std::string service;  // signing name: "ec2", "route53"
};

struct SigningOptions {
  // X-Amz-Content-Sha256 is an S3 requirement; EC2 and Route 53 ignore it.
  bool add_content_sha256_header = false;
  // Remove "." / ".." / empty segments from the path before encoding: every
  // service but S3 does this.
  bool normalize_path = true;
  // A few services want X-Amz-Security-Token added after signing instead of
  // signed; EC2 and Route 53 accept it signed, the SDK default.
  bool sign_session_token = true;
};

struct SignedRequest {
  std::string amz_date;  // 20150830T123600Z
  std::string scope;     // 20150830/us-east-1/service/aws4_request
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // host;x-amz-date
  std::string signature;       // lowercase hex
  std::string authorization;   // the Authorization header's value
  // X-Amz-Date, X-Amz-Security-Token (with a session token),
  // X-Amz-Content-Sha256 (when asked), Authorization. The token is a
  // credential: never log these headers.
  HeaderList headers_to_add;
};

using Clock = std::function<TimePoint()>;
Clock system_clock();

class Signer {
 public:
  explicit Signer(Clock clock = system_clock()) : clock_(std::move(clock)) {}

  // Errors (ErrorCode::invalid_argument) for a request that cannot be signed
  // correctly: no Host, a reserved header, CR/LF in a header, empty method,
  // scope or keys, a path not starting with '/'.
  Expected<SignedRequest> sign(const SigningRequest& request, const Credentials& credentials,
                               const SigningScope& scope, const SigningOptions& options = {}) const;

 private:
  Clock clock_;
};

// RFC 3986 encoding as SigV4 wants it: A-Z a-z 0-9 - _ . ~ kept, every other
// byte as %XX with uppercase hex (so '/' -> %2F, ' ' -> %20, UTF-8 per byte).
std::string uri_encode(std::string_view text);

// The canonical URI of a wire path (see SigningRequest::path).
std::string canonical_uri(std::string_view wire_path, bool normalize);

// Pairs encoded with uri_encode, sorted by encoded name then value, joined
// with '&'; "name=" for empty values. Also the query string to send, so the
// wire matches the signature byte for byte.
std::string canonical_query_string(const QueryParameters& query);

}  // namespace aws
