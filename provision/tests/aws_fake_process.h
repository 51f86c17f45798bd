#pragma once
// Starts tests/support/aws_fake (moto + Datadog's endpoint services and
// pending states) on a loopback port the kernel picks, and stops it by pid.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace provision::test {

class AwsFakeProcess {
 public:
  explicit AwsFakeProcess(const std::string& fake_dir) {
    ready_file_ = std::filesystem::temp_directory_path() / ("aws-fake-ready-" + std::to_string(getpid()) + ".json");
    std::filesystem::remove(ready_file_);
    pid_ = fork();
    if (pid_ == 0) {
      execlp("python3", "python3", fake_dir.c_str(), "--port", "0", "--ready-file", ready_file_.c_str(),
             static_cast<char*>(nullptr));
      _exit(127);
    }
    if (pid_ < 0) throw std::runtime_error("fork failed");
    wait_until_ready();
  }
  ~AwsFakeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    std::filesystem::remove(ready_file_);
  }
  AwsFakeProcess(const AwsFakeProcess&) = delete;
  AwsFakeProcess& operator=(const AwsFakeProcess&) = delete;

  const std::string& url() const { return url_; }

 private:
  void wait_until_ready() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      if (read_ready_file()) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("the AWS fake exited before it was ready");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("the AWS fake was not ready within 60 s");
  }

  // The file may be seen half-written; a parse failure means "not yet".
  bool read_ready_file() {
    std::ifstream input(ready_file_);
    if (!input) return false;
    std::stringstream text;
    text << input.rdbuf();
    const auto ready = nlohmann::json::parse(text.str(), nullptr, false);
    if (ready.is_discarded() || !ready.contains("url")) return false;
    url_ = ready["url"].get<std::string>();
    return true;
  }

  std::filesystem::path ready_file_;
  pid_t pid_ = -1;
  std::string url_;
};

}  // namespace provision::test
