#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "config.h"

namespace sidecar {
namespace {

using ::testing::HasSubstr;

EnvironmentLookup environment(std::map<std::string, std::string> values = {}) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    if (auto found = values.find(name); found != values.end()) return found->second;
    return std::nullopt;
  };
}

Expected<Config> load(const std::string& yaml, std::map<std::string, std::string> env = {}) {
  auto raw = parse_raw_config(yaml, "sidecar.yaml");
  if (!raw) return raw.error();
  return finalize_config(*raw, environment(std::move(env)));
}

std::string error_of(const std::string& yaml, std::map<std::string, std::string> env = {}) {
  auto config = load(yaml, std::move(env));
  EXPECT_FALSE(config.has_value()) << "expected an error for:\n" << yaml;
  return config ? std::string() : config.error().message;
}

TEST(Config, EmptyFileGivesDefaults) {
  auto config = load("");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->site, "datadoghq.com");
  EXPECT_EQ(config->timeout, std::chrono::seconds(5));
  EXPECT_TRUE(config->dns_servers.empty());
  EXPECT_EQ(config->resolv_conf, "/etc/resolv.conf");
  EXPECT_EQ(config->private_cidrs.size(), 5u);
  EXPECT_FALSE(config->probe_public_addresses);
  EXPECT_FALSE(config->ca_file);
  ASSERT_EQ(config->intakes.size(), 9u);
  EXPECT_EQ(config->intakes[1].host, "metrics.agent.datadoghq.com");
  EXPECT_EQ(config->intakes[1].origin, "site datadoghq.com");
  EXPECT_EQ(config->origins.at("site"), "default");
}

TEST(Config, FullFile) {
  auto config = load(R"(site: ap1.datadoghq.com
timeout: 750ms
dns:
  servers: ["127.0.0.1:5353", "[::1]:5353", "127.0.0.2"]
private_cidrs: ["127.0.10.0/24", "::1/128"]
expected_cidrs: ["127.0.10.0/28"]
probe_public_addresses: true
log_level: debug
intakes:
  - {name: metrics, host: 7-57-2-app.agent.datadoghq.com, port: 443}
  - name: api
    host: api.pl.test.
    port: 8443
    https: {path: /api/v1/validate, api_key_env: TEST_KEY, accepted_status: ["200", "403"]}
)",
                     {{"TEST_KEY", "s3cret"}});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->site, "ap1.datadoghq.com");
  EXPECT_EQ(config->timeout, std::chrono::milliseconds(750));
  EXPECT_EQ(config->dns_servers.size(), 3u);
  EXPECT_EQ(config->private_cidrs[1].to_string(), "::1/128");
  EXPECT_EQ(config->expected_cidrs.size(), 1u);
  EXPECT_TRUE(config->probe_public_addresses);
  ASSERT_EQ(config->intakes.size(), 2u);
  EXPECT_EQ(config->intakes[1].port, 8443);
  ASSERT_TRUE(config->intakes[1].https);
  EXPECT_EQ(config->intakes[1].https->api_key.reveal(), "s3cret");
  EXPECT_EQ(*config->intakes[1].https->api_key_source, "env:TEST_KEY");
  EXPECT_THAT(config->intakes[1].https->accepted_status, ::testing::ElementsAre(200, 403));
  EXPECT_EQ(config->origins.at("site"), "file:1");
  EXPECT_EQ(config->origins.at("dns.servers"), "file:4");
}

TEST(Config, EnvironmentOverridesFile) {
  auto config = load("site: ap1.datadoghq.com\ntimeout: 2s\n",
                     {{"PRIVATELINK_SIDECAR_SITE", "ap2.datadoghq.com"},
                      {"PRIVATELINK_SIDECAR_DNS_SERVERS", "127.0.0.1:53,127.0.0.2:53"}});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->site, "ap2.datadoghq.com");
  EXPECT_EQ(config->origins.at("site"), "env:PRIVATELINK_SIDECAR_SITE");
  EXPECT_EQ(config->origins.at("timeout"), "file:2");
  EXPECT_EQ(config->dns_servers.size(), 2u);
}

TEST(Config, SiteWithoutPrivateLinkIsAcceptedButMarked) {
  auto config = load("site: datadoghq.eu\n");
  ASSERT_TRUE(config);
  EXPECT_FALSE(config->site_offers_privatelink);
}

// ---- every invalid case names the file, the line and the key
TEST(ConfigErrors, InvalidYamlSyntax) {
  EXPECT_THAT(error_of("site: [unclosed\n"), HasSubstr("sidecar.yaml:"));
  EXPECT_THAT(error_of("site: [unclosed\n"), HasSubstr("invalid YAML"));
}

TEST(ConfigErrors, TopLevelMustBeMap) { EXPECT_THAT(error_of("- a\n- b\n"), HasSubstr("must be a mapping")); }

TEST(ConfigErrors, UnknownTopLevelKey) {
  EXPECT_THAT(error_of("site: datadoghq.com\ntimeuot: 5s\n"), HasSubstr("sidecar.yaml:2:1: timeuot: unknown key"));
}

// yaml-cpp keeps the first of two equal keys; the second must not be lost silently.
TEST(ConfigErrors, KeyGivenTwice) {
  EXPECT_THAT(error_of("site: datadoghq.com\ninterval: 5s\ninterval: 10s\n"),
              HasSubstr("sidecar.yaml:3:1: interval: is given twice (first at line 2)"));
  EXPECT_THAT(error_of("dns:\n  resolv_conf: /a\n  resolv_conf: /b\n"), HasSubstr("dns.resolv_conf: is given twice"));
}

TEST(ConfigErrors, UnknownNestedKeys) {
  EXPECT_THAT(error_of("dns:\n  server: [\"127.0.0.1\"]\n"), HasSubstr("sidecar.yaml:2:3: dns.server: unknown key"));
  EXPECT_THAT(error_of("tls:\n  cafile: /x\n"), HasSubstr("tls.cafile: unknown key"));
  EXPECT_THAT(error_of("intakes:\n  - {name: a, host: a.pl.test, prot: 1}\n"),
              HasSubstr("intakes[0].prot: unknown key"));
  EXPECT_THAT(error_of("intakes:\n  - name: a\n    host: a.pl.test\n    https: {pth: /}\n"),
              HasSubstr("intakes[0].https.pth: unknown key"));
}

TEST(ConfigErrors, WrongTypes) {
  EXPECT_THAT(error_of("site: [a, b]\n"), HasSubstr("sidecar.yaml:1:7: site: must be a string"));
  EXPECT_THAT(error_of("dns:\n  servers: 127.0.0.1\n"), HasSubstr("dns.servers: must be a list"));
  EXPECT_THAT(error_of("probe_public_addresses: maybe\n"), HasSubstr("probe_public_addresses: must be true or false"));
  EXPECT_THAT(error_of("dns: 5\n"), HasSubstr("dns: must be a mapping"));
  EXPECT_THAT(error_of("intakes: {a: 1}\n"), HasSubstr("intakes: must be a list"));
}

TEST(ConfigErrors, Durations) {
  EXPECT_THAT(error_of("timeout: 5\n"), HasSubstr("sidecar.yaml:1:10: timeout: must be a duration with a unit"));
  EXPECT_THAT(error_of("timeout: 5 s\n"), HasSubstr("timeout: must be a duration"));
  EXPECT_THAT(error_of("timeout: 5d\n"), HasSubstr("timeout: must be a duration"));
  EXPECT_THAT(error_of("timeout: 0s\n"), HasSubstr("timeout: must be between 10ms and 1m"));
  EXPECT_THAT(error_of("timeout: 2m\n"), HasSubstr("timeout: must be between 10ms and 1m"));
  EXPECT_THAT(error_of("", {{"PRIVATELINK_SIDECAR_TIMEOUT", "fast"}}),
              HasSubstr("environment variable PRIVATELINK_SIDECAR_TIMEOUT: timeout"));
}

TEST(ConfigErrors, UnknownSite) {
  EXPECT_THAT(error_of("\nsite: datadog.com\n"), HasSubstr("sidecar.yaml:2:7: site: unknown Datadog site 'datadog.com'"));
}

TEST(ConfigErrors, LogLevel) { EXPECT_THAT(error_of("log_level: loud\n"), HasSubstr("log_level: 'loud' is not one of")); }

TEST(ConfigErrors, DnsServers) {
  EXPECT_THAT(error_of("dns:\n  servers: [dns.google]\n"), HasSubstr("dns.servers[0]: 'dns.google' is not an IP"));
  EXPECT_THAT(error_of("dns:\n  servers: [\"127.0.0.1:0\"]\n"), HasSubstr("port must be 1..65535"));
  EXPECT_THAT(error_of("dns:\n  servers: [\"127.0.0.1:99999\"]\n"), HasSubstr("port must be 1..65535"));
  EXPECT_THAT(error_of("dns:\n  servers: [\"[::1\"]\n"), HasSubstr("missing ']'"));
}

TEST(ConfigErrors, Cidrs) {
  EXPECT_THAT(error_of("private_cidrs: [\"10.0.0.0/8\", \"10.0.0.1/8\"]\n"),
              HasSubstr("sidecar.yaml:1:16: private_cidrs[1]: '10.0.0.1/8' has host bits set"));
  EXPECT_THAT(error_of("private_cidrs: []\n"), HasSubstr("private_cidrs: must not be empty"));
  EXPECT_THAT(error_of("expected_cidrs: [\"10.0.0.0/40\"]\n"), HasSubstr("expected_cidrs[0]"));
}

TEST(ConfigErrors, CaFileMustBeReadable) {
  EXPECT_THAT(error_of("tls:\n  ca_file: /nonexistent/ca.pem\n"),
              HasSubstr("sidecar.yaml:2:12: tls.ca_file: cannot read '/nonexistent/ca.pem'"));
}

TEST(ConfigErrors, Intakes) {
  EXPECT_THAT(error_of("intakes: []\n"), HasSubstr("intakes: must not be empty"));
  EXPECT_THAT(error_of("intakes:\n  - {host: a.pl.test}\n"), HasSubstr("sidecar.yaml:2:5: intakes[0].name: is required"));
  EXPECT_THAT(error_of("intakes:\n  - {name: a}\n"), HasSubstr("intakes[0].host: is required"));
  EXPECT_THAT(error_of("intakes:\n  - {name: a, host: \"https://api.datadoghq.com\"}\n"),
              HasSubstr("intakes[0].host: 'https://api.datadoghq.com' must be a hostname, not a URL"));
  EXPECT_THAT(error_of("intakes:\n  - {name: a, host: \"a..pl.test\"}\n"), HasSubstr("empty label"));
  EXPECT_THAT(error_of("intakes:\n  - {name: a, host: \"a b.pl.test\"}\n"), HasSubstr("' ' is not allowed"));
  EXPECT_THAT(error_of("intakes:\n  - {name: a, host: a.pl.test, port: 0}\n"),
              HasSubstr("intakes[0].port: must be between 1 and 65535"));
  EXPECT_THAT(error_of("intakes:\n  - {name: a, host: a.pl.test, port: https}\n"),
              HasSubstr("intakes[0].port: must be an integer"));
  EXPECT_THAT(error_of("intakes:\n  - {name: a, host: a.pl.test}\n  - {name: a, host: b.pl.test}\n"),
              HasSubstr("sidecar.yaml:3:5: intakes[1].name: 'a' is used by another intake"));
}

TEST(ConfigErrors, HttpsCheck) {
  const std::string head = "intakes:\n  - name: api\n    host: api.pl.test\n    https: ";
  EXPECT_THAT(error_of(head + "{path: api/v1/validate}\n"), HasSubstr("intakes[0].https.path: must start with '/'"));
  EXPECT_THAT(error_of(head + "{path: /x, api_key_env: MISSING_KEY}\n"),
              HasSubstr("intakes[0].https.api_key_env: environment variable MISSING_KEY is not set"));
  EXPECT_THAT(error_of(head + "{path: /x, api_key_env: K, api_key_file: /f}\n", {{"K", "v"}}),
              HasSubstr("set api_key_env or api_key_file, not both"));
  EXPECT_THAT(error_of(head + "{path: /x, api_key_file: /nonexistent/key}\n"),
              HasSubstr("cannot read an API key from '/nonexistent/key'"));
  EXPECT_THAT(error_of(head + "{path: /x, accepted_status: [\"OK\"]}\n"),
              HasSubstr("'OK' is not an HTTP status code"));
}

TEST(ConfigErrors, ErrorNeverContainsTheApiKey) {
  const std::string message =
      error_of("intakes:\n  - name: api\n    host: api.pl.test\n    https: {path: x, api_key_env: K}\n",
               {{"K", "very-secret-key"}});
  EXPECT_THAT(message, ::testing::Not(HasSubstr("very-secret-key")));
}

TEST(Duration, ParseAndFormat) {
  EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("5s"), std::chrono::seconds(5));
  EXPECT_EQ(parse_duration("10m"), std::chrono::minutes(10));
  EXPECT_EQ(parse_duration("1h"), std::chrono::hours(1));
  EXPECT_FALSE(parse_duration("5"));
  EXPECT_FALSE(parse_duration("-5s"));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_EQ(format_duration(std::chrono::milliseconds(1500)), "1500ms");
  EXPECT_EQ(format_duration(std::chrono::minutes(10)), "10m");
}

TEST(ConfigErrors, ReviewFindings) {
  // A non-scalar key is legal YAML; it must be an error, not an exception.
  EXPECT_THAT(error_of("{[a]: 1}\n"), HasSubstr("keys must be plain names"));
  EXPECT_THAT(error_of("intakes: [{[a]: 1}]\n"), HasSubstr("intakes[0]: keys must be plain names"));
  EXPECT_THAT(error_of("dns: {servers: [\"127.0.0.1:\"]}\n"), HasSubstr("the port after ':' is missing"));
  EXPECT_THAT(error_of("dns: {servers: [\"[::1]:\"]}\n"), HasSubstr("the port after ':' is missing"));
  EXPECT_THAT(error_of("timeout: 9999999999999999h\n"), HasSubstr("timeout: must be a duration"));
  EXPECT_THAT(error_of("", {{"PRIVATELINK_SIDECAR_CA_FILE", "/nonexistent/ca.pem"}}),
              HasSubstr("environment variable PRIVATELINK_SIDECAR_CA_FILE: tls.ca_file: cannot read"));
}

TEST(Config, ApiKeyFileIsTrimmed) {
  const std::string path = ::testing::TempDir() + "/api-key-crlf";
  {
    std::ofstream file(path);
    file << "  key-with-crlf\r\n";
  }
  auto config = load("intakes:\n  - name: api\n    host: api.pl.test\n    https: {path: /v, api_key_file: " + path + "}\n");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->intakes[0].https->api_key.reveal(), "key-with-crlf");
}

TEST(DaemonConfig, Defaults) {
  auto config = load("");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->interval, std::chrono::seconds(30));
  EXPECT_EQ(config->confirm_interval, std::chrono::seconds(10));
  EXPECT_EQ(config->status_listen, "127.0.0.1:9719");
  EXPECT_EQ(config->state_dir, "/var/lib/privatelink-sidecar");
  EXPECT_EQ(config->agent.config, "/etc/datadog-agent/datadog.yaml");
  EXPECT_FALSE(config->agent.config_explicit);
  EXPECT_TRUE(config->restart.enabled);
  EXPECT_EQ(config->restart.command, (std::vector<std::string>{"systemctl", "restart", "datadog-agent.service"}));
  EXPECT_EQ(config->restart.stable_checks, 3);
  EXPECT_EQ(config->restart.cooldown, std::chrono::minutes(10));
  EXPECT_EQ(config->restart.max_per_hour, 3);
  EXPECT_EQ(config->restart.jitter, std::chrono::minutes(5));
  EXPECT_FALSE(config->restart.dry_run);
  EXPECT_FALSE(config->intakes_explicit);
}

TEST(DaemonConfig, FullFileAndOrigins) {
  auto config = load(R"(interval: 10s
timeout: 2s
confirm_interval: 3s
healthy_threshold: 1
unhealthy_threshold: 3
state_dir: /tmp/state
status: {listen: "[::1]:0"}
agent:
  config: /etc/dd/datadog.yaml
  pid_files: [/run/agent.pid]
  process_names: [agent]
restart:
  enabled: true
  command: [/usr/bin/record, restart]
  verify_command: [/bin/true]
  upgrade_check_command: [/bin/false]
  command_timeout: 5s
  stable_checks: 2
  cooldown: 1m
  max_per_hour: 5
  jitter: 0s
  dry_run: true
)");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->interval, std::chrono::seconds(10));
  EXPECT_EQ(config->confirm_interval, std::chrono::seconds(3));
  EXPECT_EQ(config->healthy_threshold, 1);
  EXPECT_EQ(config->unhealthy_threshold, 3);
  EXPECT_EQ(config->status_listen, "[::1]:0");
  EXPECT_TRUE(config->agent.config_explicit);
  EXPECT_EQ(config->agent.pid_files, std::vector<std::string>{"/run/agent.pid"});
  EXPECT_EQ(config->restart.command, (std::vector<std::string>{"/usr/bin/record", "restart"}));
  EXPECT_EQ(config->restart.jitter, std::chrono::milliseconds(0));
  EXPECT_TRUE(config->restart.dry_run);
  EXPECT_EQ(config->origins.at("restart.cooldown"), "file:19");
  EXPECT_EQ(config->origins.at("interval"), "file:1");
}

TEST(DaemonConfig, EnvironmentOverrides) {
  auto config = load("restart: {dry_run: false}\n", {{"PRIVATELINK_SIDECAR_INTERVAL", "45s"},
                                                     {"PRIVATELINK_SIDECAR_STATUS_LISTEN", "127.0.0.1:9999"},
                                                     {"PRIVATELINK_SIDECAR_STATE_DIR", "/srv/state"},
                                                     {"PRIVATELINK_SIDECAR_AGENT_CONFIG", "/x/datadog.yaml"},
                                                     {"PRIVATELINK_SIDECAR_DRY_RUN", "true"}});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->interval, std::chrono::seconds(45));
  EXPECT_EQ(config->status_listen, "127.0.0.1:9999");
  EXPECT_EQ(config->state_dir, "/srv/state");
  EXPECT_EQ(config->agent.config, "/x/datadog.yaml");
  EXPECT_TRUE(config->agent.config_explicit);
  EXPECT_TRUE(config->restart.dry_run);
  EXPECT_EQ(config->origins.at("restart.dry_run"), "env:PRIVATELINK_SIDECAR_DRY_RUN");
}

TEST(DaemonConfigErrors, EveryInvalidValueNamesItsKey) {
  EXPECT_THAT(error_of("interval: 5\n"), HasSubstr("sidecar.yaml:1:11: interval: must be a duration"));
  EXPECT_THAT(error_of("interval: 100ms\n"), HasSubstr("interval: must be between 200ms and 1h"));
  EXPECT_THAT(error_of("interval: 2h\n"), HasSubstr("interval: must be between 200ms and 1h"));
  EXPECT_THAT(error_of("timeout: 5s\ninterval: 5s\n"), HasSubstr("interval: must be longer than timeout (5s)"));
  EXPECT_THAT(error_of("timeout: 1s\nconfirm_interval: 500ms\n"),
              HasSubstr("sidecar.yaml:2:19: confirm_interval: must be longer than timeout and at most interval"));
  EXPECT_THAT(error_of("confirm_interval: 1m\n"), HasSubstr("confirm_interval: must be longer than timeout"));
  EXPECT_THAT(error_of("healthy_threshold: 0\n"), HasSubstr("healthy_threshold"));
  EXPECT_THAT(error_of("unhealthy_threshold: many\n"), HasSubstr("unhealthy_threshold"));
  EXPECT_THAT(error_of("status: {listen: localhost:9719}\n"),
              HasSubstr("status.listen: 'localhost:9719': 'localhost' is not an IP address"));
  EXPECT_THAT(error_of("status: {listen: 127.0.0.1}\n"), HasSubstr("status.listen"));
  EXPECT_THAT(error_of("status: {listen: \"127.0.0.1:99999\"}\n"), HasSubstr("port must be 0..65535"));
  EXPECT_THAT(error_of("status: {port: 1}\n"), HasSubstr("status.port: unknown key"));
  EXPECT_THAT(error_of("state_dir: var/lib\n"), HasSubstr("state_dir: must be an absolute path"));
  EXPECT_THAT(error_of("agent: {conf: /x}\n"), HasSubstr("agent.conf: unknown key"));
  EXPECT_THAT(error_of("agent: {pid_files: /x}\n"), HasSubstr("agent.pid_files: must be a list"));
  EXPECT_THAT(error_of("restart: {comand: [x]}\n"), HasSubstr("restart.comand: unknown key"));
  EXPECT_THAT(error_of("restart: {command: []}\n"), HasSubstr("restart.command: must not be empty"));
  EXPECT_THAT(error_of("restart: {command: systemctl restart}\n"), HasSubstr("restart.command: must be a list"));
  EXPECT_THAT(error_of("restart: {stable_checks: 0}\n"), HasSubstr("restart.stable_checks"));
  EXPECT_THAT(error_of("restart: {max_per_hour: 61}\n"), HasSubstr("restart.max_per_hour"));
  EXPECT_THAT(error_of("restart: {cooldown: 10}\n"), HasSubstr("restart.cooldown: must be a duration"));
  EXPECT_THAT(error_of("restart: {jitter: 2h}\n"), HasSubstr("restart.jitter: must be at most 1h"));
  EXPECT_THAT(error_of("restart: {command_timeout: 100ms}\n"),
              HasSubstr("restart.command_timeout: must be between 1s and 10m"));
  EXPECT_THAT(error_of("restart: {dry_run: yes please}\n"), HasSubstr("restart.dry_run: must be true or false"));
  EXPECT_THAT(error_of("", {{"PRIVATELINK_SIDECAR_DRY_RUN", "maybe"}}),
              HasSubstr("environment variable PRIVATELINK_SIDECAR_DRY_RUN"));
  EXPECT_THAT(error_of("", {{"PRIVATELINK_SIDECAR_INTERVAL", "fast"}}), HasSubstr("interval: must be a duration"));
}

}  // namespace
}  // namespace sidecar
