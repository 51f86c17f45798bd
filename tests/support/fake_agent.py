#!/usr/bin/env python3
"""A stand-in for the Datadog Agent's connection behaviour, on loopback only.

    fake_agent.py --dns 127.0.0.1:PORT --name intake.pl.test --port P --pid-file F --restart-marker M

Resolves NAME (A records) through the test's dnsmasq, opens one TCP
connection to every address and holds them, like the Agent's keep-alive
connections. It does NOT follow DNS changes by itself (that is the Agent's
problem the sidecar solves); it reconnects only when "restarted": when the
file RESTART-MARKER appears or changes, as the recording restart command of
the tests touches it. Writes its pid to PID-FILE so the sidecar finds it
(agent.pid_files).
"""

import argparse
import os
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsmasq_zone  # noqa: E402


def resolve(dns_host, dns_port, name):
    try:
        response = dnsmasq_zone.query(dns_port, name, "A", host=dns_host)
        return sorted(dnsmasq_zone.answer_values(response, "A"))
    except OSError:
        return []


def connect_all(addresses, port):
    sockets = []
    for address in addresses:
        try:
            sockets.append(socket.create_connection((address, port), timeout=2))
        except OSError:
            pass
    return sockets


def marker_stamp(path):
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dns", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid-file", required=True)
    parser.add_argument("--restart-marker", required=True)
    args = parser.parse_args()
    dns_host, dns_port = args.dns.rsplit(":", 1)

    sockets = connect_all(resolve(dns_host, int(dns_port), args.name), args.port)
    stamp = marker_stamp(args.restart_marker)
    with open(args.pid_file + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.replace(args.pid_file + ".tmp", args.pid_file)
    while True:
        time.sleep(0.05)
        current = marker_stamp(args.restart_marker)
        if current != stamp:
            stamp = current
            for s in sockets:
                s.close()
            sockets = connect_all(resolve(dns_host, int(dns_port), args.name), args.port)


if __name__ == "__main__":
    main()
