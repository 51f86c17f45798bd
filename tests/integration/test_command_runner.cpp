// run_command against real processes (sh, sleep, ls): output, exit codes, spawn
// errors, timeouts that kill the whole process group, and a loop that never blocks.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "command_runner.h"

namespace {

using namespace std::chrono_literals;
using sidecar::CommandResult;
using sidecar::run_command;
using testing::HasSubstr;

// Long enough for a loaded, sanitized build; a hang fails the test instead of blocking ctest.
constexpr auto kTestLimit = 20s;

CommandResult run_to_completion(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 5000ms) {
  boost::asio::io_context io;
  std::optional<CommandResult> result;
  run_command(io, argv, timeout, [&result](CommandResult finished) { result = std::move(finished); });
  io.run_for(kTestLimit);
  EXPECT_TRUE(result.has_value()) << "the command never completed";
  return result.value_or(CommandResult{});
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

// True once `pid` no longer exists or is only a zombie waiting for init.
bool process_gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, command, state;
  if (!(stat >> pid_field >> command >> state)) return true;
  return state == "Z";
}

bool eventually_gone(pid_t pid) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (process_gone(pid)) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

TEST(CommandRunner, SucceedsAndCapturesStdoutAndStderr) {
  const CommandResult result = run_to_completion({"sh", "-c", "echo to-stdout; echo to-stderr >&2"});
  EXPECT_TRUE(result.succeeded()) << result.describe();
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_FALSE(result.signal.has_value());
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.output, "to-stdout\nto-stderr\n");
  EXPECT_FALSE(result.output_truncated);
  EXPECT_THAT(result.describe(), HasSubstr("exited 0"));
}

TEST(CommandRunner, ReportsNonZeroExit) {
  const CommandResult result = run_to_completion({"sh", "-c", "echo failing; exit 3"});
  EXPECT_FALSE(result.succeeded());
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_TRUE(result.spawn_error.empty());
  EXPECT_EQ(result.output, "failing\n");
  EXPECT_THAT(result.describe(), HasSubstr("exited 3"));
}

TEST(CommandRunner, MissingExecutableIsASpawnErrorNotACrash) {
  for (const std::string missing : {"/nonexistent/datadog-agent", "no-such-command-on-path-xyz"}) {
    const CommandResult result = run_to_completion({missing, "status"});
    EXPECT_FALSE(result.succeeded());
    EXPECT_THAT(result.spawn_error, HasSubstr(missing));
    EXPECT_THAT(result.spawn_error, HasSubstr("No such file or directory"));
    EXPECT_FALSE(result.exit_code.has_value());
    EXPECT_THAT(result.describe(), HasSubstr("could not start"));
  }
}

TEST(CommandRunner, EmptyArgvIsASpawnError) {
  const CommandResult result = run_to_completion({});
  EXPECT_THAT(result.spawn_error, HasSubstr("empty argv"));
}

TEST(CommandRunner, CompletionNeverRunsInsideTheCall) {
  boost::asio::io_context io;
  bool called = false;
  run_command(io, {"/nonexistent/x"}, 1000ms, [&called](CommandResult) { called = true; });
  EXPECT_FALSE(called);
  io.run_for(kTestLimit);
  EXPECT_TRUE(called);
}

TEST(CommandRunner, TimeoutKillsTheCommandQuickly) {
  const CommandResult result = run_to_completion({"sleep", "30"}, 200ms);
  EXPECT_TRUE(result.timed_out);
  EXPECT_FALSE(result.succeeded());
  EXPECT_EQ(result.signal, SIGTERM);
  EXPECT_LT(result.elapsed, 3s);
  EXPECT_THAT(result.describe(), HasSubstr("timed out, killed by SIGTERM"));
}

TEST(CommandRunner, TimeoutKillsTheWholeProcessGroup) {
  // 2 s: time enough for sh to print the pid on a loaded machine.
  const CommandResult result = run_to_completion({"sh", "-c", "sleep 30 & echo $!; wait"}, 2000ms);
  EXPECT_TRUE(result.timed_out);
  EXPECT_LT(result.elapsed, 10s);
  const std::vector<std::string> lines = lines_of(result.output);
  ASSERT_EQ(lines.size(), 1u) << result.output;
  EXPECT_TRUE(eventually_gone(static_cast<pid_t>(std::stoi(lines.front())))) << "the background sleep survived";
}

TEST(CommandRunner, ChildIgnoringSigtermGetsSigkillAfterTheGrace) {
  // `trap '' TERM` makes sh and the sleep it starts ignore SIGTERM.
  // 1 s: the trap must be set before SIGTERM comes, even on a loaded machine.
  const CommandResult result = run_to_completion({"sh", "-c", "trap '' TERM; sleep 30"}, 1000ms);
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.signal, SIGKILL);
  EXPECT_GE(result.elapsed, 1000ms + sidecar::kCommandKillGrace);
  EXPECT_LT(result.elapsed, 1000ms + sidecar::kCommandKillGrace + 10s);
}

TEST(CommandRunner, OutputIsBoundedAndTheChildNeverBlocks) {
  const CommandResult result = run_to_completion({"sh", "-c", "head -c 200000 /dev/zero | tr '\\0' x"});
  EXPECT_EQ(result.exit_code, 0) << result.describe();
  EXPECT_EQ(result.output.size(), sidecar::kCommandOutputLimit);
  EXPECT_EQ(result.output.find_first_not_of('x'), std::string::npos);
  EXPECT_TRUE(result.output_truncated);
  EXPECT_THAT(result.describe(), HasSubstr("output cut at 8192 bytes"));
}

TEST(CommandRunner, BackgroundChildHoldingThePipeDoesNotDelayCompletion) {
  const CommandResult result = run_to_completion({"sh", "-c", "sleep 15 & echo started"}, 30s);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output, "started\n");
  EXPECT_LT(result.elapsed, 10s) << "waited for the background sleep";
}

// Each command prints when it started and when it ended (ns since the
// epoch); they ran concurrently when each started before the other ended.
TEST(CommandRunner, TwoCommandsRunConcurrently) {
  boost::asio::io_context io;
  std::vector<CommandResult> results;
  for (int i = 0; i < 2; ++i) {
    run_command(io, {"sh", "-c", "date +%s%N; sleep 1; date +%s%N"}, 10s,
                [&results](CommandResult finished) { results.push_back(std::move(finished)); });
  }
  io.run_for(kTestLimit);
  ASSERT_EQ(results.size(), 2u);
  std::vector<std::pair<long long, long long>> spans;
  for (const auto& result : results) {
    const std::vector<std::string> lines = lines_of(result.output);
    ASSERT_EQ(lines.size(), 2u) << result.output;
    spans.emplace_back(std::stoll(lines[0]), std::stoll(lines[1]));
  }
  EXPECT_LT(spans[0].first, spans[1].second) << "the commands ran one after the other";
  EXPECT_LT(spans[1].first, spans[0].second) << "the commands ran one after the other";
}

TEST(CommandRunner, LoopStaysResponsiveWhileACommandRuns) {
  boost::asio::io_context io;
  bool command_done = false;
  bool timer_fired_before_command = false;
  run_command(io, {"sleep", "3"}, 10s, [&command_done](CommandResult) { command_done = true; });
  boost::asio::steady_timer timer(io, 100ms);
  timer.async_wait([&](const boost::system::error_code&) { timer_fired_before_command = !command_done; });
  io.run_for(kTestLimit);
  EXPECT_TRUE(command_done);
  EXPECT_TRUE(timer_fired_before_command);
}

TEST(CommandRunner, DestroyingTheLoopMidCommandKillsTheCommand) {
  char pid_file_pattern[] = "/tmp/command-runner-pid-XXXXXX";
  const int pid_file = ::mkstemp(pid_file_pattern);
  ASSERT_GE(pid_file, 0);
  ::close(pid_file);
  bool called = false;
  {
    boost::asio::io_context io;
    run_command(io, {"sh", "-c", std::string("echo $$ > ") + pid_file_pattern + "; exec sleep 30"}, 60s,
                [&called](CommandResult) { called = true; });
    // Run the loop until the command has written its pid (a loaded machine may take a while).
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::filesystem::file_size(pid_file_pattern) == 0 && std::chrono::steady_clock::now() < deadline) {
      io.run_for(20ms);
    }
  }
  std::ifstream written(pid_file_pattern);
  pid_t pid = 0;
  written >> pid;
  ::unlink(pid_file_pattern);
  EXPECT_FALSE(called);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(eventually_gone(pid));
}

TEST(CommandRunner, ChildStartsWithDefaultSignalsAndNoBlockedOnes) {
  // Simulate a daemon that blocks SIGTERM and ignores SIGPIPE and SIGHUP.
  sigset_t blocked, previous_mask;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &blocked, &previous_mask), 0);
  struct sigaction ignore {}, previous_pipe {}, previous_hup {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &previous_pipe);
  sigaction(SIGHUP, &ignore, &previous_hup);

  const CommandResult result = run_to_completion({"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"});

  sigaction(SIGHUP, &previous_hup, nullptr);
  sigaction(SIGPIPE, &previous_pipe, nullptr);
  pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);
  const std::vector<std::string> lines = lines_of(result.output);
  ASSERT_EQ(lines.size(), 2u) << result.output;
  EXPECT_EQ(lines[0], "SigBlk:\t0000000000000000");
  // glibc's posix_spawn sets its two internal signals (32 and 33, below SIGRTMIN) to
  // SIG_IGN in the child so their handlers can't run on the shared vfork stack; no
  // program can use them through glibc. Every other signal must be at its default.
  const std::uint64_t ignored = std::stoull(lines[1].substr(lines[1].find('\t') + 1), nullptr, 16);
  const std::uint64_t glibc_internal = (1ull << (32 - 1)) | (1ull << (33 - 1));
  EXPECT_EQ(ignored & ~glibc_internal, 0u) << lines[1];
}

TEST(CommandRunner, NoDescriptorLeaksIntoTheChild) {
  const int leaky = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(leaky, 0);
  const CommandResult result = run_to_completion({"ls", "/proc/self/fd"});
  ::close(leaky);
  // 0-2 are stdio; 3 is the directory ls itself opened to list /proc/self/fd.
  const std::vector<std::string> fds = lines_of(result.output);
  EXPECT_EQ(std::set<std::string>(fds.begin(), fds.end()), (std::set<std::string>{"0", "1", "2", "3"}));
}

TEST(CommandRunner, ChildLeadsItsOwnProcessGroup) {
  const CommandResult result = run_to_completion({"sh", "-c", "echo $$; cut -d' ' -f5 /proc/$$/stat"});
  const std::vector<std::string> lines = lines_of(result.output);
  ASSERT_EQ(lines.size(), 2u) << result.output;
  EXPECT_EQ(lines[0], lines[1]) << "pid and process group differ";
  EXPECT_NE(lines[1], std::to_string(::getpgrp()));
}

}  // namespace
