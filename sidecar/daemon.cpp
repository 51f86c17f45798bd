#include "daemon.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <random>
#include <set>

#include "agent_connections.h"
#include "agent_discovery.h"
#include "command_runner.h"
#include "daemon_state.h"
#include "intake_sources.h"
#include "logging.h"
#include "probe_stack.h"
#include "report.h"
#include "restart_guard.h"
#include "status_server.h"
#include "systemd_notify.h"
#include "version.h"

namespace sidecar {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

RestartPolicy policy_from(const RestartSettings& settings) {
  RestartPolicy policy;
  policy.enabled = settings.enabled;
  policy.stable_checks = settings.stable_checks;
  // The guard counts whole seconds; round up so 500ms never becomes "none".
  policy.cooldown = std::chrono::ceil<std::chrono::seconds>(settings.cooldown);
  policy.max_per_hour = settings.max_per_hour;
  policy.jitter = std::chrono::ceil<std::chrono::seconds>(settings.jitter);
  policy.dry_run = settings.dry_run;
  return policy;
}

std::string join(const std::vector<std::string>& items, std::string_view separator = ", ") {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : std::string(separator)) + item;
  return text;
}

class Daemon {
 public:
  Daemon(asio::io_context& io, CommonOptions options, Config config)
      : io_(io), options_(std::move(options)), config_(std::move(config)), signals_(io, SIGTERM, SIGINT, SIGHUP),
        watchdog_timer_(io), health_timer_(io), restart_timer_(io), random_(std::random_device{}()) {}

  Expected<void> start();
  int exit_code() const { return exit_code_; }

 private:
  // Configuration and intakes.
  Expected<void> apply_config(Config config, ResolvedIntakes intakes);
  void refresh_agent_version();
  void reload();
  // Probing.
  void schedule_probe(std::size_t index, milliseconds delay);
  void probe_intake(std::size_t index);
  void on_probe_result(std::size_t index, std::uint64_t generation, checks::IntakeResult result);
  milliseconds next_delay(const IntakeMonitor& monitor);
  void scan_agent_if_due(milliseconds max_age);
  void check_loop_health();
  // Restarts.
  std::vector<PendingChange> pending_changes() const;
  AgentUpgrade no_upgrade_known() const { return {}; }
  void consider_restart();
  void note_blocked(const RestartDecision& decision);
  void after_jitter();
  void reprobe_changed_then(std::function<void()> next);
  void check_upgrade_then_restart(std::vector<PendingChange> changes);
  void run_restart(std::vector<PendingChange> changes);
  void verify_agent(std::vector<PendingChange> changes, int attempt);
  void finish_restart(const std::vector<PendingChange>& changes, std::string outcome, std::string detail);
  void save_history();
  // Serving.
  HttpReply handle_http(std::string_view path);
  // Lifecycle.
  void wait_for_signal();
  void shutdown();
  void start_watchdog();

  asio::io_context& io_;
  CommonOptions options_;
  Config config_;
  asio::signal_set signals_;
  asio::steady_timer watchdog_timer_;
  asio::steady_timer health_timer_;
  asio::steady_timer restart_timer_;
  std::mt19937_64 random_;

  DaemonState state_;
  std::shared_ptr<ProbeStack> stack_;
  std::vector<std::shared_ptr<ProbeStack>> retired_stacks_;  // kept until their in-flight probes finish
  std::vector<checks::IntakeTarget> targets_;
  std::vector<std::unique_ptr<asio::steady_timer>> timers_;
  std::vector<bool> in_flight_;
  std::uint64_t generation_ = 0;  // bumped on reload: results of older probes are dropped

  std::unique_ptr<StatusServer> server_;
  std::shared_ptr<const std::string> metrics_cache_;
  std::uint64_t metrics_cache_version_ = ~std::uint64_t{0};

  std::optional<Clock::time_point> last_agent_scan_;
  RestartHistory history_;
  bool history_writable_ = true;
  std::optional<std::string> last_block_;  // the block reason logged last, so it is logged once
  LogLimiter log_limiter_;
  bool stopping_ = false;
  int exit_code_ = 0;
};

Expected<void> Daemon::start() {
  state_.version = std::string(version);
  state_.revision = std::string(git_revision);
  state_.started = std::chrono::system_clock::now();
  auto intakes = resolve_intakes(config_, process_environment());
  if (!intakes) return intakes.error();
  // The state directory is normally made by the package (StateDirectory=);
  // creating it here covers hand-run daemons and tests.
  std::error_code mkdir_error;
  std::filesystem::create_directories(config_.state_dir, mkdir_error);
  if (mkdir_error) spdlog::warn("state_dir {}: {}", config_.state_dir, mkdir_error.message());
  std::vector<std::string> notes;
  history_ = RestartHistory::load(restart_history_file(config_.state_dir), notes);
  for (const auto& note : notes) spdlog::warn("restart history: {}", note);
  if (auto applied = apply_config(config_, std::move(*intakes)); !applied) return applied.error();
  auto server = StatusServer::start(io_, config_.status_listen, [this](std::string_view path) { return handle_http(path); });
  if (!server) return server.error();
  server_ = std::move(*server);
  const auto endpoint = server_->local_endpoint();
  spdlog::info("status endpoint on http://{}:{}/ (metrics /metrics, JSON /status)",
               endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]" : endpoint.address().to_string(),
               endpoint.port());
  wait_for_signal();
  start_watchdog();
  check_loop_health();
  refresh_agent_version();
  notify_systemd("READY=1");
  return {};
}

Expected<void> Daemon::apply_config(Config config, ResolvedIntakes intakes) {
  Config probe_config = config;
  probe_config.intakes = intakes.intakes;
  auto stack = make_probe_stack(io_, probe_config);
  if (!stack) return stack.error();
  for (const auto& note : intakes.notes) spdlog::info("{}", note);
  for (const auto& finding : intakes.findings) {
    spdlog::warn("Agent config finding {} ({}): {}", finding.id, finding.key, finding.message);
  }
  if (stack_) retired_stacks_.push_back(std::move(stack_));
  // A restart waiting for its jitter (or re-probing) is dropped: its intakes
  // may be gone, and the next results decide again. A running command finishes.
  if (state_.restart_state == "waiting") {
    restart_timer_.cancel();
    state_.restart_state = "idle";
    state_.restart_due.reset();
  }
  stack_ = std::make_shared<ProbeStack>(std::move(*stack));
  ++generation_;

  // Keep the memory of intakes that survive a reload (same name, host, port).
  std::vector<std::unique_ptr<IntakeMonitor>> monitors;
  for (const auto& intake : intakes.intakes) {
    std::unique_ptr<IntakeMonitor> kept;
    for (auto& old : state_.intakes) {
      if (old && old->target().name == intake.name && old->target().host == intake.host &&
          old->target().port == intake.port) {
        kept = std::move(old);
      }
    }
    if (!kept) {
      kept = std::make_unique<IntakeMonitor>(checks::IntakeTarget{intake.name, intake.host, intake.port, {}},
                                             intake.origin, intake.optional, std::chrono::system_clock::now());
    }
    monitors.push_back(std::move(kept));
  }
  targets_ = targets_from(probe_config);
  for (auto& timer : timers_) timer->cancel();
  timers_.clear();
  in_flight_.assign(targets_.size(), false);
  for (std::size_t index = 0; index < targets_.size(); ++index) timers_.push_back(std::make_unique<asio::steady_timer>(io_));

  config_ = std::move(config);
  state_.intakes = std::move(monitors);
  state_.site = intakes.site;
  state_.config_file = config_.file;
  state_.intakes_source = intakes.source;
  state_.findings = intakes.findings;
  state_.agent_version = intakes.agent_version;
  state_.interval = config_.interval;
  state_.restart_enabled = config_.restart.enabled;
  state_.dry_run = config_.restart.dry_run;
  ++state_.version_counter;
  spdlog::info("probing {} intakes every {} (timeout {}), source: {}", targets_.size(),
               format_duration(config_.interval), format_duration(config_.timeout), intakes.source);

  // First runs spread over a short window so a start does not burst every probe at once.
  const milliseconds spread = std::min(config_.interval, milliseconds(2000));
  for (std::size_t index = 0; index < targets_.size(); ++index) {
    schedule_probe(index, spread * static_cast<long>(index) / static_cast<long>(std::max<std::size_t>(targets_.size(), 1)));
  }
  return {};
}

// When the manifest gives no version, ask the Agent binary (asynchronously),
// then resolve the intakes again so the versioned metrics host is probed.
void Daemon::refresh_agent_version() {
  if (state_.intakes_source != "agent" || state_.agent_version || config_.agent.version_command.empty()) return;
  run_command(io_, config_.agent.version_command, milliseconds(10000), [this](CommandResult result) {
    if (stopping_ || !result.succeeded()) {
      spdlog::info("Agent version: `{}` did not answer ({})", join(config_.agent.version_command, " "), result.describe());
      return;
    }
    auto parsed = parse_agent_version_output(result.output);
    if (!parsed) return;
    auto intakes = resolve_intakes(config_, process_environment(), parsed);
    if (!intakes) return;
    spdlog::info("Agent version {} (from `{}`)", *parsed, join(config_.agent.version_command, " "));
    if (auto applied = apply_config(config_, std::move(*intakes)); !applied) {
      spdlog::error("could not apply the versioned intakes: {}", applied.error().message);
    }
  });
}

void Daemon::schedule_probe(std::size_t index, milliseconds delay) {
  const std::uint64_t generation = generation_;
  timers_[index]->expires_after(delay);
  timers_[index]->async_wait([this, index, generation](boost::system::error_code error) {
    if (error || stopping_ || generation != generation_) return;
    probe_intake(index);
  });
}

void Daemon::probe_intake(std::size_t index) {
  if (in_flight_[index]) return;  // a probe never overlaps itself
  in_flight_[index] = true;
  auto stack = stack_;
  const std::uint64_t generation = generation_;
  stack->prober->probe(targets_[index], [this, stack, index, generation](checks::IntakeResult result) {
    // Handled on a fresh stack frame: the prober may be released inside.
    asio::post(io_, [this, index, generation, result = std::move(result)]() mutable {
      on_probe_result(index, generation, std::move(result));
    });
  });
}

void Daemon::on_probe_result(std::size_t index, std::uint64_t generation, checks::IntakeResult result) {
  std::erase_if(retired_stacks_, [](const auto& stack) { return stack.use_count() == 1; });
  if (stopping_ || generation != generation_) return;
  in_flight_[index] = false;
  auto& monitor = *state_.intakes[index];
  const MonitorPolicy policy{config_.healthy_threshold, config_.unhealthy_threshold};
  spdlog::debug("{}: {} ({})", result.name, checks::to_string(result.verdict), result.reason);
  if (auto transition = monitor.observe(result, policy, std::chrono::system_clock::now())) {
    if (transition->from == transition->to) {
      spdlog::info("{}: {}{}", transition->intake, checks::to_string(transition->to),
                   transition->reason.empty() ? "" : " (" + transition->reason + ")");
    } else {
      spdlog::warn("{}: {} -> {}{}", transition->intake, checks::to_string(transition->from),
                   checks::to_string(transition->to), transition->reason.empty() ? "" : " (" + transition->reason + ")");
    }
  }
  // A scan costs milliseconds of /proc reading: once per interval is enough
  // while nothing changes, every second while a DNS change is being judged.
  const bool answer_changed = monitor.last_dns_change() && monitor.last_dns_change() == monitor.last_probe_end();
  scan_agent_if_due(answer_changed || monitor.transition_pending() ? std::chrono::milliseconds(1000) : config_.interval);
  monitor.observe_agent(state_.agent.connections, config_.private_cidrs, state_.agent.scanned);
  const auto previous_change = monitor.change();
  monitor.update_change();
  if (monitor.change() && (!previous_change || previous_change->reason != monitor.change()->reason)) {
    spdlog::warn("{}: change seen: {}", monitor.target().name, monitor.change()->reason);
  }
  ++state_.version_counter;
  consider_restart();
  schedule_probe(index, next_delay(monitor));
}

// The next run is timed from the end of this one, with ±10 % jitter; a
// pending transition or change is confirmed at the shorter confirm_interval.
milliseconds Daemon::next_delay(const IntakeMonitor& monitor) {
  const milliseconds base = monitor.transition_pending() ? config_.confirm_interval : config_.interval;
  std::uniform_int_distribution<long> jitter(-base.count() / 10, base.count() / 10);
  return std::max(milliseconds(50), base + milliseconds(jitter(random_)));
}

void Daemon::scan_agent_if_due(milliseconds max_age) {
  const auto now = Clock::now();
  if (last_agent_scan_ && now - *last_agent_scan_ < max_age) return;
  last_agent_scan_ = now;
  AgentProcessSelector selector;
  selector.unit_patterns = config_.agent.units;
  selector.pid_files = config_.agent.pid_files;
  selector.process_names = config_.agent.process_names;
  std::set<std::uint16_t> ports;
  for (const auto& target : targets_) ports.insert(target.port);
  AgentScanSummary summary;
  for (std::uint16_t port : ports) {
    auto scan = scan_agent_connections(selector, port);
    if (!scan) {
      summary.error = scan.error().message;
      if (auto suppressed = log_limiter_.allow("agent-scan:" + summary.error, now)) {
        spdlog::warn("Agent connections: {}{}", summary.error,
                     *suppressed ? fmt::format(" ({} more suppressed)", *suppressed) : "");
      }
      state_.agent = summary;
      return;
    }
    summary.scanned = true;
    summary.processes = scan->processes.size();
    summary.method = std::string(to_string(scan->method));
    summary.notes = scan->notes;
    summary.connections.insert(summary.connections.end(), scan->connections.begin(), scan->connections.end());
  }
  // No Agent process found: nothing to compare, which is not an error.
  if (summary.processes == 0) summary.scanned = false;
  state_.agent = std::move(summary);
}

// /healthz and the watchdog: every intake must have finished a probe within
// two intervals plus its timeout (or, before its first, since start).
void Daemon::check_loop_health() {
  const auto now = std::chrono::system_clock::now();
  const auto allowed = 2 * config_.interval + config_.timeout + std::chrono::seconds(5);
  bool healthy = true;
  for (const auto& monitor : state_.intakes) {
    const auto last = monitor->last_probe_end().value_or(monitor->created());
    if (now - last > allowed) healthy = false;
  }
  if (healthy != state_.loop_healthy) {
    if (healthy) {
      spdlog::info("probe loop back on schedule");
    } else {
      spdlog::error("probe loop late: probes are not finishing on schedule");
    }
    state_.loop_healthy = healthy;
    ++state_.version_counter;
  }
  health_timer_.expires_after(std::chrono::seconds(1));
  health_timer_.async_wait([this](boost::system::error_code error) {
    if (!error && !stopping_) check_loop_health();
  });
}

// ------------------------------------------------------------------ restarts

std::vector<PendingChange> Daemon::pending_changes() const {
  std::vector<PendingChange> changes;
  for (const auto& monitor : state_.intakes) {
    if (const auto& change = monitor->change()) {
      changes.push_back(PendingChange{monitor->target().name, change->reason, change->held_checks, change->target_healthy});
    }
  }
  return changes;
}

void Daemon::consider_restart() {
  if (state_.restart_state != "idle") return;
  auto changes = pending_changes();
  if (changes.empty()) {
    last_block_.reset();
    return;
  }
  const auto decision = decide_restart(policy_from(config_.restart), history_, changes, no_upgrade_known(),
                                       std::chrono::system_clock::now(), random_);
  if (!decision.restart) {
    note_blocked(decision);
    return;
  }
  last_block_.reset();
  state_.restart_state = "waiting";
  state_.restart_due = std::chrono::system_clock::now() + decision.jitter_delay;
  ++state_.version_counter;
  spdlog::warn("Agent restart {}in {} ms (fleet jitter): {}", decision.dry_run ? "(dry run) " : "",
               decision.jitter_delay.count(), decision.explanation);
  restart_timer_.expires_after(decision.jitter_delay);
  restart_timer_.async_wait([this](boost::system::error_code error) {
    if (!error && !stopping_) after_jitter();
  });
}

// A restart wanted but refused is logged and counted once per reason, not
// every cycle; not_stable is the normal debounce and only logged at debug.
void Daemon::note_blocked(const RestartDecision& decision) {
  const std::string block(to_string(decision.blocked_by));
  if (decision.blocked_by == RestartBlock::not_stable || decision.blocked_by == RestartBlock::nothing_changed) {
    spdlog::debug("Agent restart not yet: {}", decision.explanation);
    return;
  }
  if (last_block_ == block) return;
  last_block_ = block;
  spdlog::warn("Agent restart not done ({}): {}", block, decision.explanation);
  ++state_.restarts_skipped[block];
  std::vector<std::string> intakes;
  for (const auto& change : pending_changes()) intakes.push_back(change.intake);
  state_.record_restart_event({std::chrono::system_clock::now(), "skipped", block + ": " + decision.explanation, intakes});
  history_.record({std::chrono::system_clock::now(), decision.explanation, restart_outcome::skipped(block), intakes});
  save_history();
}

void Daemon::after_jitter() {
  // Re-check just before acting: the change may have flapped back meanwhile.
  reprobe_changed_then([this] {
    auto changes = pending_changes();
    const auto decision =
        confirm_restart(policy_from(config_.restart), history_, changes, no_upgrade_known(), std::chrono::system_clock::now());
    if (!decision.restart) {
      state_.restart_state = "idle";
      state_.restart_due.reset();
      note_blocked(decision);
      return;
    }
    check_upgrade_then_restart(std::move(changes));
  });
}

void Daemon::reprobe_changed_then(std::function<void()> next) {
  auto remaining = std::make_shared<int>(0);
  auto shared_next = std::make_shared<std::function<void()>>(std::move(next));
  const std::uint64_t generation = generation_;
  for (std::size_t index = 0; index < state_.intakes.size(); ++index) {
    if (!state_.intakes[index]->change()) continue;
    ++*remaining;
    auto stack = stack_;
    stack->prober->probe(targets_[index], [this, stack, index, generation, remaining, shared_next](checks::IntakeResult result) {
      asio::post(io_, [this, index, generation, remaining, shared_next, result = std::move(result)] {
        if (stopping_ || generation != generation_) return;
        auto& monitor = *state_.intakes[index];
        monitor.observe(result, MonitorPolicy{config_.healthy_threshold, config_.unhealthy_threshold},
                        std::chrono::system_clock::now());
        last_agent_scan_.reset();
        scan_agent_if_due(milliseconds(0));
        monitor.observe_agent(state_.agent.connections, config_.private_cidrs, state_.agent.scanned);
        monitor.update_change();
        ++state_.version_counter;
        if (--*remaining == 0) (*shared_next)();
      });
    });
  }
  if (*remaining == 0) (*shared_next)();
}

void Daemon::check_upgrade_then_restart(std::vector<PendingChange> changes) {
  if (config_.restart.upgrade_check_command.empty()) {
    run_restart(std::move(changes));
    return;
  }
  state_.restart_state = "running";
  run_command(io_, config_.restart.upgrade_check_command, config_.restart.command_timeout,
              [this, changes = std::move(changes)](CommandResult result) mutable {
                if (stopping_) return;
                if (result.exit_code == 0) {
                  state_.restart_state = "idle";
                  state_.restart_due.reset();
                  RestartDecision blocked;
                  blocked.blocked_by = RestartBlock::agent_upgrading;
                  blocked.explanation = fmt::format("`{}` says an Agent upgrade is in progress",
                                                    join(config_.restart.upgrade_check_command, " "));
                  note_blocked(blocked);
                  return;
                }
                run_restart(std::move(changes));
              });
}

void Daemon::run_restart(std::vector<PendingChange> changes) {
  if (config_.restart.dry_run) {
    finish_restart(changes, std::string(restart_outcome::dry_run), "dry run: the Agent was not restarted");
    return;
  }
  state_.restart_state = "running";
  spdlog::warn("restarting the Agent: `{}`", join(config_.restart.command, " "));
  run_command(io_, config_.restart.command, config_.restart.command_timeout,
              [this, changes = std::move(changes)](CommandResult result) mutable {
                if (stopping_) return;
                if (!result.succeeded()) {
                  finish_restart(changes, std::string(restart_outcome::failed),
                                 fmt::format("`{}` failed: {}", join(config_.restart.command, " "), result.describe()));
                  return;
                }
                verify_agent(std::move(changes), 1);
              });
}

// The Agent is given a few seconds to come back; the command's own success
// is not proof (systemctl returns before the Agent has started).
void Daemon::verify_agent(std::vector<PendingChange> changes, int attempt) {
  if (config_.restart.verify_command.empty()) {
    finish_restart(changes, std::string(restart_outcome::restarted), "restarted (not verified)");
    return;
  }
  run_command(io_, config_.restart.verify_command, config_.restart.command_timeout,
              [this, changes = std::move(changes), attempt](CommandResult result) mutable {
                if (stopping_) return;
                if (result.succeeded()) {
                  finish_restart(changes, std::string(restart_outcome::restarted), "restarted and verified running");
                  return;
                }
                constexpr int attempts = 5;
                if (attempt >= attempts) {
                  finish_restart(changes, std::string(restart_outcome::failed),
                                 fmt::format("not running after the restart: `{}`: {}",
                                             join(config_.restart.verify_command, " "), result.describe()));
                  return;
                }
                restart_timer_.expires_after(std::chrono::seconds(2));
                restart_timer_.async_wait([this, changes = std::move(changes), attempt](boost::system::error_code error) mutable {
                  if (!error && !stopping_) verify_agent(std::move(changes), attempt + 1);
                });
              });
}

void Daemon::finish_restart(const std::vector<PendingChange>& changes, std::string outcome, std::string detail) {
  std::vector<std::string> intakes;
  std::string reasons;
  std::string kind = "class_change";
  for (const auto& change : changes) {
    intakes.push_back(change.intake);
    reasons += (reasons.empty() ? "" : "; ") + change.intake + ": " + change.reason;
  }
  for (const auto& monitor : state_.intakes) {
    if (monitor->change() && !changes.empty() && monitor->target().name == changes.front().intake) kind = monitor->change()->kind;
  }
  const auto now = std::chrono::system_clock::now();
  history_.record({now, reasons, outcome, intakes});
  save_history();
  state_.record_restart_event({now, outcome, detail + " (" + reasons + ")", intakes});
  if (outcome == restart_outcome::failed) {
    ++state_.restarts_failed[kind];
    spdlog::error("Agent restart failed: {}", detail);
  } else {
    ++(outcome == restart_outcome::dry_run ? state_.restarts_dry_run : state_.restarts_by_reason)[kind];
    spdlog::warn("Agent {}: {} ({})", outcome == restart_outcome::dry_run ? "restart decided (dry run)" : "restarted", detail, reasons);
    // The Agent now uses (or, in a dry run, would use) the current answers.
    for (auto& monitor : state_.intakes) {
      if (std::find(intakes.begin(), intakes.end(), monitor->target().name) != intakes.end()) monitor->accept_current_as_baseline();
    }
  }
  state_.restart_state = "idle";
  state_.restart_due.reset();
  ++state_.version_counter;
}

void Daemon::save_history() {
  history_.prune(std::chrono::system_clock::now());
  auto saved = history_.save(restart_history_file(config_.state_dir));
  if (!saved && history_writable_) {
    spdlog::error("restart history not persisted ({}): limits will reset if the sidecar restarts", saved.error().message);
  }
  history_writable_ = saved.has_value();
}

// ------------------------------------------------------------------- serving

HttpReply Daemon::handle_http(std::string_view path) {
  const auto now = std::chrono::system_clock::now();
  if (path == "/metrics") {
    // Rendered once per state change, not per scrape: keeps /metrics cheap under load.
    if (!metrics_cache_ || metrics_cache_version_ != state_.version_counter) {
      metrics_cache_ = std::make_shared<const std::string>(render_metrics(state_, now));
      metrics_cache_version_ = state_.version_counter;
    }
    return {200, "text/plain; version=0.0.4; charset=utf-8", metrics_cache_};
  }
  if (path == "/status") {
    return {200, "application/json", std::make_shared<const std::string>(render_status_json(state_, now).dump(2) + "\n")};
  }
  if (path == "/healthz") {
    return state_.loop_healthy ? HttpReply{200, "text/plain; charset=utf-8", std::make_shared<const std::string>("ok\n")}
                               : HttpReply{503, "text/plain; charset=utf-8", std::make_shared<const std::string>("probe loop late\n")};
  }
  if (path == "/") return {200, "text/html; charset=utf-8", std::make_shared<const std::string>(render_status_page(state_, now))};
  return {404, "text/plain; charset=utf-8", std::make_shared<const std::string>("not found; try /, /status, /metrics, /healthz\n")};
}

// ----------------------------------------------------------------- lifecycle

void Daemon::wait_for_signal() {
  signals_.async_wait([this](boost::system::error_code error, int signal) {
    if (error) return;
    if (signal == SIGHUP) {
      reload();
      wait_for_signal();
      return;
    }
    spdlog::info("signal {}: stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    shutdown();
  });
}

void Daemon::reload() {
  notify_systemd("RELOADING=1");
  auto config = load_config(options_);
  if (config && (config->status_listen != config_.status_listen || config->state_dir != config_.state_dir)) {
    spdlog::warn("reload: status.listen and state_dir changes take effect only after a restart of the sidecar");
    config->status_listen = config_.status_listen;
    config->state_dir = config_.state_dir;
  }
  Expected<ResolvedIntakes> intakes = config ? resolve_intakes(*config, process_environment())
                                             : Expected<ResolvedIntakes>(config.error());
  Expected<void> applied = intakes ? apply_config(std::move(*config), std::move(*intakes)) : Expected<void>(intakes.error());
  if (!applied) {
    ++state_.config_reload_failures;
    spdlog::error("reload failed, keeping the running configuration: {}", applied.error().message);
  } else {
    ++state_.config_reloads;
    (void)configure_logging(options_.log_level.empty() ? config_.log_level : options_.log_level);
    spdlog::info("configuration reloaded from {}", config_.file);
    refresh_agent_version();
  }
  ++state_.version_counter;
  notify_systemd("READY=1");
}

void Daemon::shutdown() {
  notify_systemd("STOPPING=1");
  stopping_ = true;
  if (server_) server_->stop();
  for (auto& timer : timers_) timer->cancel();
  watchdog_timer_.cancel();
  health_timer_.cancel();
  restart_timer_.cancel();
  signals_.cancel();
  // Probes in flight and c-ares retries would finish within the timeout; a
  // stop must not wait for them.
  io_.stop();
}

void Daemon::start_watchdog() {
  const auto timeout = systemd_watchdog_timeout();
  if (!timeout) return;
  const auto period = *timeout / 2;
  watchdog_timer_.expires_after(period);
  watchdog_timer_.async_wait([this](boost::system::error_code error) {
    if (error || stopping_) return;
    // A late probe loop stops the keep-alives, so systemd restarts us.
    if (state_.loop_healthy) notify_systemd("WATCHDOG=1");
    start_watchdog();
  });
}

}  // namespace

int run_daemon(const CommonOptions& options) {
  auto config = load_config(options);
  if (!config) {
    fmt::print(stderr, "privatelink-sidecar: {}\n", config.error().message);
    return static_cast<int>(ExitCode::error);
  }
  if (auto logging = configure_logging(options.log_level.empty() ? config->log_level : options.log_level); !logging) {
    fmt::print(stderr, "privatelink-sidecar: {}\n", logging.error().message);
    return static_cast<int>(ExitCode::error);
  }
  spdlog::info("privatelink-sidecar {} ({}) starting, config {}", version, git_revision, config->file);
  asio::io_context io(1);
  Daemon daemon(io, options, std::move(*config));
  if (auto started = daemon.start(); !started) {
    spdlog::error("cannot start: {}", started.error().message);
    return static_cast<int>(ExitCode::error);
  }
  io.run();
  spdlog::info("stopped");
  return daemon.exit_code();
}

}  // namespace sidecar
