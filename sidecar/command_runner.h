#pragma once
// Runs an external command (argv, no shell) on the io_context without blocking
// it: used to restart the Agent (`systemctl restart datadog-agent`) and to ask
// systemd about its units. Each command runs in its own process group so a
// timeout kills the whole tree, not just the direct child.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sidecar {

// Output beyond this is read and dropped, so a chatty child never blocks on a
// full pipe and never grows our memory.
inline constexpr std::size_t kCommandOutputLimit = 8 * 1024;
// After a timeout the group gets SIGTERM, then SIGKILL if it is still there
// after this grace period.
inline constexpr std::chrono::milliseconds kCommandKillGrace{2000};

struct CommandResult {
  std::optional<int> exit_code;  // set when the child exited normally
  std::optional<int> signal;     // set when a signal ended the child
  bool timed_out = false;
  std::string output;  // stdout and stderr interleaved, at most kCommandOutputLimit bytes
  bool output_truncated = false;
  std::chrono::milliseconds elapsed{};
  std::string spawn_error;  // non-empty: the command never ran (missing executable, no fds...)

  // Ran, finished in time, and exited 0.
  bool succeeded() const;
  // One line for logs: "exited 0 after 12 ms", "timed out after 5000 ms, killed by SIGTERM"...
  std::string describe() const;
};

// Starts argv[0] (looked up in PATH when it has no '/') and calls `done` exactly
// once, always from the io_context (never from inside run_command). Several
// commands may run at once. If the io_context is destroyed first, `done` is
// dropped and the child's process group is killed.
void run_command(boost::asio::io_context& io, const std::vector<std::string>& argv,
                 std::chrono::milliseconds timeout, std::function<void(CommandResult)> done);

}  // namespace sidecar
