#include "agent_connections.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

namespace sidecar {
namespace {

namespace fs = std::filesystem;
using checks::ErrorCode;
using checks::unexpected;

// ------------------------------------------------------------ small parsers

template <typename Number>
std::optional<Number> parse_number(std::string_view text, int base) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (error != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::vector<std::string_view> split_whitespace(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t position = 0;
  while (true) {
    position = line.find_first_not_of(" \t", position);
    if (position == std::string_view::npos) break;
    const std::size_t end = std::min(line.find_first_of(" \t", position), line.size());
    fields.push_back(line.substr(position, end - position));
    position = end;
  }
  return fields;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    lines.push_back(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return lines;
}

std::string_view trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const std::size_t last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// ------------------------------------------------------------ /proc/net/tcp rows

// The kernel prints each 32-bit word of the address with "%08X" of the word as
// it sits in memory (network byte order bytes read as a host-order integer).
// Copying the parsed integer back into memory therefore restores the network
// byte order on any architecture, as long as we run on the kernel that wrote it.
template <std::size_t ByteCount>
std::optional<std::array<unsigned char, ByteCount>> decode_address_words(std::string_view hex) {
  std::array<unsigned char, ByteCount> bytes{};
  if (hex.size() != ByteCount * 2) return std::nullopt;
  for (std::size_t word = 0; word < ByteCount / 4; ++word) {
    const auto value = parse_number<std::uint32_t>(hex.substr(word * 8, 8), 16);
    if (!value) return std::nullopt;
    std::memcpy(bytes.data() + word * 4, &*value, 4);
  }
  return bytes;
}

std::optional<IpAddress> decode_address(std::string_view hex) {
  if (hex.size() == 8) {
    const auto bytes = decode_address_words<4>(hex);
    if (!bytes) return std::nullopt;
    return IpAddress(boost::asio::ip::address_v4(*bytes));
  }
  const auto bytes = decode_address_words<16>(hex);
  if (!bytes) return std::nullopt;
  const boost::asio::ip::address_v6 v6(*bytes);
  // A dual-stack socket talking IPv4 shows up in tcp6 as ::ffff:a.b.c.d; DNS
  // answers (A records) are plain IPv4, so compare like with like.
  if (v6.is_v4_mapped()) return IpAddress(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
  return IpAddress(v6);
}

struct Endpoint {
  IpAddress address;
  std::uint16_t port = 0;
};

// "0100007F:01BB": the port is printed as a plain host number.
std::optional<Endpoint> decode_endpoint(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto address = decode_address(text.substr(0, colon));
  const auto port = parse_number<std::uint16_t>(text.substr(colon + 1), 16);
  if (!address || !port) return std::nullopt;
  return Endpoint{*address, *port};
}

// Columns: sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
std::optional<TcpSocketEntry> parse_row(std::string_view line) {
  const auto fields = split_whitespace(line);
  if (fields.size() < 10) return std::nullopt;
  const auto local = decode_endpoint(fields[1]);
  const auto remote = decode_endpoint(fields[2]);
  const auto state = parse_number<unsigned>(fields[3], 16);
  const auto uid = parse_number<unsigned>(fields[7], 10);
  const auto inode = parse_number<std::uint64_t>(fields[9], 10);
  if (!local || !remote || !state || !uid || !inode) return std::nullopt;
  return TcpSocketEntry{local->address, local->port, remote->address, remote->port, *state, *uid, *inode};
}

// ------------------------------------------------------------ reading /proc files

// /proc files report size 0, so read until EOF rather than by stat size.
std::optional<std::string> read_text_file(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return std::nullopt;
  std::ostringstream content;
  content << file.rdbuf();
  if (file.bad()) return std::nullopt;
  return std::move(content).str();
}

std::optional<int> parse_pid(std::string_view text) {
  const auto pid = parse_number<int>(trim(text), 10);
  if (!pid || *pid <= 0) return std::nullopt;
  return pid;
}

bool matches_any(const std::vector<std::string>& patterns, const std::string& text) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& pattern) { return fnmatch(pattern.c_str(), text.c_str(), 0) == 0; });
}

// The unit is the innermost ".service" or ".scope" component of the systemd
// hierarchy's path: a unit with Delegate= may put its processes in
// sub-cgroups below it ("/system.slice/x.service/worker").
std::optional<std::string> unit_of_cgroup_path(std::string_view path) {
  std::optional<std::string> unit;
  for (const auto& component : fs::path(std::string(path))) {
    const std::string name = component.string();
    if (name.ends_with(".service") || name.ends_with(".scope")) unit = name;
  }
  return unit;
}

// cgroup v2: "0::/system.slice/datadog-agent.service"; v1 (and hybrid):
// "1:name=systemd:/system.slice/...". Other v1 controllers are skipped: their
// hierarchies need not follow the unit layout.
std::vector<std::string> systemd_units(std::string_view cgroup_text) {
  std::vector<std::string> units;
  for (const auto line : split_lines(cgroup_text)) {
    const std::size_t first = line.find(':');
    if (first == std::string_view::npos) continue;
    const std::size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const auto controllers = line.substr(first + 1, second - first - 1);
    const bool systemd_hierarchy = line.substr(0, first) == "0" ? controllers.empty() : controllers == "name=systemd";
    if (!systemd_hierarchy) continue;
    if (auto unit = unit_of_cgroup_path(line.substr(second + 1))) units.push_back(std::move(*unit));
  }
  return units;
}

std::string read_comm(const fs::path& pid_dir) {
  return std::string(trim(read_text_file(pid_dir / "comm").value_or("")));
}

// argv[0] as the process set it; kernel threads have an empty cmdline.
std::string argv0_basename(const fs::path& pid_dir) {
  const std::string cmdline = read_text_file(pid_dir / "cmdline").value_or("");
  const std::string argv0 = cmdline.substr(0, cmdline.find('\0'));
  return argv0.empty() ? "" : fs::path(argv0).filename().string();
}

// "Uid:\t<real>\t<effective>\t<saved>\t<fs>". Sockets are owned by the
// creator's fsuid, which follows the effective uid unless setfsuid() is used.
std::optional<unsigned> read_effective_uid(const fs::path& pid_dir) {
  const auto status = read_text_file(pid_dir / "status");
  if (!status) return std::nullopt;
  for (const auto line : split_lines(*status)) {
    if (!line.starts_with("Uid:")) continue;
    const auto fields = split_whitespace(line.substr(4));
    if (fields.size() < 2) return std::nullopt;
    return parse_number<unsigned>(fields[1], 10);
  }
  return std::nullopt;
}

// ------------------------------------------------------------ selecting processes

struct PidFilePids {
  std::map<int, std::string> pid_to_file;
};

PidFilePids read_pid_files(const std::vector<std::string>& pid_files, std::vector<std::string>& notes) {
  PidFilePids result;
  for (const auto& file : pid_files) {
    const auto text = read_text_file(file);
    if (!text) {
      notes.push_back(fmt::format("pid file {}: cannot be read (is the Agent running?)", file));
      continue;
    }
    const auto pid = parse_pid(*text);
    if (!pid) {
      notes.push_back(fmt::format("pid file {}: does not hold a pid", file));
      continue;
    }
    result.pid_to_file.emplace(*pid, file);
  }
  return result;
}

// Why `pid` is an Agent process, or nullopt. Each source is read only if the
// selector uses it, and the first match wins: unit, pid file, name.
std::optional<std::string> match_reason(const AgentProcessSelector& selector, const PidFilePids& pid_files, int pid,
                                        const fs::path& pid_dir) {
  if (!selector.unit_patterns.empty()) {
    for (const auto& unit : systemd_units(read_text_file(pid_dir / "cgroup").value_or(""))) {
      if (matches_any(selector.unit_patterns, unit)) return "unit " + unit;
    }
  }
  if (const auto found = pid_files.pid_to_file.find(pid); found != pid_files.pid_to_file.end()) {
    return "pid file " + found->second;
  }
  if (!selector.process_names.empty()) {
    for (const auto& name : {read_comm(pid_dir), argv0_basename(pid_dir)}) {
      if (!name.empty() && matches_any(selector.process_names, name)) return "name " + name;
    }
  }
  return std::nullopt;
}

std::vector<int> list_pids(const fs::path& proc_root, std::error_code& error) {
  std::vector<int> pids;
  for (fs::directory_iterator entry(proc_root, error), end; !error && entry != end; entry.increment(error)) {
    if (const auto pid = parse_pid(entry->path().filename().string())) pids.push_back(*pid);
  }
  std::sort(pids.begin(), pids.end());
  return pids;
}

void note_pid_files_not_running(const PidFilePids& pid_files, const std::vector<AgentProcess>& processes,
                                std::vector<std::string>& notes) {
  for (const auto& [pid, file] : pid_files.pid_to_file) {
    const bool running = std::any_of(processes.begin(), processes.end(),
                                     [pid = pid](const AgentProcess& process) { return process.pid == pid; });
    if (!running) notes.push_back(fmt::format("pid file {}: pid {} is not running (stale pid file)", file, pid));
  }
}

Expected<std::vector<AgentProcess>> select_agent_processes(const AgentProcessSelector& selector,
                                                           const fs::path& proc_root, std::vector<std::string>& notes) {
  const PidFilePids pid_files = read_pid_files(selector.pid_files, notes);
  std::error_code error;
  const std::vector<int> pids = list_pids(proc_root, error);
  if (error) return unexpected(ErrorCode::io, fmt::format("listing {}: {}", proc_root.string(), error.message()));

  std::vector<AgentProcess> processes;
  for (const int pid : pids) {
    const fs::path pid_dir = proc_root / std::to_string(pid);
    auto reason = match_reason(selector, pid_files, pid, pid_dir);
    if (!reason) continue;
    const auto uid = read_effective_uid(pid_dir);
    if (!uid) continue;  // exited while we looked at it
    processes.push_back(AgentProcess{pid, read_comm(pid_dir), std::move(*reason), *uid});
  }
  note_pid_files_not_running(pid_files, processes, notes);
  return processes;
}

// ------------------------------------------------------------ socket tables

Expected<std::vector<TcpSocketEntry>> parse_table_file(const fs::path& path, const std::string& text) {
  auto entries = parse_proc_net_tcp(text);
  if (!entries) return entries.error().with_prefix(path.string() + ": ");
  return entries;
}

// The tables of the Agent's network namespace: /proc/<pid>/net is the view of
// that process (a containerised Agent has its own), /proc/net that of the
// sidecar. The first Agent process still alive decides; all Agent processes
// normally share one namespace.
Expected<std::vector<TcpSocketEntry>> read_socket_tables(const fs::path& proc_root,
                                                         const std::vector<AgentProcess>& processes,
                                                         std::vector<std::string>& notes) {
  std::vector<fs::path> net_dirs;
  for (const auto& process : processes) net_dirs.push_back(proc_root / std::to_string(process.pid) / "net");
  net_dirs.push_back(proc_root / "net");

  for (const auto& net_dir : net_dirs) {
    const auto tcp4 = read_text_file(net_dir / "tcp");
    if (!tcp4) continue;
    auto entries = parse_table_file(net_dir / "tcp", *tcp4);
    if (!entries) return entries.error();
    const auto tcp6 = read_text_file(net_dir / "tcp6");
    if (!tcp6) {
      notes.push_back(fmt::format("{}: no tcp6 table (IPv6 disabled?)", net_dir.string()));
      return entries;
    }
    auto entries6 = parse_table_file(net_dir / "tcp6", *tcp6);
    if (!entries6) return entries6.error();
    entries->insert(entries->end(), entries6->begin(), entries6->end());
    return entries;
  }
  return unexpected(ErrorCode::io, fmt::format("no readable TCP table under {}", proc_root.string()));
}

// ------------------------------------------------------------ attribution

struct Attribution {
  std::map<std::uint64_t, int> inode_to_pid;  // from readable fd directories
  std::set<unsigned> fallback_uids;           // owners of the unreadable ones
  std::size_t readable = 0;
  std::size_t denied = 0;
};

Attribution attribute_sockets(const fs::path& proc_root, const std::vector<AgentProcess>& processes,
                              const FdLister& list_fds) {
  Attribution attribution;
  for (const auto& process : processes) {
    const FdListing listing = list_fds(proc_root / std::to_string(process.pid) / "fd");
    if (listing.access == FdAccess::gone) continue;
    if (listing.access == FdAccess::denied) {
      attribution.fallback_uids.insert(process.uid);
      ++attribution.denied;
      continue;
    }
    ++attribution.readable;
    // A socket shared by several processes (inherited over fork) goes to the
    // lowest pid, the parent, since processes are sorted by pid.
    for (const auto inode : listing.socket_inodes) attribution.inode_to_pid.emplace(inode, process.pid);
  }
  return attribution;
}

AttributionMethod method_of(const Attribution& attribution) {
  if (attribution.denied == 0) return attribution.readable == 0 ? AttributionMethod::none : AttributionMethod::fd;
  return attribution.readable == 0 ? AttributionMethod::uid : AttributionMethod::fd_and_uid;
}

std::string join_uids(const std::set<unsigned>& uids) {
  std::string joined;
  for (const unsigned uid : uids) joined += (joined.empty() ? "" : ", ") + std::to_string(uid);
  return joined;
}

void note_uid_fallback(const Attribution& attribution, std::vector<std::string>& notes) {
  if (attribution.denied == 0) return;
  notes.push_back(fmt::format(
      "cannot read /proc/<pid>/fd of {} Agent process(es) (needs their uid or CAP_SYS_PTRACE); their connections "
      "are attributed by socket owner uid {}, which also counts other processes of that user",
      attribution.denied, join_uids(attribution.fallback_uids)));
  if (attribution.fallback_uids.count(0) != 0) {
    notes.push_back("the uid fallback includes root (uid 0): connections of any root process are counted");
  }
}

std::vector<AgentConnection> attributed_connections(const std::vector<TcpSocketEntry>& entries,
                                                    const Attribution& attribution) {
  std::vector<AgentConnection> connections;
  for (const auto& entry : entries) {
    int pid = -1;
    if (const auto found = attribution.inode_to_pid.find(entry.inode); found != attribution.inode_to_pid.end()) {
      pid = found->second;
    } else if (attribution.fallback_uids.count(entry.uid) == 0) {
      continue;
    }
    connections.push_back(
        AgentConnection{entry.local, entry.local_port, entry.remote, entry.remote_port, pid, entry.uid});
  }
  return connections;
}

bool connection_order(const AgentConnection& left, const AgentConnection& right) {
  return std::tie(left.remote, left.remote_port, left.pid, left.local, left.local_port) <
         std::tie(right.remote, right.remote_port, right.pid, right.local, right.local_port);
}

// ------------------------------------------------------------ classification

std::vector<IpAddress> sorted_unique(std::vector<IpAddress> addresses) {
  std::sort(addresses.begin(), addresses.end());
  addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
  return addresses;
}

bool contains(const std::vector<IpAddress>& sorted, const IpAddress& address) {
  return std::binary_search(sorted.begin(), sorted.end(), address);
}

AgentPathState state_of(const AgentPathClassification& buckets) {
  if (!buckets.public_.empty()) return AgentPathState::public_;
  if (!buckets.stale.empty()) return buckets.current.empty() ? AgentPathState::stale : AgentPathState::partly_stale;
  if (!buckets.current.empty()) return AgentPathState::current;
  return AgentPathState::no_connections;
}

}  // namespace

// ------------------------------------------------------------ public functions

Expected<std::vector<TcpSocketEntry>> parse_proc_net_tcp(std::string_view text) {
  std::vector<TcpSocketEntry> entries;
  const auto lines = split_lines(text);
  // Line 1 is the column header ("  sl  local_address rem_address ...").
  for (std::size_t index = 1; index < lines.size(); ++index) {
    if (trim(lines[index]).empty()) continue;
    auto entry = parse_row(lines[index]);
    if (!entry) {
      return unexpected(ErrorCode::io,
                        fmt::format("line {}: not a TCP socket table row: \"{}\"", index + 1, trim(lines[index])));
    }
    entries.push_back(std::move(*entry));
  }
  return entries;
}

// The kernel serves /proc/net/tcp a page per read(); when sockets come and go
// between two reads, a row can be served twice. A socket is one inode, so it
// is counted once (observed on a busy CI host as the same connection twice).
std::vector<TcpSocketEntry> established_to_port(const std::vector<TcpSocketEntry>& entries, std::uint16_t remote_port) {
  std::vector<TcpSocketEntry> selected;
  std::set<std::uint64_t> seen_inodes;
  for (const auto& entry : entries) {
    if (entry.state != tcp_state_established || entry.remote_port != remote_port) continue;
    if (entry.inode != 0 && !seen_inodes.insert(entry.inode).second) continue;
    selected.push_back(entry);
  }
  return selected;
}

FdListing list_socket_inodes(const fs::path& fd_dir) {
  FdListing listing;
  std::error_code error;
  fs::directory_iterator entry(fd_dir, error);
  if (error == std::errc::permission_denied || error == std::errc::operation_not_permitted) {
    listing.access = FdAccess::denied;
    return listing;
  }
  if (error) return listing;  // gone
  listing.access = FdAccess::readable;
  constexpr std::string_view prefix = "socket:[";
  for (fs::directory_iterator end; !error && entry != end; entry.increment(error)) {
    std::error_code link_error;  // an fd closed since the listing: skip it
    const std::string target = fs::read_symlink(entry->path(), link_error).string();
    if (link_error || !target.starts_with(prefix) || !target.ends_with(']')) continue;
    const auto digits = std::string_view(target).substr(prefix.size(), target.size() - prefix.size() - 1);
    if (const auto inode = parse_number<std::uint64_t>(digits, 10)) listing.socket_inodes.push_back(*inode);
  }
  return listing;
}

Expected<AgentConnectionScan> scan_agent_connections(const AgentProcessSelector& selector, std::uint16_t remote_port,
                                                     const fs::path& proc_root, const FdLister& list_fds) {
  AgentConnectionScan scan;
  auto processes = select_agent_processes(selector, proc_root, scan.notes);
  if (!processes) return processes.error().with_prefix("finding the Agent's processes: ");
  scan.processes = std::move(*processes);
  if (scan.processes.empty()) {
    scan.notes.push_back("no Agent process found");
    return scan;
  }
  auto entries = read_socket_tables(proc_root, scan.processes, scan.notes);
  if (!entries) return entries.error().with_prefix("reading the Agent's TCP connections: ");
  const Attribution attribution = attribute_sockets(proc_root, scan.processes, list_fds);
  scan.method = method_of(attribution);
  note_uid_fallback(attribution, scan.notes);
  scan.connections = attributed_connections(established_to_port(*entries, remote_port), attribution);
  std::sort(scan.connections.begin(), scan.connections.end(), connection_order);
  return scan;
}

AgentPathClassification classify_agent_connections(const std::vector<AgentConnection>& connections,
                                                   const std::vector<IpAddress>& current_answers,
                                                   const std::vector<IpAddress>& history,
                                                   const std::vector<checks::Cidr>& private_cidrs) {
  const auto current = sorted_unique(current_answers);
  const auto answered_before = sorted_unique(history);
  std::vector<IpAddress> remotes;
  for (const auto& connection : connections) remotes.push_back(connection.remote);

  AgentPathClassification result;
  for (const auto& remote : sorted_unique(std::move(remotes))) {
    if (contains(current, remote)) {
      result.current.push_back(remote);
    } else if (!checks::is_inside_any(remote, private_cidrs)) {
      result.public_.push_back(remote);
    } else if (contains(answered_before, remote)) {
      result.stale.push_back(remote);
    } else {
      result.unrelated.push_back(remote);
    }
  }
  result.state = state_of(result);
  return result;
}

std::string_view to_string(AttributionMethod method) {
  switch (method) {
    case AttributionMethod::none:
      return "none";
    case AttributionMethod::fd:
      return "fd";
    case AttributionMethod::uid:
      return "uid";
    case AttributionMethod::fd_and_uid:
      return "fd+uid";
  }
  return "unknown";
}

std::string_view to_string(AgentPathState state) {
  switch (state) {
    case AgentPathState::public_:
      return "public";
    case AgentPathState::stale:
      return "stale";
    case AgentPathState::partly_stale:
      return "partly_stale";
    case AgentPathState::current:
      return "current";
    case AgentPathState::no_connections:
      return "no_connections";
  }
  return "unknown";
}

}  // namespace sidecar
