// Why posix_spawn + pidfd_open + Asio descriptors, and not Boost.Process v2.
//
// Boost.Process v2 is what we looked at first (house rule: a well-kept library over hand
// code). The copy in Debian 12's Boost 1.81 headers is header-only and does watch the
// child through a pidfd (no SIGCHLD handler). It loses on these points, each checked in
// /usr/include/boost/process/v2 on this machine:
//  * Its launcher uses plain fork(). Then, *in the child*, it calls
//    io_context::notify_fork(fork_child), which rebuilds the epoll reactor (allocates,
//    re-registers every descriptor) before exec. That is not async-signal-safe once
//    the daemon has other threads (the libcurl worker), and it is needless work.
//  * close_all() in posix/detail/close_handles.ipp has an off-by-one
//    (`next = whitelist[idx]`), so fds between 3 and its error pipe are never closed in
//    the child. Fixed upstream in boostorg/process#360 (2024), after 1.81.
//  * PATH lookup (environment::find_executable) needs libboost_filesystem 1.81, which is
//    neither installed nor linked here. The BOOST_PROCESS_USE_STD_FS switch fails to
//    compile in 1.81 ("'optional' has not been declared in 'boost'").
//  * It has no process group, signal mask or signal-default settings. We would have to
//    write them as on_exec_setup hooks that run in the forked child, which is the same
//    amount of hand code as below, in a less safe place. ~basic_process() also SIGKILLs
//    a still-running child and then blocks in waitpid() on the loop thread.
// glibc's posix_spawnp does all of that itself, with no code of ours running in the
// child: clone(CLONE_VM|CLONE_VFORK), POSIX_SPAWN_SETPGROUP, SETSIGMASK, SETSIGDEF,
// dup2/close-from file actions (glibc >= 2.34), a PATH search, and exec errors (ENOENT)
// returned to the caller. pidfd_open (Linux 5.3, glibc 2.36) gives a descriptor that
// becomes readable when the child exits. Asio waits on it like on any other fd, so no
// SIGCHLD handler can fight with other code, and a reap never blocks the loop. The one
// pause left is posix_spawnp itself, which returns once the child has exec'd (vfork
// semantics): short and bounded, like any spawn.
#include "command_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
// glibc 2.36's <sys/pidfd.h> lacks __BEGIN_DECLS, so C++ would mangle pidfd_open
// (an undefined-reference at link time). Fixed in glibc 2.37.
extern "C" {
#include <sys/pidfd.h>
}

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <memory>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "checks/expected.h"

extern char** environ;  // NOLINT: POSIX declares it nowhere in a header

namespace sidecar {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

// A child that exited may have left a background process holding the pipe open;
// don't wait for its EOF longer than this.
constexpr std::chrono::milliseconds kOutputDrainAfterExit{200};
// Only used if pidfd_open failed after the spawn: how often to try reaping.
constexpr std::chrono::milliseconds kOrphanReapInterval{50};

std::string errno_text(int error) { return std::error_code(error, std::generic_category()).message(); }

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// The descriptors and pid of a freshly started child.
struct Spawned {
  pid_t pid = -1;
  int pidfd = -1;
  int output_fd = -1;  // read end of the child's stdout+stderr pipe
};

// RAII owner of the posix_spawn attribute and file-action objects.
class SpawnPlan {
 public:
  SpawnPlan() {
    posix_spawnattr_init(&attributes_);
    posix_spawn_file_actions_init(&actions_);
  }
  ~SpawnPlan() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attributes_);
  }
  SpawnPlan(const SpawnPlan&) = delete;
  SpawnPlan& operator=(const SpawnPlan&) = delete;

  // Returns 0 or an errno value.
  int prepare(int output_write_fd) {
    if (int error = isolate_signals_and_group()) return error;
    return wire_descriptors(output_write_fd);
  }
  const posix_spawnattr_t* attributes() const { return &attributes_; }
  const posix_spawn_file_actions_t* actions() const { return &actions_; }

 private:
  // The daemon may block or ignore signals (Asio, our signal_set, SIGPIPE); the child
  // must start with an empty mask and default dispositions. Its own process group lets
  // a timeout kill everything it started.
  int isolate_signals_and_group() {
    sigset_t empty_mask;
    sigset_t all_signals;
    sigemptyset(&empty_mask);
    sigfillset(&all_signals);
    if (int error = posix_spawnattr_setsigmask(&attributes_, &empty_mask)) return error;
    if (int error = posix_spawnattr_setsigdefault(&attributes_, &all_signals)) return error;
    if (int error = posix_spawnattr_setpgroup(&attributes_, 0)) return error;
    const int flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP;
    return posix_spawnattr_setflags(&attributes_, static_cast<short>(flags));
  }

  // stdin from /dev/null, stdout+stderr into our pipe, nothing else. Our own fds are
  // O_CLOEXEC already; closefrom(3) also covers fds other libraries opened without it.
  int wire_descriptors(int output_write_fd) {
    if (int error = posix_spawn_file_actions_addopen(&actions_, STDIN_FILENO, "/dev/null", O_RDONLY, 0))
      return error;
    if (int error = posix_spawn_file_actions_adddup2(&actions_, output_write_fd, STDOUT_FILENO)) return error;
    if (int error = posix_spawn_file_actions_adddup2(&actions_, output_write_fd, STDERR_FILENO)) return error;
    return posix_spawn_file_actions_addclosefrom_np(&actions_, STDERR_FILENO + 1);
  }

  posix_spawnattr_t attributes_;
  posix_spawn_file_actions_t actions_;
};

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> pointers;
  pointers.reserve(argv.size() + 1);
  for (const std::string& arg : argv) pointers.push_back(const_cast<char*>(arg.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

// Polls until `pid` can be reaped. Only for the rare case where we could not get a
// pidfd for a child we already killed: a zombie must not be left behind.
void reap_killed_orphan(asio::io_context& io, pid_t pid) {
  auto timer = std::make_shared<asio::steady_timer>(io, kOrphanReapInterval);
  timer->async_wait([&io, pid, timer](const error_code& error) {
    if (error) return;  // io_context going away: the zombie goes with us
    if (::waitpid(pid, nullptr, WNOHANG) == 0) reap_killed_orphan(io, pid);
  });
}

// Watches the child through a pidfd. If that fails the child is killed and reaped later.
checks::Expected<int> open_pidfd(asio::io_context& io, pid_t pid) {
  const int pidfd = pidfd_open(pid, 0);
  if (pidfd >= 0) return pidfd;
  const int error = errno;
  ::kill(-pid, SIGKILL);
  reap_killed_orphan(io, pid);
  return checks::unexpected(checks::ErrorCode::io,
                            fmt::format("started pid {} but pidfd_open failed ({}); killed it", pid, errno_text(error)));
}

// Returns 0 or an errno value; the child's stdout and stderr go to write_fd.
int spawn_into_pipe(const std::vector<std::string>& argv, int write_fd, pid_t& pid) {
  SpawnPlan plan;
  if (int error = plan.prepare(write_fd)) return error;
  std::vector<char*> arguments = c_argv(argv);
  return ::posix_spawnp(&pid, arguments.front(), plan.actions(), plan.attributes(), arguments.data(), environ);
}

checks::Expected<Spawned> spawn_child(asio::io_context& io, const std::vector<std::string>& argv) {
  if (argv.empty() || argv.front().empty()) return checks::unexpected(checks::ErrorCode::invalid_argument, "empty argv");
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    return checks::unexpected(checks::ErrorCode::io, "cannot create output pipe: " + errno_text(errno));
  }
  const auto [read_fd, write_fd] = pipe_fds;
  pid_t pid = -1;
  const int error = spawn_into_pipe(argv, write_fd, pid);
  ::close(write_fd);  // the child has its copy; keeping ours would hide EOF
  if (error != 0) {
    ::close(read_fd);
    return checks::unexpected(checks::ErrorCode::io, fmt::format("cannot run '{}': {}", argv.front(), errno_text(error)));
  }
  checks::Expected<int> pidfd = open_pidfd(io, pid);
  if (!pidfd) {
    ::close(read_fd);
    return pidfd.error().with_prefix(fmt::format("cannot watch '{}': ", argv.front()));
  }
  return Spawned{pid, *pidfd, read_fd};
}

// One running child: its exit watch, its output pipe and its deadline. Handlers hold a
// shared_ptr to it, so it lives until the last of them has run.
class RunningCommand : public std::enable_shared_from_this<RunningCommand> {
 public:
  RunningCommand(asio::io_context& io, pid_t pid)
      : io_(io), pid_(pid), exit_watch_(io), output_(io), deadline_(io), drain_deadline_(io), started_(Clock::now()) {}

  ~RunningCommand() {
    // Only when the io_context is destroyed mid-command: don't leave the tree running.
    if (!reaped_) signal_group(SIGKILL);
  }
  RunningCommand(const RunningCommand&) = delete;
  RunningCommand& operator=(const RunningCommand&) = delete;

  // Hands both descriptors to Asio; they are owned (and closed) by us even on failure.
  error_code attach(int pidfd, int output_fd) {
    error_code error;
    exit_watch_.assign(pidfd, error);
    if (error) {
      ::close(pidfd);
      ::close(output_fd);
      return error;
    }
    output_.assign(output_fd, error);
    if (error) ::close(output_fd);
    return error;
  }

  // For a child we cannot watch: kill it, and reap it without blocking the loop.
  void abandon() {
    signal_group(SIGKILL);
    reap_killed_orphan(io_, pid_);
    reaped_ = true;  // from now on the pid may be reused: never signal it again
  }

  void start(std::chrono::milliseconds timeout, std::function<void(CommandResult)> done) {
    done_ = std::move(done);
    read_output();
    wait_for_exit();
    deadline_.expires_after(timeout);
    deadline_.async_wait([self = shared_from_this()](const error_code& error) { self->on_timeout(error); });
  }

 private:
  void read_output() {
    output_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](const error_code& error, std::size_t size) {
      self->on_output(error, size);
    });
  }

  void on_output(const error_code& error, std::size_t size) {
    keep_output(size);
    if (!error) return read_output();
    output_closed_ = true;  // EOF, or the drain deadline cancelled the read
    drain_deadline_.cancel();
    finish_if_complete();
  }

  void keep_output(std::size_t size) {
    const std::size_t room = kCommandOutputLimit - result_.output.size();
    result_.output.append(buffer_.data(), std::min(size, room));
    if (size > room) result_.output_truncated = true;
  }

  void wait_for_exit() {
    exit_watch_.async_wait(asio::posix::stream_descriptor::wait_read,
                           [self = shared_from_this()](const error_code& error) { self->on_exit_ready(error); });
  }

  void on_exit_ready(const error_code& error) {
    if (error) return;  // only operation_aborted, when the io_context shuts down
    // The leader is a zombie until reaped, so its pid (= the group id) can't be reused
    // yet: the last safe moment to kill what a timed-out command left behind.
    if (result_.timed_out) signal_group(SIGKILL);
    if (!reap()) return wait_for_exit();
    deadline_.cancel();
    exit_watch_.close();
    start_drain_deadline();
    finish_if_complete();
  }

  // Returns false if the child has not exited after all (a spurious wake-up).
  bool reap() {
    int status = 0;
    const pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
    if (reaped == 0) return false;
    reaped_ = true;  // on -1 (ECHILD: someone else reaped it) the status stays unknown
    result_.elapsed = since(started_);
    if (reaped == pid_ && WIFEXITED(status)) result_.exit_code = WEXITSTATUS(status);
    if (reaped == pid_ && WIFSIGNALED(status)) result_.signal = WTERMSIG(status);
    return true;
  }

  void start_drain_deadline() {
    if (output_closed_) return;
    drain_deadline_.expires_after(kOutputDrainAfterExit);
    drain_deadline_.async_wait([self = shared_from_this()](const error_code& error) {
      if (!error) self->output_.cancel();  // on_output then sees operation_aborted
    });
  }

  void on_timeout(const error_code& error) {
    if (error || reaped_) return;
    result_.timed_out = true;
    signal_group(SIGTERM);
    deadline_.expires_after(kCommandKillGrace);
    deadline_.async_wait([self = shared_from_this()](const error_code& grace_error) {
      if (!grace_error && !self->reaped_) self->signal_group(SIGKILL);
    });
  }

  void signal_group(int signal_number) const { ::kill(-pid_, signal_number); }

  void finish_if_complete() {
    if (!reaped_ || !output_closed_ || !done_) return;
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(result_));
  }

  asio::io_context& io_;
  pid_t pid_;
  asio::posix::stream_descriptor exit_watch_;  // the pidfd: readable once the child exited
  asio::posix::stream_descriptor output_;
  asio::steady_timer deadline_;
  asio::steady_timer drain_deadline_;
  std::array<char, 4096> buffer_{};
  CommandResult result_;
  Clock::time_point started_;
  bool reaped_ = false;
  bool output_closed_ = false;
  std::function<void(CommandResult)> done_;
};

std::string signal_name(int signal_number) {
  const char* abbreviation = sigabbrev_np(signal_number);
  return abbreviation ? fmt::format("SIG{}", abbreviation) : fmt::format("signal {}", signal_number);
}

std::string how_it_ended(const CommandResult& result) {
  if (result.exit_code) return fmt::format("exited {}", *result.exit_code);
  if (result.signal) return "killed by " + signal_name(*result.signal);
  return "ended with an unknown status (reaped elsewhere)";
}

// Completion always comes from the io_context, never from inside run_command.
void report_spawn_failure(asio::io_context& io, std::function<void(CommandResult)> done, std::string error) {
  CommandResult failure;
  failure.spawn_error = std::move(error);
  asio::post(io, [done = std::move(done), failure = std::move(failure)]() mutable { done(std::move(failure)); });
}

}  // namespace

bool CommandResult::succeeded() const { return spawn_error.empty() && !timed_out && exit_code == 0; }

std::string CommandResult::describe() const {
  if (!spawn_error.empty()) return "could not start: " + spawn_error;
  std::string text = fmt::format("{}{} after {} ms", timed_out ? "timed out, " : "", how_it_ended(*this), elapsed.count());
  if (output_truncated) text += fmt::format(" (output cut at {} bytes)", kCommandOutputLimit);
  return text;
}

void run_command(asio::io_context& io, const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                 std::function<void(CommandResult)> done) {
  checks::Expected<Spawned> child = spawn_child(io, argv);
  if (!child) return report_spawn_failure(io, std::move(done), child.error().message);
  auto command = std::make_shared<RunningCommand>(io, child->pid);
  if (const error_code error = command->attach(child->pidfd, child->output_fd)) {
    command->abandon();
    return report_spawn_failure(io, std::move(done),
                                fmt::format("cannot watch '{}': {}; killed it", argv.front(), error.message()));
  }
  command->start(timeout, std::move(done));
}

}  // namespace sidecar
