#include "provision/waiting.h"

#include <fmt/format.h>

#include <algorithm>

namespace provision {
namespace {

using std::chrono::milliseconds;

// Sleeps poll_interval in slices, stopping early on an interrupt; returns
// how long it slept.
milliseconds sleep_unless_interrupted(const WaitOptions& options) {
  constexpr milliseconds slice{200};
  milliseconds slept{0};
  while (slept < options.poll_interval && !options.interrupted()) {
    const milliseconds nap = std::min(slice, options.poll_interval - slept);
    options.sleep(nap);
    slept += nap;
  }
  return slept;
}

}  // namespace

Expected<void> wait_until_done(const std::string& what, const PendingCheck& pending, const WaitOptions& options,
                               const char* verb) {
  milliseconds elapsed{0};
  while (true) {
    if (options.interrupted()) return interruption_before("the rest of the wait for " + what);
    const auto asked = std::chrono::steady_clock::now();
    auto left = pending();
    elapsed += std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - asked);
    if (!left) return left.error();
    if (left->empty()) return {};
    if (elapsed >= options.wait_limit) {
      return Error{checks::ErrorCode::io, fmt::format("{} still not done after {} s: {}; run {} again to keep waiting",
                                                      what, elapsed.count() / 1000, *left, verb)};
    }
    options.progress(fmt::format("waiting for {} ({} s elapsed): {}", what, elapsed.count() / 1000, *left));
    elapsed += sleep_unless_interrupted(options);
  }
}

Error interruption_before(const std::string& what) {
  return Error{checks::ErrorCode::interrupted, "interrupted before " + what};
}

bool run_step(const std::string& what, const std::function<Expected<void>()>& work, const WaitOptions& options,
              std::optional<Error>& failure) {
  if (options.interrupted()) {
    failure = interruption_before(what);
    return false;
  }
  auto done = work();
  if (done) return true;
  failure = done.error().with_prefix(what + ": ");
  return false;
}

}  // namespace provision
