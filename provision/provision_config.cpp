#include "provision/provision_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "provision/service_catalog.h"
#include "site_table.h"

namespace provision {
namespace {

using sidecar::YamlReader;

using sidecar::located_error;
using sidecar::read_optional;

Expected<RawAgentVpc> read_agent_vpc(const YamlReader& reader, const YAML::Node& node,
                                     const std::string& path) {
  SIDECAR_TRY(reader.require_map(node, path, {"region", "vpc_id", "profile", "subnet_ids"}));
  RawAgentVpc vpc;
  vpc.where = reader.locate(node);
  auto string = [&](const YAML::Node& n, const std::string& p) { return reader.read_string(n, p); };
  SIDECAR_TRY(read_optional(node, "region", path, vpc.region, string));
  SIDECAR_TRY(read_optional(node, "vpc_id", path, vpc.vpc_id, string));
  SIDECAR_TRY(read_optional(node, "profile", path, vpc.profile, string));
  SIDECAR_TRY(read_optional(node, "subnet_ids", path, vpc.subnet_ids,
                            [&](const YAML::Node& n, const std::string& p) { return reader.read_string_list(n, p); }));
  return vpc;
}

Expected<Located<std::vector<RawAgentVpc>>> read_agent_vpcs(const YamlReader& reader,
                                                            const YAML::Node& node,
                                                            const std::string& path) {
  if (!node.IsSequence()) return reader.error_at(node, path, "must be a list");
  Located<std::vector<RawAgentVpc>> vpcs{{}, reader.locate(node)};
  for (std::size_t index = 0; index < node.size(); ++index) {
    auto vpc = read_agent_vpc(reader, node[index], fmt::format("{}[{}]", path, index));
    if (!vpc) return vpc.error();
    vpcs.value.push_back(std::move(*vpc));
  }
  return vpcs;
}

Expected<void> read_endpoint_vpc(const YamlReader& reader, const YAML::Node& node,
                                 RawProvisionConfig& raw) {
  const std::string path = "endpoint_vpc";
  SIDECAR_TRY(reader.require_map(node, path, {"region", "vpc_id", "subnet_ids"}));
  raw.endpoint_vpc_where = reader.locate(node);
  auto string = [&](const YAML::Node& n, const std::string& p) { return reader.read_string(n, p); };
  SIDECAR_TRY(read_optional(node, "region", path, raw.endpoint_region, string));
  SIDECAR_TRY(read_optional(node, "vpc_id", path, raw.endpoint_vpc_id, string));
  return read_optional(node, "subnet_ids", path, raw.subnet_ids,
                       [&](const YAML::Node& n, const std::string& p) { return reader.read_string_list(n, p); });
}

Expected<void> read_tags(const YamlReader& reader, const YAML::Node& node, RawProvisionConfig& raw) {
  if (!node.IsMap()) return reader.error_at(node, "tags", "must be a mapping of tag names to values");
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) return reader.error_at(entry.first, "tags", "keys must be plain names");
    const std::string key = entry.first.Scalar();
    auto value = reader.read_string(entry.second, "tags." + key);
    if (!value) return value.error();
    raw.tags.push_back({aws::Tag{key, value->value}, reader.locate(entry.first)});
  }
  return {};
}

Expected<void> read_security_group(const YamlReader& reader, const YAML::Node& node,
                                   RawProvisionConfig& raw) {
  SIDECAR_TRY(reader.require_map(node, "security_group", {"name"}));
  return read_optional(node, "name", "security_group", raw.security_group_name,
                       [&](const YAML::Node& n, const std::string& p) { return reader.read_string(n, p); });
}

Expected<void> read_root(const YamlReader& reader, const YAML::Node& root, RawProvisionConfig& raw) {
  SIDECAR_TRY(reader.require_map(
      root, "", {"site", "mode", "services", "endpoint_vpc", "agent_vpcs", "security_group", "turn_on_vpc_dns",
                 "tags"}));
  auto string = [&](const YAML::Node& n, const std::string& p) { return reader.read_string(n, p); };
  SIDECAR_TRY(read_optional(root, "site", "", raw.site, string));
  SIDECAR_TRY(read_optional(root, "mode", "", raw.mode, string));
  SIDECAR_TRY(read_optional(root, "turn_on_vpc_dns", "", raw.turn_on_vpc_dns,
                            [&](const YAML::Node& n, const std::string& p) { return reader.read_bool(n, p); }));
  SIDECAR_TRY(read_optional(root, "services", "", raw.services,
                              [&](const YAML::Node& n, const std::string& p) { return reader.read_string_list(n, p); }));
  SIDECAR_TRY(read_optional(root, "agent_vpcs", "", raw.agent_vpcs,
                              [&](const YAML::Node& n, const std::string& p) { return read_agent_vpcs(reader, n, p); }));
  if (root["endpoint_vpc"]) SIDECAR_TRY(read_endpoint_vpc(reader, root["endpoint_vpc"], raw));
  if (root["security_group"]) SIDECAR_TRY(read_security_group(reader, root["security_group"], raw));
  if (root["tags"]) SIDECAR_TRY(read_tags(reader, root["tags"], raw));
  return {};
}

// ---------------------------------------------------------------- finalize

Location top_of(const RawProvisionConfig& raw) { return Location{raw.file, 0, 0}; }

template <typename T>
Expected<Located<T>> required(const std::optional<Located<T>>& value, const Location& parent,
                              std::string_view path) {
  if (!value) return located_error(parent, path, "is required");
  return *value;
}

Expected<sidecar::Site> finalize_site(const RawProvisionConfig& raw) {
  auto site = required(raw.site, top_of(raw), "site");
  if (!site) return site.error();
  for (const auto& known : sidecar::known_sites()) {
    if (known.label != site->value && known.domain != site->value) continue;
    if (!known.offers_privatelink) {
      return located_error(site->where, "site",
                          fmt::format("{} ({}) does not offer AWS PrivateLink (US1, AP1, AP2, UK1 do)",
                                      known.label, known.domain));
    }
    return known;
  }
  return located_error(site->where, "site",
                      fmt::format("unknown site '{}' (use US1, AP1, AP2 or UK1, or their domains)", site->value));
}

Expected<Mode> finalize_mode(const RawProvisionConfig& raw) {
  if (!raw.mode) return Mode::same_region;
  const std::string& text = raw.mode->value;
  if (text == "same-region") return Mode::same_region;
  if (text == "cross-region") return Mode::cross_region;
  if (text == "peering") return Mode::peering;
  return located_error(raw.mode->where, "mode",
                      fmt::format("unknown mode '{}' (same-region, cross-region or peering)", text));
}

Expected<std::vector<ServiceChoice>> finalize_services(const RawProvisionConfig& raw,
                                                       const sidecar::Site& site) {
  const std::string label(site.label);
  std::vector<ServiceChoice> chosen;
  if (!raw.services) {
    for (auto& service : catalog_services(label)) chosen.push_back({service.short_name, service.service_name});
    return chosen;
  }
  std::set<std::string> seen;
  for (std::size_t index = 0; index < raw.services->value.size(); ++index) {
    const std::string& entry = raw.services->value[index];
    const std::string path = fmt::format("services[{}]", index);
    ServiceChoice choice;
    if (hosted_region(entry)) {
      choice = {service_id(entry), entry};
    } else if (auto known = find_catalog_service(label, entry)) {
      choice = {known->short_name, known->service_name};
    } else {
      std::string names;
      for (auto& service : catalog_services(label)) names += (names.empty() ? "" : ", ") + service.short_name;
      return located_error(raw.services->where, path,
                          fmt::format("'{}' is not a {} service (known: {}; or give a "
                                      "com.amazonaws.vpce.<region>.vpce-svc-<id> name)",
                                      entry, label, names));
    }
    if (!seen.insert(choice.service_name).second) {
      return located_error(raw.services->where, path, fmt::format("'{}' is listed twice", entry));
    }
    chosen.push_back(std::move(choice));
  }
  if (chosen.empty()) return located_error(raw.services->where, "services", "must not be empty (omit it for all)");
  return chosen;
}

Expected<std::vector<std::string>> finalize_subnets(const std::optional<Located<std::vector<std::string>>>& raw,
                                                    const Location& parent, const std::string& path) {
  auto subnets = required(raw, parent, path);
  if (!subnets) return subnets.error();
  if (subnets->value.empty()) return located_error(subnets->where, path, "needs at least one subnet (one per AZ)");
  std::set<std::string> unique(subnets->value.begin(), subnets->value.end());
  if (unique.size() != subnets->value.size()) return located_error(subnets->where, path, "lists a subnet twice");
  return subnets->value;
}

// Cross-region mode puts the endpoints into the Agent VPCs themselves, so an
// endpoint VPC there would be a second, unused place; it is refused rather
// than ignored.
Expected<EndpointVpc> finalize_endpoint_vpc(const RawProvisionConfig& raw, Mode mode, const std::string& site_region) {
  const bool given = !raw.endpoint_vpc_where.file.empty();
  if (mode == Mode::cross_region) {
    if (!given) return EndpointVpc{};
    return located_error(raw.endpoint_vpc_where, "endpoint_vpc",
                        "is not used in mode cross-region (endpoints go into each Agent VPC: give "
                        "agent_vpcs[].subnet_ids instead)");
  }
  if (!given) return located_error(top_of(raw), "endpoint_vpc", "is required");
  // The endpoints must live where Datadog hosts the services: the site's region.
  const Located<std::string> region =
      raw.endpoint_region ? *raw.endpoint_region : Located<std::string>{site_region, raw.endpoint_vpc_where};
  auto vpc_id = required(raw.endpoint_vpc_id, raw.endpoint_vpc_where, "endpoint_vpc.vpc_id");
  if (!vpc_id) return vpc_id.error();
  auto subnets = finalize_subnets(raw.subnet_ids, raw.endpoint_vpc_where, "endpoint_vpc.subnet_ids");
  if (!subnets) return subnets.error();
  return EndpointVpc{region.value, vpc_id->value, std::move(*subnets)};
}

// Only cross-region Agent VPCs hold endpoints, so only they name subnets.
Expected<std::vector<std::string>> finalize_agent_subnets(const RawAgentVpc& item, Mode mode, const std::string& path) {
  if (mode == Mode::cross_region) return finalize_subnets(item.subnet_ids, item.where, path + ".subnet_ids");
  if (!item.subnet_ids) return std::vector<std::string>{};
  return located_error(item.subnet_ids->where, path + ".subnet_ids",
                      fmt::format("is only used in mode cross-region (mode {} puts the endpoints into endpoint_vpc)",
                                  to_string(mode)));
}

// Same-region mode: the endpoints' private DNS answers only inside the VPC
// that holds them, so that VPC is the Agents' VPC. Another VPC listed there
// would silently resolve Datadog's public addresses.
Expected<void> check_same_region_agent(const RawAgentVpc& item, const Located<std::string>& vpc_id,
                                       const EndpointVpc& endpoint, const std::string& path) {
  if (vpc_id.value != endpoint.vpc_id) {
    return located_error(vpc_id.where, path + ".vpc_id",
                        fmt::format("is {}, but in mode same-region the endpoints' private DNS answers only inside "
                                    "the endpoint VPC {}: Agents in {} would resolve Datadog's public addresses. "
                                    "List {} (or leave agent_vpcs out), or use mode peering",
                                    vpc_id.value, endpoint.vpc_id, vpc_id.value, endpoint.vpc_id));
  }
  if (item.profile) {
    return located_error(item.profile->where, path + ".profile",
                        "is only used in modes cross-region and peering (the endpoint VPC uses --profile)");
  }
  return {};
}

// An Agent VPC without a region: same-region mode has only one; elsewhere
// the local region (--region, AWS_REGION, the profile, the instance's).
Expected<Located<std::string>> agent_region(const RawAgentVpc& item, Mode mode, const EndpointVpc& endpoint,
                                            const RegionLookup& local_region, const std::string& path) {
  if (item.region) return *item.region;
  if (mode == Mode::same_region) return Located<std::string>{endpoint.region, item.where};
  if (!local_region) return located_error(item.where, path + ".region", "is required");
  auto region = local_region();
  if (!region) {
    return located_error(item.where, path + ".region", "is not given and " + region.error().message);
  }
  return Located<std::string>{region->name, item.where};
}

Expected<std::vector<AgentVpc>> finalize_agent_vpcs(const RawProvisionConfig& raw, Mode mode,
                                                    const EndpointVpc& endpoint, const RegionLookup& local_region) {
  if (mode == Mode::same_region && !raw.agent_vpcs) {
    return std::vector<AgentVpc>{{endpoint.region, endpoint.vpc_id, std::nullopt, {}}};
  }
  if (!raw.agent_vpcs || raw.agent_vpcs->value.empty()) {
    return located_error(raw.agent_vpcs ? raw.agent_vpcs->where : top_of(raw), "agent_vpcs",
                        "needs at least one Agent VPC (the endpoint VPC itself if the Agents run there)");
  }
  std::vector<AgentVpc> vpcs;
  for (std::size_t index = 0; index < raw.agent_vpcs->value.size(); ++index) {
    const RawAgentVpc& item = raw.agent_vpcs->value[index];
    const std::string path = fmt::format("agent_vpcs[{}]", index);
    auto region = agent_region(item, mode, endpoint, local_region, path);
    if (!region) return region.error();
    auto vpc_id = required(item.vpc_id, item.where, path + ".vpc_id");
    if (!vpc_id) return vpc_id.error();
    // Same-region Agents reach the endpoint inside one region; others need
    // cross-region endpoints or peering, which set up routing of their own.
    if (mode == Mode::same_region && region->value != endpoint.region) {
      return located_error(region->where, path + ".region",
                          fmt::format("is {}, but mode same-region serves Agent VPCs in {} only "
                                      "(use mode cross-region or peering)",
                                      region->value, endpoint.region));
    }
    if (mode == Mode::same_region) SIDECAR_TRY(check_same_region_agent(item, *vpc_id, endpoint, path));
    std::optional<std::string> profile;
    if (item.profile) profile = item.profile->value;
    auto subnets = finalize_agent_subnets(item, mode, path);
    if (!subnets) return subnets.error();
    if (std::any_of(vpcs.begin(), vpcs.end(), [&](const AgentVpc& seen) { return seen.vpc_id == vpc_id->value; })) {
      return located_error(vpc_id->where, path + ".vpc_id", fmt::format("{} is listed twice", vpc_id->value));
    }
    vpcs.push_back({region->value, vpc_id->value, profile, std::move(*subnets)});
  }
  return vpcs;
}

Expected<std::vector<aws::Tag>> finalize_tags(const RawProvisionConfig& raw) {
  std::vector<aws::Tag> tags;
  std::set<std::string> seen;
  for (const auto& tag : raw.tags) {
    const std::string path = "tags." + tag.value.key;
    // Our own tags find what provision created; a user value there would
    // make destroy delete, or miss, the wrong resources. `Name` is set per
    // resource, and `aws:` belongs to AWS; EC2 refuses a key given twice.
    if (tag.value.key.starts_with("privatelink-sidecar:")) {
      return located_error(tag.where, path, "the privatelink-sidecar: prefix is reserved");
    }
    if (tag.value.key == "Name") return located_error(tag.where, path, "is set by provision for each resource");
    if (tag.value.key.starts_with("aws:")) return located_error(tag.where, path, "the aws: prefix belongs to AWS");
    if (!seen.insert(tag.value.key).second) return located_error(tag.where, path, "is given twice");
    tags.push_back(tag.value);
  }
  return tags;
}

}  // namespace

const char* to_string(Mode mode) {
  switch (mode) {
    case Mode::same_region: return "same-region";
    case Mode::cross_region: return "cross-region";
    case Mode::peering: return "peering";
  }
  return "?";
}

std::vector<Placement> placements(const ProvisionConfig& config) {
  std::vector<Placement> result;
  if (config.mode != Mode::cross_region) {
    Placement placement{config.endpoint_vpc.region, config.endpoint_vpc.vpc_id, config.endpoint_vpc.subnet_ids,
                        std::nullopt, "endpoint_vpc", config.mode == Mode::same_region, std::nullopt, {}};
    for (const auto& agent : config.agent_vpcs) placement.admitted_vpc_ids.push_back(agent.vpc_id);
    result.push_back(std::move(placement));
    return result;
  }
  for (std::size_t index = 0; index < config.agent_vpcs.size(); ++index) {
    const AgentVpc& agent = config.agent_vpcs[index];
    std::optional<std::string> service_region;
    if (agent.region != config.site_region) service_region = config.site_region;
    result.push_back({agent.region, agent.vpc_id, agent.subnet_ids, agent.profile,
                      fmt::format("agent_vpcs[{}]", index), true, service_region, {agent.vpc_id}});
  }
  return result;
}

bool is_peered(const ProvisionConfig& config, const AgentVpc& agent) {
  return config.mode == Mode::peering && agent.vpc_id != config.endpoint_vpc.vpc_id;
}

Expected<RawProvisionConfig> parse_provision_config(const std::string& text, const std::string& file) {
  const YamlReader reader(file);
  auto root = reader.load(text);
  if (!root) return root.error();
  RawProvisionConfig raw;
  raw.file = file;
  SIDECAR_TRY(read_root(reader, *root, raw));
  return raw;
}

Expected<ProvisionConfig> finalize_provision_config(const RawProvisionConfig& raw, const RegionLookup& local_region) {
  ProvisionConfig config;
  config.file = raw.file;
  auto site = finalize_site(raw);
  if (!site) return site.error();
  config.site_domain = site->domain;
  config.site_label = site->label;
  config.site_region = site->aws_region;
  auto mode = finalize_mode(raw);
  if (!mode) return mode.error();
  config.mode = *mode;
  auto services = finalize_services(raw, *site);
  if (!services) return services.error();
  config.services = std::move(*services);
  auto endpoint = finalize_endpoint_vpc(raw, config.mode, config.site_region);
  if (!endpoint) return endpoint.error();
  config.endpoint_vpc = std::move(*endpoint);
  auto agents = finalize_agent_vpcs(raw, config.mode, config.endpoint_vpc, local_region);
  if (!agents) return agents.error();
  config.agent_vpcs = std::move(*agents);
  config.security_group_name = raw.security_group_name ? raw.security_group_name->value
                                                       : default_security_group_name;
  config.turn_on_vpc_dns = raw.turn_on_vpc_dns && raw.turn_on_vpc_dns->value;
  auto tags = finalize_tags(raw);
  if (!tags) return tags.error();
  config.extra_tags = std::move(*tags);
  return config;
}

Expected<ProvisionConfig> load_provision_config(const std::string& path, const RegionLookup& local_region) {
  std::ifstream input(path);
  if (!input) return Error{checks::ErrorCode::io, fmt::format("{}: cannot read the provision config", path)};
  std::stringstream text;
  text << input.rdbuf();
  auto raw = parse_provision_config(text.str(), path);
  if (!raw) return raw.error();
  return finalize_provision_config(*raw, local_region);
}

}  // namespace provision
