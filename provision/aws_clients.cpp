#include "provision/aws_clients.h"

#include <fmt/format.h>

namespace provision {

AwsClients::AwsClients(aws::HttpFetcher fetch, aws::EnvironmentLookup environment,
                       std::optional<std::string> default_profile, aws::AwsClientOptions options,
                       aws::HttpFetcher instance_metadata)
    : fetch_(std::move(fetch)),
      environment_(std::move(environment)),
      default_profile_(std::move(default_profile)),
      options_(options),
      instance_metadata_(std::move(instance_metadata)) {}

std::optional<std::string> AwsClients::effective(const std::optional<std::string>& profile) const {
  return profile ? profile : default_profile_;
}

Expected<const aws::AwsClient*> AwsClients::client(const std::optional<std::string>& profile) {
  const std::string key = profile.value_or("");
  if (auto found = clients_.find(key); found != clients_.end()) return found->second.get();
  aws::CredentialOptions credential_options;
  credential_options.profile = profile;
  credential_options.instance_metadata = instance_metadata_;
  auto credentials = aws::resolve_credentials(environment_, credential_options);
  if (!credentials) {
    return credentials.error().with_prefix(
        profile ? fmt::format("AWS credentials (profile {}): ", *profile) : std::string("AWS credentials: "));
  }
  auto made = std::make_unique<aws::AwsClient>(fetch_, std::move(*credentials), options_);
  return clients_.emplace(key, std::move(made)).first->second.get();
}

Expected<const aws::Ec2Client*> AwsClients::ec2(const CallTarget& target) {
  const auto profile = effective(target.profile);
  const std::string key = profile.value_or("") + "@" + target.region;
  if (auto found = ec2_.find(key); found != ec2_.end()) return found->second.get();
  auto base = client(profile);
  if (!base) return base.error();
  auto endpoint = aws::resolve_endpoint(aws::Service::ec2, target.region, environment_);
  if (!endpoint) return endpoint.error();
  auto made = std::make_unique<aws::Ec2Client>(**base, std::move(*endpoint));
  return ec2_.emplace(key, std::move(made)).first->second.get();
}

Expected<const aws::Route53Client*> AwsClients::route53(const std::optional<std::string>& profile) {
  const auto chosen = effective(profile);
  const std::string key = chosen.value_or("");
  if (auto found = route53_.find(key); found != route53_.end()) return found->second.get();
  auto base = client(chosen);
  if (!base) return base.error();
  // Route 53 is global: signed for us-east-1 whatever the VPCs' regions.
  auto endpoint = aws::resolve_endpoint(aws::Service::route53, "us-east-1", environment_);
  if (!endpoint) return endpoint.error();
  auto made = std::make_unique<aws::Route53Client>(**base, std::move(*endpoint));
  return route53_.emplace(key, std::move(made)).first->second.get();
}

}  // namespace provision
