#include "aws/aws_call.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace aws {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Error bodies are short; a non-AWS body (HTML from a proxy) is cut to this
// many bytes, with control characters replaced, so it stays one log line.
constexpr std::size_t max_foreign_body = 200;

std::string printable_prefix(std::string_view body) {
  std::string text(body.substr(0, max_foreign_body));
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return text;
}

// The request id sits under the root: RequestID for EC2, RequestId for Route 53.
std::string request_id_of(const pugi::xml_document& document) {
  for (const char* query : {"/*/RequestID", "/*/RequestId", "//RequestID", "//RequestId"}) {
    const auto found = document.select_node(query);
    if (found) return found.node().text().as_string();
  }
  return {};
}

std::string describe(const AwsError& error) {
  std::string text = fmt::format("{}: {}", error.code, error.message);
  if (!error.request_id.empty()) {
    return fmt::format("{} (request id {}, HTTP {})", text, error.request_id, error.http_status);
  }
  return fmt::format("{} (HTTP {})", text, error.http_status);
}

std::string call_name(const AwsRequest& request) {
  return fmt::format("{} {}", request.service_label, request.operation);
}

CallFailure refused(const AwsRequest& request, AwsError error, int attempts) {
  std::string message = fmt::format("{}: {}", call_name(request), describe(error));
  if (attempts > 1) message += fmt::format(" after {} attempts", attempts);
  return CallFailure{Error{ErrorCode::io, std::move(message)}, std::move(error)};
}

// The path of the endpoint URL after scheme://host, e.g. "" or "/moto".
std::string base_path(const ServiceEndpoint& endpoint) {
  const auto authority = endpoint.base_url.find("://");
  if (authority == std::string::npos) return {};
  return endpoint.base_url.substr(authority + 3 + endpoint.host.size());
}

std::string origin_of(const ServiceEndpoint& endpoint) {
  return endpoint.base_url.substr(0, endpoint.base_url.size() - base_path(endpoint).size());
}

}  // namespace

bool same_error_code(std::string_view left, std::string_view right) {
  return left.size() == right.size() &&
         std::equal(left.begin(), left.end(), right.begin(),
                    [](char a, char b) { return lower(a) == lower(b); });
}

AwsError parse_aws_error(std::string_view body, long http_status) {
  AwsError error;
  error.http_status = http_status;
  pugi::xml_document document;
  const bool parsed = document.load_buffer(body.data(), body.size());
  const auto error_node = parsed ? document.select_node("//Error").node() : pugi::xml_node();
  if (!error_node || child_text(error_node, "Code").empty()) {
    error.code = fmt::format("HTTP {}", http_status);
    error.message = body.empty() ? "empty body" : printable_prefix(body);
    return error;
  }
  error.code = child_text(error_node, "Code");
  error.message = child_text(error_node, "Message");
  error.request_id = request_id_of(document);
  return error;
}

bool is_throttling(const AwsError& error) {
  for (const std::string_view code : {"RequestLimitExceeded", "Throttling", "ThrottlingException",
                                      "PriorRequestNotComplete", "EC2ThrottledException"}) {
    if (same_error_code(error.code, code)) return true;
  }
  return false;
}

bool is_retryable(const AwsError& error) { return error.http_status >= 500 || is_throttling(error); }

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int failed_attempts,
                                        double random_unit) {
  const double exponent = std::max(0, failed_attempts - 1);
  const double ceiling = std::min(static_cast<double>(policy.max_delay.count()),
                                  static_cast<double>(policy.base_delay.count()) *
                                      std::pow(2.0, exponent));
  const double unit = std::clamp(random_unit, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(ceiling * unit));
}

SleepFunction real_sleep() {
  return [](std::chrono::milliseconds delay) { std::this_thread::sleep_for(delay); };
}

RandomFunction real_random() {
  return [] {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
  };
}

std::string form_encode(const FormParameters& parameters) {
  std::string form;
  for (const auto& [name, value] : parameters) {
    if (!form.empty()) form += '&';
    form += uri_encode(name);
    form += '=';
    form += uri_encode(value);
  }
  return form;
}

AwsClient::AwsClient(HttpFetcher fetch, Credentials credentials, AwsClientOptions options)
    : fetch_(std::move(fetch)),
      credentials_(std::move(credentials)),
      options_(std::move(options)),
      signer_(options_.clock) {}

Expected<HttpRequest> AwsClient::signed_http_request(const ServiceEndpoint& endpoint,
                                                     const AwsRequest& request) const {
  SigningRequest signing;
  signing.method = request.method;
  signing.path = base_path(endpoint) + request.path;
  signing.query = request.query;
  signing.headers.emplace_back("Host", endpoint.host);
  if (!request.content_type.empty()) signing.headers.emplace_back("Content-Type", request.content_type);
  signing.payload = request.body;
  auto signed_request =
      signer_.sign(signing, credentials_, {endpoint.signing_region, endpoint.signing_name});
  if (!signed_request) return signed_request.error();

  HttpRequest http;
  http.method = request.method;
  http.url = origin_of(endpoint) + signing.path;
  if (!request.query.empty()) http.url += "?" + canonical_query_string(request.query);
  http.headers = std::move(signing.headers);
  for (auto& header : signed_request->headers_to_add) http.headers.push_back(std::move(header));
  http.body = request.body;
  return http;
}

Result<pugi::xml_document> AwsClient::attempt(const ServiceEndpoint& endpoint,
                                              const AwsRequest& request, bool& no_answer) const {
  no_answer = false;
  auto http = signed_http_request(endpoint, request);
  if (!http) return http.error().with_prefix(call_name(request) + ": signing: ");
  auto response = fetch_(*http);
  if (!response) {
    no_answer = true;
    return response.error().with_prefix(call_name(request) + ": ");
  }
  if (response->status < 200 || response->status > 299) {
    return refused(request, parse_aws_error(response->body, response->status), 1);
  }
  pugi::xml_document document;
  if (!response->body.empty()) {
    const auto parsed = document.load_buffer(response->body.data(), response->body.size());
    if (!parsed) {
      return Error{ErrorCode::io, fmt::format("{}: HTTP {} answer is not XML: {}",
                                              call_name(request), response->status,
                                              parsed.description())};
    }
  }
  return document;
}

Result<pugi::xml_document> AwsClient::call(const ServiceEndpoint& endpoint,
                                           const AwsRequest& request) const {
  const int max_attempts = std::max(1, options_.retry.max_attempts);
  for (int attempt_number = 1;; ++attempt_number) {
    bool no_answer = false;
    auto result = attempt(endpoint, request, no_answer);
    if (result) return result;
    // No answer at all (connection refused, timeout) is retried like a 5xx,
    // as the SDKs do, unless the request must not be repeated (see
    // AwsRequest::repeatable). A signing error or a 2xx that is not XML would
    // only fail the same way again.
    const AwsError* aws = result.aws_error();
    const bool retryable = aws == nullptr ? no_answer && request.repeatable
                                          : is_throttling(*aws) || (request.repeatable && is_retryable(*aws));
    if (!retryable || attempt_number >= max_attempts) {
      if (aws != nullptr && attempt_number > 1) return refused(request, *aws, attempt_number);
      if (aws == nullptr && attempt_number > 1) {
        return Error{result.error().code,
                     fmt::format("{} after {} attempts", result.error().message, attempt_number)};
      }
      return result;
    }
    options_.sleep(backoff_delay(options_.retry, attempt_number, options_.random()));
  }
}

Result<pugi::xml_document> AwsClient::call_ec2(const ServiceEndpoint& endpoint,
                                               const std::string& action,
                                               const FormParameters& parameters, bool repeatable) const {
  FormParameters form{{"Action", action}, {"Version", ec2_api_version}};
  form.insert(form.end(), parameters.begin(), parameters.end());
  AwsRequest request;
  request.service_label = "EC2";
  request.operation = action;
  request.method = "POST";
  request.content_type = "application/x-www-form-urlencoded; charset=utf-8";
  request.body = form_encode(form);
  request.repeatable = repeatable;
  return call(endpoint, request);
}

Result<pugi::xml_document> AwsClient::call_route53(const ServiceEndpoint& endpoint,
                                                   const std::string& operation,
                                                   const std::string& method,
                                                   const std::string& path,
                                                   const QueryParameters& query,
                                                   const std::string& xml_body) const {
  AwsRequest request;
  request.service_label = "Route 53";
  request.operation = operation;
  request.method = method;
  request.path = fmt::format("/{}{}", route53_api_version, path);
  request.query = query;
  if (!xml_body.empty()) request.content_type = "text/xml";
  request.body = xml_body;
  return call(endpoint, request);
}

Result<void> paginate(const PageFunction& page, int max_pages) {
  std::set<QueryParameters> seen;
  QueryParameters continuation;
  for (int count = 0; count < max_pages; ++count) {
    auto next = page(continuation);
    if (!next) return next.failure();
    if (!next->has_value()) return {};
    continuation = std::move(**next);
    if (!seen.insert(continuation).second) {
      return Error{ErrorCode::io, "pagination: the server repeated a continuation token"};
    }
  }
  return Error{ErrorCode::io, fmt::format("pagination: more than {} pages", max_pages)};
}

std::string child_text(const pugi::xml_node& node, const char* name) {
  return node.child(name).text().as_string();
}

bool child_bool(const pugi::xml_node& node, const char* name) {
  return same_error_code(child_text(node, name), "true");
}

std::vector<std::string> item_texts(const pugi::xml_node& node, const char* set,
                                    const char* field) {
  std::vector<std::string> texts;
  for (const auto& item : node.child(set).children("item")) {
    texts.push_back(field == nullptr ? item.text().as_string() : child_text(item, field));
  }
  return texts;
}

std::string to_xml_string(const pugi::xml_document& document) {
  std::ostringstream out;
  document.save(out, "", pugi::format_raw);
  return out.str();
}

}  // namespace aws
