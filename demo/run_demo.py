#!/usr/bin/env python3
"""The bundled local demo: a fake PrivateLink set-up on loopback, then `check`.

    python3 demo/run_demo.py --binary build/release/sidecar/privatelink-sidecar [--keep]

It starts dnsmasq and TLS "intakes" on 127.0.0.0/8 only (nothing leaves the
machine; no real Datadog or AWS name is ever resolved):

  127.0.10.0/24  plays the VPC endpoint subnets ("private")
  127.0.99.0/24  plays the public internet

  metrics  7-57-2-app.agent.pl.test -> CNAME chain -> 3 healthy endpoint IPs      ok
  api      api.pl.test, 2 endpoint IPs, GET /api/v1/validate with a demo key      ok
  process  process.pl.test, 2 endpoint IPs                                        ok
  logs     agent-http-intake.logs.pl.test, 3 IPs, one AZ dead (drops SYNs)      degraded
  trace    trace.agent.pl.test resolves to a public address                      failing

and runs `privatelink-sidecar check` against them.  The check's exit code is 2
(failing) because of the public trace intake, which is the point of the demo.

Then it starts the daemon (`privatelink-sidecar run`) on the same world with a
recording restart command (nothing is restarted: the command appends a line
to a file), prints `privatelink-sidecar status` and the status page address,
flips `trace` from public to private in DNS, and shows the daemon noticing the
change, confirming it and "restarting the Agent" exactly once.

The script exits 0 when everything happened as expected.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from local_world import LocalWorld, free_port  # noqa: E402

DEMO_API_KEY = "demo-api-key-not-a-real-one"

ZONE = {
    "a": {
        "metrics-nlb.intake.pl.test": ["127.0.10.11", "127.0.10.12", "127.0.10.13"],
        "api.pl.test": ["127.0.10.21", "127.0.10.22"],
        "process.pl.test": ["127.0.10.51", "127.0.10.52"],
        "agent-http-intake.logs.pl.test": ["127.0.10.31", "127.0.10.32", "127.0.10.33"],
        "trace.agent.pl.test": ["127.0.99.41"],
    },
    "cname": {
        "7-57-2-app.agent.pl.test": "metrics.agent.pl.test",
        "metrics.agent.pl.test": "metrics-nlb.intake.pl.test",
    },
    "local": ["pl.test"],
    "ttl": 60,
}

EXPECTED_VERDICTS = {"metrics": "ok", "api": "ok", "process": "ok", "logs": "degraded", "trace": "failing"}


def listeners(world):
    healthy = ["127.0.10.11", "127.0.10.12", "127.0.10.13", "127.0.10.21", "127.0.10.22",
               "127.0.10.51", "127.0.10.52", "127.0.10.31", "127.0.10.32", "127.0.99.41", "127.0.10.41"]
    specs = [world.tls("tls-" + address, address) for address in healthy]
    specs.append(world.plain("dead-az", "blackhole", "127.0.10.33"))
    return specs


def intakes(world):
    return [
        world.intake("metrics", "7-57-2-app.agent.pl.test"),
        world.intake("api", "api.pl.test", https={"path": "/api/v1/validate", "api_key_env": "DEMO_DD_API_KEY"}),
        world.intake("process", "process.pl.test"),
        world.intake("logs", "agent-http-intake.logs.pl.test"),
        world.intake("trace", "trace.agent.pl.test"),
    ]


def run_check(binary, config, env):
    print("$ privatelink-sidecar --config %s check" % os.path.basename(config), flush=True)
    table = subprocess.run([binary, "--config", config, "check"], env=env)
    print("\n(check exited with %d: 0 ok, 1 degraded, 2 failing)" % table.returncode)
    verdicts = subprocess.run([binary, "--config", config, "check", "--output", "json"],
                              env=env, capture_output=True, text=True)
    got = {i["name"]: i["verdict"] for i in json.loads(verdicts.stdout)["intakes"]}
    if got != EXPECTED_VERDICTS or table.returncode != 2:
        print("demo: unexpected verdicts %s (expected %s)" % (got, EXPECTED_VERDICTS), file=sys.stderr)
        return False
    print("demo: verdicts as expected: %s" % ", ".join("%s=%s" % kv for kv in got.items()))
    return True


def fetch_status(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/status" % port, timeout=5) as response:
        return json.load(response)


def wait_for(predicate, timeout, daemon):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            return False
        try:
            if predicate():
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def run_daemon_demo(world, binary, env, keep):
    port = free_port()
    record = os.path.join(world.dir, "agent-restarts.log")
    config = world.write_config(
        intakes(world), name="daemon.yaml", timeout="1s", interval="3s", confirm_interval="1500ms",
        state_dir=os.path.join(world.dir, "state"), status={"listen": "127.0.0.1:%d" % port},
        restart={"command": ["sh", "-c", 'echo "$(date -u +%FT%TZ) restart requested" >> "$0"', record],
                 "verify_command": ["true"], "upgrade_check_command": [], "stable_checks": 2, "jitter": "2s"})
    print("\n== the daemon: privatelink-sidecar run (restart command records to %s)" % record, flush=True)
    log_path = os.path.join(world.dir, "daemon.log")
    with open(log_path, "w") as log:
        daemon = subprocess.Popen([binary, "--config", config, "run"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        if not wait_for(lambda: all(i["probes"] > 0 for i in fetch_status(port)["intakes"]), 20, daemon):
            print("demo: the daemon did not report every intake", file=sys.stderr)
            return False
        print("status page: http://127.0.0.1:%d/   (also /status, /metrics, /healthz)\n" % port)
        print("$ privatelink-sidecar --config daemon.yaml status", flush=True)
        subprocess.run([binary, "--config", config, "status"], env=env)

        print("\n== DNS change: trace.agent.pl.test now answers the private endpoint 127.0.10.41", flush=True)
        records = dict(ZONE["a"], **{"trace.agent.pl.test": ["127.0.10.41"]})
        world.set_records(a=records)
        restarted = wait_for(lambda: any(e["outcome"] == "restarted" for e in fetch_status(port)["restart"]["events"]),
                             40, daemon)
        with open(log_path) as log:
            for line in log:
                if "trace" in line or "restart" in line.lower():
                    print("  daemon: " + line.rstrip())
        if not restarted:
            print("demo: the daemon did not handle the DNS change", file=sys.stderr)
            return False
        with open(record) as f:
            calls = f.read().splitlines()
        print("\nrestart command calls: %d (%s)" % (len(calls), record))
        print("\n$ privatelink-sidecar --config daemon.yaml status", flush=True)
        subprocess.run([binary, "--config", config, "status"], env=env)
        if keep:
            print("\ndaemon and servers kept running: http://127.0.0.1:%d/  (Ctrl-C to stop)" % port)
            try:
                daemon.wait()
            except KeyboardInterrupt:
                pass
        return len(calls) == 1
    finally:
        daemon.terminate()
        daemon.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True, help="the privatelink-sidecar binary")
    parser.add_argument("--keep", action="store_true", help="keep the daemon and servers running until Ctrl-C")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)

    with LocalWorld(prefix="pl-demo-") as world:
        world.start(ZONE, listeners(world), api_key=DEMO_API_KEY)
        config = world.write_config(intakes(world), timeout="1s")
        env = dict(os.environ, DEMO_DD_API_KEY=DEMO_API_KEY)
        print("== demo world: dnsmasq on %s, TLS intakes on port %d of 127.0.10.x (private) and 127.0.99.x (public)"
              % (world.dns_server(), world.port))
        print("== config: %s\n" % config)
        if not run_check(binary, config, env):
            return 1
        if not run_daemon_demo(world, binary, env, args.keep):
            return 1
        print("\ndemo: done: check verdicts as expected; the daemon handled the DNS change with one restart")
    return 0


if __name__ == "__main__":
    sys.exit(main())
