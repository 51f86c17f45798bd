#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "agent_discovery.h"

namespace sidecar {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const std::string agent_data = std::string(SIDECAR_TEST_DATA_DIR) + "/agent/";

EnvironmentLookup environment(std::map<std::string, std::string> values = {}) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    if (auto found = values.find(name); found != values.end()) return found->second;
    return std::nullopt;
  };
}

// A sample config, the sample version manifest and no environment file.
AgentSources sample(const std::string& config_file) {
  AgentSources sources;
  sources.config_file = agent_data + config_file;
  sources.environment_file = agent_data + "no-such-environment";
  sources.version_manifest = agent_data + "version-manifest.txt";
  return sources;
}

AgentSources without_version(AgentSources sources) {
  sources.version_manifest = agent_data + "no-such-version-manifest.txt";
  return sources;
}

// Small one-off configs for the lint rules live in the test's temp directory.
AgentSources inline_config(const std::string& name, const std::string& yaml) {
  const std::string path = ::testing::TempDir() + "agent_discovery_" + name + ".yaml";
  std::ofstream(path) << yaml;
  auto sources = sample("unused");
  sources.config_file = path;
  return sources;
}

AgentProfile discover_ok(const AgentSources& sources, std::map<std::string, std::string> env = {}) {
  auto profile = discover_agent(sources, environment(std::move(env)));
  EXPECT_TRUE(profile.has_value()) << profile.error().message;
  return profile ? *profile : AgentProfile{};
}

std::string discover_error(const AgentSources& sources, std::map<std::string, std::string> env = {}) {
  auto profile = discover_agent(sources, environment(std::move(env)));
  EXPECT_FALSE(profile.has_value()) << "expected an error for " << sources.config_file;
  return profile ? std::string() : profile.error().message;
}

const DiscoveredIntake* intake_named(const AgentProfile& profile, const std::string& name) {
  for (const auto& intake : profile.intakes) {
    if (intake.name == name) return &intake;
  }
  return nullptr;
}

std::vector<std::string> hosts_of(const AgentProfile& profile) {
  std::vector<std::string> hosts;
  for (const auto& intake : profile.intakes) hosts.push_back(intake.host);
  return hosts;
}

std::vector<std::string> finding_ids(const AgentProfile& profile) {
  std::vector<std::string> ids;
  for (const auto& finding : profile.findings) ids.push_back(finding.id);
  return ids;
}

const LintFinding* finding(const AgentProfile& profile, const std::string& id, const std::string& key = "") {
  for (const auto& candidate : profile.findings) {
    if (candidate.id == id && (key.empty() || candidate.key == key)) return &candidate;
  }
  return nullptr;
}

// ------------------------------------------------------------------ discovery
TEST(AgentDiscovery, Us1SiteOnly) {
  const auto profile = discover_ok(sample("us1_site_only.yaml"));
  EXPECT_EQ(profile.site, "datadoghq.com");
  EXPECT_EQ(profile.site_origin, "us1_site_only.yaml:4 site");
  EXPECT_EQ(hosts_of(profile),
            (std::vector<std::string>{"7-57-2-app.agent.datadoghq.com", "7-57-2-flare.agent.datadoghq.com",
                                      "trace.agent.datadoghq.com", "intake.profile.datadoghq.com",
                                      "process.datadoghq.com", "orchestrator.datadoghq.com", "config.datadoghq.com"}));
  const auto* metrics = intake_named(profile, "metrics");
  ASSERT_NE(metrics, nullptr);
  EXPECT_EQ(metrics->port, 443);
  EXPECT_EQ(metrics->scheme, "https");
  EXPECT_TRUE(metrics->fqdn);  // convert_dd_site_fqdn: the Agent resolves "name."
  EXPECT_FALSE(metrics->optional);
  EXPECT_EQ(metrics->feature, "core");
  EXPECT_EQ(metrics->origin, "site datadoghq.com (Agent 7.57.2)");
  EXPECT_TRUE(intake_named(profile, "flare")->optional);
  EXPECT_FALSE(intake_named(profile, "remote-config")->optional);
}

TEST(AgentDiscovery, DefaultFeatureSwitches) {
  const auto profile = discover_ok(sample("us1_site_only.yaml"));
  const std::map<std::string, bool> expected = {{"core", true},          {"logs", false},      {"apm", true},
                                                {"process", false},      {"containers", true}, {"orchestrator", true},
                                                {"remote_config", true}, {"dbm", false}};
  EXPECT_EQ(profile.features, expected);
  // On only by default, or only for containers/discovery: the Agent may never connect.
  EXPECT_TRUE(intake_named(profile, "traces")->optional);
  EXPECT_TRUE(intake_named(profile, "process")->optional);
  EXPECT_TRUE(intake_named(profile, "orchestrator")->optional);
  EXPECT_EQ(intake_named(profile, "logs"), nullptr);
}

TEST(AgentDiscovery, Ap1SiteOnly) {
  const auto profile = discover_ok(sample("ap1_site_only.yaml"));
  EXPECT_EQ(profile.site, "ap1.datadoghq.com");
  EXPECT_EQ(intake_named(profile, "metrics")->host, "7-57-2-app.agent.ap1.datadoghq.com");
  EXPECT_EQ(intake_named(profile, "traces")->host, "trace.agent.ap1.datadoghq.com");
  EXPECT_EQ(intake_named(profile, "remote-config")->host, "config.ap1.datadoghq.com");
  EXPECT_EQ(finding(profile, "site_without_privatelink"), nullptr);
}

TEST(AgentDiscovery, SiteDefaultsToUs1AndEnvironmentWins) {
  const auto sources = inline_config("empty", "api_key: x\n");
  const auto defaulted = discover_ok(sources);
  EXPECT_EQ(defaulted.site, "datadoghq.com");
  EXPECT_EQ(defaulted.site_origin, "default");
  const auto from_env = discover_ok(sample("us1_site_only.yaml"), {{"DD_SITE", "AP1.datadoghq.com."}});
  EXPECT_EQ(from_env.site, "ap1.datadoghq.com");
  EXPECT_EQ(from_env.site_origin, "env DD_SITE");
}

TEST(AgentDiscovery, VersionFromManifest) {
  const auto profile = discover_ok(sample("us1_site_only.yaml"));
  EXPECT_EQ(profile.agent_version, "7.57.2");
  EXPECT_EQ(profile.version_origin, "version-manifest.txt:1");
}

TEST(AgentDiscovery, VersionOverrideWhenNoManifest) {
  auto sources = without_version(sample("us1_site_only.yaml"));
  sources.version_override = "Agent 7.60.1 - Commit: 1a2b3c4 - Serialization version: v5.0.132 - Go version: go1.22.8";
  const auto profile = discover_ok(sources);
  EXPECT_EQ(profile.agent_version, "7.60.1");
  EXPECT_EQ(profile.version_origin, "version override");
  EXPECT_EQ(intake_named(profile, "metrics")->host, "7-60-1-app.agent.datadoghq.com");
}

TEST(AgentDiscovery, ManifestWinsOverOverride) {
  auto sources = sample("us1_site_only.yaml");
  sources.version_override = "7.60.1";
  EXPECT_EQ(discover_ok(sources).agent_version, "7.57.2");
}

TEST(AgentDiscovery, UnknownVersionChecksTheMetricsAlias) {
  const auto profile = discover_ok(without_version(sample("us1_site_only.yaml")));
  EXPECT_FALSE(profile.agent_version);
  EXPECT_EQ(profile.version_origin, "unknown");
  EXPECT_EQ(intake_named(profile, "metrics")->host, "metrics.agent.datadoghq.com");
  EXPECT_EQ(intake_named(profile, "flare"), nullptr);
}

TEST(AgentDiscovery, DdUrlRelayAndAdditionalEndpoints) {
  const auto profile = discover_ok(sample("dd_url_relay.yaml"));
  const auto* metrics = intake_named(profile, "metrics");
  ASSERT_NE(metrics, nullptr);
  EXPECT_EQ(metrics->host, "dd-relay.corp.example");  // custom domains are never versioned
  EXPECT_EQ(metrics->port, 8443);
  EXPECT_FALSE(metrics->fqdn);
  EXPECT_EQ(metrics->origin, "dd_url_relay.yaml:4 dd_url (not a Datadog domain)");
  const auto* additional = intake_named(profile, "additional-metrics-1");
  ASSERT_NE(additional, nullptr);
  EXPECT_EQ(additional->host, "7-57-2-app.agent.ap1.datadoghq.com");
  EXPECT_EQ(additional->origin, "dd_url_relay.yaml:6 additional_endpoints (Agent 7.57.2)");
  // The entry without an API key is dropped, as the Agent drops it.
  EXPECT_THAT(hosts_of(profile), Not(Contains("7-57-2-app.agent.datadoghq.eu")));
}

TEST(AgentDiscovery, DdUrlFromEnvironmentBeatsFile) {
  const auto profile = discover_ok(sample("dd_url_relay.yaml"),
                                   {{"DD_DD_URL", "https://app.datadoghq.com"}, {"DD_URL", "https://ignored.example"}});
  const auto* metrics = intake_named(profile, "metrics");
  EXPECT_EQ(metrics->host, "7-57-2-app.agent.datadoghq.com");
  EXPECT_FALSE(metrics->fqdn);  // written without the trailing dot
  EXPECT_EQ(metrics->origin, "env DD_DD_URL (Agent 7.57.2)");
}

TEST(AgentDiscovery, DdUrlWithExplicitPortIsNotVersioned) {
  // The Agent matches url.Host, which keeps the port.
  const auto profile = discover_ok(sample("us1_site_only.yaml"), {{"DD_URL", "https://app.datadoghq.com:443/"}});
  EXPECT_EQ(intake_named(profile, "metrics")->host, "app.datadoghq.com");
}

TEST(AgentDiscovery, LogsAndApmOverridesFromFile) {
  const auto profile = discover_ok(sample("logs_apm_overrides.yaml"));
  const auto* logs = intake_named(profile, "logs");
  ASSERT_NE(logs, nullptr);
  EXPECT_EQ(logs->host, "logs-relay.corp.example");
  EXPECT_EQ(logs->port, 10443);
  EXPECT_EQ(logs->scheme, "https");
  EXPECT_EQ(logs->feature, "logs");
  EXPECT_EQ(logs->origin, "logs_apm_overrides.yaml:7 logs_config.logs_dd_url (not a Datadog domain)");
  const auto* traces = intake_named(profile, "traces");
  EXPECT_EQ(traces->host, "trace.agent.ap1.datadoghq.com");
  EXPECT_FALSE(traces->optional);  // apm_config.enabled: true explicitly
  EXPECT_EQ(intake_named(profile, "additional-traces-1")->host, "trace.agent.ap2.datadoghq.com");
  EXPECT_TRUE(profile.features.at("logs"));
}

TEST(AgentDiscovery, LogsAndApmOverridesFromEnvironment) {
  const auto profile = discover_ok(sample("logs_apm_overrides.yaml"),
                                   {{"DD_LOGS_CONFIG_LOGS_DD_URL", "agent-http-intake.logs.datadoghq.com:443"},
                                    {"DD_APM_DD_URL", "https://trace.agent.datadoghq.com"},
                                    {"DD_APM_ENABLED", "false"}});
  const auto* logs = intake_named(profile, "logs");
  EXPECT_EQ(logs->host, "agent-http-intake.logs.datadoghq.com");
  EXPECT_EQ(logs->origin, "env DD_LOGS_CONFIG_LOGS_DD_URL");
  EXPECT_FALSE(profile.features.at("apm"));
  EXPECT_EQ(intake_named(profile, "traces"), nullptr);
}

TEST(AgentDiscovery, LogsEnabledByEnvironmentUseTheSiteIntake) {
  const auto profile = discover_ok(sample("ap1_site_only.yaml"), {{"DD_LOGS_ENABLED", "true"}});
  const auto* logs = intake_named(profile, "logs");
  ASSERT_NE(logs, nullptr);
  EXPECT_EQ(logs->host, "agent-http-intake.logs.ap1.datadoghq.com");
  EXPECT_EQ(logs->port, 443);
  EXPECT_EQ(logs->origin, "site ap1.datadoghq.com");
}

TEST(AgentDiscovery, EnvironmentFileFillsInAndProcessEnvironmentWins) {
  auto sources = sample("us1_site_only.yaml");
  sources.environment_file = agent_data + "agent.env";
  const auto from_file = discover_ok(sources);
  EXPECT_EQ(from_file.site, "ap1.datadoghq.com");
  EXPECT_EQ(from_file.site_origin, "agent.env:2 DD_SITE");
  EXPECT_TRUE(from_file.features.at("logs"));                   // quoted "true"
  EXPECT_EQ(finding(from_file, "logs_tcp_fallback"), nullptr);  // quoted 'true' too
  EXPECT_TRUE(from_file.features.at("apm"));                    // the "export" line is ignored, as systemd does
  const auto overridden = discover_ok(sources, {{"DD_SITE", "datadoghq.com"}});
  EXPECT_EQ(overridden.site, "datadoghq.com");
  EXPECT_EQ(overridden.site_origin, "env DD_SITE");
}

TEST(AgentDiscovery, DisabledFeaturesContributeNoIntakes) {
  const auto profile = discover_ok(sample("disabled_features.yaml"));
  for (const char* feature : {"logs", "apm", "process", "containers", "orchestrator", "remote_config", "dbm"}) {
    EXPECT_FALSE(profile.features.at(feature)) << feature;
  }
  EXPECT_EQ(hosts_of(profile),
            (std::vector<std::string>{"7-57-2-app.agent.datadoghq.com", "7-57-2-flare.agent.datadoghq.com"}));
}

TEST(AgentDiscovery, ProcessCollectionMakesTheProcessIntakeRequired) {
  const auto profile =
      discover_ok(sample("us1_site_only.yaml"), {{"DD_PROCESS_AGENT_PROCESS_COLLECTION_ENABLED", "true"},
                                                 {"DD_PROCESS_AGENT_URL", "https://process.ap1.datadoghq.com"}});
  EXPECT_TRUE(profile.features.at("process"));
  const auto* process = intake_named(profile, "process");
  EXPECT_EQ(process->host, "process.ap1.datadoghq.com");
  EXPECT_FALSE(process->optional);
}

TEST(AgentDiscovery, LegacyProcessSwitch) {
  const auto disabled = inline_config("process_legacy",
                                      "process_config:\n  enabled: disabled\n"
                                      "  process_discovery:\n    enabled: false\n");
  const auto profile = discover_ok(disabled);
  EXPECT_FALSE(profile.features.at("process"));
  EXPECT_FALSE(profile.features.at("containers"));
  EXPECT_EQ(intake_named(profile, "process"), nullptr);
}

TEST(AgentDiscovery, UnsupportedSiteStillDerivesIntakes) {
  const auto profile = discover_ok(sample("eu_site.yaml"));
  EXPECT_EQ(profile.site, "datadoghq.eu");
  EXPECT_EQ(intake_named(profile, "metrics")->host, "7-57-2-app.agent.datadoghq.eu");
  EXPECT_EQ(intake_named(profile, "logs")->host, "agent-http-intake.logs.datadoghq.eu");
}

TEST(AgentDiscovery, DatabaseMonitoringIntakes) {
  const auto profile = discover_ok(sample("dbm.yaml"));
  EXPECT_TRUE(profile.features.at("dbm"));
  EXPECT_EQ(intake_named(profile, "dbm-metrics")->host, "dbm-metrics-intake.datadoghq.com");
  const auto* samples = intake_named(profile, "dbm-samples");
  EXPECT_EQ(samples->host, "dbquery-intake.datadoghq.com");
  EXPECT_EQ(samples->origin, "dbm.yaml:5 database_monitoring.samples.logs_dd_url");
  // Activity goes to the same host:port: one intake.
  EXPECT_EQ(intake_named(profile, "dbm-activity"), nullptr);
}

TEST(AgentDiscovery, LogsForcedOverTcpUseTheTcpIntake) {
  const auto sources = inline_config("logs_tcp", "logs_enabled: true\nlogs_config:\n  force_use_tcp: true\n");
  const auto profile = discover_ok(sources);
  const auto* logs = intake_named(profile, "logs");
  ASSERT_NE(logs, nullptr);
  EXPECT_EQ(logs->host, "agent-intake.logs.datadoghq.com");
  EXPECT_EQ(logs->port, 10516);
  EXPECT_EQ(logs->scheme, "tcp");
}

TEST(AgentDiscovery, LogsAdditionalEndpoints) {
  const auto sources = inline_config("logs_additional", R"(logs_enabled: true
logs_config:
  force_use_http: true
  additional_endpoints:
    - api_key: abc
      Host: agent-http-intake.logs.ap1.datadoghq.com
      Port: 443
)");
  const auto profile = discover_ok(sources);
  const auto* extra = intake_named(profile, "additional-logs-1");
  ASSERT_NE(extra, nullptr);
  EXPECT_EQ(extra->host, "agent-http-intake.logs.ap1.datadoghq.com");
  EXPECT_EQ(extra->scheme, "https");
}

TEST(AgentDiscovery, AdditionalEndpointsFromEnvironmentJson) {
  const auto profile = discover_ok(sample("us1_site_only.yaml"),
                                   {{"DD_ADDITIONAL_ENDPOINTS", R"({"https://app.ap1.datadoghq.com": ["k1"]})"}});
  const auto* extra = intake_named(profile, "additional-metrics-1");
  ASSERT_NE(extra, nullptr);
  EXPECT_EQ(extra->host, "7-57-2-app.agent.ap1.datadoghq.com");
  EXPECT_EQ(extra->origin, "env DD_ADDITIONAL_ENDPOINTS (Agent 7.57.2)");
}

TEST(AgentDiscovery, IntakesAreDeduplicatedByHostAndPort) {
  const auto profile = discover_ok(sample("us1_site_only.yaml"),
                                   {{"DD_REMOTE_CONFIGURATION_RC_DD_URL", "https://trace.agent.datadoghq.com"}});
  const auto hosts = hosts_of(profile);
  EXPECT_EQ(std::count(hosts.begin(), hosts.end(), "trace.agent.datadoghq.com"), 1);
  // Remote config needs it, so it is no longer optional.
  EXPECT_FALSE(intake_named(profile, "traces")->optional);
}

TEST(AgentDiscovery, MalformedYamlNamesFileAndLine) {
  const auto message = discover_error(sample("malformed.yaml"));
  EXPECT_THAT(message, HasSubstr(agent_data + "malformed.yaml:5:"));
  EXPECT_THAT(message, HasSubstr("invalid YAML"));
}

TEST(AgentDiscovery, WrongTypeNamesFileAndLine) {
  const auto sources = inline_config("wrong_type", "site: datadoghq.com\nlogs_enabled: sometimes\n");
  const auto message = discover_error(sources);
  EXPECT_THAT(message, HasSubstr("agent_discovery_wrong_type.yaml:2:15: logs_enabled"));
  EXPECT_THAT(message, HasSubstr("must be true or false"));
}

TEST(AgentDiscovery, WrongTypeInEnvironmentNamesTheVariable) {
  const auto message = discover_error(sample("us1_site_only.yaml"), {{"DD_APM_ENABLED", "maybe"}});
  EXPECT_THAT(message, HasSubstr("env DD_APM_ENABLED"));
}

TEST(AgentDiscovery, MissingConfigNamesTheFile) {
  const auto message = discover_error(sample("no-such-datadog.yaml"));
  EXPECT_THAT(message, HasSubstr(agent_data + "no-such-datadog.yaml"));
  EXPECT_THAT(message, HasSubstr("does not exist"));
}

TEST(AgentDiscovery, UnreadableConfigIsAnError) {
  const auto message = discover_error(sample(""));  // the data directory itself
  EXPECT_THAT(message, HasSubstr("not a regular file"));
}

TEST(AgentDiscovery, ParsesVersionCommandOutput) {
  EXPECT_EQ(parse_agent_version_output(
                "Agent 7.57.2 - Commit: 38ba0c7 - Serialization version: v5.0.130 - Go version: go1.22.7\n"),
            "7.57.2");
  EXPECT_EQ(parse_agent_version_output("\x1b[32mAgent 7.58.0-rc.3\x1b[0m - Meta: \x1b[36mgit.3.abc\x1b[0m - "
                                       "Commit: \x1b[33m1a2b3c4\x1b[0m"),
            "7.58.0");
  EXPECT_EQ(parse_agent_version_output("Error: unable to reach the Agent"), std::nullopt);
  EXPECT_EQ(parse_agent_version_output("Agent v7"), std::nullopt);
}

TEST(AgentDiscovery, ParsesVersionManifestFirstLine) {
  EXPECT_EQ(parse_version_manifest("datadog-agent 7.57.2-1\n\nComponent ..."), "7.57.2");
  EXPECT_EQ(parse_version_manifest("datadog-agent 1:7.50.3-1\n"), "7.50.3");
  EXPECT_EQ(parse_version_manifest("gitlab-ce 16.0.1\n"), std::nullopt);
  EXPECT_EQ(parse_version_manifest(""), std::nullopt);
}

// ------------------------------------------------------------------ lint
TEST(AgentLint, HardenedConfigHasNoFindings) {
  EXPECT_THAT(finding_ids(discover_ok(sample("hardened.yaml"))), IsEmpty());
}

TEST(AgentLint, ProxyWithoutNoProxy) {
  const auto profile = discover_ok(sample("proxy_without_no_proxy.yaml"));
  const auto* proxied = finding(profile, "proxy_not_bypassed");
  ASSERT_NE(proxied, nullptr);
  EXPECT_EQ(proxied->key, "proxy.https");
  EXPECT_EQ(proxied->severity, "warning");
  EXPECT_THAT(proxied->message, HasSubstr("7-57-2-app.agent.datadoghq.com"));
  EXPECT_THAT(proxied->message, HasSubstr("http://***@proxy.corp.example:3128"));
  EXPECT_THAT(proxied->message, Not(HasSubstr("s3cret")));
}

TEST(AgentLint, ProxyBypassedByExactNoProxy) {
  EXPECT_EQ(finding(discover_ok(sample("proxy_with_no_proxy.yaml")), "proxy_not_bypassed"), nullptr);
}

TEST(AgentLint, ProxyNoProxyMissesOneIntake) {
  const auto profile = discover_ok(sample("proxy_with_no_proxy.yaml"), {{"DD_LOGS_ENABLED", "true"}});
  const auto* proxied = finding(profile, "proxy_not_bypassed");
  ASSERT_NE(proxied, nullptr);
  EXPECT_THAT(proxied->message, HasSubstr("intake agent-http-intake.logs.datadoghq.com through"));
}

TEST(AgentLint, ProxyDomainEntriesNeedNonexactMatch) {
  const auto exact = discover_ok(sample("proxy_domain_no_proxy.yaml"));
  const auto* proxied = finding(exact, "proxy_not_bypassed");
  ASSERT_NE(proxied, nullptr);
  EXPECT_THAT(proxied->message, HasSubstr("no_proxy_nonexact_match"));
  const auto nonexact = discover_ok(sample("proxy_domain_no_proxy.yaml"), {{"DD_NO_PROXY_NONEXACT_MATCH", "true"}});
  EXPECT_EQ(finding(nonexact, "proxy_not_bypassed"), nullptr);
}

TEST(AgentLint, ProxyFromEnvironment) {
  const auto proxied = discover_ok(sample("us1_site_only.yaml"), {{"HTTPS_PROXY", "http://proxy.corp.example:3128"}});
  const auto* found = finding(proxied, "proxy_not_bypassed");
  ASSERT_NE(found, nullptr);
  EXPECT_THAT(found->message, HasSubstr("env HTTPS_PROXY"));
  // DD_PROXY_NO_PROXY is space-separated; nonexact matching takes domains.
  const auto bypassed = discover_ok(sample("us1_site_only.yaml"), {{"DD_PROXY_HTTPS", "http://proxy.corp.example:3128"},
                                                                   {"DD_PROXY_NO_PROXY", "localhost datadoghq.com"},
                                                                   {"DD_NO_PROXY_NONEXACT_MATCH", "true"}});
  EXPECT_EQ(finding(bypassed, "proxy_not_bypassed"), nullptr);
}

TEST(AgentLint, LogsTcpFallback) {
  const auto fallback = discover_ok(sample("ap1_site_only.yaml"), {{"DD_LOGS_ENABLED", "true"}});
  const auto* found = finding(fallback, "logs_tcp_fallback");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->key, "logs_config.force_use_http");
  EXPECT_THAT(found->message, HasSubstr("agent-intake.logs.ap1.datadoghq.com"));
  const auto forced = discover_ok(sample("ap1_site_only.yaml"),
                                  {{"DD_LOGS_ENABLED", "true"}, {"DD_LOGS_CONFIG_FORCE_USE_HTTP", "true"}});
  EXPECT_EQ(finding(forced, "logs_tcp_fallback"), nullptr);
  // Logs off: nothing to fall back.
  EXPECT_EQ(finding(discover_ok(sample("ap1_site_only.yaml")), "logs_tcp_fallback"), nullptr);
}

TEST(AgentLint, LogsTcpForced) {
  const auto additional = inline_config("logs_tcp_additional", R"(logs_enabled: true
logs_config:
  additional_endpoints:
    - {api_key: abc, host: agent-intake.logs.ap1.datadoghq.com, port: 10516}
)");
  const auto profile = discover_ok(additional);
  const auto* found = finding(profile, "logs_tcp_forced");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->severity, "error");
  EXPECT_THAT(found->message, HasSubstr("additional_endpoints"));
  EXPECT_EQ(intake_named(profile, "additional-logs-1")->scheme, "tcp");
  const auto http = discover_ok(additional, {{"DD_LOGS_CONFIG_FORCE_USE_HTTP", "true"}});
  EXPECT_EQ(finding(http, "logs_tcp_forced"), nullptr);
}

TEST(AgentLint, ConnectionResetDisabledPerKey) {
  const auto profile = discover_ok(sample("us1_site_only.yaml"), {{"DD_LOGS_ENABLED", "true"}});
  for (const char* key : {"forwarder_connection_reset_interval", "logs_config.connection_reset_interval",
                          "apm_config.connection_reset_interval"}) {
    EXPECT_NE(finding(profile, "connection_reset_disabled", key), nullptr) << key;
  }
  const auto zero = discover_ok(sample("hardened.yaml"), {{"DD_FORWARDER_CONNECTION_RESET_INTERVAL", "0"}});
  const auto* found = finding(zero, "connection_reset_disabled", "forwarder_connection_reset_interval");
  ASSERT_NE(found, nullptr);
  EXPECT_THAT(found->message, HasSubstr("env DD_FORWARDER_CONNECTION_RESET_INTERVAL"));
  EXPECT_EQ(finding(zero, "connection_reset_disabled", "logs_config.connection_reset_interval"), nullptr);
}

TEST(AgentLint, SkipSslValidation) {
  const auto profile = discover_ok(sample("hardened.yaml"), {{"DD_SKIP_SSL_VALIDATION", "true"}});
  ASSERT_NE(finding(profile, "skip_ssl_validation"), nullptr);
  const auto off = inline_config("ssl_on", "skip_ssl_validation: false\n");
  EXPECT_EQ(finding(discover_ok(off), "skip_ssl_validation"), nullptr);
}

TEST(AgentLint, SiteWithoutPrivatelink) {
  const auto profile = discover_ok(sample("eu_site.yaml"));
  const auto* found = finding(profile, "site_without_privatelink");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->severity, "error");
  EXPECT_THAT(found->message, HasSubstr("datadoghq.eu (EU1, eu_site.yaml:2 site)"));
}

TEST(AgentLint, UnknownSite) {
  const auto profile = discover_ok(sample("us1_site_only.yaml"), {{"DD_SITE", "app.datadoghq.com"}});
  EXPECT_NE(finding(profile, "unknown_site"), nullptr);
}

TEST(AgentLint, NonDatadogOverride) {
  const auto profile = discover_ok(sample("logs_apm_overrides.yaml"));
  const auto* found = finding(profile, "non_datadog_override", "logs_config.logs_dd_url");
  ASSERT_NE(found, nullptr);
  EXPECT_THAT(found->message, HasSubstr("logs-relay.corp.example:10443"));
  EXPECT_EQ(finding(profile, "non_datadog_override", "apm_config.apm_dd_url"), nullptr);
}

TEST(AgentLint, InvalidOverride) {
  // logs_dd_url needs a port; dd_url needs a scheme.
  const auto profile =
      discover_ok(sample("us1_site_only.yaml"), {{"DD_LOGS_ENABLED", "true"},
                                                 {"DD_LOGS_CONFIG_LOGS_DD_URL", "agent-http-intake.logs.datadoghq.com"},
                                                 {"DD_DD_URL", "app.datadoghq.com"}});
  EXPECT_NE(finding(profile, "invalid_override", "logs_config.logs_dd_url"), nullptr);
  EXPECT_NE(finding(profile, "invalid_override", "dd_url"), nullptr);
  EXPECT_EQ(intake_named(profile, "logs"), nullptr);
}

TEST(AgentLint, UnknownAgentVersion) {
  const auto profile = discover_ok(without_version(sample("us1_site_only.yaml")));
  const auto* found = finding(profile, "unknown_agent_version");
  ASSERT_NE(found, nullptr);
  EXPECT_THAT(found->message, HasSubstr("metrics.agent.datadoghq.com"));
  EXPECT_EQ(finding(discover_ok(sample("us1_site_only.yaml")), "unknown_agent_version"), nullptr);
}

TEST(AgentLint, EnvironmentFileLineIgnored) {
  auto sources = sample("hardened.yaml");
  sources.environment_file = agent_data + "agent.env";
  const auto profile = discover_ok(sources);
  const auto* found = finding(profile, "environment_file_line_ignored");
  ASSERT_NE(found, nullptr);
  EXPECT_THAT(found->message, HasSubstr("agent.env:7"));
}

}  // namespace
}  // namespace sidecar
