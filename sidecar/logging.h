#pragma once
// Logging for the daemon and the tools: spdlog to stderr. Under systemd
// (JOURNAL_STREAM set) lines carry a syslog priority prefix ("<4>") and no
// timestamp of our own, since journald adds both. Repeated identical errors
// are rate-limited by LogLimiter so a dead intake does not flood the journal.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "checks/expected.h"

namespace sidecar {

// level: trace, debug, info, warn, error, off.
checks::Expected<void> configure_logging(const std::string& level);

class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::seconds window = std::chrono::minutes(5)) : window_(window) {}
  // Returns the number of identical messages suppressed since the last time
  // `key` was allowed (0 on the first), or nothing when this one is suppressed.
  std::optional<std::uint64_t> allow(const std::string& key, std::chrono::steady_clock::time_point now);

 private:
  struct Entry {
    std::chrono::steady_clock::time_point last_logged;
    std::uint64_t suppressed = 0;
  };
  std::chrono::seconds window_;
  std::map<std::string, Entry> entries_;
};

}  // namespace sidecar
