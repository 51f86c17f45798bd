"""A small PrivateLink "world" on loopback: dnsmasq plus TLS intakes.

Used by the end-to-end tests and by the bundled demo.  Everything listens on
127.0.0.0/8 or ::1 only.  Addresses in 127.0.10.0/24 play the VPC endpoint
interfaces ("private"); 127.0.99.0/24 plays the public internet.

    with LocalWorld() as world:
        world.start(zone={"a": {...}, "cname": {...}},
                    listeners=[world.tls("ok1", "127.0.10.1"), world.blackhole("dead", "127.0.10.9")])
        config = world.write_config({"intakes": [...]})   # dns/tls/cidrs filled in
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dnsmasq_zone  # noqa: E402

PRIVATE_RANGE = "127.0.10.0/24"


def free_port(host="127.0.0.1"):
    import socket
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class LocalWorld:
    """Owns a temp dir, the test PKI, one dnsmasq and one fixture server process."""

    def __init__(self, prefix="pl-world-"):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.certs = os.path.join(self.dir, "certs")
        subprocess.run([os.path.join(HERE, "make_certs.sh"), self.certs], check=True,
                       stdout=subprocess.DEVNULL)
        self.ca_file = os.path.join(self.certs, "ca.pem")
        # One port for every intake listener: an intake has one port and its
        # addresses differ, as with real endpoint interfaces.
        self.port = free_port("127.0.10.1")
        self.dns = None
        self.servers = None
        self.listeners = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # Listener specs for fixture_server.py.
    def tls(self, name, host, cert="valid"):
        return {"name": name, "mode": "tls", "host": host, "port": self.port,
                "cert": os.path.join(self.certs, cert + ".pem"),
                "key": os.path.join(self.certs, cert + ".key")}

    def plain(self, name, mode, host, port=None):
        return {"name": name, "mode": mode, "host": host, "port": self.port if port is None else port}

    def start(self, zone, listeners=(), api_key=None):
        self.dns = dnsmasq_zone.start_dnsmasq(os.path.join(self.dir, "dns"), 0, zone)
        if listeners:
            self._start_servers(list(listeners), api_key)

    def _start_servers(self, listeners, api_key):
        spec = {"listeners": listeners}
        if api_key:
            spec["api_key"] = api_key
        spec_path = os.path.join(self.dir, "servers.json")
        ready_path = os.path.join(self.dir, "servers.ready")
        with open(spec_path, "w") as f:
            json.dump(spec, f)
        self.servers = subprocess.Popen([sys.executable, os.path.join(HERE, "fixture_server.py"),
                                         spec_path, ready_path])
        deadline = time.monotonic() + 15
        while not os.path.exists(ready_path):
            if self.servers.poll() is not None:
                raise RuntimeError("fixture_server.py exited with %d" % self.servers.returncode)
            if time.monotonic() > deadline:
                raise RuntimeError("fixture_server.py not ready after 15 s")
            time.sleep(0.02)
        with open(ready_path) as f:
            self.listeners = json.load(f)["listeners"]

    def set_records(self, a=None, aaaa=None):
        """Rewrites the A/AAAA records and returns once dnsmasq answers with
        them (its inotify reload is asynchronous)."""
        dnsmasq_zone.write_records(self.dns.workdir, a, aaaa)
        for qtype, mapping in (("A", a or {}), ("AAAA", aaaa or {})):
            for name, ips in mapping.items():
                ips = [ips] if isinstance(ips, str) else ips
                dnsmasq_zone.wait_for_answer(self.dns.port, name, qtype, ips, host=self.dns.host)

    def dns_server(self):
        return "%s:%d" % (self.dns.host, self.dns.port)

    def config(self, intakes, **extra):
        """A sidecar config (as a dict) pointing at this world."""
        config = {
            "timeout": "2s",
            "dns": {"servers": [self.dns_server()]},
            "private_cidrs": [PRIVATE_RANGE],
            "tls": {"ca_file": self.ca_file},
            "intakes": intakes,
        }
        config.update(extra)
        return config

    def write_config(self, intakes, name="sidecar.yaml", **extra):
        # JSON is a subset of YAML 1.2, which the sidecar's parser reads.
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            json.dump(self.config(intakes, **extra), f, indent=2)
        return path

    def intake(self, name, host, **extra):
        entry = {"name": name, "host": host, "port": self.port}
        entry.update(extra)
        return entry

    def stop(self):
        for proc in (self.servers, self.dns):
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.servers = self.dns = None
