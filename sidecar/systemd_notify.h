#pragma once
// The daemon's side of systemd's notify protocol (Type=notify, WatchdogSec=),
// through libsystemd's sd_notify(3) and sd_watchdog_enabled(3). libsystemd is
// loaded with dlopen, and only when systemd asked for notifications: it and
// the five libraries it pulls in (gcrypt, lz4, lzma, zstd, cap) cost 0.9 MiB of
// RSS (bench/README.md), which `check`, `status`, `provision`, a daemon run
// from a shell and the tests then do not pay.
#include <chrono>
#include <optional>

namespace sidecar {

// Sends `state` ("READY=1", "WATCHDOG=1", ...) to systemd. Does nothing when
// NOTIFY_SOCKET is unset, i.e. outside a Type=notify unit.
void notify_systemd(const char* state);

// The keep-alive deadline systemd set for this process (WatchdogSec=), if any.
std::optional<std::chrono::microseconds> systemd_watchdog_timeout();

}  // namespace sidecar
