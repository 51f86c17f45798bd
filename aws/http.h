#pragma once
// The transport seam: aws_client builds requests and reads responses, the
// caller (libcurl in the tool, a fake in tests) moves the bytes.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "checks/expected.h"

namespace aws {

using Header = std::pair<std::string, std::string>;
using HeaderList = std::vector<Header>;

struct HttpRequest {
  std::string method;
  std::string url;
  HeaderList headers;
  std::string body;
};

struct HttpResponse {
  long status = 0;
  std::string body;
};

// Returns an Error only when no HTTP answer arrived (connect failure,
// timeout); any status code, 4xx and 5xx included, is a response.
using HttpFetcher = std::function<checks::Expected<HttpResponse>(const HttpRequest&)>;

}  // namespace aws
