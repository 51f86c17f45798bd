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
(failing) because of the public trace intake, which is the point of the demo;
the script itself exits 0 when the verdicts are the expected ones.
"""

import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from local_world import LocalWorld  # noqa: E402

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
               "127.0.10.51", "127.0.10.52", "127.0.10.31", "127.0.10.32", "127.0.99.41"]
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True, help="the privatelink-sidecar binary")
    parser.add_argument("--keep", action="store_true", help="keep the servers running until Ctrl-C")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)

    with LocalWorld(prefix="pl-demo-") as world:
        world.start(ZONE, listeners(world), api_key=DEMO_API_KEY)
        config = world.write_config(intakes(world), timeout="1s")
        env = dict(os.environ, DEMO_DD_API_KEY=DEMO_API_KEY)
        print("== demo world: dnsmasq on %s, TLS intakes on port %d of 127.0.10.x (private) and 127.0.99.x (public)"
              % (world.dns_server(), world.port))
        print("== config: %s\n" % config)
        print("$ privatelink-sidecar --config %s check" % os.path.basename(config), flush=True)
        table = subprocess.run([binary, "--config", config, "check"], env=env)
        print("\n(check exited with %d: 0 ok, 1 degraded, 2 failing)" % table.returncode)

        verdicts = subprocess.run([binary, "--config", config, "check", "--output", "json"],
                                  env=env, capture_output=True, text=True)
        import json
        got = {i["name"]: i["verdict"] for i in json.loads(verdicts.stdout)["intakes"]}
        if got != EXPECTED_VERDICTS or table.returncode != 2:
            print("demo: unexpected verdicts %s (expected %s)" % (got, EXPECTED_VERDICTS), file=sys.stderr)
            return 1
        print("demo: verdicts as expected: %s" % ", ".join("%s=%s" % kv for kv in got.items()))
        if args.keep:
            print("servers kept running; try: %s --config %s check --output json   (Ctrl-C to stop)" % (binary, config))
            try:
                world.servers.wait()
            except KeyboardInterrupt:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
