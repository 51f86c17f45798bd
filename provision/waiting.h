#pragma once
// What apply and destroy share: how they wait for AWS (endpoints becoming
// available or deleted, peerings, Route 53 changes) and how a failed step is
// recorded.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "aws/aws_call.h"
#include "checks/expected.h"

namespace provision {

using checks::Error;
using checks::Expected;

struct WaitOptions {
  std::function<void(const std::string&)> progress = [](const std::string&) {};
  aws::SleepFunction sleep = aws::real_sleep();
  std::chrono::milliseconds poll_interval{5000};
  // AWS documents up to 10 minutes from pending to available.
  std::chrono::milliseconds wait_limit{std::chrono::minutes(15)};
  // True once the person running the command asked it to stop (Ctrl-C):
  // the run stops before its next step or poll, and says what it did.
  std::function<bool()> interrupted = [] { return false; };
};

// What is still pending, for the progress line; empty when done.
using PendingCheck = std::function<Expected<std::string>()>;

// Asks `pending` until it is empty, sleeping poll_interval in between; gives
// up after wait_limit (sleeps and the calls' own time both count), saying
// that running `verb` again keeps waiting. A progress line with the elapsed
// seconds before each sleep. Sleeps in short slices so that an interrupt
// stops the wait within a fraction of a second.
Expected<void> wait_until_done(const std::string& what, const PendingCheck& pending, const WaitOptions& options,
                               const char* verb);

// Runs one step of a run; a failure is kept in `failure` with the step named
// in front, so the report can say what failed after what was done. An
// interrupt stops the run before the step starts.
bool run_step(const std::string& what, const std::function<Expected<void>()>& work, const WaitOptions& options,
              std::optional<Error>& failure);

// The error a run stops with when interrupted, naming what it did not start.
Error interruption_before(const std::string& what);

}  // namespace provision
