#pragma once
// Signed calls to EC2 (Query protocol) and Route 53 (REST-XML), with retries
// and errors parsed from AWS's XML bodies. Transport, clock, sleep and
// randomness are injected so all of it runs in unit tests without a network.
// Wire shapes: ../shared/aws-provision.md §1-3.
#include <pugixml.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "aws/credentials.h"
#include "aws/endpoints.h"
#include "aws/http.h"
#include "aws/sigv4.h"
#include "checks/expected.h"

namespace aws {

// What AWS said when it refused a call.
struct AwsError {
  std::string code;        // "InvalidServiceName"; "HTTP 503" when the body was not AWS XML
  std::string message;
  std::string request_id;  // empty when the body had none
  long http_status = 0;
};

// Reads an EC2 (<Response><Errors><Error>) or Route 53 (<ErrorResponse><Error>)
// error body. A body that is neither (an HTML page from a proxy, empty) still
// gives an AwsError, with code "HTTP <status>" and the start of the body.
AwsError parse_aws_error(std::string_view body, long http_status);

// Codes compare case-insensitively: AWS and moto spell some differently
// (InvalidVpcPeeringConnectionID.NotFound vs ...Id.NotFound).
bool same_error_code(std::string_view left, std::string_view right);

// A failed call: `error` is the message for humans ("EC2 CreateVpcEndpoint:
// InvalidServiceName: ... (request id ..., HTTP 400)"); `aws` is set when AWS
// answered, so callers can branch on the code.
struct CallFailure {
  Error error;
  std::optional<AwsError> aws;
};

// checks::Expected with the AWS error kept alongside: same member names, plus
// aws_error() and is_aws_error(code). `return result.failure();` passes a
// failure on to a Result of another type.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : storage_(std::in_place_index<0>, std::move(value)) {}  // NOLINT implicit
  Result(Error error)                                                     // NOLINT implicit
      : storage_(std::in_place_index<1>, CallFailure{std::move(error), std::nullopt}) {}
  Result(CallFailure failure)  // NOLINT implicit
      : storage_(std::in_place_index<1>, std::move(failure)) {}

  bool has_value() const { return storage_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(storage_); }
  const T& value() const& { return std::get<0>(storage_); }
  T&& value() && { return std::get<0>(std::move(storage_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const CallFailure& failure() const { return std::get<1>(storage_); }
  const Error& error() const { return failure().error; }
  const AwsError* aws_error() const { return failure().aws ? &*failure().aws : nullptr; }
  bool is_aws_error(std::string_view code) const {
    return !has_value() && aws_error() != nullptr && same_error_code(aws_error()->code, code);
  }

 private:
  std::variant<T, CallFailure> storage_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : failure_(CallFailure{std::move(error), std::nullopt}) {}  // NOLINT
  Result(CallFailure failure) : failure_(std::move(failure)) {}                  // NOLINT

  bool has_value() const { return !failure_.has_value(); }
  explicit operator bool() const { return has_value(); }
  const CallFailure& failure() const { return *failure_; }
  const Error& error() const { return failure_->error; }
  const AwsError* aws_error() const { return failure_->aws ? &*failure_->aws : nullptr; }
  bool is_aws_error(std::string_view code) const {
    return !has_value() && aws_error() != nullptr && same_error_code(aws_error()->code, code);
  }

 private:
  std::optional<CallFailure> failure_;
};

// ---------------------------------------------------------------- retries

// AWS SDK "standard" retry shape: exponential backoff with full jitter,
// delay = random[0,1) * min(max_delay, base_delay * 2^(attempt-1)).
struct RetryPolicy {
  int max_attempts = 5;  // including the first
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{20000};
};

using SleepFunction = std::function<void(std::chrono::milliseconds)>;
// Uniform in [0, 1).
using RandomFunction = std::function<double()>;

SleepFunction real_sleep();
RandomFunction real_random();

// Throttling (RequestLimitExceeded, Throttling, ThrottlingException,
// PriorRequestNotComplete, EC2ThrottledException) and any 5xx.
bool is_retryable(const AwsError& error);
// Throttling codes: refused before the request had any effect.
bool is_throttling(const AwsError& error);

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int failed_attempts,
                                        double random_unit);

// ---------------------------------------------------------------- calls

using FormParameters = std::vector<std::pair<std::string, std::string>>;

// name=value&... with uri_encode (RFC 3986), in the given order.
std::string form_encode(const FormParameters& parameters);

struct AwsRequest {
  std::string service_label;  // "EC2", "Route 53": only for messages
  std::string operation;      // "CreateVpcEndpoint": only for messages
  std::string method = "GET";
  std::string path = "/";  // appended to the endpoint's base path; already encoded
  QueryParameters query;
  std::string content_type;  // empty: no Content-Type header
  std::string body;
  // False for creates without an idempotency token (CreateVpcPeeringConnection):
  // after no answer or a 5xx the create may have happened, so it is not sent
  // again; the caller looks for what it made. Throttling, refused before any
  // effect, is still retried.
  bool repeatable = true;
};

struct AwsClientOptions {
  RetryPolicy retry;
  SleepFunction sleep = real_sleep();
  RandomFunction random = real_random();
  Clock clock = system_clock();
};

// Successful answers are returned as parsed XML (an empty document for an
// empty body). Each attempt is signed afresh (X-Amz-Date moves on). Calls are
// blocking; `provision` makes them from one thread.
class AwsClient {
 public:
  AwsClient(HttpFetcher fetch, Credentials credentials, AwsClientOptions options = {});

  Result<pugi::xml_document> call(const ServiceEndpoint& endpoint,
                                  const AwsRequest& request) const;

  // EC2 Query: POST / with Action=<action>&Version=2016-11-15&<parameters>.
  Result<pugi::xml_document> call_ec2(const ServiceEndpoint& endpoint, const std::string& action,
                                      const FormParameters& parameters, bool repeatable = true) const;

  // Route 53 REST-XML. `path` starts after /2013-04-01 (e.g. "/hostedzone").
  Result<pugi::xml_document> call_route53(const ServiceEndpoint& endpoint,
                                          const std::string& operation, const std::string& method,
                                          const std::string& path, const QueryParameters& query = {},
                                          const std::string& xml_body = {}) const;

 private:
  // `no_answer` is set when the transport got no HTTP response at all.
  Result<pugi::xml_document> attempt(const ServiceEndpoint& endpoint, const AwsRequest& request,
                                     bool& no_answer) const;
  Expected<HttpRequest> signed_http_request(const ServiceEndpoint& endpoint,
                                            const AwsRequest& request) const;

  HttpFetcher fetch_;
  Credentials credentials_;
  AwsClientOptions options_;
  Signer signer_;
};

inline constexpr const char* ec2_api_version = "2016-11-15";
inline constexpr const char* route53_api_version = "2013-04-01";
inline constexpr const char* route53_xmlns = "https://route53.amazonaws.com/doc/2013-04-01/";

// ---------------------------------------------------------------- paging

// One page of a listing: given the continuation parameters (empty for the
// first page), consume the page and return the next continuation, or nullopt
// at the end. EC2 uses {NextToken}, Route 53 {marker} / {name,type} / ...
using PageFunction =
    std::function<Result<std::optional<QueryParameters>>(const QueryParameters& continuation)>;

// Runs `page` until it returns nullopt. Fails when a continuation repeats
// (a server bug would otherwise loop forever) or after `max_pages`.
Result<void> paginate(const PageFunction& page, int max_pages = 1000);

// ---------------------------------------------------------------- XML helpers

// Text of a direct child, "" when absent.
std::string child_text(const pugi::xml_node& node, const char* name);
// "true"/"false" children (case-insensitive), false when absent.
bool child_bool(const pugi::xml_node& node, const char* name);
// The texts of <set><item><field>...</field></item>...</set>, or of
// <set><item>...</item></set> when `field` is nullptr.
std::vector<std::string> item_texts(const pugi::xml_node& node, const char* set, const char* field);
// XML text of a document built with pugixml, no indentation.
std::string to_xml_string(const pugi::xml_document& document);

}  // namespace aws
