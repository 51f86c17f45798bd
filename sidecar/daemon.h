#pragma once
// `privatelink-sidecar run`: probes every intake on its own schedule, tracks
// the Agent's connections, restarts the Agent (guarded) after DNS changes and
// serves /metrics, /status, / and /healthz. Everything runs on one
// io_context on one thread; the only blocking work is reading small local
// files (/proc, the Agent's config) between probes.
#include <boost/asio/io_context.hpp>
#include <string>

#include "commands.h"

namespace sidecar {

// Runs until SIGTERM/SIGINT; returns the process exit code.
int run_daemon(const CommonOptions& options);

}  // namespace sidecar
