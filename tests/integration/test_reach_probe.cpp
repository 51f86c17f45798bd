// TCP + TLS probes against real TLS servers (test CA) on loopback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "checks/https.h"
#include "checks/reach.h"
#include "local_servers.h"
#include "probe_test_util.h"

namespace {

using checks::ReachOutcome;
namespace fs = std::filesystem;

nlohmann::json listener(const std::string& name, const std::string& mode, const std::string& host, std::uint16_t port,
                        const std::string& cert = "") {
  nlohmann::json spec = {{"name", name}, {"mode", mode}, {"host", host}, {"port", port}};
  if (!cert.empty()) {
    const fs::path dir = testsupport::certificates_dir();
    spec["cert"] = (dir / (cert + ".pem")).string();
    spec["key"] = (dir / (cert + ".key")).string();
  }
  return spec;
}

class ReachProbe : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    port_ = testsupport::free_port();
    servers_ = new testsupport::FixtureServers({
        {"listeners",
         {listener("valid", "tls", "127.0.10.1", port_, "valid"), listener("valid6", "tls", "::1", port_, "valid"),
          listener("expired", "tls", "127.0.10.2", port_, "expired"),
          listener("wronghost", "tls", "127.0.10.3", port_, "wronghost"),
          listener("untrusted", "tls", "127.0.10.4", port_, "untrusted"),
          listener("silent", "silent", "127.0.10.5", port_), listener("reset", "reset", "127.0.10.6", port_),
          listener("blackhole", "blackhole", "127.0.10.8", port_)}},
        {"api_key", "test-api-key"},
    });
  }
  static void TearDownTestSuite() {
    delete servers_;
    servers_ = nullptr;
  }

  checks::ReachResult probe(const std::string& address, const std::string& server_name = "api.pl.test",
                            // Generous: only the tests that expect a timeout pass a short one.
                            std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    auto context = checks::make_tls_client_context((testsupport::certificates_dir() / "ca.pem").string());
    EXPECT_TRUE(context);
    std::optional<checks::ReachResult> result;
    boost::asio::co_spawn(io_,
                          checks::probe_tls(*context, *checks::parse_ip_address(address), port_, server_name, timeout),
                          [&](std::exception_ptr failure, checks::ReachResult finished) {
                            EXPECT_FALSE(failure);
                            result = std::move(finished);
                          });
    io_.run_for(testsupport::hang_guard);
    EXPECT_TRUE(result) << "probe of " << address << " never finished";
    return result.value_or(checks::ReachResult{});
  }

  static std::uint16_t port_;
  static testsupport::FixtureServers* servers_;
  boost::asio::io_context io_{1};
};
std::uint16_t ReachProbe::port_ = 0;
testsupport::FixtureServers* ReachProbe::servers_ = nullptr;

TEST_F(ReachProbe, ValidCertificate) {
  auto result = probe("127.0.10.1");
  EXPECT_EQ(result.outcome, ReachOutcome::ok) << result.detail;
  EXPECT_TRUE(result.connect_time);
  EXPECT_TRUE(result.tls_time);
  EXPECT_THAT(result.tls_version, ::testing::StartsWith("TLSv1."));
  ASSERT_TRUE(result.cert_days_left);
  EXPECT_GT(*result.cert_days_left, 365 * 50);  // the test leaf lasts until 2099
  EXPECT_EQ(result.cert_issuer, "privatelink-sidecar test CA");
}

TEST_F(ReachProbe, ValidOverIpv6) {
  auto result = probe("::1");
  EXPECT_EQ(result.outcome, ReachOutcome::ok) << result.detail;
}

TEST_F(ReachProbe, ExpiredCertificate) {
  auto result = probe("127.0.10.2");
  EXPECT_EQ(result.outcome, ReachOutcome::cert_expired) << result.detail;
  ASSERT_TRUE(result.cert_days_left);
  EXPECT_LT(*result.cert_days_left, 0);
}

TEST_F(ReachProbe, WrongHostname) {
  auto result = probe("127.0.10.3");
  EXPECT_EQ(result.outcome, ReachOutcome::cert_hostname_mismatch) << result.detail;
}

TEST_F(ReachProbe, HostnameCheckUsesTheIntakeNameNotTheAddress) {
  // The valid leaf names *.pl.test: another intake name must not pass.
  auto result = probe("127.0.10.1", "api.datadoghq.com");
  EXPECT_EQ(result.outcome, ReachOutcome::cert_hostname_mismatch) << result.detail;
}

TEST_F(ReachProbe, UntrustedCa) {
  auto result = probe("127.0.10.4");
  EXPECT_EQ(result.outcome, ReachOutcome::cert_untrusted) << result.detail;
}

TEST_F(ReachProbe, SilentServerIsTlsTimeout) {
  auto result = probe("127.0.10.5", "api.pl.test", std::chrono::milliseconds(300));
  EXPECT_EQ(result.outcome, ReachOutcome::tls_timeout);
  EXPECT_TRUE(result.connect_time);
}

TEST_F(ReachProbe, ResetDuringHandshake) {
  auto result = probe("127.0.10.6");
  EXPECT_EQ(result.outcome, ReachOutcome::reset) << result.detail;
}

TEST_F(ReachProbe, ClosedPortIsRefused) {
  auto result = probe("127.0.10.7");
  EXPECT_EQ(result.outcome, ReachOutcome::refused) << result.detail;
}

TEST_F(ReachProbe, DroppedSynIsConnectTimeout) {
  // The blackhole listener's accept queue is full, so the kernel drops our
  // SYN: what a dead endpoint interface in one AZ looks like.
  auto result = probe("127.0.10.8", "api.pl.test", std::chrono::milliseconds(300));
  EXPECT_EQ(result.outcome, ReachOutcome::connect_timeout) << result.detail;
  EXPECT_FALSE(result.connect_time);
}

TEST_F(ReachProbe, DefaultTrustStoreRejectsTheTestCa) {
  auto context = checks::make_tls_client_context(std::nullopt);
  ASSERT_TRUE(context);
  std::optional<checks::ReachResult> result;
  boost::asio::co_spawn(io_, checks::probe_tls(*context, *checks::parse_ip_address("127.0.10.1"), port_, "api.pl.test",
                                               std::chrono::milliseconds(5000)),
                        [&](std::exception_ptr, checks::ReachResult finished) { result = std::move(finished); });
  io_.run_for(testsupport::hang_guard);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, ReachOutcome::cert_untrusted);
}

TEST(TlsContext, UnreadableCaFileIsAnError) {
  auto context = checks::make_tls_client_context("/nonexistent/ca.pem");
  ASSERT_FALSE(context);
  EXPECT_THAT(context.error().message, ::testing::HasSubstr("/nonexistent/ca.pem"));
}

// ---- HTTPS through libcurl, pinned to one address
class HttpsProbe : public ReachProbe {
 protected:
  checks::HttpsResult get(const std::string& address, const std::string& path, std::vector<std::string> headers) {
    auto client = checks::HttpsClient::create(io_);
    EXPECT_TRUE(client);
    checks::HttpsRequest request;
    request.host = "api.pl.test";  // not resolvable anywhere: only the pin makes it work
    request.port = port_;
    request.address = *checks::parse_ip_address(address);
    request.path = path;
    request.headers = std::move(headers);
    request.ca_file = (testsupport::certificates_dir() / "ca.pem").string();
    request.timeout = std::chrono::milliseconds(2000);
    std::optional<checks::HttpsResult> result;
    (*client)->get(request, [&](checks::HttpsResult finished) { result = std::move(finished); });
    io_.run_for(testsupport::hang_guard);
    EXPECT_TRUE(result);
    return result.value_or(checks::HttpsResult{});
  }
};

TEST_F(HttpsProbe, ValidateWithTheRightKey) {
  auto result = get("127.0.10.1", "/api/v1/validate", {"DD-API-KEY: test-api-key"});
  EXPECT_EQ(result.status_code, 200) << result.error;
  EXPECT_TRUE(result.error.empty());
  EXPECT_GT(result.total_time.count(), 0);
}

TEST_F(HttpsProbe, ValidateWithAWrongKeyIs403) {
  auto result = get("127.0.10.1", "/api/v1/validate", {"DD-API-KEY: wrong"});
  EXPECT_EQ(result.status_code, 403);
}

TEST_F(HttpsProbe, PinnedToIpv6) {
  auto result = get("::1", "/", {});
  EXPECT_EQ(result.status_code, 200) << result.error;
}

TEST_F(HttpsProbe, CertificateProblemsAreErrorsNotStatuses) {
  auto result = get("127.0.10.2", "/", {});
  EXPECT_EQ(result.status_code, 0);
  EXPECT_FALSE(result.error.empty());
}

TEST_F(HttpsProbe, SilentServerTimesOut) {
  auto client = checks::HttpsClient::create(io_);
  ASSERT_TRUE(client);
  checks::HttpsRequest request;
  request.host = "api.pl.test";
  request.port = port_;
  request.address = *checks::parse_ip_address("127.0.10.5");
  request.timeout = std::chrono::milliseconds(300);
  std::optional<checks::HttpsResult> result;
  (*client)->get(request, [&](checks::HttpsResult finished) { result = std::move(finished); });
  io_.run_for(testsupport::hang_guard);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status_code, 0);
  EXPECT_THAT(result->error, ::testing::HasSubstr("imed out"));
}

}  // namespace
