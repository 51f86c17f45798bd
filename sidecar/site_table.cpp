#include "site_table.h"

#include <algorithm>
#include <iterator>

namespace sidecar {

const std::vector<Site>& known_sites() {
  // Region and PrivateLink support: Datadog's PrivateLink guide (UK1 only in
  // its newest revision). Sites without PrivateLink are known so that the
  // error can say so instead of "unknown site".
  static const std::vector<Site> sites = {
      {"datadoghq.com", "US1", "us-east-1", true},
      {"ap1.datadoghq.com", "AP1", "ap-northeast-1", true},
      {"ap2.datadoghq.com", "AP2", "ap-southeast-2", true},
      {"uk1.datadoghq.com", "UK1", "eu-west-2", true},
      {"us3.datadoghq.com", "US3", "", false},
      {"us5.datadoghq.com", "US5", "", false},
      {"datadoghq.eu", "EU1", "", false},
      {"ddog-gov.com", "US1-FED", "", false},
  };
  return sites;
}

std::optional<Site> find_site(std::string_view domain) {
  if (domain.ends_with('.')) domain.remove_suffix(1);
  const auto& sites = known_sites();
  const auto found = std::find_if(sites.begin(), sites.end(), [&](const Site& site) { return site.domain == domain; });
  if (found == sites.end()) return std::nullopt;
  return *found;
}

const std::vector<SiteIntake>& core_intakes() {
  // The names are the endpoint services' private DNS names: the Agent's
  // versioned metrics host (<x>-<y>-<z>-app.agent.<site>) is a CNAME to
  // metrics.agent.<site>, so probing the latter checks the PrivateLink path.
  static const std::vector<SiteIntake> intakes = {
      {"api", "api.", "core"},
      {"metrics", "metrics.agent.", "core"},
      {"logs", "agent-http-intake.logs.", "logs"},
      {"traces", "trace.agent.", "apm"},
      {"profiling", "intake.profile.", "apm"},
      {"process", "process.", "process"},
      {"orchestrator", "orchestrator.", "orchestrator"},
      {"remote-config", "config.", "remote_config"},
      {"dbm-metrics", "dbm-metrics-intake.", "dbm"},
  };
  return intakes;
}

std::string intake_host(const SiteIntake& intake, std::string_view site_domain) {
  return std::string(intake.prefix) + std::string(site_domain);
}

bool is_datadog_domain(std::string_view host) {
  // The Agent's pattern (pkg/config/utils/endpoints.go ddDomainPattern).
  static constexpr std::string_view domains[] = {"datadoghq.com", "datadoghq.eu", "datad0g.com",
                                                 "datad0g.eu",    "ddog-gov.com", "ddog-gov.mil"};
  if (host.ends_with('.')) host.remove_suffix(1);
  return std::any_of(std::begin(domains), std::end(domains), [&](std::string_view domain) {
    if (!host.ends_with(domain)) return false;
    return host.size() == domain.size() || host[host.size() - domain.size() - 1] == '.';
  });
}

}  // namespace sidecar
