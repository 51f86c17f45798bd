#pragma once
// Which addresses does the running Datadog Agent actually talk to? Linux only:
// finds the Agent's processes in /proc (by systemd unit, pid file or name) and
// their established TCP connections to one remote port (/proc/<pid>/fd and
// /proc/<pid>/net/tcp{,6}). classify_agent_connections() then compares them,
// per intake, with what DNS answers now and answered before.
//
// All of it is blocking reads of /proc. Measured on the 2-vCPU dev VM (110
// processes, -O2): ~5 ms CPU to select processes (one to three small files per
// process) plus ~10 ms CPU for tcp+tcp6, because the kernel walks its whole
// TCP hash table (262144 buckets there) on every read, however few sockets
// exist. Tens of milliseconds of wall time can skew the latencies of probes in
// flight, so the daemon scans at most once a second, right after a probe
// result (docs/decisions.md), rather than on a thread of its own.
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "checks/cidr.h"
#include "checks/expected.h"

namespace sidecar {

using checks::Expected;
using checks::IpAddress;

// ------------------------------------------------------------ /proc/net/tcp

// One row of /proc/net/tcp or /proc/net/tcp6.
struct TcpSocketEntry {
  IpAddress local;
  std::uint16_t local_port = 0;
  IpAddress remote;
  std::uint16_t remote_port = 0;
  unsigned state = 0;  // the kernel's TCP_* number; 1 = ESTABLISHED
  unsigned uid = 0;    // owner of the socket (the creator's fsuid)
  std::uint64_t inode = 0;
};

inline constexpr unsigned tcp_state_established = 1;

// Parses the whole text of a tcp or tcp6 table (header line included).
// Addresses are decoded for the byte order of this machine, which is the one
// the kernel printed them in; IPv4-mapped IPv6 addresses come back as IPv4.
// A malformed row is an error: it means the file is not a kernel socket table.
Expected<std::vector<TcpSocketEntry>> parse_proc_net_tcp(std::string_view text);

// The ESTABLISHED rows whose remote port is `remote_port`.
std::vector<TcpSocketEntry> established_to_port(const std::vector<TcpSocketEntry>& entries, std::uint16_t remote_port);

// ------------------------------------------------------------ processes

struct AgentProcessSelector {
  // fnmatch(3) patterns for the systemd unit that owns the process's cgroup
  // (from /proc/<pid>/cgroup: cgroup v2 "0::" or v1 "name=systemd:" lines).
  // The default also matches the satellites (-trace, -process, -sysprobe...)
  // and the "-exp" twins of fleet-automation upgrades.
  std::vector<std::string> unit_patterns = {"datadog-agent*.service"};
  std::vector<std::string> pid_files;  // e.g. /opt/datadog-agent/run/agent.pid
  // fnmatch(3) patterns for /proc/<pid>/comm or the basename of argv[0].
  std::vector<std::string> process_names;
};

struct AgentProcess {
  int pid = 0;
  std::string name;        // /proc/<pid>/comm
  std::string matched_by;  // "unit datadog-agent.service", "pid file /x.pid", "name agent"
  unsigned uid = 0;        // effective uid, from the "Uid:" line of /proc/<pid>/status
};

struct AgentConnection {
  IpAddress local;
  std::uint16_t local_port = 0;
  IpAddress remote;
  std::uint16_t remote_port = 0;
  int pid = -1;  // -1: attributed by socket owner uid only (see AttributionMethod::uid)
  unsigned uid = 0;
};

// How connections were tied to the Agent's processes.
enum class AttributionMethod {
  none,        // no Agent process found
  fd,          // socket inodes of every Agent process's /proc/<pid>/fd
  uid,         // no fd directory was readable: socket owner uid only
  fd_and_uid,  // some fd directories were readable, the others fell back to uid
};
std::string_view to_string(AttributionMethod method);

struct AgentConnectionScan {
  std::vector<AgentProcess> processes;       // sorted by pid
  std::vector<AgentConnection> connections;  // ESTABLISHED, to the requested port; sorted
  AttributionMethod method = AttributionMethod::none;
  std::vector<std::string> notes;  // things an operator should know; never fatal
};

// What listing one /proc/<pid>/fd directory gave.
enum class FdAccess {
  readable,
  denied,  // EACCES/EPERM: another uid and no CAP_SYS_PTRACE
  gone,    // the process exited during the scan
};
struct FdListing {
  FdAccess access = FdAccess::gone;
  std::vector<std::uint64_t> socket_inodes;  // from links "socket:[INODE]"
};
// The seam for tests: running as root reads every fd directory, so the uid
// fallback can only be exercised by injecting a lister that says "denied".
using FdLister = std::function<FdListing(const std::filesystem::path& fd_dir)>;
FdListing list_socket_inodes(const std::filesystem::path& fd_dir);

// Errors only when /proc itself or every TCP table is unreadable or garbled.
// No matching process, a missing pid file or a process that exits mid-scan
// are notes in the result.
Expected<AgentConnectionScan> scan_agent_connections(const AgentProcessSelector& selector, std::uint16_t remote_port,
                                                     const std::filesystem::path& proc_root = "/proc",
                                                     const FdLister& list_fds = list_socket_inodes);

// ------------------------------------------------------------ per intake

// Worst first: a state earlier in this list wins over the later ones.
enum class AgentPathState {
  public_,         // some connection goes to a public address that DNS does not answer now
  stale,           // only old addresses: the Agent has not reconnected since DNS changed
  partly_stale,    // old and current addresses: a change in progress (old keep-alives)
  current,         // every relevant connection goes to an address DNS answers now
  no_connections,  // no relevant connection (the Agent is idle, down, or not ours)
};
std::string_view to_string(AgentPathState state);

struct AgentPathClassification {
  AgentPathState state = AgentPathState::no_connections;
  // Unique and sorted. Each remote address lands in exactly one bucket, tried
  // in this order:
  std::vector<IpAddress> current;    // in the current answer set
  std::vector<IpAddress> public_;    // outside the private ranges
  std::vector<IpAddress> stale;      // private, answered before, not now
  std::vector<IpAddress> unrelated;  // private and never answered for this intake:
                                     // another intake's endpoint or another service
};

// Pure. `connections`: the Agent's connections to this intake's port;
// `current_answers`: what DNS answers now; `history`: every address DNS
// answered before for this intake (may include the current ones).
// Every intake on port 443 shares the same connections, so only addresses
// this intake's name resolved to can be tied to it. A public address cannot
// be tied to any intake (unless DNS answers it now); it is still reported,
// as `public_`, for each intake on that port, because traffic on the intake
// port leaving through the internet is what a PrivateLink setup must not do.
AgentPathClassification classify_agent_connections(const std::vector<AgentConnection>& connections,
                                                   const std::vector<IpAddress>& current_answers,
                                                   const std::vector<IpAddress>& history,
                                                   const std::vector<checks::Cidr>& private_cidrs);

}  // namespace sidecar
