#include "aws/sigv4.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "aws/crypto.h"

namespace aws {
namespace {

constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";

Error invalid(std::string message) {
  return Error{ErrorCode::invalid_argument, std::move(message)};
}

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

std::string lowercase(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return lower;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 1;  // path[0] is the leading '/'
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    segments.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

// RFC 3986 §5.2.4 dot-segment removal plus collapsing of empty segments
// ("//"), keeping a trailing slash, as botocore and aws-c-auth do.
std::vector<std::string_view> normalized_segments(std::string_view path) {
  std::vector<std::string_view> kept;
  for (const std::string_view segment : split_path(path)) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
      continue;
    }
    kept.push_back(segment);
  }
  return kept;
}

// "value  with   runs " -> "value with runs": trimmed, inner runs of blanks
// collapsed to one space (the SigV4 "Trimall").
std::string trim_all(std::string_view value) {
  std::string result;
  bool pending_space = false;
  for (const char c : value) {
    if (c == ' ' || c == '\t') {
      pending_space = !result.empty();
      continue;
    }
    if (pending_space) result.push_back(' ');
    pending_space = false;
    result.push_back(c);
  }
  return result;
}

bool is_reserved_header(std::string_view lower_name) {
  return lower_name == "authorization" || lower_name == "x-amz-date" ||
         lower_name == "x-amz-security-token" || lower_name == "x-amz-content-sha256";
}

Expected<void> check_header(const Header& header) {
  const auto& [name, value] = header;
  if (name.empty() || name.find_first_of(" \t:\r\n") != std::string::npos) {
    return invalid(fmt::format("invalid header name '{}'", name));
  }
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
    return invalid(fmt::format("header {} contains CR, LF or NUL", name));
  }
  if (is_reserved_header(lowercase(name))) {
    return invalid(fmt::format("header {} is set by the signer; do not pass it", name));
  }
  return {};
}

// Lowercased name -> values joined with ',' in request order; std::map gives
// the sorted order the canonical request needs.
using CanonicalHeaders = std::map<std::string, std::string>;

Expected<CanonicalHeaders> canonical_headers(const HeaderList& headers) {
  CanonicalHeaders canonical;
  for (const Header& header : headers) {
    if (auto valid = check_header(header); !valid) return valid.error();
    auto [entry, inserted] = canonical.try_emplace(lowercase(header.first));
    if (!inserted) entry->second.push_back(',');
    entry->second += trim_all(header.second);
  }
  if (canonical.count("host") == 0) return invalid("the request has no Host header");
  return canonical;
}

Expected<void> check_inputs(const SigningRequest& request, const Credentials& credentials,
                            const SigningScope& scope) {
  if (request.method.empty()) return invalid("empty HTTP method");
  if (!request.path.empty() && request.path.front() != '/') {
    return invalid(fmt::format("path '{}' does not start with '/'", request.path));
  }
  for (const std::string* part : {&scope.region, &scope.service}) {
    if (part->empty() || part->find_first_of("/ \n") != std::string::npos) {
      return invalid(fmt::format("invalid signing scope {}/{}", scope.region, scope.service));
    }
  }
  if (credentials.access_key_id().empty() || credentials.secret_access_key().empty()) {
    return invalid("credentials have an empty access key id or secret");
  }
  return {};
}

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
std::string signing_key(const SecretString& secret, std::string_view date,
                        const SigningScope& scope) {
  std::string key = "AWS4" + secret.reveal();
  std::string date_key = hmac_sha256(key, date);
  std::string region_key = hmac_sha256(date_key, scope.region);
  std::string service_key = hmac_sha256(region_key, scope.service);
  std::string final_key = hmac_sha256(service_key, "aws4_request");
  for (std::string* intermediate : {&key, &date_key, &region_key, &service_key})
    wipe(*intermediate);
  return final_key;
}

std::string build_canonical_request(const SigningRequest& request, const CanonicalHeaders& headers,
                                    std::string_view signed_headers, std::string_view payload_hash,
                                    const SigningOptions& options) {
  std::string text = fmt::format("{}\n{}\n{}\n", request.method,
                                 canonical_uri(request.path, options.normalize_path),
                                 canonical_query_string(request.query));
  for (const auto& [name, value] : headers) text += fmt::format("{}:{}\n", name, value);
  text += fmt::format("\n{}\n{}", signed_headers, payload_hash);
  return text;
}

std::string join_names(const CanonicalHeaders& headers) {
  std::string names;
  for (const auto& entry : headers) {
    if (!names.empty()) names.push_back(';');
    names += entry.first;
  }
  return names;
}

// The headers the signer owns: sent by the caller (headers_to_add) and, except
// an unsigned session token, part of the canonical request.
void add_signer_headers(const Credentials& credentials, const std::string& payload_hash,
                        const SigningOptions& options, CanonicalHeaders& headers,
                        SignedRequest& signed_request) {
  signed_request.headers_to_add.emplace_back("X-Amz-Date", signed_request.amz_date);
  headers["x-amz-date"] = signed_request.amz_date;
  if (credentials.has_session_token()) {
    const std::string& token = credentials.session_token().reveal();
    signed_request.headers_to_add.emplace_back("X-Amz-Security-Token", token);
    if (options.sign_session_token) headers["x-amz-security-token"] = token;
  }
  if (options.add_content_sha256_header) {
    signed_request.headers_to_add.emplace_back("X-Amz-Content-Sha256", payload_hash);
    headers["x-amz-content-sha256"] = payload_hash;
  }
}

}  // namespace

Clock system_clock() {
  return [] { return std::chrono::system_clock::now(); };
}

std::string uri_encode(std::string_view text) {
  std::string encoded;
  encoded.reserve(text.size());
  for (const char c : text) {
    if (is_unreserved(c)) {
      encoded.push_back(c);
    } else {
      encoded += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return encoded;
}

std::string canonical_uri(std::string_view wire_path, bool normalize) {
  if (wire_path.empty()) return "/";
  const bool trailing_slash = wire_path.size() > 1 && wire_path.back() == '/';
  const auto segments = normalize ? normalized_segments(wire_path) : split_path(wire_path);
  std::string uri;
  for (const std::string_view segment : segments) uri += "/" + uri_encode(segment);
  // Normalising drops the empty segment that a trailing '/' leaves; put it back.
  if (normalize && trailing_slash && !segments.empty()) uri.push_back('/');
  return uri.empty() ? "/" : uri;
}

std::string canonical_query_string(const QueryParameters& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) encoded.emplace_back(uri_encode(name), uri_encode(value));
  std::sort(encoded.begin(), encoded.end());
  std::string text;
  for (const auto& [name, value] : encoded) {
    if (!text.empty()) text.push_back('&');
    text += name + "=" + value;
  }
  return text;
}

Expected<SignedRequest> Signer::sign(const SigningRequest& request, const Credentials& credentials,
                                     const SigningScope& scope,
                                     const SigningOptions& options) const {
  if (auto valid = check_inputs(request, credentials, scope); !valid) return valid.error();
  auto headers = canonical_headers(request.headers);
  if (!headers) return headers.error();

  SignedRequest signed_request;
  signed_request.amz_date = amz_date(clock_());
  const std::string date = signed_request.amz_date.substr(0, 8);
  signed_request.scope = fmt::format("{}/{}/{}/aws4_request", date, scope.region, scope.service);
  const std::string payload_hash = request.payload_sha256_hex.value_or(sha256_hex(request.payload));
  add_signer_headers(credentials, payload_hash, options, *headers, signed_request);

  signed_request.signed_headers = join_names(*headers);
  signed_request.canonical_request = build_canonical_request(
      request, *headers, signed_request.signed_headers, payload_hash, options);
  signed_request.string_to_sign =
      fmt::format("{}\n{}\n{}\n{}", algorithm, signed_request.amz_date, signed_request.scope,
                  sha256_hex(signed_request.canonical_request));
  std::string key = signing_key(credentials.secret_access_key(), date, scope);
  signed_request.signature = to_hex(hmac_sha256(key, signed_request.string_to_sign));
  wipe(key);
  signed_request.authorization = fmt::format(
      "{} Credential={}/{}, SignedHeaders={}, Signature={}", algorithm, credentials.access_key_id(),
      signed_request.scope, signed_request.signed_headers, signed_request.signature);
  signed_request.headers_to_add.emplace_back("Authorization", signed_request.authorization);
  return signed_request;
}

}  // namespace aws
