#include "local_servers.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace testsupport {

std::filesystem::path support_dir() { return SIDECAR_TEST_SUPPORT_DIR; }

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "pls-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  std::vector<char*> pointers;
  for (const auto& arg : argv) pointers.push_back(const_cast<char*>(arg.c_str()));
  pointers.push_back(nullptr);
  if (posix_spawnp(&pid_, pointers[0], nullptr, nullptr, pointers.data(), environ) != 0) {
    throw std::runtime_error("cannot start " + argv[0]);
  }
}

ChildProcess::~ChildProcess() { stop(); }

bool ChildProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void ChildProcess::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int attempt = 0; attempt < 100; ++attempt) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

nlohmann::json wait_for_json_file(const std::filesystem::path& path, ChildProcess& owner,
                                  std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::filesystem::exists(path)) {
      std::ifstream file(path);
      return nlohmann::json::parse(file);
    }
    if (!owner.running()) throw std::runtime_error("fixture process exited before " + path.string());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("timed out waiting for " + path.string());
}

std::uint16_t free_port() {
  // Random ports in a high range, checked free for TCP and UDP: parallel
  // test processes pick different ones with high probability.
  static std::mt19937 random(std::random_device{}());
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto port = static_cast<std::uint16_t>(std::uniform_int_distribution<int>(20000, 59999)(random));
    bool free = true;
    for (int type : {SOCK_STREAM, SOCK_DGRAM}) {
      const int fd = socket(AF_INET, type, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(port);
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      free = free && bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
      close(fd);
    }
    if (free) return port;
  }
  throw std::runtime_error("no free port");
}

const std::filesystem::path& certificates_dir() {
  static TempDir directory;
  static const bool generated = [] {
    const std::string command = (support_dir() / "make_certs.sh").string() + " " + directory.path().string() +
                                " > /dev/null";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("make_certs.sh failed");
    return true;
  }();
  (void)generated;
  return directory.path();
}

namespace {

std::filesystem::path write_json(const std::filesystem::path& path, const nlohmann::json& document) {
  std::ofstream(path) << document.dump();
  return path;
}

std::vector<std::string> dnsmasq_command(const TempDir& work, const std::string& address, std::uint16_t port,
                                         const nlohmann::json& zone) {
  return {"python3",
          (support_dir() / "dnsmasq_zone.py").string(),
          "--workdir",
          work.path().string(),
          "--listen-address",
          address,
          "--port",
          std::to_string(port),
          "--zone",
          write_json(work.path() / "zone.json", zone).string(),
          "--ready-file",
          (work.path() / "ready.json").string()};
}

}  // namespace

// Port 0 goes to dnsmasq_zone.py, which picks a port and retries with
// another if dnsmasq cannot bind it (another process took it meanwhile).
Dnsmasq::Dnsmasq(const nlohmann::json& zone, std::string listen_address, std::uint16_t port)
    : address_(std::move(listen_address)), port_(port), process_(dnsmasq_command(work_, address_, port_, zone)) {
  port_ = wait_for_json_file(work_.path() / "ready.json", process_).at("port").get<std::uint16_t>();
}

void Dnsmasq::rewrite_records(const nlohmann::json& a, const nlohmann::json& aaaa) {
  const auto records = write_json(work_.path() / "records.json", {{"a", a}, {"aaaa", aaaa}});
  const std::string command = "python3 " + (support_dir() / "dnsmasq_zone.py").string() + " --workdir " +
                              work_.path().string() + " --rewrite " + records.string();
  if (std::system(command.c_str()) != 0) throw std::runtime_error("rewriting dnsmasq records failed");
}

// A pid has at most 22 bits (the kernel's PID_MAX_LIMIT); with 2 bits of a
// per-process counter that is 24 bits, exactly the host part of 127/8. So two
// live test processes never get the same address (up to 4 per process).
// 127.0.0.0/16 is left to the host's own services (127.0.0.1, 127.0.0.53):
// small pids (a container's) move to 127.128/16, which only pids over 2^21
// would share.
std::string unique_loopback_address() {
  static unsigned next = 0;
  unsigned host = (static_cast<unsigned>(getpid()) << 2) | (next++ & 3u);
  if ((host >> 16) == 0) host |= 1u << 23;
  return fmt::format("127.{}.{}.{}", (host >> 16) & 0xffu, (host >> 8) & 0xffu, host & 0xffu);
}

FixtureServers::FixtureServers(nlohmann::json spec)
    : process_({"python3", (support_dir() / "fixture_server.py").string(),
                write_json(work_.path() / "spec.json", spec).string(), (work_.path() / "ready.json").string()}) {
  ready_ = wait_for_json_file(work_.path() / "ready.json", process_);
}

std::uint16_t FixtureServers::port(const std::string& name) const {
  return ready_.at("listeners").at(name).at("port").get<std::uint16_t>();
}

}  // namespace testsupport
