"""End to end: the real `privatelink-sidecar` binary against a real dnsmasq and
real TLS servers on loopback.  Every case of the foundation issue: the verdict,
the outcome per address, and the exit code.

    SIDECAR_BINARY=build/dev/sidecar/privatelink-sidecar \
    SIDECAR_TEST_SUPPORT_DIR=tests/support python3 -m unittest -v test_check_cli
"""

import json
import os
import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.environ.get("SIDECAR_TEST_SUPPORT_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "support")))
from local_world import LocalWorld  # noqa: E402

BINARY = os.environ.get("SIDECAR_BINARY", "privatelink-sidecar")
API_KEY = "e2e-secret-api-key-0123456789abcdef"

EXIT_OK, EXIT_DEGRADED, EXIT_FAILING, EXIT_ERROR = 0, 1, 2, 3

ZONE = {
    "a": {
        "ok.pl.test": ["127.0.10.1", "127.0.10.2", "127.0.10.3"],
        "degraded.pl.test": ["127.0.10.1", "127.0.10.2", "127.0.10.9"],
        "alldead.pl.test": ["127.0.10.9"],
        "public.pl.test": ["127.0.99.1"],
        "mixed.pl.test": ["127.0.10.1", "127.0.99.1"],
        "expired.pl.test": ["127.0.10.21"],
        "wronghost.pl.test": ["127.0.10.22"],
        "untrusted.pl.test": ["127.0.10.23"],
        "silent.pl.test": ["127.0.10.24"],
        "closed.pl.test": ["127.0.10.25"],
        "reset.pl.test": ["127.0.10.26"],
        "dual.pl.test": ["127.0.10.1"],
        "api.pl.test": ["127.0.10.1", "127.0.10.2"],
    },
    "aaaa": {"dual.pl.test": ["::1"]},
    "cname": {"alias.pl.test": "mid.intake.pl.test", "mid.intake.pl.test": "ok.pl.test"},
    "txt": {"nodata.pl.test": "no addresses here"},
    "servfail": ["broken.pl.test"],
    "timeout": ["slow.pl.test"],
    "local": ["pl.test"],
    "ttl": 60,
}


def run(args, env=None, timeout=60):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([BINARY] + args, capture_output=True, text=True, env=full_env, timeout=timeout)


class CheckCommand(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.world = LocalWorld(prefix="pl-e2e-")
        w = cls.world
        listeners = [w.tls("ok%d" % i, "127.0.10.%d" % i) for i in (1, 2, 3)]
        listeners += [
            w.tls("v6", "::1"),
            w.tls("public", "127.0.99.1"),
            w.plain("dead", "blackhole", "127.0.10.9"),
            w.tls("expired", "127.0.10.21", "expired"),
            w.tls("wronghost", "127.0.10.22", "wronghost"),
            w.tls("untrusted", "127.0.10.23", "untrusted"),
            w.plain("silent", "silent", "127.0.10.24"),
            w.plain("reset", "reset", "127.0.10.26"),
            w.plain("deaddns", "udp-silent", "127.0.0.1", port=0),
        ]
        w.start(ZONE, listeners, api_key=API_KEY)

    @classmethod
    def tearDownClass(cls):
        cls.world.__exit__(None, None, None)

    def check(self, intakes, output="json", env=None, **extra):
        config = self.world.write_config(intakes, **extra)
        result = run(["--config", config, "check", "--output", output], env=env)
        if output == "json":
            try:
                result.document = json.loads(result.stdout)
            except ValueError:
                self.fail("check did not print JSON (exit %d): %s %s" % (result.returncode, result.stdout, result.stderr))
        return result

    def check_one(self, host, **extra):
        result = self.check([self.world.intake("probe", host)], **extra)
        self.assertEqual(len(result.document["intakes"]), 1)
        return result, result.document["intakes"][0]

    def outcomes(self, intake):
        return {a["address"]: a["outcome"] for a in intake["addresses"]}

    # --- healthy -----------------------------------------------------------

    def test_private_and_reachable_on_every_address_is_ok(self):
        result, intake = self.check_one("ok.pl.test")
        self.assertEqual(result.returncode, EXIT_OK, result.stdout)
        self.assertEqual(intake["verdict"], "ok")
        self.assertEqual(intake["dns"]["outcome"], "ok")
        self.assertEqual(intake["dns"]["class"], "private")
        self.assertEqual(self.outcomes(intake), {"127.0.10.1": "ok", "127.0.10.2": "ok", "127.0.10.3": "ok"})
        for address in intake["addresses"]:
            self.assertIsInstance(address["connect_ms"], (int, float))
            self.assertIsInstance(address["tls_ms"], (int, float))
            self.assertIn(address["tls_version"], ("TLSv1.2", "TLSv1.3"))
            self.assertGreater(address["cert_days_left"], 365)
            self.assertIn("privatelink-sidecar test CA", address["cert_issuer"])
        self.assertEqual(result.document["summary"], {"ok": 1, "degraded": 0, "failing": 0, "exit_code": 0})

    def test_cname_chain_is_reported_hop_by_hop(self):
        result, intake = self.check_one("alias.pl.test")
        self.assertEqual(result.returncode, EXIT_OK, result.stdout)
        chain = [(hop["alias"], hop["target"]) for hop in intake["dns"]["cname_chain"]]
        self.assertEqual(chain, [("alias.pl.test", "mid.intake.pl.test"), ("mid.intake.pl.test", "ok.pl.test")])
        self.assertEqual(intake["dns"]["min_ttl"], 60)
        self.assertEqual(len(intake["addresses"]), 3)
        self.assertTrue(intake["dns"]["server"].startswith("127.0.0.1"))

    def test_a_and_aaaa_both_probed(self):
        result, intake = self.check_one("dual.pl.test", private_cidrs=["127.0.10.0/24", "::1/128"])
        self.assertEqual(result.returncode, EXIT_OK, result.stdout)
        self.assertEqual(self.outcomes(intake), {"127.0.10.1": "ok", "::1": "ok"})
        families = sorted(a["family"] for a in intake["dns"]["addresses"])
        self.assertEqual(families, ["ipv4", "ipv6"])

    # --- degraded ----------------------------------------------------------

    def test_one_dead_zone_of_three_is_degraded(self):
        result, intake = self.check_one("degraded.pl.test")
        self.assertEqual(result.returncode, EXIT_DEGRADED, result.stdout)
        self.assertEqual(intake["verdict"], "degraded")
        self.assertEqual(self.outcomes(intake)["127.0.10.9"], "connect_timeout")
        self.assertEqual(self.outcomes(intake)["127.0.10.1"], "ok")

    # --- failing: DNS ------------------------------------------------------

    def assert_failing(self, result, intake):
        self.assertEqual(result.returncode, EXIT_FAILING, result.stdout)
        self.assertEqual(intake["verdict"], "failing")
        self.assertTrue(intake["reason"])

    def test_public_answer_is_failing_and_not_contacted(self):
        result, intake = self.check_one("public.pl.test")
        self.assert_failing(result, intake)
        self.assertEqual(intake["dns"]["class"], "public")
        self.assertEqual(self.outcomes(intake), {"127.0.99.1": "skipped_public"})

    def test_public_addresses_are_contacted_when_allowed(self):
        result, intake = self.check_one("public.pl.test", probe_public_addresses=True)
        self.assert_failing(result, intake)
        self.assertEqual(self.outcomes(intake), {"127.0.99.1": "ok"})

    def test_mixed_answer_is_failing(self):
        result, intake = self.check_one("mixed.pl.test")
        self.assert_failing(result, intake)
        self.assertEqual(intake["dns"]["class"], "mixed")
        self.assertEqual(self.outcomes(intake), {"127.0.10.1": "ok", "127.0.99.1": "skipped_public"})

    def test_private_address_outside_expected_cidrs_is_unexpected(self):
        result, intake = self.check_one("ok.pl.test", expected_cidrs=["127.0.10.0/31"])
        self.assert_failing(result, intake)
        self.assertEqual(intake["dns"]["class"], "unexpected")

    def test_dns_failures(self):
        cases = {
            "missing.pl.test": "nxdomain",
            "nodata.pl.test": "nodata",
            "broken.pl.test": "servfail",
            "outside.example": "refused",
            "slow.pl.test": "timeout",
        }
        result = self.check([self.world.intake(name.split(".")[0], name) for name in cases])
        self.assertEqual(result.returncode, EXIT_FAILING, result.stdout)
        by_host = {i["host"]: i for i in result.document["intakes"]}
        for host, outcome in cases.items():
            with self.subTest(host=host):
                self.assertEqual(by_host[host]["dns"]["outcome"], outcome)
                self.assertEqual(by_host[host]["verdict"], "failing")
                self.assertEqual(by_host[host]["addresses"], [])

    def test_dns_server_that_never_answers_costs_only_the_timeout(self):
        dead = self.world.listeners["deaddns"]
        config = self.world.config([self.world.intake("probe", "ok.pl.test")], timeout="1s")
        config["dns"]["servers"] = ["127.0.0.1:%d" % dead["port"]]
        path = os.path.join(self.world.dir, "deaddns.yaml")
        with open(path, "w") as f:
            json.dump(config, f)
        started = time.monotonic()
        result = run(["--config", path, "check", "--output", "json"])
        elapsed = time.monotonic() - started
        self.assertEqual(result.returncode, EXIT_FAILING, result.stdout + result.stderr)
        self.assertEqual(json.loads(result.stdout)["intakes"][0]["dns"]["outcome"], "timeout")
        self.assertLess(elapsed, 10)  # the deadline holds; generous to stay free of timing flakes

    # --- failing: reachability ----------------------------------------------

    def test_every_reachability_failure_has_its_own_outcome(self):
        cases = {
            "expired.pl.test": "cert_expired",
            "wronghost.pl.test": "cert_hostname_mismatch",
            "untrusted.pl.test": "cert_untrusted",
            "silent.pl.test": "tls_timeout",
            "closed.pl.test": "refused",
            "reset.pl.test": "reset",
            "alldead.pl.test": "connect_timeout",
        }
        result = self.check([self.world.intake(name.split(".")[0], name) for name in cases], timeout="1s")
        self.assertEqual(result.returncode, EXIT_FAILING, result.stdout)
        by_host = {i["host"]: i for i in result.document["intakes"]}
        for host, outcome in cases.items():
            with self.subTest(host=host):
                intake = by_host[host]
                self.assertEqual(intake["dns"]["class"], "private")
                self.assertEqual([a["outcome"] for a in intake["addresses"]], [outcome])
                self.assertEqual(intake["verdict"], "failing")

    # --- HTTPS and the API key ---------------------------------------------

    def api_intake(self, env_name):
        return self.world.intake("api", "api.pl.test",
                                 https={"path": "/api/v1/validate", "api_key_env": env_name})

    def test_api_key_is_validated_on_every_address_and_never_printed(self):
        env = {"E2E_DD_API_KEY": API_KEY}
        for output in ("json", "table"):
            result = self.check([self.api_intake("E2E_DD_API_KEY")], output=output, env=env)
            self.assertEqual(result.returncode, EXIT_OK, result.stdout + result.stderr)
            self.assertNotIn(API_KEY, result.stdout + result.stderr)
            if output == "json":
                statuses = [a["https"]["status"] for a in result.document["intakes"][0]["addresses"]]
                self.assertEqual(statuses, [200, 200])
        config = self.world.write_config([self.api_intake("E2E_DD_API_KEY")])
        for command in (["check-config"], ["intakes"]):
            shown = run(["--config", config] + command, env=env)
            self.assertEqual(shown.returncode, 0, shown.stderr)
            self.assertNotIn(API_KEY, shown.stdout + shown.stderr)

    def test_wrong_api_key_fails_the_https_check(self):
        result = self.check([self.api_intake("E2E_WRONG_KEY")], env={"E2E_WRONG_KEY": "not-the-key"})
        self.assertEqual(result.returncode, EXIT_FAILING, result.stdout + result.stderr)
        addresses = result.document["intakes"][0]["addresses"]
        self.assertEqual([a["https"]["status"] for a in addresses], [403, 403])
        self.assertEqual({a["outcome"] for a in addresses}, {"http_failed"})
        self.assertNotIn("not-the-key", result.stdout + result.stderr)

    # --- the table and the summary -------------------------------------------

    def test_table_shows_every_intake_and_address(self):
        result = self.check([self.world.intake("metrics", "ok.pl.test"),
                             self.world.intake("logs", "degraded.pl.test"),
                             self.world.intake("trace", "public.pl.test")], output="table")
        self.assertEqual(result.returncode, EXIT_FAILING)
        for text in ("metrics", "logs", "trace", "ok.pl.test", "127.0.10.9", "connect_timeout",
                     "public", "skipped_public", "degraded", "failing"):
            self.assertIn(text, result.stdout)

    def test_worst_verdict_decides_the_exit_code(self):
        result = self.check([self.world.intake("a", "ok.pl.test"), self.world.intake("b", "degraded.pl.test")])
        self.assertEqual(result.returncode, EXIT_DEGRADED)
        self.assertEqual(result.document["summary"]["degraded"], 1)
        self.assertEqual(result.document["summary"]["exit_code"], 1)


class CommandLine(unittest.TestCase):
    def setUp(self):
        import tempfile
        self.dir = tempfile.mkdtemp(prefix="pl-e2e-cli-")

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_version(self):
        for flag in (["--version"], ["-V"], ["version"]):
            result = run(flag)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertRegex(result.stdout, r"\d+\.\d+\.\d+")

    def test_help_for_every_subcommand(self):
        top = run(["--help"])
        self.assertEqual(top.returncode, 0)
        for command in ("check", "check-config", "intakes", "version"):
            self.assertIn(command, top.stdout)
            result = run([command, "--help"])
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("Usage", result.stdout)

    def test_unknown_key_names_file_line_and_path(self):
        path = self.write("bad.yaml", "timeout: 5s\ndns:\n  servres: [\"127.0.0.1:53\"]\n")
        result = run(["--config", path, "check"])
        self.assertEqual(result.returncode, EXIT_ERROR)
        self.assertIn("bad.yaml:3:3: dns.servres: unknown key", result.stderr)
        self.assertEqual(result.stdout, "")

    def test_wrong_type_names_the_key(self):
        path = self.write("bad.yaml", "intakes:\n  - {name: m, host: m.pl.test, port: https}\n")
        result = run(["--config", path, "check-config"])
        self.assertEqual(result.returncode, EXIT_ERROR)
        self.assertIn("bad.yaml:2:", result.stderr)
        self.assertIn("intakes[0].port", result.stderr)

    def test_missing_explicit_config_is_an_error(self):
        result = run(["--config", os.path.join(self.dir, "nope.yaml"), "check"])
        self.assertEqual(result.returncode, EXIT_ERROR)
        self.assertIn("nope.yaml", result.stderr)

    def test_unknown_subcommand_is_a_usage_error(self):
        self.assertEqual(run(["frobnicate"]).returncode, EXIT_ERROR)

    def test_intakes_of_the_site_table_without_probing(self):
        path = self.write("site.yaml", "site: ap1.datadoghq.com\n")
        result = run(["--config", path, "intakes"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("api.ap1.datadoghq.com", result.stdout)
        self.assertIn("agent-http-intake.logs.ap1.datadoghq.com", result.stdout)


if __name__ == "__main__":
    unittest.main()
