#pragma once
// Errors mean "the probe could not be set up or run" (bad configuration, a
// library refusing to initialise). A probe that *fails* (NXDOMAIN, refused,
// bad certificate) is a result, never an Error.
#include <string>
#include <string_view>

namespace checks {

enum class ErrorCode {
  invalid_argument = 1,
  config = 2,
  io = 3,
  dns_init = 4,
  tls_init = 5,
  http_init = 6,
  internal = 7,
  interrupted = 8,  // the person running the command asked it to stop
};

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;

  // Adds the context of a caller further up the stack: "reading x.yaml: " + message.
  Error with_prefix(std::string_view prefix) const {
    return Error{code, std::string(prefix) + message};
  }
};

}  // namespace checks
