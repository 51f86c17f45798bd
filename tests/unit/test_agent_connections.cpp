#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "agent_connections.h"

namespace sidecar {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace std::string_literals;

IpAddress ip(const char* text) { return *checks::parse_ip_address(text); }

// The samples below are what an x86 (little-endian) kernel prints; the parser
// decodes for the byte order of the machine it runs on.
constexpr bool little_endian = std::endian::native == std::endian::little;
#define SKIP_UNLESS_LITTLE_ENDIAN() \
  if (!little_endian) GTEST_SKIP() << "samples are little-endian /proc text"

const char* const tcp_header =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode    \n";
const char* const tcp6_header =
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr "
    "tm->when retrnsmt   uid  timeout inode\n";

// A row: sl, local, remote, state, queues, timers, retransmits, uid, timeout, inode, then kernel extras.
std::string row(const char* local, const char* remote, const char* state, unsigned uid, unsigned inode) {
  return std::string("   0: ") + local + " " + remote + " " + state + " 00000000:00000000 00:00000000 00000000   " +
         std::to_string(uid) + "        0 " + std::to_string(inode) + " 1 0000000000000000 20 4 30 10 -1\n";
}

// ------------------------------------------------------------ parsing

TEST(AgentConnectionsParse, DecodesIPv4RowsInHostByteOrder) {
  SKIP_UNLESS_LITTLE_ENDIAN();
  const std::string text = std::string(tcp_header) +
                           row("0700000A:9C40", "0501000A:01BB", "01", 999, 1001) +  // 10.0.0.7 -> 10.0.1.5:443
                           row("0100007F:0277", "00000000:0000", "0A", 0, 1074);     // 127.0.0.1:631 listening
  const auto entries = parse_proc_net_tcp(text);
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  ASSERT_EQ(entries->size(), 2u);
  const TcpSocketEntry& first = (*entries)[0];
  EXPECT_EQ(first.local, ip("10.0.0.7"));
  EXPECT_EQ(first.local_port, 40000);
  EXPECT_EQ(first.remote, ip("10.0.1.5"));
  EXPECT_EQ(first.remote_port, 443);
  EXPECT_EQ(first.state, tcp_state_established);
  EXPECT_EQ(first.uid, 999u);
  EXPECT_EQ(first.inode, 1001u);
  EXPECT_EQ((*entries)[1].local, ip("127.0.0.1"));
  EXPECT_EQ((*entries)[1].local_port, 631);
  EXPECT_EQ((*entries)[1].state, 0x0Au);
}

TEST(AgentConnectionsParse, DecodesIPv6RowsWordByWord) {
  SKIP_UNLESS_LITTLE_ENDIAN();
  const std::string text =
      std::string(tcp6_header) + row("00000000000000000000000001000000:A000", "B80D0120000000000000000005000000:01BB",
                                     "01", 999, 7);  // [::1]:40960 -> [2001:db8::5]:443
  const auto entries = parse_proc_net_tcp(text);
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].local, ip("::1"));
  EXPECT_EQ((*entries)[0].local_port, 40960);
  EXPECT_EQ((*entries)[0].remote, ip("2001:db8::5"));
  EXPECT_EQ((*entries)[0].remote_port, 443);
}

TEST(AgentConnectionsParse, ReportsV4MappedAddressesAsIPv4) {
  SKIP_UNLESS_LITTLE_ENDIAN();
  const std::string text = std::string(tcp6_header) + row("0000000000000000FFFF00000700000A:9C41",
                                                          "0000000000000000FFFF00000501000A:01BB", "01", 999, 8);
  const auto entries = parse_proc_net_tcp(text);
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_TRUE((*entries)[0].remote.is_v4());
  EXPECT_EQ((*entries)[0].remote, ip("10.0.1.5"));
  EXPECT_EQ((*entries)[0].local, ip("10.0.0.7"));
}

TEST(AgentConnectionsParse, KeepsOnlyEstablishedToThePort) {
  SKIP_UNLESS_LITTLE_ENDIAN();
  const std::string text = std::string(tcp_header) + row("0700000A:9C40", "0501000A:01BB", "01", 999, 1) +  // kept
                           row("0700000A:9C41", "0501000A:01BB", "06", 999, 0) +                            // TIME_WAIT
                           row("0700000A:9C42", "0501000A:01BB", "08", 999, 3) +  // CLOSE_WAIT
                           row("0700000A:9C43", "0501000A:20FB", "01", 999, 4) +  // port 8443
                           row("0700000A:01BB", "0501000A:9C44", "01", 999, 5);   // we are the server on 443
  const auto entries = parse_proc_net_tcp(text);
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  const auto selected = established_to_port(*entries, 443);
  ASSERT_EQ(selected.size(), 1u);
  EXPECT_EQ(selected[0].inode, 1u);
}

TEST(AgentConnectionsParse, HeaderOnlyIsEmpty) {
  const auto entries = parse_proc_net_tcp(tcp_header);
  ASSERT_TRUE(entries.has_value());
  EXPECT_THAT(*entries, IsEmpty());
}

TEST(AgentConnectionsParse, RejectsAGarbledRowWithItsLineNumber) {
  const std::string text = std::string(tcp_header) + "   0: 0100007F:XYZ 00000000:0000 0A\n";
  const auto entries = parse_proc_net_tcp(text);
  ASSERT_FALSE(entries.has_value());
  EXPECT_THAT(entries.error().message, HasSubstr("line 2"));
}

// ------------------------------------------------------------ fake /proc trees

struct FakeProcess {
  int pid = 0;
  std::string comm;
  std::string cmdline;  // NUL-separated, as in /proc
  unsigned uid = 0;
  std::string cgroup;
  std::vector<std::string> fd_links;  // targets: "socket:[N]", "pipe:[N]", "/dev/null"
};

class FakeProcTree {
 public:
  FakeProcTree() {
    std::string pattern = (fs::temp_directory_path() / "agent-connections-XXXXXX").string();
    root_ = mkdtemp(pattern.data()) != nullptr ? fs::path(pattern) : fs::path();
  }
  ~FakeProcTree() {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }
  FakeProcTree(const FakeProcTree&) = delete;
  FakeProcTree& operator=(const FakeProcTree&) = delete;

  const fs::path& root() const { return root_; }

  void write(const fs::path& relative, const std::string& content) const {
    fs::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative, std::ios::binary) << content;
  }

  void add(const FakeProcess& process) const {
    const fs::path dir = std::to_string(process.pid);
    write(dir / "comm", process.comm + "\n");
    write(dir / "cmdline", process.cmdline);
    write(dir / "cgroup", process.cgroup);
    write(dir / "status", "Name:\t" + process.comm + "\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t" +
                              std::to_string(process.uid) + "\t" + std::to_string(process.uid) + "\t" +
                              std::to_string(process.uid) + "\t" + std::to_string(process.uid) + "\n");
    fs::create_directories(root_ / dir / "fd");
    int fd = 0;
    for (const auto& target : process.fd_links) fs::create_symlink(target, root_ / dir / "fd" / std::to_string(fd++));
  }

 private:
  fs::path root_;
};

// A host with the Agent (cgroup v2), the trace-agent (cgroup v1 hybrid),
// nginx and a login shell. Agent uid 999.
class AgentConnectionsFakeProc : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_UNLESS_LITTLE_ENDIAN();
    ASSERT_FALSE(tree_.root().empty());
    tree_.add({100,
               "agent",
               "/opt/datadog-agent/bin/agent/agent\0run\0"s,
               999,
               "0::/system.slice/datadog-agent.service\n",
               {"/dev/null", "socket:[1001]", "pipe:[5]", "socket:[1002]"}});
    tree_.add({101,
               "trace-agent",
               "/opt/datadog-agent/embedded/bin/trace-agent\0"s,
               999,
               "12:cpu,cpuacct:/\n4:memory:/system.slice/datadog-agent-trace.service\n"
               "1:name=systemd:/system.slice/datadog-agent-trace.service\n0::/\n",
               {"socket:[2001]", "socket:[2002]"}});
    // The memory controller names the Agent's unit, but the systemd hierarchy does not.
    tree_.add({102,
               "nginx",
               "nginx: worker\0"s,
               0,
               "4:memory:/system.slice/datadog-agent.service\n1:name=systemd:/system.slice/nginx.service\n",
               {"socket:[3001]"}});
    tree_.add({103, "bash", "-bash\0"s, 1000, "0::/user.slice/user-1000.slice/session-1.scope\n", {}});
    tree_.write("net/tcp", std::string(tcp_header) +
                               row("0700000A:9C40", "0501000A:01BB", "01", 999, 1001) +  // agent -> 10.0.1.5:443
                               row("0700000A:9C41", "0501000A:01BB", "06", 999, 1002) +  // agent, TIME_WAIT
                               row("0700000A:9C42", "0902000A:20FB", "01", 999, 2001) +  // trace -> :8443
                               row("0700000A:9C43", "03020134:01BB", "01", 0, 3001) +    // nginx -> 52.1.2.3:443
                               row("0700000A:9C44", "0701000A:01BB", "01", 999, 4001));  // uid 999, no known fd
    tree_.write("net/tcp6", std::string(tcp6_header) + row("0000000000000000FFFF00000700000A:9C45",
                                                           "0000000000000000FFFF00000601000A:01BB", "01", 999,
                                                           2002));  // trace -> 10.0.1.6
  }

  Expected<AgentConnectionScan> scan(const AgentProcessSelector& selector,
                                     const FdLister& list_fds = list_socket_inodes) const {
    return scan_agent_connections(selector, 443, tree_.root(), list_fds);
  }

  static std::vector<int> pids_of(const AgentConnectionScan& scan) {
    std::vector<int> pids;
    for (const auto& process : scan.processes) pids.push_back(process.pid);
    return pids;
  }

  FakeProcTree tree_;
};

TEST_F(AgentConnectionsFakeProc, ARowServedTwiceIsOneConnection) {
  // /proc/net/tcp can repeat a row when sockets change between two reads.
  const std::string agent_row = row("0700000A:9C40", "0501000A:01BB", "01", 999, 1001);
  tree_.write("net/tcp", std::string(tcp_header) + agent_row + agent_row);
  AgentProcessSelector selector;
  selector.unit_patterns.clear();
  selector.process_names = {"agent"};
  const auto result = scan(selector);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_EQ(result->connections.size(), 1u);
  EXPECT_EQ(result->connections[0].remote, ip("10.0.1.5"));
}

TEST_F(AgentConnectionsFakeProc, SelectsByUnitInCgroupV2AndV1) {
  const auto result = scan(AgentProcessSelector{});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_THAT(pids_of(*result), ElementsAre(100, 101));
  EXPECT_EQ(result->processes[0].matched_by, "unit datadog-agent.service");
  EXPECT_EQ(result->processes[0].name, "agent");
  EXPECT_EQ(result->processes[0].uid, 999u);
  EXPECT_EQ(result->processes[1].matched_by, "unit datadog-agent-trace.service");
  EXPECT_EQ(result->method, AttributionMethod::fd);

  ASSERT_EQ(result->connections.size(), 2u);
  const AgentConnection& agent = result->connections[0];
  EXPECT_EQ(agent.pid, 100);
  EXPECT_EQ(agent.local, ip("10.0.0.7"));
  EXPECT_EQ(agent.local_port, 40000);
  EXPECT_EQ(agent.remote, ip("10.0.1.5"));
  EXPECT_EQ(agent.remote_port, 443);
  EXPECT_EQ(result->connections[1].pid, 101);
  EXPECT_EQ(result->connections[1].remote, ip("10.0.1.6"));  // from tcp6, v4-mapped
}

TEST_F(AgentConnectionsFakeProc, FindsAUnitAboveADelegatedSubCgroup) {
  tree_.add({200, "agent", "", 999, "0::/system.slice/datadog-agent-exp.service/worker\n", {}});
  const auto result = scan(AgentProcessSelector{});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_THAT(pids_of(*result), ElementsAre(100, 101, 200));
  EXPECT_EQ(result->processes[2].matched_by, "unit datadog-agent-exp.service");
}

TEST_F(AgentConnectionsFakeProc, SelectsByPidFileAndNotesMissingOnes) {
  tree_.write("run/agent.pid", "102\n");
  AgentProcessSelector selector;
  selector.unit_patterns.clear();
  selector.pid_files = {(tree_.root() / "run/agent.pid").string(), (tree_.root() / "run/missing.pid").string()};
  const auto result = scan(selector);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_THAT(pids_of(*result), ElementsAre(102));
  EXPECT_EQ(result->processes[0].matched_by, "pid file " + selector.pid_files[0]);
  ASSERT_EQ(result->connections.size(), 1u);
  EXPECT_EQ(result->connections[0].remote, ip("52.1.2.3"));
  EXPECT_THAT(result->notes, ElementsAre(HasSubstr("missing.pid: cannot be read")));
}

TEST_F(AgentConnectionsFakeProc, NotesAStalePidFile) {
  tree_.write("run/agent.pid", "4242");
  AgentProcessSelector selector;
  selector.unit_patterns.clear();
  selector.pid_files = {(tree_.root() / "run/agent.pid").string()};
  const auto result = scan(selector);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_THAT(result->processes, IsEmpty());
  EXPECT_THAT(result->notes, ElementsAre(HasSubstr("pid 4242 is not running"), "no Agent process found"));
}

TEST_F(AgentConnectionsFakeProc, SelectsByCommOrArgv0Basename) {
  tree_.add({300, "python3", "/opt/datadog-agent/bin/security-agent\0start\0"s, 999, "", {}});
  AgentProcessSelector selector;
  selector.unit_patterns.clear();
  selector.process_names = {"trace-agent", "security-*"};
  const auto result = scan(selector);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_THAT(pids_of(*result), ElementsAre(101, 300));
  EXPECT_EQ(result->processes[0].matched_by, "name trace-agent");
  EXPECT_EQ(result->processes[1].matched_by, "name security-agent");
}

TEST_F(AgentConnectionsFakeProc, NoAgentIsAResultNotAnError) {
  AgentProcessSelector selector;
  selector.unit_patterns = {"nothing-like-this*.service"};
  const auto result = scan(selector);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_THAT(result->processes, IsEmpty());
  EXPECT_THAT(result->connections, IsEmpty());
  EXPECT_EQ(result->method, AttributionMethod::none);
  EXPECT_THAT(result->notes, ElementsAre("no Agent process found"));
}

FdLister denying(std::vector<int> denied_pids) {
  return [denied_pids](const fs::path& fd_dir) {
    const int pid = std::stoi(fd_dir.parent_path().filename().string());
    if (std::find(denied_pids.begin(), denied_pids.end(), pid) == denied_pids.end()) return list_socket_inodes(fd_dir);
    return FdListing{FdAccess::denied, {}};
  };
}

TEST_F(AgentConnectionsFakeProc, FallsBackToTheSocketUidWhenNoFdIsReadable) {
  const auto result = scan(AgentProcessSelector{}, denying({100, 101}));
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->method, AttributionMethod::uid);
  // Every ESTABLISHED :443 socket of uid 999, including 4001 that no fd shows.
  ASSERT_EQ(result->connections.size(), 3u);
  EXPECT_EQ(result->connections[0].remote, ip("10.0.1.5"));
  EXPECT_EQ(result->connections[1].remote, ip("10.0.1.6"));
  EXPECT_EQ(result->connections[2].remote, ip("10.0.1.7"));
  for (const auto& connection : result->connections) {
    EXPECT_EQ(connection.pid, -1);
    EXPECT_EQ(connection.uid, 999u);
  }
  EXPECT_THAT(result->notes, ElementsAre(HasSubstr("attributed by socket owner uid 999")));
}

TEST_F(AgentConnectionsFakeProc, MixesFdAndUidWhenSomeFdDirectoriesAreDenied) {
  // As when the sidecar runs as dd-agent and system-probe runs as root.
  tree_.add({400, "system-probe", "", 0, "0::/system.slice/datadog-agent-sysprobe.service\n", {}});
  const auto result = scan(AgentProcessSelector{}, denying({400}));
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->method, AttributionMethod::fd_and_uid);
  ASSERT_EQ(result->connections.size(), 3u);
  EXPECT_EQ(result->connections[0].pid, 100);
  EXPECT_EQ(result->connections[1].pid, 101);
  EXPECT_EQ(result->connections[2].remote, ip("52.1.2.3"));  // nginx's, but root's: the fallback can't tell
  EXPECT_EQ(result->connections[2].pid, -1);
  EXPECT_THAT(result->notes, ElementsAre(HasSubstr("uid 0"), HasSubstr("includes root")));
}

TEST_F(AgentConnectionsFakeProc, SkipsProcessesThatExitMidScan) {
  tree_.add({500, "agent", "", 999, "0::/system.slice/datadog-agent-process.service\n", {}});
  fs::remove(tree_.root() / "500/status");  // gone before we read its uid
  const FdLister trace_agent_exits = [](const fs::path& fd_dir) {
    if (fd_dir.parent_path().filename() == "101") return FdListing{FdAccess::gone, {}};
    return list_socket_inodes(fd_dir);
  };
  const auto result = scan(AgentProcessSelector{}, trace_agent_exits);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_THAT(pids_of(*result), ElementsAre(100, 101));
  EXPECT_EQ(result->method, AttributionMethod::fd);
  ASSERT_EQ(result->connections.size(), 1u);
  EXPECT_EQ(result->connections[0].pid, 100);
}

TEST_F(AgentConnectionsFakeProc, ReadsTheTablesOfTheAgentsNetworkNamespace) {
  // The Agent's own view has only a connection to 10.0.9.9; the host view (net/) is not used.
  tree_.write("100/net/tcp", std::string(tcp_header) + row("0700000A:9C40", "0909000A:01BB", "01", 999, 1001));
  tree_.write("100/net/tcp6", tcp6_header);
  const auto result = scan(AgentProcessSelector{});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_EQ(result->connections.size(), 1u);
  EXPECT_EQ(result->connections[0].remote, ip("10.0.9.9"));
}

TEST_F(AgentConnectionsFakeProc, GarbledTableIsAnError) {
  tree_.write("net/tcp", std::string(tcp_header) + "not a socket row\n");
  const auto result = scan(AgentProcessSelector{});
  ASSERT_FALSE(result.has_value());
  EXPECT_THAT(result.error().message, HasSubstr("reading the Agent's TCP connections: "));
  EXPECT_THAT(result.error().message, HasSubstr("net/tcp: line 2"));
}

TEST(AgentConnectionsScan, MissingProcRootIsAnError) {
  const auto result = scan_agent_connections(AgentProcessSelector{}, 443, "/nonexistent/proc");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, checks::ErrorCode::io);
  EXPECT_THAT(result.error().message, HasSubstr("finding the Agent's processes: listing /nonexistent/proc"));
}

// ------------------------------------------------------------ the real /proc

// A listener on loopback and a forked child that connects to it and holds
// the connection, under a recognisable process name.
// Unique to this test process, because ctest runs the real-/proc tests in
// parallel and a scan by name must find only this process's child. comm holds
// 15 characters; "plsc-fa-" plus a pid (at most 7 digits) fits.
const std::string& fake_agent_name() {
  static const std::string name = "plsc-fa-" + std::to_string(getpid());
  return name;
}

class LoopbackListener {
 public:
  explicit LoopbackListener(int family) : family_(family) {
    fd_ = socket(family, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    sockaddr_storage address = loopback(0);
    if (family == AF_INET6) {
      const int dual_stack = 0;  // also accept IPv4 clients, as ::ffff:127.0.0.1
      setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &dual_stack, sizeof dual_stack);
    }
    socklen_t length = sizeof address;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 || listen(fd_, 4) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      close(fd_);
      fd_ = -1;
      return;
    }
    port_ = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&address)->sin_port
                                    : reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  }
  ~LoopbackListener() {
    if (fd_ >= 0) close(fd_);
  }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  bool ok() const { return fd_ >= 0; }
  std::uint16_t port() const { return port_; }
  int fd() const { return fd_; }

  // 127.0.0.1 for IPv4; for IPv6 the wildcard when binding, but a client gets
  // ::ffff:127.0.0.1 so that its socket is an IPv4 one living in tcp6.
  sockaddr_storage loopback(std::uint16_t port) const {
    sockaddr_storage storage{};
    if (family_ == AF_INET) {
      auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
      v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else {
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port);
      if (port != 0) inet_pton(AF_INET6, "::ffff:127.0.0.1", &v6->sin6_addr);
    }
    return storage;
  }
  int family() const { return family_; }

 private:
  int family_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// The child only makes async-signal-safe calls: the test process may have threads.
class ConnectedChild {
 public:
  explicit ConnectedChild(const LoopbackListener& listener) {
    int ready[2];
    if (pipe(ready) != 0) return;
    const sockaddr_storage server = listener.loopback(listener.port());
    const char* name = fake_agent_name().c_str();  // built before fork: the child only reads it
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) run_child(name, parent, listener.family(), server, ready[1]);
    close(ready[1]);
    std::uint16_t port = 0;
    if (pid_ > 0 && read(ready[0], &port, sizeof port) == sizeof port) local_port_ = ntohs(port);
    close(ready[0]);
    accepted_ = accept(listener.fd(), nullptr, nullptr);
  }
  ~ConnectedChild() {
    if (accepted_ >= 0) close(accepted_);
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  ConnectedChild(const ConnectedChild&) = delete;
  ConnectedChild& operator=(const ConnectedChild&) = delete;

  bool ok() const { return pid_ > 0 && local_port_ != 0 && accepted_ >= 0; }
  int pid() const { return pid_; }
  std::uint16_t local_port() const { return local_port_; }

 private:
  [[noreturn]] static void run_child(const char* name, pid_t parent, int family, sockaddr_storage server,
                                     int ready) {
    prctl(PR_SET_NAME, name);
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test process
    if (getppid() != parent) _exit(1);  // it died before the line above
    const int fd = socket(family, SOCK_STREAM, 0);
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    std::uint16_t port = 0;
    if (connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0) {
      // sin_port and sin6_port sit at the same offset.
      port = reinterpret_cast<sockaddr_in*>(&local)->sin_port;
    }
    if (write(ready, &port, sizeof port) != sizeof port || port == 0) _exit(1);
    while (true) pause();
  }

  pid_t pid_ = -1;
  std::uint16_t local_port_ = 0;
  int accepted_ = -1;
};

void expect_exactly_the_childs_connection(const AgentConnectionScan& scan, const ConnectedChild& child,
                                          std::uint16_t server_port) {
  ASSERT_EQ(scan.processes.size(), 1u);
  EXPECT_EQ(scan.processes[0].pid, child.pid());
  EXPECT_EQ(scan.processes[0].name, fake_agent_name());
  EXPECT_EQ(scan.processes[0].uid, geteuid());
  EXPECT_EQ(scan.method, AttributionMethod::fd);
  ASSERT_EQ(scan.connections.size(), 1u);
  const AgentConnection& connection = scan.connections[0];
  EXPECT_EQ(connection.pid, child.pid());
  EXPECT_EQ(connection.local, ip("127.0.0.1"));
  EXPECT_EQ(connection.local_port, child.local_port());
  EXPECT_EQ(connection.remote, ip("127.0.0.1"));
  EXPECT_EQ(connection.remote_port, server_port);
}

class AgentConnectionsRealProc : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(tree_.root().empty()); }
  FakeProcTree tree_;  // only for the pid file
};

TEST_F(AgentConnectionsRealProc, FindsTheChildsConnectionByPidFile) {
  LoopbackListener listener(AF_INET);
  ASSERT_TRUE(listener.ok());
  ConnectedChild child(listener);
  ASSERT_TRUE(child.ok());
  tree_.write("agent.pid", std::to_string(child.pid()) + "\n");

  AgentProcessSelector selector;
  selector.unit_patterns.clear();
  selector.pid_files = {(tree_.root() / "agent.pid").string()};
  const auto result = scan_agent_connections(selector, listener.port());
  ASSERT_TRUE(result.has_value()) << result.error().message;
  expect_exactly_the_childs_connection(*result, child, listener.port());
  EXPECT_EQ(result->processes[0].matched_by, "pid file " + selector.pid_files[0]);
}

TEST_F(AgentConnectionsRealProc, FindsTheChildsConnectionByProcessName) {
  LoopbackListener listener(AF_INET);
  ASSERT_TRUE(listener.ok());
  ConnectedChild child(listener);
  ASSERT_TRUE(child.ok());

  AgentProcessSelector selector;
  selector.unit_patterns.clear();
  selector.process_names = {fake_agent_name()};
  const auto result = scan_agent_connections(selector, listener.port());
  ASSERT_TRUE(result.has_value()) << result.error().message;
  expect_exactly_the_childs_connection(*result, child, listener.port());
  EXPECT_EQ(result->processes[0].matched_by, "name " + fake_agent_name());
}

TEST_F(AgentConnectionsRealProc, ReportsADualStackSocketAsIPv4) {
  LoopbackListener listener(AF_INET6);
  if (!listener.ok()) GTEST_SKIP() << "no IPv6 on this host";
  ConnectedChild child(listener);
  ASSERT_TRUE(child.ok());

  AgentProcessSelector selector;
  selector.unit_patterns.clear();
  selector.process_names = {fake_agent_name()};
  const auto result = scan_agent_connections(selector, listener.port());
  ASSERT_TRUE(result.has_value()) << result.error().message;
  expect_exactly_the_childs_connection(*result, child, listener.port());
}

// Not an assertion: prints the cost of one full scan of this host's /proc
// (every process's cgroup read by the default unit selector).
TEST_F(AgentConnectionsRealProc, MeasuresOneScan) {
  constexpr int rounds = 10;
  AgentProcessSelector selector;
  selector.process_names = {fake_agent_name()};
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < rounds; ++round) ASSERT_TRUE(scan_agent_connections(selector, 443).has_value());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const auto per_scan = std::chrono::duration_cast<std::chrono::microseconds>(elapsed / rounds);
  std::error_code ignored;
  const auto process_count = std::distance(fs::directory_iterator("/proc", ignored), fs::directory_iterator());
  std::cout << "[ timing   ] one scan: " << per_scan.count() << " us (" << process_count << " /proc entries)\n";
  RecordProperty("scan_microseconds", static_cast<int>(per_scan.count()));
}

// ------------------------------------------------------------ classification

std::vector<AgentConnection> connections_to(std::initializer_list<const char*> remotes) {
  std::vector<AgentConnection> connections;
  std::uint16_t local_port = 40000;
  for (const char* remote : remotes) {
    connections.push_back(AgentConnection{ip("10.0.0.7"), local_port++, ip(remote), 443, 100, 999});
  }
  return connections;
}

const std::vector<checks::Cidr>& private_ranges() { return checks::default_private_cidrs(); }

TEST(AgentConnectionsClassify, CurrentWhenEveryAddressIsAnsweredNow) {
  const auto result = classify_agent_connections(connections_to({"10.0.1.5", "10.0.1.6", "10.0.1.5"}),
                                                 {ip("10.0.1.5"), ip("10.0.1.6")}, {}, private_ranges());
  EXPECT_EQ(result.state, AgentPathState::current);
  EXPECT_THAT(result.current, ElementsAre(ip("10.0.1.5"), ip("10.0.1.6")));  // unique
  EXPECT_THAT(result.stale, IsEmpty());
  EXPECT_THAT(result.public_, IsEmpty());
}

TEST(AgentConnectionsClassify, StaleWhenOnlyOldAddressesAreUsed) {
  const auto result = classify_agent_connections(connections_to({"10.0.1.5"}), {ip("10.0.2.5")},
                                                 {ip("10.0.1.5"), ip("10.0.2.5")}, private_ranges());
  EXPECT_EQ(result.state, AgentPathState::stale);
  EXPECT_THAT(result.stale, ElementsAre(ip("10.0.1.5")));
  EXPECT_THAT(result.current, IsEmpty());
}

TEST(AgentConnectionsClassify, PartlyStaleWhileOldConnectionsLinger) {
  const auto result = classify_agent_connections(connections_to({"10.0.1.5", "10.0.2.5"}), {ip("10.0.2.5")},
                                                 {ip("10.0.1.5")}, private_ranges());
  EXPECT_EQ(result.state, AgentPathState::partly_stale);
  EXPECT_THAT(result.current, ElementsAre(ip("10.0.2.5")));
  EXPECT_THAT(result.stale, ElementsAre(ip("10.0.1.5")));
}

TEST(AgentConnectionsClassify, PublicWinsEvenWithCurrentConnections) {
  // 52.1.2.3 was this intake's public answer before PrivateLink: still public, not stale.
  const auto result = classify_agent_connections(connections_to({"10.0.2.5", "52.1.2.3", "2600:1f18::1"}),
                                                 {ip("10.0.2.5")}, {ip("52.1.2.3")}, private_ranges());
  EXPECT_EQ(result.state, AgentPathState::public_);
  EXPECT_THAT(result.public_, ElementsAre(ip("52.1.2.3"), ip("2600:1f18::1")));
  EXPECT_THAT(result.current, ElementsAre(ip("10.0.2.5")));
  EXPECT_THAT(result.stale, IsEmpty());
}

TEST(AgentConnectionsClassify, APublicAddressDnsAnswersNowIsCurrent) {
  // Not PrivateLink at all: the DNS verdict reports that; here it is simply current.
  const auto result = classify_agent_connections(connections_to({"52.1.2.3"}), {ip("52.1.2.3")}, {}, private_ranges());
  EXPECT_EQ(result.state, AgentPathState::current);
}

TEST(AgentConnectionsClassify, OtherIntakesPrivateEndpointsAreUnrelated) {
  const auto result =
      classify_agent_connections(connections_to({"10.0.1.5", "10.0.3.9"}), {ip("10.0.1.5")}, {}, private_ranges());
  EXPECT_EQ(result.state, AgentPathState::current);
  EXPECT_THAT(result.unrelated, ElementsAre(ip("10.0.3.9")));
}

TEST(AgentConnectionsClassify, NoConnections) {
  EXPECT_EQ(classify_agent_connections({}, {ip("10.0.1.5")}, {}, private_ranges()).state,
            AgentPathState::no_connections);
  EXPECT_EQ(classify_agent_connections(connections_to({"10.0.3.9"}), {ip("10.0.1.5")}, {}, private_ranges()).state,
            AgentPathState::no_connections);
}

TEST(AgentConnectionsClassify, NamesForReports) {
  EXPECT_EQ(to_string(AgentPathState::public_), "public");
  EXPECT_EQ(to_string(AgentPathState::partly_stale), "partly_stale");
  EXPECT_EQ(to_string(AttributionMethod::fd_and_uid), "fd+uid");
}

}  // namespace
}  // namespace sidecar
