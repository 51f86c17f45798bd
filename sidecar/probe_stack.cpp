#include "probe_stack.h"

#include <algorithm>

namespace sidecar {

Expected<ProbeStack> make_probe_stack(boost::asio::io_context& io, const Config& config) {
  ProbeStack stack;
  checks::DnsResolverOptions dns;
  dns.servers = config.dns_servers;
  dns.resolv_conf = config.resolv_conf;
  // Two attempts whose doubling timeouts (t + 2t) fit in the probe timeout.
  dns.attempt_timeout = std::max(std::chrono::milliseconds(5), config.timeout / 3);
  dns.attempts = 2;
  auto resolver = checks::DnsResolver::create(io, dns);
  if (!resolver) return resolver.error().with_prefix("DNS: ");
  stack.resolver = std::move(*resolver);

  auto tls = checks::make_tls_client_context(config.ca_file);
  if (!tls) return tls.error().with_prefix("TLS: ");
  stack.tls_context = std::move(*tls);

  const bool any_https = std::any_of(config.intakes.begin(), config.intakes.end(),
                                     [](const IntakeConfig& intake) { return intake.https.has_value(); });
  if (any_https) {
    auto https = checks::HttpsClient::create(io);
    if (!https) return https.error().with_prefix("HTTPS: ");
    stack.https_client = std::move(*https);
  }

  checks::ProbeSettings settings;
  settings.timeout = config.timeout;
  settings.private_cidrs = config.private_cidrs;
  settings.expected_cidrs = config.expected_cidrs;
  settings.probe_public_addresses = config.probe_public_addresses;
  settings.ca_file = config.ca_file;
  stack.prober = std::make_unique<checks::IntakeProber>(io, *stack.resolver, stack.tls_context,
                                                        stack.https_client.get(), settings);
  return stack;
}

std::vector<checks::IntakeTarget> targets_from(const Config& config) {
  std::vector<checks::IntakeTarget> targets;
  for (const auto& intake : config.intakes) {
    checks::IntakeTarget target{intake.name, intake.host, intake.port, std::nullopt};
    if (intake.https) {
      checks::HttpsCheck https;
      https.path = intake.https->path;
      https.accepted_status = intake.https->accepted_status;
      if (!intake.https->api_key.empty()) https.headers.push_back("DD-API-KEY: " + intake.https->api_key.reveal());
      target.https = std::move(https);
    }
    targets.push_back(std::move(target));
  }
  return targets;
}

}  // namespace sidecar
