"""End to end: `privatelink-sidecar run` with the real binary, a real dnsmasq
whose answers the tests change while the daemon runs, real TLS servers, a
fake Agent process holding connections, and a restart command that records
its calls. Loopback only.

    SIDECAR_BINARY=build/dev/sidecar/privatelink-sidecar \
    SIDECAR_TEST_SUPPORT_DIR=tests/support python3 -m unittest -v test_daemon
"""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.dont_write_bytecode = True
SUPPORT = os.environ.get("SIDECAR_TEST_SUPPORT_DIR", os.path.join(os.path.dirname(__file__), "..", "support"))
sys.path.insert(0, SUPPORT)
from local_world import LocalWorld, free_port  # noqa: E402

BINARY = os.environ.get("SIDECAR_BINARY", "privatelink-sidecar")
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")

PRIVATE_A, PRIVATE_B, PRIVATE_C = "127.0.10.71", "127.0.10.72", "127.0.10.73"
PUBLIC = "127.0.99.71"
HEALTHY = "127.0.10.70"


class Daemon:
    """One `privatelink-sidecar run` process with a fast schedule."""

    def __init__(self, world, intakes, state_dir=None, **overrides):
        self.world = world
        self.dir = tempfile.mkdtemp(prefix="daemon-", dir=world.dir)
        self.port = free_port()
        self.record = os.path.join(self.dir, "restarts.log")
        self.marker = os.path.join(self.dir, "restart.marker")
        restart = {
            # Records the call and "restarts" the fake Agent (it reconnects when the marker changes).
            "command": ["sh", "-c", 'echo "$(date +%s.%N)" >> "$0"; touch "$1"', self.record, self.marker],
            "verify_command": ["true"],
            "upgrade_check_command": [],
            "stable_checks": 2,
            "cooldown": "1m",
            "max_per_hour": 3,
            "jitter": "0s",
        }
        restart.update(overrides.pop("restart", {}))
        schedule = {"interval": "1s", "timeout": "800ms", "confirm_interval": "900ms"}
        schedule.update({key: overrides.pop(key) for key in list(schedule) if key in overrides})
        self.config = world.config(intakes, **schedule,
                                   state_dir=state_dir or os.path.join(self.dir, "state"),
                                   status={"listen": "127.0.0.1:%d" % self.port}, restart=restart,
                                   agent=overrides.pop("agent", {"process_names": ["no-such-agent"]}),
                                   **overrides)
        self.config_path = os.path.join(self.dir, "sidecar.yaml")
        self.write_config(self.config)
        self.process = None
        self.log_path = os.path.join(self.dir, "daemon.log")

    def write_config(self, config):
        with open(self.config_path, "w") as f:
            json.dump(config, f, indent=2)

    def start(self):
        self.log_file = open(self.log_path, "w")
        env = dict(os.environ)
        env.pop("PRIVATELINK_SIDECAR_AGENT_CONFIG", None)
        self.process = subprocess.Popen([BINARY, "--config", self.config_path, "run"], stdout=self.log_file,
                                        stderr=subprocess.STDOUT, env=env)
        self.wait_for(lambda: self.get("/healthz")[0] == 200, "the status endpoint")
        return self

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def get(self, path, method="GET"):
        request = urllib.request.Request(self.url(path), method=method)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except OSError:
            return None, ""

    def status(self):
        code, body = self.get("/status")
        assert code == 200, (code, body)
        return json.loads(body)

    def intake(self, name):
        return next(i for i in self.status()["intakes"] if i["name"] == name)

    def metrics(self):
        return self.get("/metrics")[1]

    def wait_for(self, predicate, what, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError("daemon exited (%d) while waiting for %s:\n%s" % (self.process.returncode, what, self.log()))
            try:
                if predicate():
                    return
            except (KeyError, StopIteration, AssertionError, ValueError):
                pass
            time.sleep(0.05)
        raise AssertionError("timed out waiting for %s\n%s" % (what, self.log()[-4000:]))

    def wait_probes(self, name, count):
        start = self.intake(name)["probes"]
        self.wait_for(lambda: self.intake(name)["probes"] >= start + count, "%d more probes of %s" % (count, name))

    def restarts(self):
        if not os.path.exists(self.record):
            return 0
        with open(self.record) as f:
            return len(f.read().splitlines())

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        if self.process is None or self.process.poll() is not None:
            return None, self.process.returncode if self.process else None
        started = time.monotonic()
        self.process.send_signal(sig)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log_file.close()
        return time.monotonic() - started, self.process.returncode


def metric_value(text, name, **labels):
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        match = re.match(r'^([a-z_]+)(\{(.*)\})? (\S+)$', line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(3) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(4))
    return None


def daemon_answers(daemon, name):
    """The addresses the daemon's last lookup of intake NAME returned, sorted."""
    return sorted(a["address"] for a in daemon.intake(name)["dns"]["addresses"])


class DaemonTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.world = LocalWorld(prefix="pl-e2e-daemon-")
        w = cls.world
        listeners = [w.tls(a, a) for a in (HEALTHY, PRIVATE_A, PRIVATE_B, PRIVATE_C, PUBLIC)]
        w.start({"a": cls.records(), "local": ["pl.test"], "ttl": 5}, listeners)

    @classmethod
    def tearDownClass(cls):
        cls.world.__exit__(None, None, None)

    @staticmethod
    def records(flip=None, stale=None):
        return {"healthy.pl.test": [HEALTHY], "flip.pl.test": flip or [PUBLIC], "stale.pl.test": stale or [PRIVATE_A]}

    def setUp(self):
        self.world.set_records(a=self.records())
        self.daemons = []

    def tearDown(self):
        for daemon in self.daemons:
            daemon.stop()
        for proc in getattr(self, "agents", []):
            proc.kill()
            proc.wait()

    def daemon(self, intakes=None, **overrides):
        intakes = intakes or [self.world.intake("healthy", "healthy.pl.test"), self.world.intake("flip", "flip.pl.test")]
        daemon = Daemon(self.world, intakes, **overrides)
        self.daemons.append(daemon)
        return daemon.start()

    def flip_to(self, addresses):
        self.world.set_records(a=self.records(flip=addresses))

    def wait_restart_event(self, daemon, outcome):
        daemon.wait_for(lambda: any(e["outcome"] == outcome for e in daemon.status()["restart"]["events"]),
                        "a restart event '%s'" % outcome)

    # --- restarts ----------------------------------------------------------

    def test_public_to_private_restarts_the_agent_exactly_once(self):
        daemon = self.daemon()
        daemon.wait_for(lambda: daemon.intake("flip")["reported_verdict"] == "failing", "flip failing")
        self.flip_to([PRIVATE_A])
        self.wait_restart_event(daemon, "restarted")
        daemon.wait_probes("flip", 4)  # time for a second, wrong restart to show
        self.assertEqual(daemon.restarts(), 1)
        self.assertEqual(daemon.intake("flip")["reported_verdict"], "ok")
        self.assertIsNone(daemon.intake("flip")["pending_change"])
        metrics = daemon.metrics()
        self.assertEqual(metric_value(metrics, "privatelink_sidecar_restarts_total", reason="class_change"), 1)
        self.assertEqual(metric_value(metrics, "privatelink_sidecar_dns_changes_total", intake="flip"), 1)
        self.assertIsNotNone(metric_value(metrics, "privatelink_sidecar_last_dns_change_timestamp_seconds", intake="flip"))
        self.assertIn("DNS class public -> private", daemon.log())

    def test_answers_flapping_every_cycle_never_restart(self):
        # 2 s between probes: the test must flip the answer before the next probe sees it twice.
        daemon = self.daemon(restart={"stable_checks": 2}, interval="2s", confirm_interval="2s")
        daemon.wait_for(lambda: daemon.intake("flip")["probes"] >= 1, "first probe")
        private = False
        for _ in range(10):
            private = not private
            answer = [PRIVATE_A] if private else [PUBLIC]
            self.flip_to(answer)
            # Flip again as soon as a probe has seen this answer (not merely
            # finished: one in flight at the flip still saw the old one).
            daemon.wait_for(lambda: daemon_answers(daemon, "flip") == answer, "the daemon seeing %s" % answer)
        self.flip_to([PUBLIC])
        daemon.wait_probes("flip", 2)
        self.assertEqual(daemon.restarts(), 0)
        self.assertEqual(daemon.status()["restart"]["done_by_reason"], {})
        self.assertGreaterEqual(metric_value(daemon.metrics(), "privatelink_sidecar_dns_changes_total", intake="flip"), 9)

    def test_change_into_a_broken_state_never_restarts(self):
        self.flip_to([PRIVATE_A])  # the Agent started on a good private answer
        daemon = self.daemon(intakes=[self.world.intake("flip", "flip.pl.test")])
        daemon.wait_for(lambda: daemon.intake("flip")["reported_verdict"] == "ok", "flip ok")
        self.flip_to([PUBLIC])  # private -> public: restarting would move the Agent onto the internet
        daemon.wait_for(lambda: daemon.status()["restart"]["skipped_by_reason"].get("target_unhealthy", 0) >= 1,
                        "a skipped restart")
        daemon.wait_probes("flip", 3)
        self.assertEqual(daemon.restarts(), 0)
        skipped = [e for e in daemon.status()["restart"]["events"] if e["outcome"] == "skipped"]
        self.assertEqual(len(skipped), 1, "logged once, not every cycle")
        self.assertIn("target_unhealthy", skipped[0]["reason"])

    def test_stale_agent_connections_after_an_address_change_restart_once(self):
        dns = self.world.dns_server()
        daemon_dir = tempfile.mkdtemp(dir=self.world.dir)
        pid_file = os.path.join(daemon_dir, "agent.pid")
        intakes = [self.world.intake("stale", "stale.pl.test")]
        daemon = Daemon(self.world, intakes, agent={"pid_files": [pid_file]})
        self.daemons.append(daemon)
        self.agents = [subprocess.Popen([sys.executable, os.path.join(SUPPORT, "fake_agent.py"), "--dns", dns,
                                         "--name", "stale.pl.test", "--port", str(self.world.port),
                                         "--pid-file", pid_file, "--restart-marker", daemon.marker])]
        deadline = time.monotonic() + 10
        while not os.path.exists(pid_file) and time.monotonic() < deadline:
            time.sleep(0.05)
        daemon.start()
        daemon.wait_for(lambda: daemon.intake("stale")["agent"]["state"] == "current", "Agent on the current address")
        self.world.set_records(a=self.records(stale=[PRIVATE_B]))  # the endpoint moved; the Agent did not
        daemon.wait_for(lambda: daemon.intake("stale")["agent"]["state"] == "stale", "stale Agent connections")
        self.wait_restart_event(daemon, "restarted")
        daemon.wait_for(lambda: daemon.intake("stale")["agent"]["state"] == "current", "the Agent reconnected")
        daemon.wait_probes("stale", 3)
        self.assertEqual(daemon.restarts(), 1)
        self.assertEqual(daemon.intake("stale")["agent"]["current"], [PRIVATE_B])
        self.assertEqual(metric_value(daemon.metrics(), "privatelink_sidecar_restarts_total", reason="stale_connections"), 1)

    def test_limits_are_kept_across_a_sidecar_restart(self):
        state_dir = tempfile.mkdtemp(dir=self.world.dir)
        first = self.daemon(state_dir=state_dir, restart={"max_per_hour": 1, "cooldown": "1s"})
        first.wait_for(lambda: first.intake("flip")["probes"] >= 1, "first probe")
        self.flip_to([PRIVATE_A])
        self.wait_restart_event(first, "restarted")
        first.stop()
        self.flip_to([PUBLIC])
        second = self.daemon(state_dir=state_dir, restart={"max_per_hour": 1, "cooldown": "1s"})
        second.wait_for(lambda: second.intake("flip")["reported_verdict"] == "failing", "public again")
        self.flip_to([PRIVATE_A])
        second.wait_for(lambda: second.status()["restart"]["skipped_by_reason"].get("hourly_limit", 0) >= 1,
                        "the hourly limit from the first run")
        self.assertEqual(first.restarts() + second.restarts(), 1)

    def test_a_reload_while_a_restart_waits_does_not_wedge_restarts(self):
        # A long jitter makes the waiting window wide (a draw under 0.1 s, 1 % of runs,
        # lets the restart happen first: then the reload exercises nothing, but still passes).
        daemon = self.daemon(restart={"jitter": "10s"})
        daemon.wait_for(lambda: daemon.intake("flip")["probes"] >= 1, "first probe")
        self.flip_to([PRIVATE_A])
        daemon.wait_for(lambda: daemon.status()["restart"]["state"] == "waiting" or daemon.restarts() == 1,
                        "a restart waiting for its jitter")
        daemon.process.send_signal(signal.SIGHUP)
        self.wait_restart_event(daemon, "restarted")  # decided again after the reload
        self.assertEqual(daemon.restarts(), 1)

    def test_fleet_jitter_is_bounded(self):
        daemon = self.daemon(restart={"jitter": "3s"})
        daemon.wait_for(lambda: daemon.intake("flip")["probes"] >= 1, "first probe")
        self.flip_to([PRIVATE_A])
        self.wait_restart_event(daemon, "restarted")
        delays = [int(m) for m in re.findall(r"Agent restart in (\d+) ms", daemon.log())]
        self.assertEqual(len(delays), 1)
        self.assertGreaterEqual(delays[0], 0)
        self.assertLessEqual(delays[0], 3000)
        self.assertEqual(daemon.restarts(), 1)

    def test_dry_run_decides_and_reports_but_does_not_act(self):
        daemon = self.daemon(restart={"dry_run": True})
        daemon.wait_for(lambda: daemon.intake("flip")["probes"] >= 1, "first probe")
        self.flip_to([PRIVATE_A])
        self.wait_restart_event(daemon, "dry_run")
        daemon.wait_probes("flip", 3)
        self.assertEqual(daemon.restarts(), 0)
        self.assertEqual(metric_value(daemon.metrics(), "privatelink_sidecar_restarts_total", dry_run="true"), 1)

    def test_agent_upgrade_in_progress_blocks_the_restart(self):
        daemon = self.daemon(restart={"upgrade_check_command": ["true"]})
        daemon.wait_for(lambda: daemon.intake("flip")["probes"] >= 1, "first probe")
        self.flip_to([PRIVATE_A])
        daemon.wait_for(lambda: daemon.status()["restart"]["skipped_by_reason"].get("agent_upgrading", 0) >= 1,
                        "a restart skipped for the upgrade")
        self.assertEqual(daemon.restarts(), 0)

    def test_failed_restart_command_is_reported(self):
        daemon = self.daemon(restart={"command": ["false"]})
        daemon.wait_for(lambda: daemon.intake("flip")["probes"] >= 1, "first probe")
        self.flip_to([PRIVATE_A])
        self.wait_restart_event(daemon, "failed")
        self.assertEqual(metric_value(daemon.metrics(), "privatelink_sidecar_restart_failures_total", reason="class_change"), 1)

    # --- the status endpoint -------------------------------------------------

    def test_metrics_pass_promtool(self):
        daemon = self.daemon()
        daemon.wait_probes("flip", 2)
        text = daemon.metrics()
        check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertEqual(metric_value(text, "privatelink_sidecar_intake_verdict", intake="healthy", verdict="ok"), 1)
        self.assertEqual(metric_value(text, "privatelink_sidecar_dns_class", intake="flip", **{"class": "public"}), 1)
        self.assertEqual(metric_value(text, "privatelink_sidecar_address_reachable", intake="healthy", address=HEALTHY), 1)
        self.assertGreater(metric_value(text, "privatelink_sidecar_cert_remaining_seconds", intake="healthy"), 365 * 86400)
        self.assertGreater(metric_value(text, "privatelink_sidecar_phase_duration_seconds_count", intake="healthy", phase="tls"), 0)
        self.assertGreater(metric_value(text, "privatelink_sidecar_probe_failures_total", intake="flip", reason="class_public"), 0)
        self.assertEqual(metric_value(text, "privatelink_sidecar_build_info"), 1)

    def test_status_page_healthz_and_errors(self):
        daemon = self.daemon()
        daemon.wait_probes("flip", 1)
        status = daemon.status()
        self.assertEqual([i["name"] for i in status["intakes"]], ["healthy", "flip"])
        healthy = status["intakes"][0]
        self.assertEqual(healthy["verdict"], "ok")
        self.assertEqual(healthy["dns"]["addresses"][0]["address"], HEALTHY)
        self.assertEqual(healthy["addresses"][0]["outcome"], "ok")
        self.assertTrue(status["healthy"])
        self.assertEqual(status["intakes_source"], "config")
        code, page = daemon.get("/")
        self.assertEqual(code, 200)
        self.assertIn("healthy.pl.test", page)
        self.assertNotIn("<script", page)
        self.assertNotRegex(page, r'(src|href)="https?://')  # self-contained
        self.assertEqual(daemon.get("/healthz"), (200, "ok\n"))
        self.assertEqual(daemon.get("/nope")[0], 404)
        self.assertEqual(daemon.get("/status", method="POST")[0], 405)

    def test_status_command_prints_the_table(self):
        daemon = self.daemon()
        daemon.wait_probes("flip", 1)
        result = subprocess.run([BINARY, "--config", daemon.config_path, "status"], capture_output=True, text=True)
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)  # flip is public: failing
        self.assertIn("healthy.pl.test", result.stdout)
        self.assertIn("skipped_public", result.stdout)
        as_json = subprocess.run([BINARY, "status", "--url", daemon.url("/"), "-o", "json"], capture_output=True, text=True)
        self.assertEqual(json.loads(as_json.stdout)["intakes"][0]["name"], "healthy")

    def test_status_command_without_a_daemon_is_an_error(self):
        result = subprocess.run([BINARY, "status", "--url", "http://127.0.0.1:%d" % free_port()], capture_output=True, text=True)
        self.assertEqual(result.returncode, 3)
        self.assertIn("is `privatelink-sidecar run` running?", result.stderr)

    def test_slow_clients_do_not_stop_probing_and_connections_are_bounded(self):
        import socket
        daemon = self.daemon()
        idle = [socket.create_connection(("127.0.0.1", daemon.port)) for _ in range(60)]
        slow = socket.create_connection(("127.0.0.1", daemon.port))
        slow.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # never finished
        # Probing goes on; the last free slots still serve. (Two probes: the
        # idle connections are dropped after the 5 s request timeout.)
        daemon.wait_probes("healthy", 2)
        extra = [socket.create_connection(("127.0.0.1", daemon.port)) for _ in range(10)]
        extra[-1].settimeout(5)
        self.assertEqual(extra[-1].recv(1), b"", "over the limit: closed at once")
        slow.settimeout(10)
        self.assertEqual(slow.recv(1), b"", "a request that never ends is timed out")
        for s in idle + extra + [slow]:
            s.close()
        daemon.wait_for(lambda: daemon.get("/healthz")[0] == 200, "serving again")

    # --- signals ------------------------------------------------------------

    def test_sighup_applies_a_good_file_and_keeps_the_running_config_on_a_bad_one(self):
        daemon = self.daemon(intakes=[self.world.intake("healthy", "healthy.pl.test")])
        daemon.wait_probes("healthy", 1)
        good = dict(daemon.config, intakes=[self.world.intake("healthy", "healthy.pl.test"),
                                            self.world.intake("stale", "stale.pl.test")])
        daemon.write_config(good)
        daemon.process.send_signal(signal.SIGHUP)
        daemon.wait_for(lambda: len(daemon.status()["intakes"]) == 2, "the reloaded intakes")
        daemon.wait_probes("stale", 1)
        with open(daemon.config_path, "w") as f:
            f.write("interval: 1s\ntimeout: 500ms\nintakes:\n  - {name: x, host: x.pl.test, prot: 1}\n")
        daemon.process.send_signal(signal.SIGHUP)
        daemon.wait_for(lambda: metric_value(daemon.metrics(), "privatelink_sidecar_config_reloads_total", result="failed") == 1,
                        "the failed reload")
        self.assertEqual([i["name"] for i in daemon.status()["intakes"]], ["healthy", "stale"])
        daemon.wait_probes("stale", 1)  # still probing with the running config
        self.assertRegex(daemon.log(), r"reload failed, keeping the running configuration: .*sidecar.yaml:4:\d+: intakes\[0\].prot")

    def test_sigterm_and_sigint_stop_within_two_seconds(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            daemon = self.daemon()
            daemon.wait_probes("healthy", 1)
            elapsed, code = daemon.stop(sig)
            self.assertEqual(code, 0)
            self.assertLess(elapsed, 2.0)

    def test_systemd_notify_protocol_and_journald_log_format(self):
        import socket
        notify_path = os.path.join(self.world.dir, "notify-%d.sock" % os.getpid())
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(notify_path)
        listener.settimeout(0.2)
        messages = []

        def drain():
            while True:
                try:
                    messages.append(listener.recv(4096).decode())
                except socket.timeout:
                    return

        daemon = Daemon(self.world, [self.world.intake("healthy", "healthy.pl.test")])
        self.daemons.append(daemon)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path, WATCHDOG_USEC="1000000", JOURNAL_STREAM="8:12345")
        env.pop("WATCHDOG_PID", None)
        daemon.log_file = open(daemon.log_path, "w")
        daemon.process = subprocess.Popen([BINARY, "--config", daemon.config_path, "run"], stdout=daemon.log_file,
                                          stderr=subprocess.STDOUT, env=env)
        daemon.wait_for(lambda: daemon.get("/healthz")[0] == 200, "the status endpoint")
        deadline = time.monotonic() + 10  # two watchdog periods of 0.5 s, with room for a loaded machine
        while messages.count("WATCHDOG=1") < 2 and time.monotonic() < deadline:
            drain()
        self.assertIn("READY=1", messages)
        self.assertGreaterEqual(messages.count("WATCHDOG=1"), 2)
        daemon.process.send_signal(signal.SIGHUP)
        daemon.wait_for(lambda: metric_value(daemon.metrics(), "privatelink_sidecar_config_reloads_total", result="ok") == 1,
                        "the reload")
        drain()
        self.assertIn("RELOADING=1", messages)
        self.assertEqual(messages[-1] if messages[-1] != "WATCHDOG=1" else "READY=1", "READY=1")
        daemon.stop()
        drain()
        self.assertIn("STOPPING=1", messages)
        listener.close()
        lines = [line for line in daemon.log().splitlines() if line]
        self.assertTrue(lines)
        for line in lines:  # journald: a priority prefix and no timestamp of our own
            self.assertRegex(line, r"^<[0-7]>")
            self.assertNotRegex(line, r"^<[0-7]>\d{4}-\d{2}-\d{2}T")


    def test_bad_config_at_start_is_an_error(self):
        path = os.path.join(self.world.dir, "bad-start.yaml")
        with open(path, "w") as f:
            f.write("restart:\n  cooldwn: 1m\n")
        result = subprocess.run([BINARY, "--config", path, "run"], capture_output=True, text=True, timeout=10)
        self.assertEqual(result.returncode, 3)
        self.assertIn("bad-start.yaml:2:3: restart.cooldwn: unknown key", result.stderr)


class AgentDiscovery(unittest.TestCase):
    """Which intakes: the Agent's own datadog.yaml (samples in tests/data/agent)."""

    def intakes(self, agent_yaml, extra_agent=None, env=None):
        directory = tempfile.mkdtemp(prefix="pl-e2e-discovery-")
        agent = {"config": os.path.join(DATA, "agent", agent_yaml),
                 "version_manifest": os.path.join(DATA, "agent", "version-manifest.txt"),
                 "environment_file": os.path.join(directory, "no-environment")}
        agent.update(extra_agent or {})
        path = os.path.join(directory, "sidecar.yaml")
        with open(path, "w") as f:
            json.dump({"agent": agent}, f)
        result = subprocess.run([BINARY, "--config", path, "intakes", "-o", "json"], capture_output=True, text=True,
                                env=dict(os.environ, **(env or {})))
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)

    def test_site_only_gives_the_versioned_metrics_host(self):
        listing = self.intakes("us1_site_only.yaml")
        self.assertEqual(listing["source"], "agent")
        self.assertEqual(listing["agent_version"], "7.57.2")
        hosts = [i["host"] for i in listing["intakes"]]
        self.assertIn("7-57-2-app.agent.datadoghq.com", hosts)
        self.assertIn("trace.agent.datadoghq.com", hosts)  # APM is on by default
        self.assertNotIn("agent-http-intake.logs.datadoghq.com", hosts)  # logs_enabled defaults to false

    def test_site_from_the_environment(self):
        listing = self.intakes("us1_site_only.yaml", env={"DD_SITE": "ap1.datadoghq.com"})
        self.assertIn("7-57-2-app.agent.ap1.datadoghq.com", [i["host"] for i in listing["intakes"]])

    def test_logs_and_apm_overrides(self):
        listing = self.intakes("logs_apm_overrides.yaml")
        origins = " ".join(i["origin"] for i in listing["intakes"])
        self.assertIn("logs_config.logs_dd_url", origins)

    def test_unsupported_site_is_a_finding(self):
        listing = self.intakes("eu_site.yaml")
        self.assertIn("site_without_privatelink", [f["id"] for f in listing["findings"]])

    def test_disabled_features_have_no_intakes(self):
        listing = self.intakes("disabled_features.yaml")
        hosts = " ".join(i["host"] for i in listing["intakes"])
        self.assertNotIn("agent-http-intake.logs", hosts)

    def test_explicit_missing_agent_config_is_an_error(self):
        directory = tempfile.mkdtemp(prefix="pl-e2e-discovery-")
        path = os.path.join(directory, "sidecar.yaml")
        with open(path, "w") as f:
            json.dump({"agent": {"config": os.path.join(directory, "missing.yaml")}}, f)
        result = subprocess.run([BINARY, "--config", path, "intakes"], capture_output=True, text=True)
        self.assertEqual(result.returncode, 3)
        self.assertIn("missing.yaml", result.stderr)


if __name__ == "__main__":
    unittest.main()
