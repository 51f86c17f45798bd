#pragma once
// Datadog sites and the intakes the Agent uses on each (docs/configuration.md
// lists them; facts from the Datadog PrivateLink guide).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sidecar {

struct SiteIntake {
  std::string_view name;    // our short name: "metrics", "logs", ...
  std::string_view prefix;  // host = prefix + site
  std::string_view feature; // the Agent feature that uses it ("core", "logs", "apm", ...)
};

struct Site {
  std::string_view domain;        // "datadoghq.com"
  std::string_view label;         // "US1"
  std::string_view aws_region;    // the region of the PrivateLink endpoint services
  bool offers_privatelink = false;
};

const std::vector<Site>& known_sites();
std::optional<Site> find_site(std::string_view domain);
// The core intakes probed when the config lists none.
const std::vector<SiteIntake>& core_intakes();
std::string intake_host(const SiteIntake& intake, std::string_view site_domain);
// True when `host` is, or is under, a Datadog domain (datadoghq.com/.eu,
// datad0g.com/.eu, ddog-gov.com/.mil), the list the Agent calls "well-known
// sites". A trailing dot is allowed; "notdatadoghq.com" is not a match.
bool is_datadog_domain(std::string_view host);

}  // namespace sidecar
