#include "logging.h"

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

namespace sidecar {
namespace {

// journald reads "<N>" at the start of a line as the syslog priority.
class SyslogPriorityFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&, spdlog::memory_buf_t& destination) override {
    const char* prefix = "<6>";
    switch (message.level) {
      case spdlog::level::trace:
      case spdlog::level::debug: prefix = "<7>"; break;
      case spdlog::level::info: prefix = "<6>"; break;
      case spdlog::level::warn: prefix = "<4>"; break;
      case spdlog::level::err: prefix = "<3>"; break;
      case spdlog::level::critical: prefix = "<2>"; break;
      default: break;
    }
    destination.append(prefix, prefix + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<SyslogPriorityFlag>(); }
};

}  // namespace

checks::Expected<void> configure_logging(const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return checks::unexpected(checks::ErrorCode::config, fmt::format("log level '{}' is not one of trace, debug, info, warn, error, off", level));
  }
  auto logger = std::make_shared<spdlog::logger>("privatelink-sidecar", std::make_shared<spdlog::sinks::stderr_sink_st>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (std::getenv("JOURNAL_STREAM") != nullptr) {
    formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%v");
  } else {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  }
  logger->set_formatter(std::move(formatter));
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::trace);  // stderr to journald: every line at once
  spdlog::set_default_logger(std::move(logger));
  return {};
}

std::optional<std::uint64_t> LogLimiter::allow(const std::string& key, std::chrono::steady_clock::time_point now) {
  auto [entry, inserted] = entries_.try_emplace(key, Entry{now, 0});
  if (inserted) return 0;
  if (now - entry->second.last_logged < window_) {
    ++entry->second.suppressed;
    return std::nullopt;
  }
  const std::uint64_t suppressed = entry->second.suppressed;
  entry->second = Entry{now, 0};
  return suppressed;
}

}  // namespace sidecar
