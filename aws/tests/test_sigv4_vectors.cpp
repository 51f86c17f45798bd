// The AWS SigV4 test suite (aws-c-auth's copy, see vectors/README.md): every
// case signs request.txt and must reproduce the canonical request, the
// string to sign, the signature and the Authorization line byte for byte.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "aws/sigv4.h"

namespace aws {
namespace {

const std::filesystem::path vectors_dir = AWS_SIGV4_VECTORS_DIR;

// Every case in vectors/v4 must be listed here; a case that we cannot sign
// would go to a skip list with its reason (README.md), but none is needed.
const std::vector<std::string> covered_cases = {
    "get-header-key-duplicate",
    "get-header-value-multiline",
    "get-header-value-order",
    "get-header-value-trim",
    "get-relative-normalized",
    "get-relative-relative-normalized",
    "get-relative-relative-unnormalized",
    "get-relative-unnormalized",
    "get-slash-dot-slash-normalized",
    "get-slash-dot-slash-unnormalized",
    "get-slash-normalized",
    "get-slash-pointless-dot-normalized",
    "get-slash-pointless-dot-unnormalized",
    "get-slash-unnormalized",
    "get-slashes-normalized",
    "get-slashes-unnormalized",
    "get-space-normalized",
    "get-space-unnormalized",
    "get-unreserved",
    "get-utf8",
    "get-vanilla",
    "get-vanilla-empty-query-key",
    "get-vanilla-query",
    "get-vanilla-query-order-encoded",
    "get-vanilla-query-order-key-case",
    "get-vanilla-query-unreserved",
    "get-vanilla-utf8-query",
    "get-vanilla-with-session-token",
    "post-header-key-case",
    "post-header-key-sort",
    "post-header-value-case",
    "post-sts-header-after",
    "post-sts-header-before",
    "post-vanilla",
    "post-vanilla-empty-query-value",
    "post-vanilla-query",
    "post-x-www-form-urlencoded",
    "post-x-www-form-urlencoded-parameters",
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  EXPECT_TRUE(stream) << "cannot read " << path;
  std::ostringstream content;
  content << stream.rdbuf();
  return content.str();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The suite writes query strings as they would appear on the wire; the
// signer takes plain text, so undo the percent-encoding.
std::string percent_decode(std::string_view text) {
  std::string decoded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      decoded.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      decoded.push_back(text[i]);
    }
  }
  return decoded;
}

QueryParameters parse_query(std::string_view query) {
  QueryParameters parameters;
  while (!query.empty()) {
    const auto end = std::min(query.find('&'), query.size());
    const std::string_view pair = query.substr(0, end);
    const auto equals = pair.find('=');
    parameters.emplace(
        percent_decode(pair.substr(0, equals)),
        equals == std::string_view::npos ? "" : percent_decode(pair.substr(equals + 1)));
    query.remove_prefix(std::min(end + 1, query.size()));
  }
  return parameters;
}

// "GET /a b/?x=y HTTP/1.1": the target may contain spaces (get-space-*).
void parse_request_line(std::string_view line, SigningRequest& request) {
  const auto method_end = line.find(' ');
  const auto version_start = line.rfind(' ');
  request.method = std::string(line.substr(0, method_end));
  const std::string_view target = line.substr(method_end + 1, version_start - method_end - 1);
  const auto query_start = target.find('?');
  request.path = std::string(target.substr(0, query_start));
  if (query_start != std::string_view::npos)
    request.query = parse_query(target.substr(query_start + 1));
}

// request.txt: request line, "Name:value" headers where a line starting with
// whitespace continues the previous value (obs-fold, joined with one space as
// RFC 7230 says), a blank line, then the body.
SigningRequest parse_request(const std::string& text) {
  SigningRequest request;
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  parse_request_line(line, request);
  while (std::getline(lines, line) && !line.empty()) {
    if (line.front() == ' ' || line.front() == '\t') {
      request.headers.back().second += " " + line;
      continue;
    }
    const auto colon = line.find(':');
    request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  std::ostringstream body;
  body << lines.rdbuf();
  request.payload = body.str();
  return request;
}

std::string ascii_lowercase(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// The value of "Name:value" in header-signed-request.txt (case-insensitive name).
std::optional<std::string> signed_header(const std::string& signed_request,
                                         const std::string& name) {
  std::istringstream lines(signed_request);
  std::string line;
  while (std::getline(lines, line)) {
    const auto colon = line.find(':');
    if (ascii_lowercase(line.substr(0, colon)) == ascii_lowercase(name)) {
      return line.substr(colon + 1);
    }
  }
  return std::nullopt;
}

std::optional<std::string> added_header(const SignedRequest& signed_request,
                                        std::string_view name) {
  for (const auto& [header, value] : signed_request.headers_to_add) {
    if (header == name) return value;
  }
  return std::nullopt;
}

struct VectorCase {
  SigningRequest request;
  std::optional<Credentials> credentials;
  SigningScope scope;
  SigningOptions options;
  TimePoint timestamp;
};

VectorCase load_case(const std::filesystem::path& dir) {
  const auto context = nlohmann::json::parse(read_file(dir / "context.json"));
  VectorCase loaded;
  loaded.request = parse_request(read_file(dir / "request.txt"));
  const auto& keys = context.at("credentials");
  loaded.credentials.emplace(keys.at("access_key_id").get<std::string>(),
                             SecretString(keys.at("secret_access_key").get<std::string>()),
                             SecretString(keys.value("token", "")));
  loaded.scope = {context.at("region").get<std::string>(),
                  context.at("service").get<std::string>()};
  loaded.options.normalize_path = context.at("normalize").get<bool>();
  loaded.options.add_content_sha256_header = context.at("sign_body").get<bool>();
  loaded.options.sign_session_token = !context.value("omit_session_token", false);
  loaded.timestamp = *parse_iso8601_utc(context.at("timestamp").get<std::string>());
  return loaded;
}

class SigV4Vector : public ::testing::TestWithParam<std::string> {};

TEST_P(SigV4Vector, MatchesExpectedSigning) {
  const auto dir = vectors_dir / GetParam();
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  VectorCase vector = load_case(dir);
  const Signer signer([&] { return vector.timestamp; });
  auto signed_request =
      signer.sign(vector.request, *vector.credentials, vector.scope, vector.options);
  ASSERT_TRUE(signed_request) << signed_request.error().message;

  EXPECT_EQ(signed_request->canonical_request, read_file(dir / "header-canonical-request.txt"));
  EXPECT_EQ(signed_request->string_to_sign, read_file(dir / "header-string-to-sign.txt"));
  EXPECT_EQ(signed_request->signature, read_file(dir / "header-signature.txt"));

  // Each header the suite's signer added must be among ours, with the same value.
  const std::string expected_request = read_file(dir / "header-signed-request.txt");
  for (const char* name :
       {"Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256"}) {
    EXPECT_EQ(added_header(*signed_request, name), signed_header(expected_request, name)) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(AwsSuite, SigV4Vector, ::testing::ValuesIn(covered_cases),
                         [](const auto& test_param) {
                           std::string name = test_param.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// A case added to vectors/v4 without being listed above fails here, so no
// case is silently left out.
TEST(SigV4Vectors, EveryCaseDirectoryIsCovered) {
  std::set<std::string> listed(covered_cases.begin(), covered_cases.end());
  std::size_t directories = 0;
  for (const auto& entry : std::filesystem::directory_iterator(vectors_dir)) {
    ++directories;
    EXPECT_TRUE(listed.count(entry.path().filename().string()) == 1)
        << entry.path().filename() << " is neither covered nor documented as skipped";
  }
  EXPECT_EQ(directories, covered_cases.size());
}

}  // namespace
}  // namespace aws
