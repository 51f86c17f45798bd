#include "provision/executor.h"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <set>

#include "provision/service_catalog.h"
#include "provision/state_reader.h"

namespace provision {
namespace {

bool is_available(const std::string& state) { return strcasecmp(state.c_str(), "available") == 0; }

Error apply_error(const std::string& what, const Error& cause) {
  return cause.with_prefix(what + ": ");
}

class Executor {
 public:
  Executor(const ProvisionConfig& config, const aws::Ec2Client& ec2, const ApplyOptions& options)
      : config_(config), ec2_(ec2), options_(options) {}

  Expected<ApplyReport> run(const Plan& plan) {
    for (const Action& action : plan.actions) {
      auto done = run_action(action);
      if (!done) return apply_error(action.description, done.error());
      report_.done.push_back(action.description);
      options_.progress("done: " + action.description);
    }
    if (auto waited = wait_until_available(); !waited) return waited.error();
    return report_;
  }

 private:
  Expected<void> run_action(const Action& action) {
    switch (action.kind) {
      case ActionKind::create_security_group: return create_security_group(action);
      case ActionKind::authorize_ingress: return authorize_ingress(action);
      case ActionKind::create_endpoint: return create_endpoint(action);
    }
    return Error{checks::ErrorCode::internal, "unknown action"};
  }

  std::string group_id(const Action& action) const {
    return action.security_group_id.empty() ? report_.security_group_id : action.security_group_id;
  }

  Expected<void> create_security_group(const Action& action) {
    auto created = ec2_.create_security_group(
        config_.security_group_name, "Datadog PrivateLink endpoints (privatelink-sidecar)",
        config_.endpoint_vpc.vpc_id, action.tags);
    if (created) {
      report_.security_group_id = *created;
      return {};
    }
    // Made by an earlier apply whose answer was lost: adopt it.
    if (!created.is_aws_error("InvalidGroup.Duplicate")) return created.error();
    return adopt_security_group();
  }

  Expected<void> adopt_security_group() {
    auto groups = ec2_.describe_security_groups(
        {}, {{"vpc-id", {config_.endpoint_vpc.vpc_id}}, {"group-name", {config_.security_group_name}}});
    if (!groups) return groups.error();
    if (groups->empty()) {
      return Error{checks::ErrorCode::internal, "EC2 says the group exists but does not list it"};
    }
    report_.security_group_id = groups->front().id;
    return {};
  }

  Expected<void> authorize_ingress(const Action& action) {
    auto outcome = ec2_.authorize_tcp_ingress(group_id(action), https_port, action.cidrs);
    if (!outcome) return outcome.error();
    return {};
  }

  Expected<void> create_endpoint(const Action& action) {
    aws::CreateVpcEndpointRequest request;
    request.vpc_id = config_.endpoint_vpc.vpc_id;
    request.service_name = action.service.service_name;
    request.subnet_ids = action.subnet_ids;
    request.security_group_ids = {group_id(action)};
    request.private_dns_enabled = true;
    request.tags = action.tags;
    request.client_token = endpoint_client_token(group_id(action), action.service.service_name);
    auto created = ec2_.create_vpc_endpoint(request);
    if (!created) return created.error();
    options_.progress(fmt::format("{} for {}: {}", created->id, action.service.short_name, created->state));
    return {};
  }

  // Every configured service's live endpoint, by service name.
  Expected<std::vector<aws::VpcEndpoint>> configured_endpoints() const {
    auto endpoints = ec2_.describe_vpc_endpoints({}, {{"vpc-id", {config_.endpoint_vpc.vpc_id}}});
    if (!endpoints) return endpoints.error();
    std::vector<aws::VpcEndpoint> wanted;
    for (auto& endpoint : *endpoints) {
      const bool configured = std::any_of(config_.services.begin(), config_.services.end(), [&](const auto& service) {
        return service.service_name == endpoint.service_name;
      });
      if (configured && !is_dead_endpoint_state(endpoint.state)) wanted.push_back(std::move(endpoint));
    }
    return wanted;
  }

  Expected<void> wait_until_available() {
    std::chrono::milliseconds waited{0};
    while (true) {
      auto endpoints = configured_endpoints();
      if (!endpoints) return apply_error("waiting for the endpoints", endpoints.error());
      std::vector<std::string> pending;
      report_.endpoint_ids.clear();
      for (const auto& endpoint : *endpoints) {
        report_.endpoint_ids.push_back(endpoint.id);
        if (!is_available(endpoint.state)) pending.push_back(fmt::format("{} ({})", endpoint.id, endpoint.state));
      }
      if (pending.empty()) return {};
      if (waited >= options_.wait_limit) {
        return Error{checks::ErrorCode::io,
                     fmt::format("endpoints still not available after {} s: {}; run apply again to keep waiting",
                                 waited.count() / 1000, fmt::join(pending, ", "))};
      }
      options_.progress(fmt::format("waiting for {} endpoint(s) to become available ({} s): {}", pending.size(),
                                    waited.count() / 1000, fmt::join(pending, ", ")));
      options_.sleep(options_.poll_interval);
      waited += options_.poll_interval;
    }
  }

  const ProvisionConfig& config_;
  const aws::Ec2Client& ec2_;
  const ApplyOptions& options_;
  ApplyReport report_;
};

// ---------------------------------------------------------------- verify

class Verifier {
 public:
  Verifier(const ProvisionConfig& config, const ObservedState& state) : config_(config), state_(state) {}

  Checklist run() {
    check_vpc();
    for (const auto& service : config_.services) check_service(service);
    check_ingress();
    return std::move(list_);
  }

 private:
  void item(std::string name, bool ok, std::string detail = {}) {
    list_.items.push_back({std::move(name), ok, std::move(detail)});
  }

  void check_vpc() {
    const auto& vpc = state_.endpoint_vpc;
    const std::string& id = config_.endpoint_vpc.vpc_id;
    item(fmt::format("VPC {} exists", id), vpc.has_value());
    if (!vpc) return;
    item(fmt::format("VPC {} has enableDnsSupport on", id), vpc->dns_support);
    item(fmt::format("VPC {} has enableDnsHostnames on", id), vpc->dns_hostnames);
  }

  std::string zone_of(const std::string& subnet_id) const {
    for (const auto& subnet : state_.subnets) {
      if (subnet.id == subnet_id) return subnet.availability_zone;
    }
    return {};
  }

  void check_service(const ServiceChoice& service) {
    const auto found = std::find_if(state_.endpoints.begin(), state_.endpoints.end(),
                                    [&](const auto& endpoint) { return endpoint.service_name == service.service_name; });
    const std::string label = fmt::format("endpoint for {}", service.short_name);
    if (found == state_.endpoints.end()) {
      item(label + " exists", false, service.service_name);
      return;
    }
    item(label + " is available", is_available(found->state), fmt::format("{} is {}", found->id, found->state));
    item(label + " has private DNS on", found->private_dns_enabled, found->id);
    check_zones(label, *found);
    check_group(label, *found);
  }

  void check_zones(const std::string& label, const aws::VpcEndpoint& endpoint) {
    std::set<std::string> covered;
    for (const auto& id : endpoint.subnet_ids) covered.insert(zone_of(id));
    for (const auto& id : config_.endpoint_vpc.subnet_ids) {
      const std::string zone = zone_of(id);
      item(fmt::format("{} has a subnet in {}", label, zone.empty() ? id : zone), !zone.empty() && covered.contains(zone),
           endpoint.id);
    }
  }

  void check_group(const std::string& label, const aws::VpcEndpoint& endpoint) {
    const auto& group = state_.security_group;
    const bool attached = group && std::any_of(endpoint.groups.begin(), endpoint.groups.end(),
                                               [&](const auto& ref) { return ref.group_id == group->id; });
    item(fmt::format("{} uses security group {}", label, config_.security_group_name), attached, endpoint.id);
  }

  void check_ingress() {
    const auto& group = state_.security_group;
    const auto cidrs = agent_cidrs(config_, state_);
    if (!group) {
      item(fmt::format("security group {} exists", config_.security_group_name), false);
      return;
    }
    const auto missing = missing_ingress(*group, cidrs);
    for (const auto& cidr : cidrs) {
      const bool admitted = std::find(missing.begin(), missing.end(), cidr) == missing.end();
      item(fmt::format("security group {} admits tcp/{} from {}", group->name, https_port, cidr), admitted, group->id);
    }
  }

  const ProvisionConfig& config_;
  const ObservedState& state_;
  Checklist list_;
};

}  // namespace

Expected<ApplyReport> apply_plan(const ProvisionConfig& config, const Plan& plan, const aws::Ec2Client& ec2,
                                 const ApplyOptions& options) {
  if (!plan.ok()) {
    return Error{checks::ErrorCode::config,
                 fmt::format("the plan has {} problem(s); fix them and run plan again", plan.problems.size())};
  }
  return Executor(config, ec2, options).run(plan);
}

bool Checklist::ok() const {
  return std::all_of(items.begin(), items.end(), [](const CheckItem& item) { return item.ok; });
}

Checklist verify_same_region(const ProvisionConfig& config, const ObservedState& state) {
  return Verifier(config, state).run();
}

std::string endpoint_client_token(const std::string& security_group_id, const std::string& service_name) {
  // sg-<17 hex> + vpce-svc-<17 hex> + "pls--" = 50 characters.
  return fmt::format("pls-{}-{}", security_group_id, service_id(service_name)).substr(0, 64);
}

}  // namespace provision
