#pragma once
// Watches a file descriptor owned by a C library (c-ares, libcurl) on the
// io_context and reports readiness. The library owns the descriptor: we never
// close it, we release it from Asio before the library does.
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <memory>

namespace checks::detail {

class FdWatcher : public std::enable_shared_from_this<FdWatcher> {
 public:
  using ReadyHandler = std::function<void(int fd, bool readable, bool writable)>;

  FdWatcher(boost::asio::io_context& io, int fd, ReadyHandler on_ready);
  ~FdWatcher();
  FdWatcher(const FdWatcher&) = delete;
  FdWatcher& operator=(const FdWatcher&) = delete;

  // Declares the readiness the library waits for; arms the waits it needs.
  void want(bool readable, bool writable);
  // After stop() the handler never runs again and the descriptor is released.
  void stop();
  int fd() const { return fd_; }

 private:
  void arm_read();
  void arm_write();

  boost::asio::posix::stream_descriptor descriptor_;
  int fd_;
  ReadyHandler on_ready_;
  bool want_read_ = false;
  bool want_write_ = false;
  bool read_armed_ = false;
  bool write_armed_ = false;
  bool stopped_ = false;
};

}  // namespace checks::detail
