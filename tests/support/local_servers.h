#pragma once
// Real servers for the integration tests, started by the tests themselves on
// loopback: dnsmasq (through dnsmasq_zone.py) and the TLS/TCP fixture server.
// Every process is stopped when its owner goes out of scope.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace testsupport {

std::filesystem::path support_dir();

// A fresh temporary directory, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  pid_t pid() const { return pid_; }
  bool running();
  void stop();

 private:
  pid_t pid_ = -1;
};

// Waits for a file to appear and parses it as JSON; throws on timeout.
nlohmann::json wait_for_json_file(const std::filesystem::path& path, ChildProcess& owner,
                                  std::chrono::seconds timeout = std::chrono::seconds(20));

// A free TCP+UDP port on 127.0.0.1 (best effort: bound and released).
std::uint16_t free_port();

// The test PKI (make_certs.sh), generated once per test process.
const std::filesystem::path& certificates_dir();

class Dnsmasq {
 public:
  // `zone` in dnsmasq_zone.py's ZONE.json shape. Port 0: a free port.
  explicit Dnsmasq(const nlohmann::json& zone, std::string listen_address = "127.0.0.1", std::uint16_t port = 0);
  std::uint16_t port() const { return port_; }
  const std::string& address() const { return address_; }
  std::string server() const { return address_ + ":" + std::to_string(port_); }
  // Rewrites the A/AAAA records while dnsmasq runs (hostsdir, picked up by inotify).
  void rewrite_records(const nlohmann::json& a, const nlohmann::json& aaaa);

 private:
  TempDir work_;
  std::string address_;
  std::uint16_t port_;
  ChildProcess process_;
};

// A loopback address that no other live test process uses (derived from the
// pid), for servers that must sit on port 53.
std::string unique_loopback_address();

class FixtureServers {
 public:
  explicit FixtureServers(nlohmann::json spec);
  // The actual port of the named listener.
  std::uint16_t port(const std::string& name) const;

 private:
  TempDir work_;
  ChildProcess process_;
  nlohmann::json ready_;
};

}  // namespace testsupport
