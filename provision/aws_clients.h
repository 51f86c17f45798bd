#pragma once
// The EC2 and Route 53 clients one provision run needs: one per account
// (profile) and region, made on first use. A run touches the endpoint VPC's
// account and region and, for cross-region or peering, the Agent VPCs'
// regions and accounts.
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "aws/aws_call.h"
#include "aws/credentials.h"
#include "aws/ec2.h"
#include "aws/http.h"
#include "aws/route53.h"
#include "provision/planner.h"

namespace provision {

class AwsClients {
 public:
  // `default_profile` serves targets without a profile (--profile, or the
  // default chain when it is empty too). `instance_metadata`: the last
  // resort of the chain on EC2 (the instance role); empty = not tried.
  AwsClients(aws::HttpFetcher fetch, aws::EnvironmentLookup environment, std::optional<std::string> default_profile,
             aws::AwsClientOptions options = {}, aws::HttpFetcher instance_metadata = {});

  // Errors name the profile and where the credentials were looked for, never
  // their values.
  Expected<const aws::Ec2Client*> ec2(const CallTarget& target);
  Expected<const aws::Route53Client*> route53(const std::optional<std::string>& profile);

 private:
  Expected<const aws::AwsClient*> client(const std::optional<std::string>& profile);
  std::optional<std::string> effective(const std::optional<std::string>& profile) const;

  aws::HttpFetcher fetch_;
  aws::EnvironmentLookup environment_;
  std::optional<std::string> default_profile_;
  aws::AwsClientOptions options_;
  aws::HttpFetcher instance_metadata_;
  std::map<std::string, std::unique_ptr<aws::AwsClient>> clients_;  // by profile ("" = default chain)
  std::map<std::string, std::unique_ptr<aws::Ec2Client>> ec2_;      // by profile + "@" + region
  std::map<std::string, std::unique_ptr<aws::Route53Client>> route53_;
};

}  // namespace provision
