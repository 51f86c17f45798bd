// wait_until_done and run_step: polling, the wait limit and interrupts, with
// an injected sleep (no real time passes).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "provision/waiting.h"

namespace provision {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

struct FakeClock {
  std::chrono::milliseconds slept{0};
  int naps = 0;
  WaitOptions options() {
    WaitOptions options;
    options.poll_interval = 1000ms;
    options.wait_limit = 10s;
    options.sleep = [this](std::chrono::milliseconds nap) {
      slept += nap;
      ++naps;
    };
    return options;
  }
};

TEST(WaitUntilDone, PollsUntilNothingIsPending) {
  FakeClock clock;
  int asked = 0;
  const auto done = wait_until_done(
      "the thing", [&]() -> Expected<std::string> { return std::string(++asked < 3 ? "1 pending" : ""); }, clock.options(),
      "apply");
  EXPECT_TRUE(done);
  EXPECT_EQ(asked, 3);
  EXPECT_EQ(clock.slept, 2000ms);
}

TEST(WaitUntilDone, GivesUpAfterTheLimitAndSaysHowToKeepWaiting) {
  FakeClock clock;
  const auto done = wait_until_done(
      "the thing", []() -> Expected<std::string> { return std::string("still pending"); }, clock.options(), "apply");
  ASSERT_FALSE(done);
  EXPECT_THAT(done.error().message, HasSubstr("the thing still not done after 10 s: still pending"));
  EXPECT_THAT(done.error().message, HasSubstr("run apply again to keep waiting"));
}

TEST(WaitUntilDone, AnInterruptCutsTheSleepShortAndStopsTheWait) {
  FakeClock clock;
  WaitOptions options = clock.options();
  options.interrupted = [&clock] { return clock.naps >= 2; };  // Ctrl-C during the second slice
  int asked = 0;
  const auto done = wait_until_done(
      "the endpoints", [&]() -> Expected<std::string> { return ++asked, std::string("pending"); }, options, "apply");
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().message, "interrupted before the rest of the wait for the endpoints");
  EXPECT_EQ(asked, 1);
  EXPECT_LT(clock.slept, options.poll_interval);  // slept in slices, not the whole interval
}

TEST(RunStep, AnInterruptStopsBeforeTheStepRuns) {
  WaitOptions options;
  options.interrupted = [] { return true; };
  bool ran = false;
  std::optional<Error> failure;
  EXPECT_FALSE(run_step(
      "create endpoint", [&]() -> Expected<void> { return ran = true, Expected<void>{}; }, options, failure));
  EXPECT_FALSE(ran);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->message, "interrupted before create endpoint");
}

TEST(RunStep, AFailureNamesTheStep) {
  std::optional<Error> failure;
  EXPECT_FALSE(run_step(
      "create endpoint", []() -> Expected<void> { return Error{checks::ErrorCode::io, "refused"}; }, WaitOptions{},
      failure));
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->message, "create endpoint: refused");
}

}  // namespace
}  // namespace provision
