#pragma once
// Builds the probe library's objects from a finalized Config. Shared by
// `check` and (later) the daemon so both probe exactly the same way.
#include <boost/asio/io_context.hpp>
#include <memory>
#include <vector>

#include "checks/intake.h"
#include "config.h"

namespace sidecar {

struct ProbeStack {
  std::unique_ptr<checks::DnsResolver> resolver;
  std::shared_ptr<boost::asio::ssl::context> tls_context;
  std::unique_ptr<checks::HttpsClient> https_client;
  std::unique_ptr<checks::IntakeProber> prober;
};

Expected<ProbeStack> make_probe_stack(boost::asio::io_context& io, const Config& config);
std::vector<checks::IntakeTarget> targets_from(const Config& config);

}  // namespace sidecar
