#include "fd_watcher.h"

namespace checks::detail {

FdWatcher::FdWatcher(boost::asio::io_context& io, int fd, ReadyHandler on_ready)
    : descriptor_(io, fd), fd_(fd), on_ready_(std::move(on_ready)) {}

FdWatcher::~FdWatcher() { stop(); }

void FdWatcher::want(bool readable, bool writable) {
  want_read_ = readable;
  want_write_ = writable;
  if (want_read_ && !read_armed_) arm_read();
  if (want_write_ && !write_armed_) arm_write();
}

void FdWatcher::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  descriptor_.cancel(ignored);
  // release(), not close(): the C library closes its own descriptor.
  descriptor_.release();
}

void FdWatcher::arm_read() {
  read_armed_ = true;
  descriptor_.async_wait(boost::asio::posix::descriptor_base::wait_read,
                         [self = shared_from_this()](const boost::system::error_code& error) {
                           self->read_armed_ = false;
                           if (error || self->stopped_) return;
                           self->on_ready_(self->fd_, true, false);
                           if (!self->stopped_ && self->want_read_ && !self->read_armed_) self->arm_read();
                         });
}

void FdWatcher::arm_write() {
  write_armed_ = true;
  descriptor_.async_wait(boost::asio::posix::descriptor_base::wait_write,
                         [self = shared_from_this()](const boost::system::error_code& error) {
                           self->write_armed_ = false;
                           if (error || self->stopped_) return;
                           self->on_ready_(self->fd_, false, true);
                           if (!self->stopped_ && self->want_write_ && !self->write_armed_) self->arm_write();
                         });
}

}  // namespace checks::detail
