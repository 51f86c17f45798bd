#pragma once
// A scripted HttpFetcher for aws_call / ec2 / route53 tests: answers in
// order, records every request, and an AwsClient wired to it with a fixed
// clock, recorded sleeps and a fixed "random" value.
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "aws/aws_call.h"

namespace aws::test {

class FakeTransport {
 public:
  void answer(long status, std::string body) { answers_.push_back(HttpResponse{status, std::move(body)}); }
  void fail(std::string message) {
    answers_.push_back(Error{ErrorCode::io, std::move(message)});
  }

  HttpFetcher fetcher() {
    return [this](const HttpRequest& request) -> Expected<HttpResponse> {
      requests.push_back(request);
      if (answers_.empty()) return Error{ErrorCode::internal, "FakeTransport: no answer scripted"};
      auto next = std::move(answers_.front());
      answers_.pop_front();
      return next;
    };
  }

  std::vector<HttpRequest> requests;

 private:
  std::deque<Expected<HttpResponse>> answers_;
};

inline std::string header_value(const HttpRequest& request, const std::string& name) {
  for (const auto& [header, value] : request.headers) {
    if (same_error_code(header, name)) return value;
  }
  return {};
}

struct FakeAws {
  FakeTransport transport;
  std::vector<std::chrono::milliseconds> sleeps;
  double random_value = 0.5;
  std::unique_ptr<AwsClient> client;

  explicit FakeAws(RetryPolicy retry = {}, Credentials credentials = Credentials(
                                               "AKIDEXAMPLE", SecretString("secret"),
                                               SecretString("session-token"))) {
    AwsClientOptions options;
    options.retry = retry;
    options.sleep = [this](std::chrono::milliseconds delay) { sleeps.push_back(delay); };
    options.random = [this] { return random_value; };
    options.clock = [] { return TimePoint(std::chrono::seconds(1440938160)); };  // 2015-08-30T12:36:00Z
    client = std::make_unique<AwsClient>(transport.fetcher(), std::move(credentials), options);
  }
};

inline ServiceEndpoint endpoint(const std::string& base_url, const std::string& host,
                                const std::string& service, const std::string& region) {
  return ServiceEndpoint{base_url, host, service, region, "test"};
}

inline ServiceEndpoint ec2_endpoint(const std::string& region = "us-west-2") {
  return endpoint("https://ec2." + region + ".amazonaws.com", "ec2." + region + ".amazonaws.com",
                  "ec2", region);
}

inline ServiceEndpoint route53_endpoint() {
  return endpoint("https://route53.amazonaws.com", "route53.amazonaws.com", "route53", "us-east-1");
}

}  // namespace aws::test
