#include "daemon_state.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "report.h"

namespace sidecar {

using checks::AddressClass;
using checks::Verdict;

void DaemonState::record_restart_event(RestartEvent event) {
  constexpr std::size_t kept = 50;
  recent_restart_events.push_back(std::move(event));
  if (recent_restart_events.size() > kept) recent_restart_events.erase(recent_restart_events.begin());
  ++version_counter;
}

namespace {

double unix_seconds(std::chrono::system_clock::time_point at) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count()) /
         1000.0;
}

std::string iso_time(std::chrono::system_clock::time_point at) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(at)));
}

// Prometheus label values escape backslash, double quote and newline.
std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

class MetricsWriter {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    text_ += fmt::format("# HELP privatelink_sidecar_{} {}\n# TYPE privatelink_sidecar_{} {}\n", name, help, name, type);
  }
  // labels: alternating name, value.
  void sample(std::string_view name, std::initializer_list<std::string_view> labels, double value) {
    text_ += "privatelink_sidecar_";
    text_ += name;
    if (labels.size() > 0) {
      text_ += '{';
      bool first = true;
      for (auto it = labels.begin(); it != labels.end(); it += 2) {
        text_ += fmt::format("{}{}=\"{}\"", first ? "" : ",", *it, escape_label(*(it + 1)));
        first = false;
      }
      text_ += '}';
    }
    text_ += fmt::format(" {}\n", value);
  }
  void histogram(std::string_view name, std::string_view intake, std::string_view phase, const Histogram& histogram) {
    const std::string bucket = fmt::format("{}_bucket", name);
    for (std::size_t index = 0; index < phase_buckets.size(); ++index) {
      const std::string le = fmt::format("{}", phase_buckets[index]);
      sample(bucket, {"intake", intake, "phase", phase, "le", le}, static_cast<double>(histogram.counts[index]));
    }
    sample(bucket, {"intake", intake, "phase", phase, "le", "+Inf"}, static_cast<double>(histogram.count));
    sample(fmt::format("{}_sum", name), {"intake", intake, "phase", phase}, histogram.sum);
    sample(fmt::format("{}_count", name), {"intake", intake, "phase", phase}, static_cast<double>(histogram.count));
  }
  std::string take() { return std::move(text_); }

 private:
  std::string text_;
};

constexpr std::array<Verdict, 3> all_verdicts = {Verdict::ok, Verdict::degraded, Verdict::failing};
constexpr std::array<AddressClass, 5> all_classes = {AddressClass::none, AddressClass::private_,
                                                     AddressClass::public_, AddressClass::mixed,
                                                     AddressClass::unexpected};

std::optional<int> min_cert_days(const checks::IntakeResult& result) {
  std::optional<int> days;
  for (const auto& address : result.addresses) {
    if (address.cert_days_left) days = std::min(days.value_or(*address.cert_days_left), *address.cert_days_left);
  }
  return days;
}

void write_probe_metrics(MetricsWriter& out, const DaemonState& state) {
  out.family("probes_total", "counter", "Finished probes per intake.");
  for (const auto& intake : state.intakes) out.sample("probes_total", {"intake", intake->target().name}, static_cast<double>(intake->probes()));
  out.family("probe_failures_total", "counter", "Probe failures per intake and reason (DNS outcome, address class or reach outcome).");
  for (const auto& intake : state.intakes) {
    for (const auto& [reason, count] : intake->failures()) {
      out.sample("probe_failures_total", {"intake", intake->target().name, "reason", reason}, static_cast<double>(count));
    }
  }
  out.family("phase_duration_seconds", "histogram", "Duration of each probe phase: dns, connect, tls, https.");
  for (const auto& intake : state.intakes) {
    for (Phase phase : all_phases) {
      out.histogram("phase_duration_seconds", intake->target().name, to_string(phase), intake->histogram(phase));
    }
  }
}

void write_state_metrics(MetricsWriter& out, const DaemonState& state) {
  out.family("intake_verdict", "gauge", "1 for the intake's current verdict (after thresholds), 0 for the others.");
  for (const auto& intake : state.intakes) {
    if (!intake->reported()) continue;
    for (Verdict verdict : all_verdicts) {
      out.sample("intake_verdict", {"intake", intake->target().name, "verdict", checks::to_string(verdict)},
                 intake->reported() == verdict ? 1 : 0);
    }
  }
  out.family("dns_class", "gauge", "1 for the class of the intake's last DNS answer, 0 for the others.");
  for (const auto& intake : state.intakes) {
    if (!intake->last()) continue;
    for (AddressClass klass : all_classes) {
      out.sample("dns_class", {"intake", intake->target().name, "class", checks::to_string(klass)},
                 intake->last()->address_class == klass ? 1 : 0);
    }
  }
  out.family("dns_addresses", "gauge", "Addresses in the intake's last DNS answer (A and AAAA).");
  for (const auto& intake : state.intakes) {
    if (intake->last()) out.sample("dns_addresses", {"intake", intake->target().name}, static_cast<double>(intake->last()->dns.addresses.size()));
  }
  out.family("dns_min_ttl_seconds", "gauge", "Minimum TTL over the last answer's records and CNAME hops.");
  for (const auto& intake : state.intakes) {
    if (intake->last() && intake->last()->dns.min_ttl) {
      out.sample("dns_min_ttl_seconds", {"intake", intake->target().name}, *intake->last()->dns.min_ttl);
    }
  }
  out.family("address_reachable", "gauge", "1 when the last TCP+TLS probe of this address succeeded.");
  for (const auto& intake : state.intakes) {
    if (!intake->last()) continue;
    for (const auto& address : intake->last()->addresses) {
      out.sample("address_reachable", {"intake", intake->target().name, "address", address.address.to_string()},
                 checks::is_reachable(address.outcome) ? 1 : 0);
    }
  }
  // Prometheus wants base units: seconds, at day resolution (what the probe records).
  out.family("cert_remaining_seconds", "gauge", "Time until the earliest leaf certificate of the intake expires.");
  for (const auto& intake : state.intakes) {
    if (!intake->last()) continue;
    if (auto days = min_cert_days(*intake->last())) {
      out.sample("cert_remaining_seconds", {"intake", intake->target().name}, *days * 86400.0);
    }
  }
  out.family("dns_changes_total", "counter", "Changes of the intake's DNS answer set.");
  for (const auto& intake : state.intakes) out.sample("dns_changes_total", {"intake", intake->target().name}, static_cast<double>(intake->dns_changes()));
  out.family("last_dns_change_timestamp_seconds", "gauge", "Unix time of the intake's last DNS answer change.");
  for (const auto& intake : state.intakes) {
    if (auto at = intake->last_dns_change()) {
      out.sample("last_dns_change_timestamp_seconds", {"intake", intake->target().name}, unix_seconds(*at));
    }
  }
}

void write_agent_metrics(MetricsWriter& out, const DaemonState& state) {
  out.family("agent_processes", "gauge", "Datadog Agent processes found.");
  out.sample("agent_processes", {}, static_cast<double>(state.agent.processes));
  out.family("agent_connections", "gauge",
             "Distinct remote addresses of the Agent's established connections to the intake's port, by state: current "
             "(DNS answers the address now), stale (answered before, not now), public.");
  for (const auto& intake : state.intakes) {
    if (!intake->agent_scanned()) continue;
    const auto& agent = intake->agent();
    const std::string& name = intake->target().name;
    out.sample("agent_connections", {"intake", name, "state", "current"}, static_cast<double>(agent.current.size()));
    out.sample("agent_connections", {"intake", name, "state", "stale"}, static_cast<double>(agent.stale.size()));
    out.sample("agent_connections", {"intake", name, "state", "public"}, static_cast<double>(agent.public_.size()));
  }
}

void write_restart_metrics(MetricsWriter& out, const DaemonState& state) {
  out.family("restarts_total", "counter", "Agent restarts done (or decided, in dry run) by reason.");
  for (const auto& [reason, count] : state.restarts_by_reason) {
    out.sample("restarts_total", {"reason", reason, "dry_run", "false"}, static_cast<double>(count));
  }
  for (const auto& [reason, count] : state.restarts_dry_run) {
    out.sample("restarts_total", {"reason", reason, "dry_run", "true"}, static_cast<double>(count));
  }
  out.family("restarts_skipped_total", "counter", "Agent restarts wanted but not done, by why not.");
  for (const auto& [reason, count] : state.restarts_skipped) out.sample("restarts_skipped_total", {"reason", reason}, static_cast<double>(count));
  out.family("restart_failures_total", "counter", "Agent restarts whose command or verification failed.");
  for (const auto& [reason, count] : state.restarts_failed) out.sample("restart_failures_total", {"reason", reason}, static_cast<double>(count));
  out.family("lint_findings", "gauge", "PrivateLink pitfalls found in the Agent's configuration.");
  std::map<std::pair<std::string, std::string>, int> findings;  // one series per id: several keys may share one
  for (const auto& finding : state.findings) ++findings[{finding.id, finding.severity}];
  for (const auto& [id_severity, count] : findings) {
    out.sample("lint_findings", {"id", id_severity.first, "severity", id_severity.second}, count);
  }
}

}  // namespace

std::string render_metrics(const DaemonState& state, std::chrono::system_clock::time_point now) {
  (void)now;
  MetricsWriter out;
  out.family("build_info", "gauge", "Version and git revision of the running sidecar.");
  out.sample("build_info", {"version", state.version, "revision", state.revision}, 1);
  out.family("start_time_seconds", "gauge", "Unix time the sidecar started.");
  out.sample("start_time_seconds", {}, unix_seconds(state.started));
  out.family("probe_loop_healthy", "gauge", "1 while every intake is probed on schedule.");
  out.sample("probe_loop_healthy", {}, state.loop_healthy ? 1 : 0);
  out.family("config_reloads_total", "counter", "Configuration reloads (SIGHUP) by result.");
  out.sample("config_reloads_total", {"result", "ok"}, static_cast<double>(state.config_reloads));
  out.sample("config_reloads_total", {"result", "failed"}, static_cast<double>(state.config_reload_failures));
  write_probe_metrics(out, state);
  write_state_metrics(out, state);
  write_agent_metrics(out, state);
  write_restart_metrics(out, state);
  return out.take();
}

namespace {

nlohmann::json intake_status_json(const IntakeMonitor& intake) {
  nlohmann::json entry;
  if (intake.last()) {
    entry = intake_to_json(*intake.last());
  } else {
    entry = {{"name", intake.target().name}, {"host", intake.target().host}, {"port", intake.target().port},
             {"verdict", nullptr}, {"reason", "not probed yet"},
             {"dns", {{"outcome", nullptr}, {"class", nullptr}, {"addresses", nlohmann::json::array()},
                      {"cname_chain", nlohmann::json::array()}}},
             {"addresses", nlohmann::json::array()}};
  }
  entry["origin"] = intake.origin();
  entry["optional"] = intake.optional();
  entry["reported_verdict"] = intake.reported() ? nlohmann::json(checks::to_string(*intake.reported())) : nlohmann::json(nullptr);
  entry["probes"] = intake.probes();
  entry["dns_changes"] = intake.dns_changes();
  entry["last_dns_change"] = intake.last_dns_change() ? nlohmann::json(iso_time(*intake.last_dns_change())) : nlohmann::json(nullptr);
  entry["last_probe"] = intake.last_probe_end() ? nlohmann::json(iso_time(*intake.last_probe_end())) : nlohmann::json(nullptr);
  nlohmann::json agent = {{"scanned", intake.agent_scanned()}};
  if (intake.agent_scanned()) {
    auto list = [](const std::vector<checks::IpAddress>& addresses) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& address : addresses) out.push_back(address.to_string());
      return out;
    };
    agent["state"] = to_string(intake.agent().state);
    agent["current"] = list(intake.agent().current);
    agent["stale"] = list(intake.agent().stale);
    agent["public"] = list(intake.agent().public_);
  }
  entry["agent"] = std::move(agent);
  if (intake.change()) {
    entry["pending_change"] = {{"kind", intake.change()->kind},
                               {"reason", intake.change()->reason},
                               {"held_checks", intake.change()->held_checks},
                               {"target_healthy", intake.change()->target_healthy}};
  } else {
    entry["pending_change"] = nullptr;
  }
  return entry;
}

}  // namespace

nlohmann::json render_status_json(const DaemonState& state, std::chrono::system_clock::time_point now) {
  nlohmann::json intakes = nlohmann::json::array();
  int ok = 0, degraded = 0, failing = 0, unknown = 0;
  for (const auto& intake : state.intakes) {
    intakes.push_back(intake_status_json(*intake));
    if (!intake->reported()) ++unknown;
    else if (*intake->reported() == Verdict::ok) ++ok;
    else if (*intake->reported() == Verdict::degraded) ++degraded;
    else ++failing;
  }
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& finding : state.findings) {
    findings.push_back({{"id", finding.id}, {"severity", finding.severity}, {"key", finding.key}, {"message", finding.message}});
  }
  nlohmann::json events = nlohmann::json::array();
  for (const auto& event : state.recent_restart_events) {
    events.push_back({{"at", iso_time(event.at)}, {"outcome", event.outcome}, {"reason", event.reason}, {"intakes", event.intakes}});
  }
  nlohmann::json connections = nlohmann::json::array();
  for (const auto& connection : state.agent.connections) {
    auto endpoint = [](const checks::IpAddress& address, std::uint16_t port) {
      return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), port)
                             : fmt::format("{}:{}", address.to_string(), port);
    };
    connections.push_back({{"pid", connection.pid},
                           {"local", endpoint(connection.local, connection.local_port)},
                           {"remote", endpoint(connection.remote, connection.remote_port)}});
  }
  return {
      {"version", state.version},
      {"revision", state.revision},
      {"site", state.site},
      {"config_file", state.config_file},
      {"intakes_source", state.intakes_source},
      {"started", iso_time(state.started)},
      {"now", iso_time(now)},
      {"interval_seconds", static_cast<double>(state.interval.count()) / 1000.0},
      {"healthy", state.loop_healthy},
      {"summary", {{"ok", ok}, {"degraded", degraded}, {"failing", failing}, {"unknown", unknown}}},
      {"intakes", std::move(intakes)},
      {"agent",
       {{"scanned", state.agent.scanned},
        {"error", state.agent.error},
        {"version", state.agent_version ? nlohmann::json(*state.agent_version) : nlohmann::json(nullptr)},
        {"processes", state.agent.processes},
        {"method", state.agent.method},
        {"notes", state.agent.notes},
        {"connections", std::move(connections)}}},
      {"findings", std::move(findings)},
      {"restart",
       {{"enabled", state.restart_enabled},
        {"dry_run", state.dry_run},
        {"state", state.restart_state},
        {"due", state.restart_due ? nlohmann::json(iso_time(*state.restart_due)) : nlohmann::json(nullptr)},
        {"done_by_reason", state.restarts_by_reason},
        {"dry_run_by_reason", state.restarts_dry_run},
        {"skipped_by_reason", state.restarts_skipped},
        {"failed_by_reason", state.restarts_failed},
        {"events", std::move(events)}}},
  };
}

namespace {

std::string html_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string verdict_css(std::optional<Verdict> verdict) {
  if (!verdict) return "unknown";
  return std::string(checks::to_string(*verdict));
}

}  // namespace

std::string render_status_page(const DaemonState& state, std::chrono::system_clock::time_point now) {
  std::string rows;
  for (const auto& intake : state.intakes) {
    std::string addresses;
    std::string dns = "-";
    std::string klass = "-";
    if (const auto& last = intake->last()) {
      dns = std::string(checks::to_string(last->dns.outcome));
      klass = std::string(checks::to_string(last->address_class));
      for (const auto& address : last->addresses) {
        addresses += fmt::format("<span class=\"{}\">{} {}</span><br>", checks::is_reachable(address.outcome) ? "ok" : "failing",
                                 html_escape(address.address.to_string()), html_escape(checks::to_string(address.outcome)));
      }
    }
    const std::string agent = intake->agent_scanned() ? std::string(to_string(intake->agent().state)) : "-";
    const std::string change = intake->change() ? html_escape(intake->change()->reason) : "";
    rows += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>\n",
        html_escape(intake->target().name), html_escape(intake->target().host), dns, klass, addresses, agent,
        verdict_css(intake->reported()), verdict_css(intake->reported()), change);
  }
  std::string findings;
  for (const auto& finding : state.findings) {
    findings += fmt::format("<li><b>{}</b> ({}): {}</li>\n", html_escape(finding.id), html_escape(finding.severity),
                            html_escape(finding.message));
  }
  std::string events;
  for (auto it = state.recent_restart_events.rbegin(); it != state.recent_restart_events.rend(); ++it) {
    events += fmt::format("<li>{} <b>{}</b>: {}</li>\n", iso_time(it->at), html_escape(it->outcome), html_escape(it->reason));
  }
  return fmt::format(R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<title>privatelink-sidecar</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }} table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }}
.ok {{ color: #1a7f37; }} .degraded {{ color: #9a6700; }} .failing {{ color: #cf222e; font-weight: bold; }}
.unknown {{ color: #666; }}
</style></head><body>
<h1>privatelink-sidecar</h1>
<p>site <b>{}</b> &middot; intakes from {} &middot; version {} &middot; {} &middot; probe loop {}</p>
<table><tr><th>intake</th><th>host</th><th>DNS</th><th>class</th><th>addresses</th><th>Agent connections</th><th>verdict</th><th>pending change</th></tr>
{}</table>
<h2>Agent configuration findings</h2><ul>{}</ul>
<h2>Restarts ({}{})</h2><ul>{}</ul>
<p><a href="/status">/status</a> (JSON) &middot; <a href="/metrics">/metrics</a> &middot; <a href="/healthz">/healthz</a></p>
</body></html>
)",
                     html_escape(state.site), html_escape(state.intakes_source), html_escape(state.version),
                     iso_time(now), state.loop_healthy ? "healthy" : "<span class=\"failing\">late</span>", rows,
                     findings.empty() ? "<li>none</li>" : findings, state.restart_enabled ? "enabled" : "disabled",
                     state.dry_run ? ", dry run" : "", events.empty() ? "<li>none</li>" : events);
}

}  // namespace sidecar
