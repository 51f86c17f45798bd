#include "provision/service_catalog.h"

#include <fmt/format.h>

#include <algorithm>

namespace provision {
namespace {

struct Row {
  std::string_view site;
  std::string_view short_name;
  std::string_view region;
  std::string_view id;
};

// One row per endpoint the Agent needs. Two-level DNS sites (US1 api/traces,
// AP2, UK1) list the anchor service that carries the name.
// US1 api and traces use the newest guide's anchors (orchid, lime), not the
// older regions.config ids (§1.5).
constexpr Row rows[] = {
    {"US1", "metrics", "us-east-1", "09a8006e245d1e7b8"},
    {"US1", "logs", "us-east-1", "025a56b9187ac1f63"},
    {"US1", "logs-user", "us-east-1", "0e36256cb6172439d"},
    {"US1", "api", "us-east-1", "07895350fd0109264"},
    {"US1", "traces", "us-east-1", "0ee865cd1c0a7ba32"},
    {"US1", "process", "us-east-1", "0ed1f789ac6b0bde1"},
    {"US1", "orchestrator", "us-east-1", "0ad5fb9e71f85fe99"},
    {"US1", "profiling", "us-east-1", "022ae36a7b2472029"},
    {"US1", "dbm-metrics", "us-east-1", "0ce70d55ec4af8501"},
    {"US1", "remote-config", "us-east-1", "01f21309e507e3b1d"},
    {"AP1", "metrics", "ap-northeast-1", "002d904d5e69340ad"},
    {"AP1", "logs", "ap-northeast-1", "03e139d1f2766685b"},
    {"AP1", "logs-user", "ap-northeast-1", "08799aabff1cfd8a3"},
    {"AP1", "api", "ap-northeast-1", "008cd79a7a09e0a1e"},
    {"AP1", "traces", "ap-northeast-1", "0a5d94b2e8f6e70fc"},
    {"AP1", "process", "ap-northeast-1", "0e86b29a0dc2c8a26"},
    {"AP1", "orchestrator", "ap-northeast-1", "03ffd8d552f0d957d"},
    {"AP1", "profiling", "ap-northeast-1", "0d598057ecde10596"},
    {"AP1", "dbm-metrics", "ap-northeast-1", "0cc53180ae06bb977"},
    {"AP1", "remote-config", "ap-northeast-1", "00e15ab206f23b98c"},
    {"AP2", "metrics", "ap-southeast-2", "06a30d6a016b746ff"},
    {"AP2", "logs", "ap-southeast-2", "06460db30a7cfdace"},
    {"AP2", "api", "ap-southeast-2", "06ec78b291ce8020a"},
    {"AP2", "traces", "ap-southeast-2", "0f3e01f4180b2ae09"},
    {"AP2", "process", "ap-southeast-2", "0c26ca335d93a68b5"},
    {"AP2", "orchestrator", "ap-southeast-2", "031da3ffac78ef902"},
    {"AP2", "profiling", "ap-southeast-2", "0d936da0e6a30d3cd"},
    {"AP2", "dbm-metrics", "ap-southeast-2", "094469ee7a178f448"},
    {"AP2", "remote-config", "ap-southeast-2", "01f8f80f4cb97bd10"},
    {"UK1", "metrics", "eu-west-2", "058a9de2dbf6959f9"},
    {"UK1", "logs", "eu-west-2", "03fb3a3dd752ef336"},
    {"UK1", "api", "eu-west-2", "05399db7fb3b28c77"},
    {"UK1", "traces", "eu-west-2", "08989912d1ef253f4"},
    {"UK1", "process", "eu-west-2", "0fe52c96bfb6c5d0e"},
    {"UK1", "orchestrator", "eu-west-2", "07f22a32140efaae5"},
    {"UK1", "profiling", "eu-west-2", "01f4f12969c768c0c"},
    {"UK1", "dbm-metrics", "eu-west-2", "03e170925a2baa029"},
    {"UK1", "remote-config", "eu-west-2", "0755097b02a34f9e7"},
};

CatalogService to_service(const Row& row) {
  return {std::string(row.short_name),
          fmt::format("com.amazonaws.vpce.{}.vpce-svc-{}", row.region, row.id)};
}

}  // namespace

std::vector<CatalogService> catalog_services(std::string_view site_label) {
  std::vector<CatalogService> services;
  for (const Row& row : rows) {
    if (row.site == site_label) services.push_back(to_service(row));
  }
  return services;
}

std::optional<CatalogService> find_catalog_service(std::string_view site_label,
                                                   std::string_view short_name) {
  for (const Row& row : rows) {
    if (row.site == site_label && row.short_name == short_name) return to_service(row);
  }
  return std::nullopt;
}

std::optional<std::string> hosted_region(std::string_view service_name) {
  constexpr std::string_view prefix = "com.amazonaws.vpce.";
  if (!service_name.starts_with(prefix)) return std::nullopt;
  service_name.remove_prefix(prefix.size());
  const auto dot = service_name.find('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  if (!service_name.substr(dot + 1).starts_with("vpce-svc-")) return std::nullopt;
  return std::string(service_name.substr(0, dot));
}

std::string service_id(std::string_view service_name) {
  const auto dot = service_name.rfind('.');
  return std::string(dot == std::string_view::npos ? service_name : service_name.substr(dot + 1));
}

}  // namespace provision
