#include "systemd_notify.h"

#include <dlfcn.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstdlib>

namespace sidecar {
namespace {

struct SystemdLibrary {
  decltype(&::sd_notify) notify = nullptr;
  decltype(&::sd_watchdog_enabled) watchdog_enabled = nullptr;
};

SystemdLibrary load_systemd() {
  SystemdLibrary library;
  void* handle = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    spdlog::warn("cannot load libsystemd.so.0 ({}); systemd notifications are off", dlerror());
    return library;
  }
  library.notify = reinterpret_cast<decltype(&::sd_notify)>(dlsym(handle, "sd_notify"));
  library.watchdog_enabled = reinterpret_cast<decltype(&::sd_watchdog_enabled)>(dlsym(handle, "sd_watchdog_enabled"));
  if (library.notify == nullptr || library.watchdog_enabled == nullptr) {
    spdlog::warn("libsystemd.so.0 lacks sd_notify or sd_watchdog_enabled; systemd notifications are off");
    return {};
  }
  return library;
}

// Loaded once, on the first notification systemd asked for.
const SystemdLibrary& systemd_library() {
  static const SystemdLibrary library = load_systemd();
  return library;
}

bool systemd_listens() { return std::getenv("NOTIFY_SOCKET") != nullptr; }

}  // namespace

void notify_systemd(const char* state) {
  if (!systemd_listens()) return;
  if (const auto notify = systemd_library().notify) notify(0, state);
}

std::optional<std::chrono::microseconds> systemd_watchdog_timeout() {
  if (!systemd_listens() || std::getenv("WATCHDOG_USEC") == nullptr) return std::nullopt;
  const auto watchdog_enabled = systemd_library().watchdog_enabled;
  std::uint64_t usec = 0;
  if (watchdog_enabled == nullptr || watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

}  // namespace sidecar
