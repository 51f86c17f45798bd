#pragma once
// Datadog's PrivateLink endpoint services per site, by our short names. The
// ids come from ../shared/datadog-privatelink.md §1.2-1.3; the docs
// revisions disagree on some (§1.5), which is why `plan` always asks
// DescribeVpcEndpointServices before trusting a name from here.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace provision {

struct CatalogService {
  std::string short_name;    // "metrics", "logs", ...
  std::string service_name;  // com.amazonaws.vpce.<region>.vpce-svc-<id>
};

// Every service Datadog offers on the site (by its label: "US1", "AP1", ...),
// in a stable order; empty for sites without PrivateLink.
std::vector<CatalogService> catalog_services(std::string_view site_label);
std::optional<CatalogService> find_catalog_service(std::string_view site_label,
                                                   std::string_view short_name);

// The region a service is hosted in, read from its name
// (com.amazonaws.vpce.<region>.vpce-svc-...); nullopt for other shapes.
std::optional<std::string> hosted_region(std::string_view service_name);
// The part after the last '.', "vpce-svc-09a8..."; the whole name otherwise.
std::string service_id(std::string_view service_name);

}  // namespace provision
