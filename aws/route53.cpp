#include "aws/route53.h"

#include <fmt/format.h>

namespace aws {
namespace {

const char* action_name(ChangeAction action) {
  switch (action) {
    case ChangeAction::create:
      return "CREATE";
    case ChangeAction::upsert:
      return "UPSERT";
    case ChangeAction::remove:
      return "DELETE";
  }
  return "UPSERT";
}

// Ids go into the path; they are [A-Z0-9] in practice, encoded anyway.
std::string zone_path(const std::string& zone_id) {
  return "/hostedzone/" + uri_encode(strip_id_prefix(zone_id));
}

void append_text(pugi::xml_node parent, const char* name, const std::string& text) {
  parent.append_child(name).text().set(text.c_str());
}

pugi::xml_node request_root(pugi::xml_document& document, const char* name) {
  auto root = document.append_child(name);
  root.append_attribute("xmlns") = route53_xmlns;
  return root;
}

void append_vpc(pugi::xml_node parent, const ZoneVpc& vpc) {
  auto node = parent.append_child("VPC");
  append_text(node, "VPCRegion", vpc.region);
  append_text(node, "VPCId", vpc.vpc_id);
}

ZoneVpc parse_zone_vpc(const pugi::xml_node& node) {
  return ZoneVpc{child_text(node, "VPCRegion"), child_text(node, "VPCId")};
}

std::vector<ZoneVpc> parse_zone_vpcs(const pugi::xml_node& vpcs) {
  std::vector<ZoneVpc> result;
  for (const auto& vpc : vpcs.children("VPC")) result.push_back(parse_zone_vpc(vpc));
  return result;
}

// The continuation of listings paged by NextToken (sent back as nexttoken).
std::optional<QueryParameters> next_token_continuation(const pugi::xml_node& answer) {
  std::string next = child_text(answer, "NextToken");
  if (next.empty()) return std::nullopt;
  return QueryParameters{{"nexttoken", std::move(next)}};
}

void append_record_set(pugi::xml_node parent, const ResourceRecordSet& record) {
  auto node = parent.append_child("ResourceRecordSet");
  append_text(node, "Name", record.name);
  append_text(node, "Type", record.type);
  if (record.alias) {
    auto alias = node.append_child("AliasTarget");
    append_text(alias, "HostedZoneId", record.alias->hosted_zone_id);
    append_text(alias, "DNSName", record.alias->dns_name);
    append_text(alias, "EvaluateTargetHealth", record.alias->evaluate_target_health ? "true" : "false");
    return;  // an alias carries neither TTL nor records
  }
  if (record.ttl) append_text(node, "TTL", std::to_string(*record.ttl));
  auto values = node.append_child("ResourceRecords");
  for (const auto& value : record.values) append_text(values.append_child("ResourceRecord"), "Value", value);
}

}  // namespace

std::string strip_id_prefix(const std::string& id) {
  const auto slash = id.rfind('/');
  return slash == std::string::npos ? id : id.substr(slash + 1);
}

ResourceRecordSet alias_a_record(const std::string& name, const DnsEntry& endpoint_dns) {
  ResourceRecordSet record;
  record.name = name;
  record.type = "A";
  // EvaluateTargetHealth brings nothing for interface endpoints (model docs).
  record.alias = AliasTarget{endpoint_dns.hosted_zone_id, endpoint_dns.dns_name, false};
  return record;
}

HostedZone parse_hosted_zone(const pugi::xml_node& node) {
  HostedZone zone;
  zone.id = strip_id_prefix(child_text(node, "Id"));
  zone.name = child_text(node, "Name");
  zone.caller_reference = child_text(node, "CallerReference");
  zone.comment = child_text(node.child("Config"), "Comment");
  zone.private_zone = child_bool(node.child("Config"), "PrivateZone");
  zone.record_count = node.child("ResourceRecordSetCount").text().as_llong();
  return zone;
}

HostedZoneSummary parse_hosted_zone_summary(const pugi::xml_node& node) {
  return HostedZoneSummary{strip_id_prefix(child_text(node, "HostedZoneId")),
                           child_text(node, "Name"),
                           child_text(node.child("Owner"), "OwningAccount")};
}

ChangeInfo parse_change_info(const pugi::xml_node& node) {
  return ChangeInfo{strip_id_prefix(child_text(node, "Id")), child_text(node, "Status"),
                    child_text(node, "SubmittedAt")};
}

ResourceRecordSet parse_resource_record_set(const pugi::xml_node& node) {
  ResourceRecordSet record;
  record.name = child_text(node, "Name");
  record.type = child_text(node, "Type");
  if (const auto ttl = node.child("TTL")) record.ttl = ttl.text().as_llong();
  for (const auto& value : node.child("ResourceRecords").children("ResourceRecord")) {
    record.values.push_back(child_text(value, "Value"));
  }
  if (const auto alias = node.child("AliasTarget")) {
    record.alias = AliasTarget{child_text(alias, "HostedZoneId"), child_text(alias, "DNSName"),
                               child_bool(alias, "EvaluateTargetHealth")};
  }
  return record;
}

std::string change_batch_xml(const std::vector<RecordChange>& changes,
                             const std::string& comment) {
  pugi::xml_document document;
  auto batch = request_root(document, "ChangeResourceRecordSetsRequest").append_child("ChangeBatch");
  if (!comment.empty()) append_text(batch, "Comment", comment);
  auto list = batch.append_child("Changes");
  for (const auto& change : changes) {
    auto node = list.append_child("Change");
    append_text(node, "Action", action_name(change.action));
    append_record_set(node, change.record);
  }
  return to_xml_string(document);
}

// ---------------------------------------------------------------- client

Route53Client::Route53Client(const AwsClient& client, ServiceEndpoint endpoint)
    : client_(client), endpoint_(std::move(endpoint)) {}

Result<pugi::xml_document> Route53Client::call(const std::string& operation,
                                               const std::string& method, const std::string& path,
                                               const QueryParameters& query,
                                               const std::string& body) const {
  return client_.call_route53(endpoint_, operation, method, path, query, body);
}

void Route53Client::add_page_size(QueryParameters& query, const char* name) const {
  if (page_size_ > 0) query.emplace(name, std::to_string(page_size_));
}

Result<CreatedHostedZone> Route53Client::create_private_hosted_zone(
    const std::string& name, const ZoneVpc& vpc, const std::string& caller_reference,
    const std::string& comment) const {
  pugi::xml_document request;
  auto root = request_root(request, "CreateHostedZoneRequest");
  append_text(root, "Name", name);
  append_text(root, "CallerReference", caller_reference);
  append_vpc(root, vpc);
  auto config = root.append_child("HostedZoneConfig");
  if (!comment.empty()) append_text(config, "Comment", comment);
  append_text(config, "PrivateZone", "true");
  auto document = call("CreateHostedZone", "POST", "/hostedzone", {}, to_xml_string(request));
  if (!document) return document.failure();
  const auto answer = document->document_element();
  return CreatedHostedZone{parse_hosted_zone(answer.child("HostedZone")),
                           parse_change_info(answer.child("ChangeInfo"))};
}

Result<HostedZoneDetails> Route53Client::get_hosted_zone(const std::string& zone_id) const {
  auto document = call("GetHostedZone", "GET", zone_path(zone_id));
  if (!document) return document.failure();
  const auto answer = document->document_element();
  return HostedZoneDetails{parse_hosted_zone(answer.child("HostedZone")),
                           parse_zone_vpcs(answer.child("VPCs"))};
}

Result<std::vector<HostedZone>> Route53Client::list_hosted_zones() const {
  std::vector<HostedZone> zones;
  auto paged = paginate([&](const QueryParameters& continuation)
                            -> Result<std::optional<QueryParameters>> {
    QueryParameters query = continuation;
    add_page_size(query, "maxitems");
    auto document = call("ListHostedZones", "GET", "/hostedzone", query);
    if (!document) return document.failure();
    const auto answer = document->document_element();
    for (const auto& zone : answer.child("HostedZones").children("HostedZone")) {
      zones.push_back(parse_hosted_zone(zone));
    }
    if (!child_bool(answer, "IsTruncated")) return std::optional<QueryParameters>();
    return std::optional<QueryParameters>(
        QueryParameters{{"marker", child_text(answer, "NextMarker")}});
  });
  if (!paged) return paged.failure();
  return zones;
}

Result<std::vector<HostedZone>> Route53Client::list_hosted_zones_by_name(
    const std::string& dns_name) const {
  std::vector<HostedZone> zones;
  auto paged = paginate([&](const QueryParameters& continuation)
                            -> Result<std::optional<QueryParameters>> {
    QueryParameters query = continuation.empty() ? QueryParameters{{"dnsname", dns_name}}
                                                 : continuation;
    add_page_size(query, "maxitems");
    auto document = call("ListHostedZonesByName", "GET", "/hostedzonesbyname", query);
    if (!document) return document.failure();
    const auto answer = document->document_element();
    for (const auto& node : answer.child("HostedZones").children("HostedZone")) {
      HostedZone zone = parse_hosted_zone(node);
      if (!same_dns_name(zone.name, dns_name)) return std::optional<QueryParameters>();
      zones.push_back(std::move(zone));
    }
    if (!child_bool(answer, "IsTruncated")) return std::optional<QueryParameters>();
    return std::optional<QueryParameters>(
        QueryParameters{{"dnsname", child_text(answer, "NextDNSName")},
                        {"hostedzoneid", child_text(answer, "NextHostedZoneId")}});
  });
  if (!paged) return paged.failure();
  return zones;
}

Result<std::vector<HostedZoneSummary>> Route53Client::list_hosted_zones_by_vpc(
    const ZoneVpc& vpc) const {
  std::vector<HostedZoneSummary> zones;
  auto paged = paginate([&](const QueryParameters& continuation)
                            -> Result<std::optional<QueryParameters>> {
    QueryParameters query = continuation;
    query.emplace("vpcid", vpc.vpc_id);
    query.emplace("vpcregion", vpc.region);
    add_page_size(query, "maxitems");
    auto document = call("ListHostedZonesByVPC", "GET", "/hostedzonesbyvpc", query);
    if (!document) return document.failure();
    const auto answer = document->document_element();
    for (const auto& node : answer.child("HostedZoneSummaries").children("HostedZoneSummary")) {
      zones.push_back(parse_hosted_zone_summary(node));
    }
    return next_token_continuation(answer);
  });
  if (!paged) return paged.failure();
  return zones;
}

Result<ChangeInfo> Route53Client::delete_hosted_zone(const std::string& zone_id) const {
  auto document = call("DeleteHostedZone", "DELETE", zone_path(zone_id));
  if (!document) return document.failure();
  return parse_change_info(document->document_element().child("ChangeInfo"));
}

Result<ChangeInfo> Route53Client::change_resource_record_sets(
    const std::string& zone_id, const std::vector<RecordChange>& changes,
    const std::string& comment) const {
  // The model's URI ends in "rrset/"; the trailing slash is part of it.
  auto document = call("ChangeResourceRecordSets", "POST", zone_path(zone_id) + "/rrset/", {},
                       change_batch_xml(changes, comment));
  if (!document) return document.failure();
  return parse_change_info(document->document_element().child("ChangeInfo"));
}

Result<std::vector<ResourceRecordSet>> Route53Client::list_resource_record_sets(
    const std::string& zone_id) const {
  std::vector<ResourceRecordSet> records;
  auto paged = paginate([&](const QueryParameters& continuation)
                            -> Result<std::optional<QueryParameters>> {
    QueryParameters query = continuation;
    add_page_size(query, "maxitems");
    auto document = call("ListResourceRecordSets", "GET", zone_path(zone_id) + "/rrset", query);
    if (!document) return document.failure();
    const auto answer = document->document_element();
    for (const auto& node : answer.child("ResourceRecordSets").children("ResourceRecordSet")) {
      records.push_back(parse_resource_record_set(node));
    }
    if (!child_bool(answer, "IsTruncated")) return std::optional<QueryParameters>();
    QueryParameters next{{"name", child_text(answer, "NextRecordName")},
                         {"type", child_text(answer, "NextRecordType")}};
    if (auto identifier = child_text(answer, "NextRecordIdentifier"); !identifier.empty()) {
      next.emplace("identifier", std::move(identifier));
    }
    return std::optional<QueryParameters>(std::move(next));
  });
  if (!paged) return paged.failure();
  return records;
}

Result<ChangeInfo> Route53Client::get_change(const std::string& change_id) const {
  auto document = call("GetChange", "GET", "/change/" + uri_encode(strip_id_prefix(change_id)));
  if (!document) return document.failure();
  return parse_change_info(document->document_element().child("ChangeInfo"));
}

Result<ChangeInfo> Route53Client::vpc_change(const std::string& operation,
                                             const std::string& zone_id,
                                             const std::string& action, const ZoneVpc& vpc,
                                             const std::string& comment) const {
  pugi::xml_document request;
  auto root = request_root(request, (operation + "Request").c_str());
  append_vpc(root, vpc);
  if (!comment.empty()) append_text(root, "Comment", comment);
  auto document =
      call(operation, "POST", zone_path(zone_id) + "/" + action, {}, to_xml_string(request));
  if (!document) return document.failure();
  return parse_change_info(document->document_element().child("ChangeInfo"));
}

Result<ChangeInfo> Route53Client::associate_vpc(const std::string& zone_id, const ZoneVpc& vpc,
                                                const std::string& comment) const {
  return vpc_change("AssociateVPCWithHostedZone", zone_id, "associatevpc", vpc, comment);
}

Result<ChangeInfo> Route53Client::disassociate_vpc(const std::string& zone_id, const ZoneVpc& vpc,
                                                   const std::string& comment) const {
  return vpc_change("DisassociateVPCFromHostedZone", zone_id, "disassociatevpc", vpc, comment);
}

Result<void> Route53Client::create_vpc_association_authorization(const std::string& zone_id,
                                                                 const ZoneVpc& vpc) const {
  auto change = vpc_change("CreateVPCAssociationAuthorization", zone_id,
                           "authorizevpcassociation", vpc, {});
  if (!change) return change.failure();
  return {};
}

Result<void> Route53Client::delete_vpc_association_authorization(const std::string& zone_id,
                                                                 const ZoneVpc& vpc) const {
  auto change = vpc_change("DeleteVPCAssociationAuthorization", zone_id,
                           "deauthorizevpcassociation", vpc, {});
  if (!change) return change.failure();
  return {};
}

Result<std::vector<ZoneVpc>> Route53Client::list_vpc_association_authorizations(
    const std::string& zone_id) const {
  std::vector<ZoneVpc> vpcs;
  auto paged = paginate([&](const QueryParameters& continuation)
                            -> Result<std::optional<QueryParameters>> {
    QueryParameters query = continuation;
    add_page_size(query, "maxresults");
    auto document = call("ListVPCAssociationAuthorizations", "GET",
                         zone_path(zone_id) + "/authorizevpcassociation", query);
    if (!document) return document.failure();
    const auto answer = document->document_element();
    for (auto& vpc : parse_zone_vpcs(answer.child("VPCs"))) vpcs.push_back(std::move(vpc));
    return next_token_continuation(answer);
  });
  if (!paged) return paged.failure();
  return vpcs;
}

Result<void> Route53Client::change_tags_for_hosted_zone(
    const std::string& zone_id, const std::vector<Tag>& add_tags,
    const std::vector<std::string>& remove_keys) const {
  pugi::xml_document request;
  auto root = request_root(request, "ChangeTagsForResourceRequest");
  if (!add_tags.empty()) {
    auto tags = root.append_child("AddTags");
    for (const auto& tag : add_tags) {
      auto node = tags.append_child("Tag");
      append_text(node, "Key", tag.key);
      append_text(node, "Value", tag.value);
    }
  }
  if (!remove_keys.empty()) {
    auto keys = root.append_child("RemoveTagKeys");
    for (const auto& key : remove_keys) append_text(keys, "Key", key);
  }
  auto document = call("ChangeTagsForResource", "POST",
                       "/tags/hostedzone/" + uri_encode(strip_id_prefix(zone_id)), {},
                       to_xml_string(request));
  if (!document) return document.failure();
  return {};
}

Result<std::vector<Tag>> Route53Client::list_tags_for_hosted_zone(
    const std::string& zone_id) const {
  auto document =
      call("ListTagsForResource", "GET", "/tags/hostedzone/" + uri_encode(strip_id_prefix(zone_id)));
  if (!document) return document.failure();
  std::vector<Tag> tags;
  const auto tag_set = document->document_element().child("ResourceTagSet").child("Tags");
  for (const auto& tag : tag_set.children("Tag")) {
    tags.push_back(Tag{child_text(tag, "Key"), child_text(tag, "Value")});
  }
  return tags;
}

std::string without_trailing_dot(std::string name) {
  if (!name.empty() && name.back() == '.') name.pop_back();
  return name;
}

bool same_dns_name(const std::string& left, const std::string& right) {
  return same_error_code(without_trailing_dot(left), without_trailing_dot(right));
}

}  // namespace aws
