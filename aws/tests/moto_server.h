#pragma once
// Starts `python3 -m moto.server` on a free loopback port for the
// integration tests and stops it (by its pid) at the end. Loopback only:
// nothing here can reach real AWS.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>

#include "aws/curl_transport.h"

namespace aws::test {

// The kernel picks a free port; it is closed again right away, and moto binds
// it a moment later (a tiny race other tests on this machine could lose).
inline int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("no free loopback port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

class MotoServer {
 public:
  MotoServer() : port_(free_loopback_port()) {
    const std::string port = std::to_string(port_);
    const std::string log = log_path();
    pid_ = fork();
    if (pid_ == 0) {
      if (freopen(log.c_str(), "w", stdout) == nullptr || dup2(fileno(stdout), 2) < 0) _exit(126);
      execlp("python3", "python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", port.c_str(),
             static_cast<char*>(nullptr));
      _exit(127);
    }
    if (pid_ < 0) throw std::runtime_error("fork failed");
    wait_until_ready();
  }
  ~MotoServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    std::remove(log_path().c_str());
  }
  MotoServer(const MotoServer&) = delete;
  MotoServer& operator=(const MotoServer&) = delete;

  int port() const { return port_; }
  std::string log_path() const { return "/tmp/moto-" + std::to_string(port_) + ".log"; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Wipes every service's state (moto's own API, unsigned).
  bool reset() const {
    auto response = fetch_(HttpRequest{"POST", url() + "/moto-api/reset", {}, {}});
    return response && response->status == 200;
  }

 private:
  void wait_until_ready() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      auto response = fetch_(HttpRequest{"GET", url() + "/moto-api/", {}, {}});
      if (response && response->status == 200) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("moto.server exited; see " + log_path());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    throw std::runtime_error("moto.server did not answer within 30 s");
  }

  int port_;
  pid_t pid_ = -1;
  HttpFetcher fetch_ = curl_fetcher({std::chrono::milliseconds(1000), std::chrono::milliseconds(5000), {}, 1 << 20});
};

}  // namespace aws::test
