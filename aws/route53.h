#pragma once
// The Route 53 calls `provision` makes (REST-XML, API 2013-04-01, always
// signed for us-east-1). Ids are returned and taken without their
// "/hostedzone/" or "/change/" prefix. Wire shapes: aws-provision.md §1,3,4.
#include <optional>
#include <string>
#include <vector>

#include "aws/aws_call.h"
#include "aws/ec2.h"

namespace aws {

struct HostedZone {
  std::string id;  // "Z0123...", prefix stripped
  std::string name;  // with the trailing dot, as Route 53 returns it
  std::string caller_reference;
  std::string comment;
  bool private_zone = false;
  long record_count = 0;
};

// One private zone a VPC is associated with (ListHostedZonesByVPC), possibly
// owned by another account.
struct HostedZoneSummary {
  std::string id;    // prefix stripped
  std::string name;  // as Route 53 returns it
  // Empty when an AWS service owns the zone (Owner/OwningService instead).
  std::string owning_account;
  bool operator==(const HostedZoneSummary&) const = default;
};

struct ZoneVpc {
  std::string region;
  std::string vpc_id;
  bool operator==(const ZoneVpc&) const = default;
};

struct ChangeInfo {
  std::string id;      // prefix stripped
  std::string status;  // PENDING or INSYNC
  std::string submitted_at;
};

struct CreatedHostedZone {
  HostedZone zone;
  ChangeInfo change;
};

struct HostedZoneDetails {
  HostedZone zone;
  std::vector<ZoneVpc> vpcs;
};

struct AliasTarget {
  std::string hosted_zone_id;  // the endpoint's DnsEntries[0].hosted_zone_id
  std::string dns_name;        // the endpoint's DnsEntries[0].dns_name
  bool evaluate_target_health = false;
};

struct ResourceRecordSet {
  std::string name;
  std::string type;  // "A", "NS", ...
  std::optional<long> ttl;
  std::vector<std::string> values;
  std::optional<AliasTarget> alias;
};

enum class ChangeAction { create, upsert, remove };

struct RecordChange {
  ChangeAction action = ChangeAction::upsert;
  ResourceRecordSet record;
};

// Route 53 returns names with the trailing dot; callers write them without.
std::string without_trailing_dot(std::string name);
// Case-insensitive, trailing dot or not: "API.datadoghq.com." == "api.datadoghq.com".
bool same_dns_name(const std::string& left, const std::string& right);

// The record `provision` writes: `name` A -> alias of an interface endpoint.
ResourceRecordSet alias_a_record(const std::string& name, const DnsEntry& endpoint_dns);

class Route53Client {
 public:
  Route53Client(const AwsClient& client, ServiceEndpoint endpoint);

  // MaxItems for List* calls; 0 lets Route 53 choose. Small values test paging.
  void set_page_size(int page_size) { page_size_ = page_size; }

  // A private zone attached to `vpc`. `caller_reference` must be new for each
  // create (a reused one is HostedZoneAlreadyExists).
  Result<CreatedHostedZone> create_private_hosted_zone(const std::string& name,
                                                       const ZoneVpc& vpc,
                                                       const std::string& caller_reference,
                                                       const std::string& comment = {}) const;
  Result<HostedZoneDetails> get_hosted_zone(const std::string& zone_id) const;
  // All zones, following Marker / NextMarker.
  Result<std::vector<HostedZone>> list_hosted_zones() const;
  // The zones named exactly `dns_name` (several private zones may share a
  // name). Pages by NextDNSName / NextHostedZoneId and stops at the first
  // other name, since the listing is sorted by name.
  Result<std::vector<HostedZone>> list_hosted_zones_by_name(const std::string& dns_name) const;
  // The private zones of every account associated with `vpc`, paged by
  // NextToken. Only the VPC's owner may ask.
  Result<std::vector<HostedZoneSummary>> list_hosted_zones_by_vpc(const ZoneVpc& vpc) const;
  Result<ChangeInfo> delete_hosted_zone(const std::string& zone_id) const;

  Result<ChangeInfo> change_resource_record_sets(const std::string& zone_id,
                                                 const std::vector<RecordChange>& changes,
                                                 const std::string& comment = {}) const;
  // All record sets, paged by NextRecordName / NextRecordType.
  Result<std::vector<ResourceRecordSet>> list_resource_record_sets(
      const std::string& zone_id) const;
  Result<ChangeInfo> get_change(const std::string& change_id) const;

  Result<ChangeInfo> associate_vpc(const std::string& zone_id, const ZoneVpc& vpc,
                                   const std::string& comment = {}) const;
  Result<ChangeInfo> disassociate_vpc(const std::string& zone_id, const ZoneVpc& vpc,
                                      const std::string& comment = {}) const;
  Result<void> create_vpc_association_authorization(const std::string& zone_id,
                                                    const ZoneVpc& vpc) const;
  Result<void> delete_vpc_association_authorization(const std::string& zone_id,
                                                    const ZoneVpc& vpc) const;
  Result<std::vector<ZoneVpc>> list_vpc_association_authorizations(
      const std::string& zone_id) const;

  Result<void> change_tags_for_hosted_zone(const std::string& zone_id,
                                           const std::vector<Tag>& add_tags,
                                           const std::vector<std::string>& remove_keys = {}) const;
  Result<std::vector<Tag>> list_tags_for_hosted_zone(const std::string& zone_id) const;

 private:
  Result<pugi::xml_document> call(const std::string& operation, const std::string& method,
                                  const std::string& path, const QueryParameters& query = {},
                                  const std::string& body = {}) const;
  Result<ChangeInfo> vpc_change(const std::string& operation, const std::string& zone_id,
                                const std::string& action, const ZoneVpc& vpc,
                                const std::string& comment) const;
  void add_page_size(QueryParameters& query, const char* name) const;

  const AwsClient& client_;
  ServiceEndpoint endpoint_;
  int page_size_ = 0;
};

// Parsers and builders, public for tests.
HostedZone parse_hosted_zone(const pugi::xml_node& node);
HostedZoneSummary parse_hosted_zone_summary(const pugi::xml_node& node);
ChangeInfo parse_change_info(const pugi::xml_node& node);
ResourceRecordSet parse_resource_record_set(const pugi::xml_node& node);
std::string change_batch_xml(const std::vector<RecordChange>& changes, const std::string& comment);
// "/hostedzone/Z1" -> "Z1", "/change/C1" -> "C1", "Z1" -> "Z1".
std::string strip_id_prefix(const std::string& id);

}  // namespace aws
