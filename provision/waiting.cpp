#include "provision/waiting.h"

#include <fmt/format.h>

namespace provision {

Expected<void> wait_until_done(const std::string& what, const PendingCheck& pending, const WaitOptions& options,
                               const char* verb) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  milliseconds elapsed{0};
  while (true) {
    const auto asked = std::chrono::steady_clock::now();
    auto left = pending();
    elapsed += duration_cast<milliseconds>(std::chrono::steady_clock::now() - asked);
    if (!left) return left.error();
    if (left->empty()) return {};
    if (elapsed >= options.wait_limit) {
      return Error{checks::ErrorCode::io, fmt::format("{} still not done after {} s: {}; run {} again to keep waiting",
                                                      what, elapsed.count() / 1000, *left, verb)};
    }
    options.progress(fmt::format("waiting for {} ({} s elapsed): {}", what, elapsed.count() / 1000, *left));
    options.sleep(options.poll_interval);
    elapsed += options.poll_interval;
  }
}

bool run_step(const std::string& what, const std::function<Expected<void>()>& work, std::optional<Error>& failure) {
  auto done = work();
  if (done) return true;
  failure = done.error().with_prefix(what + ": ");
  return false;
}

}  // namespace provision
