#pragma once
// Runs one asynchronous probe on a private io_context until it calls back.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "checks/dns.h"

namespace testsupport {

// A generous bound so a broken deadline fails the test instead of hanging CI.
inline constexpr auto hang_guard = std::chrono::seconds(30);

inline checks::DnsResult resolve_once(checks::DnsResolver& resolver, boost::asio::io_context& io,
                                      const std::string& host,
                                      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  std::optional<checks::DnsResult> result;
  resolver.resolve(host, timeout, [&](checks::DnsResult finished) { result = std::move(finished); });
  io.restart();
  while (!result && io.run_one_for(hang_guard) > 0) {
  }
  EXPECT_TRUE(result.has_value()) << "resolve(" << host << ") never called back";
  return result.value_or(checks::DnsResult{});
}

}  // namespace testsupport
