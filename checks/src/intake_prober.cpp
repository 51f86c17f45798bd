#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include "checks/intake.h"

namespace checks {

struct ProbeRun {
  IntakeTarget target;
  IntakeResult result;
  std::size_t pending = 0;
  std::function<void(IntakeResult)> done;
};

namespace {

bool accepted(const HttpsCheck& check, long status) {
  return std::find(check.accepted_status.begin(), check.accepted_status.end(), status) !=
         check.accepted_status.end();
}

std::string describe_unreachable(const std::vector<ReachResult>& addresses) {
  std::string text;
  for (const auto& address : addresses) {
    if (is_reachable(address.outcome)) continue;
    text += fmt::format("{}{} {}", text.empty() ? "" : ", ", address.address.to_string(), to_string(address.outcome));
  }
  return text;
}

}  // namespace

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::ok: return "ok";
    case Verdict::degraded: return "degraded";
    case Verdict::failing: return "failing";
  }
  return "failing";
}

std::pair<Verdict, std::string> decide_verdict(const IntakeResult& result) {
  if (result.dns.addresses.empty()) {
    if (result.dns.detail.empty()) return {Verdict::failing, fmt::format("DNS {}", to_string(result.dns.outcome))};
    return {Verdict::failing, fmt::format("DNS {}: {}", to_string(result.dns.outcome), result.dns.detail)};
  }
  if (result.address_class != AddressClass::private_) {
    return {Verdict::failing, fmt::format("resolves to {} addresses", to_string(result.address_class))};
  }
  const auto reachable = static_cast<std::size_t>(std::count_if(
      result.addresses.begin(), result.addresses.end(), [](const ReachResult& r) { return is_reachable(r.outcome); }));
  if (reachable == 0) return {Verdict::failing, "unreachable: " + describe_unreachable(result.addresses)};
  if (reachable < result.addresses.size()) {
    return {Verdict::degraded, "some addresses unreachable: " + describe_unreachable(result.addresses)};
  }
  if (result.dns.outcome != DnsOutcome::ok) {
    return {Verdict::degraded, fmt::format("A {}, AAAA {}", to_string(result.dns.a.outcome),
                                           to_string(result.dns.aaaa.outcome))};
  }
  return {Verdict::ok, ""};
}

IntakeProber::IntakeProber(boost::asio::io_context& io, DnsResolver& resolver,
                           std::shared_ptr<boost::asio::ssl::context> tls_context, HttpsClient* https_client,
                           ProbeSettings settings)
    : io_(io),
      resolver_(resolver),
      tls_context_(std::move(tls_context)),
      https_client_(https_client),
      settings_(std::move(settings)) {}

void IntakeProber::probe(const IntakeTarget& target, std::function<void(IntakeResult)> done) {
  auto run = std::make_shared<ProbeRun>();
  run->target = target;
  run->result.name = target.name;
  run->result.host = target.host;
  run->result.port = target.port;
  run->done = std::move(done);
  resolver_.resolve(target.host, settings_.timeout, [this, run](DnsResult dns) {
    run->result.dns = std::move(dns);
    run->result.address_class =
        classify_addresses(run->result.dns.address_list(), settings_.private_cidrs, settings_.expected_cidrs);
    probe_addresses(run);
  });
}

void IntakeProber::probe_addresses(std::shared_ptr<ProbeRun> run) {
  const auto& resolved = run->result.dns.addresses;
  run->result.addresses.resize(resolved.size());
  run->pending = resolved.size() + 1;  // +1 so that synchronous completions cannot finish early
  for (std::size_t index = 0; index < resolved.size(); ++index) {
    ReachResult& slot = run->result.addresses[index];
    slot.address = resolved[index].address;
    slot.port = run->target.port;
    if (!settings_.probe_public_addresses && !is_inside_any(slot.address, settings_.private_cidrs)) {
      slot.outcome = ReachOutcome::skipped_public;
      slot.detail = "public address not contacted";
      --run->pending;
      continue;
    }
    probe_one_address(run, index);
  }
  address_finished(run);
}

void IntakeProber::probe_one_address(std::shared_ptr<ProbeRun> run, std::size_t index) {
  const ReachResult& slot = run->result.addresses[index];
  boost::asio::co_spawn(
      io_, probe_tls(tls_context_, slot.address, slot.port, run->target.host, settings_.timeout),
      [this, run, index](std::exception_ptr failure, ReachResult reach) {
        if (failure) {
          // Nothing in probe_tls throws on purpose; keep a bug from killing the loop.
          reach.address = run->result.addresses[index].address;
          reach.port = run->target.port;
          reach.outcome = ReachOutcome::error;
          try {
            std::rethrow_exception(failure);
          } catch (const std::exception& error) {
            reach.detail = error.what();
          }
        }
        run->result.addresses[index] = std::move(reach);
        if (run->target.https && https_client_ != nullptr && run->result.addresses[index].outcome == ReachOutcome::ok) {
          request_https(run, index);
          return;
        }
        address_finished(run);
      });
}

void IntakeProber::request_https(std::shared_ptr<ProbeRun> run, std::size_t index) {
  HttpsRequest request;
  request.host = run->target.host;
  request.port = run->target.port;
  request.address = run->result.addresses[index].address;
  request.path = run->target.https->path;
  request.headers = run->target.https->headers;
  request.ca_file = settings_.ca_file;
  request.timeout = settings_.timeout;
  https_client_->get(request, [this, run, index](HttpsResult https) {
    ReachResult& slot = run->result.addresses[index];
    if (!https.error.empty() || !accepted(*run->target.https, https.status_code)) {
      slot.outcome = ReachOutcome::http_failed;
      slot.detail = https.error.empty() ? fmt::format("HTTP {}", https.status_code) : https.error;
    }
    slot.https = std::move(https);
    address_finished(run);
  });
}

void IntakeProber::address_finished(const std::shared_ptr<ProbeRun>& run) {
  if (--run->pending > 0) return;
  auto [verdict, reason] = decide_verdict(run->result);
  run->result.verdict = verdict;
  run->result.reason = std::move(reason);
  auto done = std::move(run->done);
  done(std::move(run->result));
}

void IntakeProber::probe_all(const std::vector<IntakeTarget>& targets,
                             std::function<void(std::vector<IntakeResult>)> done) {
  struct Batch {
    std::vector<IntakeResult> results;
    std::size_t pending = 0;
    std::function<void(std::vector<IntakeResult>)> done;
  };
  auto batch = std::make_shared<Batch>();
  batch->results.resize(targets.size());
  batch->pending = targets.size();
  batch->done = std::move(done);
  if (targets.empty()) {
    boost::asio::post(io_, [batch] { batch->done({}); });
    return;
  }
  for (std::size_t index = 0; index < targets.size(); ++index) {
    probe(targets[index], [batch, index](IntakeResult result) {
      batch->results[index] = std::move(result);
      if (--batch->pending == 0) batch->done(std::move(batch->results));
    });
  }
}

}  // namespace checks
