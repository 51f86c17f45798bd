#include "restart_guard.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

namespace sidecar {
namespace {

namespace fs = std::filesystem;
using checks::ErrorCode;
using checks::Expected;
using nlohmann::json;
using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kHistoryFormatVersion = 1;

std::string errno_text(int error) { return std::error_code(error, std::generic_category()).message(); }

checks::Error io_error(std::string_view what, const fs::path& path, int error) {
  return checks::Error{ErrorCode::io, fmt::format("{} {}: {}", what, path.string(), errno_text(error))};
}

// ---- JSON form of the history ----

std::int64_t to_unix_ms(SystemTime time) {
  return duration_cast<milliseconds>(time.time_since_epoch()).count();
}

SystemTime from_unix_ms(std::int64_t unix_ms) {
  return SystemTime(duration_cast<SystemTime::duration>(milliseconds(unix_ms)));
}

// For people reading the file; the program reads at_unix_ms only.
std::string utc_text(SystemTime time) {
  const std::time_t seconds_since_epoch = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds_since_epoch, &utc);
  std::array<char, 32> text{};
  const std::size_t length = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(text.data(), length);
}

json record_to_json(const RestartRecord& record) {
  return json{{"at_unix_ms", to_unix_ms(record.at)},
              {"at", utc_text(record.at)},
              {"reason", record.reason},
              {"outcome", record.outcome},
              {"intakes", record.intakes}};
}

RestartRecord record_from_json(const json& entry) {
  RestartRecord record;
  record.at = from_unix_ms(entry.at("at_unix_ms").get<std::int64_t>());
  record.reason = entry.at("reason").get<std::string>();
  record.outcome = entry.at("outcome").get<std::string>();
  record.intakes = entry.at("intakes").get<std::vector<std::string>>();
  return record;
}

// nlohmann reports type errors by exception; this is the edge where they become an Error.
Expected<std::vector<RestartRecord>> parse_history(const std::string& text) {
  try {
    const json document = json::parse(text);
    const int version = document.at("version").get<int>();
    if (version != kHistoryFormatVersion) {
      return checks::unexpected(ErrorCode::config, fmt::format("unknown format version {}", version));
    }
    std::vector<RestartRecord> records;
    for (const json& entry : document.at("records")) records.push_back(record_from_json(entry));
    return records;
  } catch (const json::exception& error) {
    return checks::unexpected(ErrorCode::config, error.what());
  }
}

std::string read_whole_file(std::ifstream& in) {
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Keeps the bad file for a post-mortem instead of overwriting it on the next save.
std::string move_aside(const fs::path& file) {
  fs::path aside = file;
  aside += ".corrupt";
  std::error_code error;
  fs::rename(file, aside, error);
  if (error) return fmt::format("could not move it aside to {} ({})", aside.string(), error.message());
  return fmt::format("moved it to {}", aside.string());
}

// ---- durable writes ----

Expected<void> write_all(int fd, const std::string& text, const fs::path& path) {
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t result = ::write(fd, text.data() + written, text.size() - written);
    if (result < 0 && errno == EINTR) continue;
    if (result < 0) return io_error("writing", path, errno);
    written += static_cast<std::size_t>(result);
  }
  return {};
}

Expected<void> write_file_synced(const fs::path& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("creating", path, errno);
  Expected<void> written = write_all(fd, text, path);
  if (written && ::fsync(fd) != 0) written = io_error("fsync of", path, errno);
  if (::close(fd) != 0 && written) written = io_error("closing", path, errno);
  return written;
}

// Makes the rename itself durable: without it a crash can bring the old file back.
Expected<void> sync_directory(const fs::path& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("opening directory", directory, errno);
  const int result = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (result != 0) return io_error("fsync of directory", directory, error);
  return {};
}

// ---- the rules, in the order they are reported ----

RestartDecision blocked(RestartBlock block, std::string explanation) {
  RestartDecision decision;
  decision.blocked_by = block;
  decision.explanation = std::move(explanation);
  return decision;
}

const PendingChange* first_unstable(const std::vector<PendingChange>& changes, int stable_checks) {
  auto found = std::find_if(changes.begin(), changes.end(),
                            [stable_checks](const PendingChange& change) { return change.held_checks < stable_checks; });
  return found == changes.end() ? nullptr : &*found;
}

const PendingChange* first_unhealthy(const std::vector<PendingChange>& changes) {
  auto found = std::find_if(changes.begin(), changes.end(),
                            [](const PendingChange& change) { return !change.target_healthy; });
  return found == changes.end() ? nullptr : &*found;
}

std::optional<RestartDecision> check_changes(const RestartPolicy& policy, const std::vector<PendingChange>& changes) {
  if (changes.empty()) return blocked(RestartBlock::nothing_changed, "no intake changed");
  const int stable_checks = std::max(policy.stable_checks, 1);
  if (const PendingChange* change = first_unstable(changes, stable_checks)) {
    return blocked(RestartBlock::not_stable,
                   fmt::format("{} has held its new state for {}/{} checks", change->intake, change->held_checks,
                               stable_checks));
  }
  if (const PendingChange* change = first_unhealthy(changes)) {
    return blocked(RestartBlock::target_unhealthy,
                   fmt::format("the new addresses of {} fail their checks; a restart would move the Agent onto a "
                               "broken target",
                               change->intake));
  }
  return std::nullopt;
}

long long seconds_between(SystemTime earlier, SystemTime later) {
  return duration_cast<seconds>(later - earlier).count();
}

std::optional<RestartDecision> check_limits(const RestartPolicy& policy, const RestartHistory& history, SystemTime now) {
  const int in_start_interval = history.restarts_within(now, kAgentStartLimitInterval);
  if (in_start_interval >= kMaxStartsInStartLimitInterval) {
    return blocked(RestartBlock::start_limit,
                   fmt::format("{} restarts in the last {} s; systemd's start limit for the Agent is near",
                               in_start_interval, kAgentStartLimitInterval.count()));
  }
  const int in_last_hour = history.restarts_within(now, std::chrono::hours(1));
  if (in_last_hour >= policy.max_per_hour) {
    return blocked(RestartBlock::hourly_limit, fmt::format("{} restarts in the last hour (max_per_hour: {})",
                                                           in_last_hour, policy.max_per_hour));
  }
  const std::optional<SystemTime> last = history.last_restart();
  if (last && now - *last < policy.cooldown) {
    return blocked(RestartBlock::cooldown, fmt::format("last restart {} s ago, cooldown is {} s",
                                                       seconds_between(*last, now), policy.cooldown.count()));
  }
  return std::nullopt;
}

std::string describe_changes(const std::vector<PendingChange>& changes) {
  std::string text;
  for (const PendingChange& change : changes) {
    if (!text.empty()) text += "; ";
    text += fmt::format("{}: {}", change.intake, change.reason);
  }
  return text;
}

RestartDecision allowed(const RestartPolicy& policy, const std::vector<PendingChange>& changes) {
  RestartDecision decision;
  decision.restart = true;
  decision.dry_run = policy.dry_run;
  decision.explanation = fmt::format("{} ({} changed, stable and healthy)",
                                     policy.dry_run ? "dry run, would restart the Agent" : "restarting the Agent",
                                     describe_changes(changes));
  return decision;
}

milliseconds draw_jitter(std::chrono::seconds jitter, std::mt19937_64& random) {
  const std::int64_t max_ms = std::max<std::int64_t>(0, duration_cast<milliseconds>(jitter).count());
  std::uniform_int_distribution<std::int64_t> distribution(0, max_ms);
  return milliseconds(distribution(random));
}

}  // namespace

// ---- RestartRecord / RestartHistory ----

bool RestartRecord::was_attempted() const {
  return outcome == restart_outcome::restarted || outcome == restart_outcome::failed;
}

fs::path restart_history_file(const fs::path& state_dir) { return state_dir / "restart-history.json"; }

RestartHistory RestartHistory::load(const fs::path& file, std::vector<std::string>& notes) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const int error = errno;
    if (error == ENOENT) return {};  // the first start: nothing to report
    notes.push_back(fmt::format("no restart history read from {} ({}); starting empty", file.string(), errno_text(error)));
    return {};
  }
  Expected<std::vector<RestartRecord>> records = parse_history(read_whole_file(in));
  in.close();
  if (!records) {
    notes.push_back(fmt::format("restart history {} is corrupt ({}); {}; starting empty", file.string(),
                                records.error().message, move_aside(file)));
    return {};
  }
  RestartHistory history;
  history.records_ = std::move(*records);
  return history;
}

Expected<void> RestartHistory::save(const fs::path& file) const {
  json records = json::array();
  for (const RestartRecord& record : records_) records.push_back(record_to_json(record));
  const std::string text = json{{"version", kHistoryFormatVersion}, {"records", records}}.dump(2) + "\n";

  fs::path temporary = file;
  temporary += ".tmp";
  if (Expected<void> written = write_file_synced(temporary, text); !written) return written;
  if (::rename(temporary.c_str(), file.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return io_error(fmt::format("renaming {} to", temporary.string()), file, error);
  }
  return sync_directory(file.has_parent_path() ? file.parent_path() : fs::path("."));
}

void RestartHistory::record(RestartRecord record) {
  // Keep oldest-first even if the caller's clock went backwards.
  auto position = std::upper_bound(records_.begin(), records_.end(), record.at,
                                   [](SystemTime at, const RestartRecord& existing) { return at < existing.at; });
  records_.insert(position, std::move(record));
}

int RestartHistory::restarts_within(SystemTime now, std::chrono::seconds window) const {
  const SystemTime since = now - window;
  return static_cast<int>(std::count_if(records_.begin(), records_.end(), [since](const RestartRecord& record) {
    return record.was_attempted() && record.at >= since;
  }));
}

std::optional<SystemTime> RestartHistory::last_restart() const {
  auto last = std::find_if(records_.rbegin(), records_.rend(),
                           [](const RestartRecord& record) { return record.was_attempted(); });
  if (last == records_.rend()) return std::nullopt;
  return last->at;
}

void RestartHistory::prune(SystemTime now) {
  const SystemTime oldest = now - kRestartHistoryRetention;
  const SystemTime newest = now + kRestartHistoryRetention;
  std::erase_if(records_, [&](const RestartRecord& record) { return record.at < oldest || record.at > newest; });
  if (records_.size() > kMaxRecords) {
    records_.erase(records_.begin(), records_.end() - static_cast<std::ptrdiff_t>(kMaxRecords));
  }
}

// ---- decisions ----

std::string_view to_string(RestartBlock block) {
  switch (block) {
    case RestartBlock::none: return "none";
    case RestartBlock::disabled: return "disabled";
    case RestartBlock::nothing_changed: return "nothing_changed";
    case RestartBlock::not_stable: return "not_stable";
    case RestartBlock::target_unhealthy: return "target_unhealthy";
    case RestartBlock::agent_upgrading: return "agent_upgrading";
    case RestartBlock::start_limit: return "start_limit";
    case RestartBlock::hourly_limit: return "hourly_limit";
    case RestartBlock::cooldown: return "cooldown";
  }
  return "unknown";
}

RestartDecision confirm_restart(const RestartPolicy& policy, const RestartHistory& history,
                                const std::vector<PendingChange>& changes, const AgentUpgrade& upgrade,
                                SystemTime now) {
  if (!policy.enabled) return blocked(RestartBlock::disabled, "automatic restarts are disabled (restart.enabled)");
  if (std::optional<RestartDecision> decision = check_changes(policy, changes)) return *decision;
  if (upgrade.in_progress) {
    return blocked(RestartBlock::agent_upgrading, fmt::format("the Agent is being upgraded ({})", upgrade.detail));
  }
  if (std::optional<RestartDecision> decision = check_limits(policy, history, now)) return *decision;
  return allowed(policy, changes);
}

RestartDecision decide_restart(const RestartPolicy& policy, const RestartHistory& history,
                               const std::vector<PendingChange>& changes, const AgentUpgrade& upgrade, SystemTime now,
                               std::mt19937_64& random) {
  RestartDecision decision = confirm_restart(policy, history, changes, upgrade, now);
  if (!decision.restart) return decision;
  decision.jitter_delay = draw_jitter(policy.jitter, random);
  decision.explanation += fmt::format(", after a random delay of {} ms", decision.jitter_delay.count());
  return decision;
}

}  // namespace sidecar
