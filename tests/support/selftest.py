#!/usr/bin/env python3
"""Self-test of the fixtures in this directory (stdlib unittest, loopback only).

    python3 tests/support/selftest.py [-v]

Checks make_certs.sh, fixture_server.py and dnsmasq_zone.py end to end, so a
broken fixture shows up here rather than as a confusing failure in the C++
tests.  Needs openssl and /usr/sbin/dnsmasq; takes a few seconds.
"""

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, HERE)
import dnsmasq_zone as dz  # noqa: E402


def wait_file(path, proc, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                return json.load(f)
        if proc.poll() is not None:
            raise AssertionError("process exited with %s before writing %s" % (proc.returncode, path))
        time.sleep(0.02)
    raise AssertionError("timeout waiting for " + path)


def free_port(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class CertsMixin:
    @classmethod
    def make_certs(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pl-selftest-")
        cls.certs = os.path.join(cls.tmp, "certs")
        subprocess.run([os.path.join(HERE, "make_certs.sh"), cls.certs], check=True)


class TestCerts(CertsMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.make_certs()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def verify(self, ca, leaf, *extra):
        p = subprocess.run(["openssl", "verify", *extra, "-CAfile", os.path.join(self.certs, ca),
                            os.path.join(self.certs, leaf)], capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr

    def test_chains(self):
        self.assertEqual(self.verify("ca.pem", "valid.pem")[0], 0)
        self.assertEqual(self.verify("ca.pem", "wronghost.pem")[0], 0)
        self.assertEqual(self.verify("untrusted-ca.pem", "untrusted.pem")[0], 0)
        rc, out = self.verify("ca.pem", "untrusted.pem")
        self.assertNotEqual(rc, 0)
        rc, out = self.verify("ca.pem", "expired.pem")
        self.assertNotEqual(rc, 0)
        self.assertIn("expired", out)
        # ...but it is otherwise a good chain: valid at a time inside its window.
        self.assertEqual(self.verify("ca.pem", "expired.pem", "-attime", "1590969600")[0], 0)

    def test_hostname_checks(self):
        def check(leaf, *args):
            return subprocess.run(["openssl", "x509", "-noout", "-in", os.path.join(self.certs, leaf),
                                   *args], capture_output=True, text=True).stdout
        self.assertIn("does match", check("valid.pem", "-checkhost", "api.agent.pl.test"))
        self.assertIn("does match", check("valid.pem", "-checkhost", "x.pl.test"))
        self.assertIn("does match", check("valid.pem", "-checkip", "::1"))
        self.assertIn("does NOT match", check("wronghost.pem", "-checkhost", "x.pl.test"))

    def test_idempotent(self):
        subprocess.run([os.path.join(HERE, "make_certs.sh"), self.certs], check=True)
        self.assertEqual(self.verify("ca.pem", "valid.pem")[0], 0)


class TestFixtureServer(CertsMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.make_certs()
        shared = free_port("127.0.10.1")
        c = cls.certs
        spec = {"api_key": "test-key", "listeners": [
            {"name": "ok1", "mode": "tls", "host": "127.0.10.1", "port": shared,
             "cert": c + "/valid.pem", "key": c + "/valid.key"},
            {"name": "ok2", "mode": "tls", "host": "127.0.10.2", "port": shared,
             "cert": c + "/valid.pem", "key": c + "/valid.key"},
            {"name": "ok6", "mode": "tls", "host": "::1", "port": 0,
             "cert": c + "/valid.pem", "key": c + "/valid.key"},
            {"name": "untrusted", "mode": "tls", "host": "127.0.10.5", "port": 0,
             "cert": c + "/untrusted.pem", "key": c + "/untrusted.key"},
            {"name": "silent", "mode": "silent", "host": "127.0.10.9", "port": 0},
            {"name": "reset", "mode": "reset", "host": "127.0.10.8", "port": 0},
            {"name": "dead", "mode": "blackhole", "host": "127.0.10.7", "port": shared},
            {"name": "dead6", "mode": "blackhole", "host": "::1", "port": 0},
            {"name": "dns", "mode": "udp-silent", "host": "127.0.0.1", "port": 0},
        ]}
        cls.spec_path = os.path.join(cls.tmp, "spec.json")
        cls.ready_path = os.path.join(cls.tmp, "ready.json")
        with open(cls.spec_path, "w") as f:
            json.dump(spec, f)
        cls.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "fixture_server.py"),
                                     cls.spec_path, cls.ready_path],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        cls.ready = wait_file(cls.ready_path, cls.proc)["listeners"]
        cls.shared = shared
        cls.ctx = ssl.create_default_context(cafile=os.path.join(c, "ca.pem"))

    @classmethod
    def tearDownClass(cls):
        if cls.proc.poll() is None:
            cls.proc.terminate()
        cls.proc.communicate(timeout=5)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def addr(self, name):
        return self.ready[name]["host"], self.ready[name]["port"]

    def http(self, name, raw, sni="api.pl.test"):
        with socket.create_connection(self.addr(name), timeout=5) as s:
            with self.ctx.wrap_socket(s, server_hostname=sni) as t:
                t.sendall(raw)
                out = b""
                while True:
                    chunk = t.recv(65536)
                    if not chunk:
                        return out
                    out += chunk

    def test_ready_file(self):
        self.assertEqual(self.ready["ok1"]["port"], self.shared)
        self.assertEqual(self.ready["ok2"]["port"], self.shared)
        self.assertNotEqual(self.ready["dns"]["port"], 0)

    def test_validate(self):
        out = self.http("ok1", b"GET /api/v1/validate HTTP/1.1\r\nHost: x\r\nDD-API-KEY: test-key\r\n"
                               b"Connection: close\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 200 "), out)
        self.assertTrue(out.endswith(b'{"valid":true}'))
        out = self.http("ok2", b"GET /api/v1/validate HTTP/1.0\r\nDD-API-KEY: nope\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 403 "), out)
        self.assertTrue(out.endswith(b'{"errors":["Forbidden"]}'))

    def test_keepalive_pipelined_ipv6(self):
        out = self.http("ok6", b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                               b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                               b"GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(out.count(b"HTTP/1.1 200 OK"), 3)
        self.assertEqual(out.count(b"Content-Length: 2\r\n"), 3)
        self.assertTrue(out.endswith(b"ok"))

    def test_rejected_handshake_is_silent(self):
        for _ in range(3):
            with self.assertRaises(ssl.SSLCertVerificationError):
                self.http("untrusted", b"GET / HTTP/1.1\r\n\r\n")
        # Garbage instead of a ClientHello.
        with socket.create_connection(self.addr("ok1")) as s:
            s.sendall(b"GET / HTTP/1.1\r\n\r\n")
            s.settimeout(5)
            while s.recv(4096):
                pass
        out = self.http("ok1", b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        self.assertTrue(out.endswith(b"ok"))
        self.assertIsNone(self.proc.poll())

    def test_silent(self):
        with socket.create_connection(self.addr("silent"), timeout=5) as s:
            s.settimeout(0.3)
            s.sendall(b"hello")
            with self.assertRaises(socket.timeout):
                s.recv(1)

    def test_reset(self):
        # The RST can arrive before connect() returns (then connect raises
        # it) or after (then recv does); either way the peer reset us.
        with self.assertRaises(ConnectionResetError):
            with socket.create_connection(self.addr("reset"), timeout=2) as s:
                s.settimeout(5)
                s.recv(1)

    def test_blackhole_connect_times_out(self):
        for name in ("dead", "dead6"):
            t0 = time.monotonic()
            with self.assertRaises(socket.timeout):
                socket.create_connection(self.addr(name), timeout=0.3).close()
            self.assertGreaterEqual(time.monotonic() - t0, 0.25)

    def test_udp_silent(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.settimeout(0.3)
            u.sendto(dz.build_query("x.pl.test", "A")[1], self.addr("dns"))
            with self.assertRaises(socket.timeout):
                u.recvfrom(512)
        with socket.create_connection(self.addr("dns"), timeout=5) as s:
            s.settimeout(0.3)
            with self.assertRaises(socket.timeout):
                s.recv(1)

    def test_zz_sigterm_and_quiet_stderr(self):
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=5)
        self.assertEqual(self.proc.returncode, 0)
        self.assertEqual(err, b"")


ZONE = {
    "a": {"two.pl.test": ["127.0.10.1", "127.0.10.2"],
          "multi.pl.test": ["127.0.10.3", "127.0.10.4", "127.0.10.5"],
          "v4only.pl.test": ["127.0.10.6"],
          "big.pl.test": ["127.0.%d.%d" % (10 + i // 250, 1 + i % 250) for i in range(150)]},
    "aaaa": {"two.pl.test": ["::1"], "multi.pl.test": ["::1", "::2"]},
    "cname": {"alias.pl.test": "mid.pl.test", "mid.pl.test": "two.pl.test"},
    "txt": {"txtonly.pl.test": "no addresses here", "two-strings.pl.test": ["a, b", 'q"x']},
    "ttl": 60,
    "servfail": ["broken.pl.test"],
    "timeout": ["slow.pl.test"],
    "hostsdir": True,
}


class TestDnsmasqZone(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pl-selftest-dns-")
        cls.proc = dz.start_dnsmasq(os.path.join(cls.tmp, "w"), 0, ZONE)
        cls.port = cls.proc.port

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def q(self, name, qtype="A", **kw):
        return dz.query(self.port, name, qtype, **kw)

    def test_cname_chain(self):
        r = self.q("alias.pl.test", "A")
        self.assertEqual(r["rcode"], 0)
        self.assertEqual([(rr["name"], rr["type"]) for rr in r["answer"][:2]],
                         [("alias.pl.test.", "CNAME"), ("mid.pl.test.", "CNAME")])
        self.assertEqual(dz.answer_values(r, "A"), ["127.0.10.1", "127.0.10.2"])
        self.assertTrue(all(rr["ttl"] == 60 for rr in r["answer"]))
        r = self.q("alias.pl.test", "AAAA", tcp=True)
        self.assertEqual(dz.answer_values(r, "AAAA"), ["::1"])
        self.assertEqual(len(r["answer"]), 3)

    def test_multi(self):
        self.assertEqual(dz.answer_values(self.q("multi.pl.test", "A"), "A"),
                         ["127.0.10.3", "127.0.10.4", "127.0.10.5"])
        self.assertEqual(dz.answer_values(self.q("multi.pl.test", "AAAA"), "AAAA"), ["::1", "::2"])

    def test_nxdomain_nodata(self):
        self.assertEqual(self.q("nothere.pl.test")["rcode_name"], "NXDOMAIN")
        r = self.q("v4only.pl.test", "AAAA")
        self.assertEqual((r["rcode_name"], r["answer"]), ("NOERROR", []))

    def test_txt(self):
        for qtype in ("A", "AAAA"):
            r = self.q("txtonly.pl.test", qtype)
            self.assertEqual((r["rcode_name"], r["answer"]), ("NOERROR", []))
        self.assertEqual(self.q("txtonly.pl.test", "TXT")["answer"][0]["value"], ["no addresses here"])
        self.assertEqual(self.q("two-strings.pl.test", "TXT")["answer"][0]["value"], ["a, b", 'q"x'])

    def test_servfail_refused(self):
        for tcp in (False, True):
            self.assertEqual(self.q("broken.pl.test", "A", tcp=tcp)["rcode_name"], "SERVFAIL")
            self.assertEqual(self.q("x.broken.pl.test", "AAAA", tcp=tcp)["rcode_name"], "SERVFAIL")
            self.assertEqual(self.q("outside.example", "A", tcp=tcp)["rcode_name"], "REFUSED")

    def test_timeout(self):
        with self.assertRaises(socket.timeout):
            self.q("slow.pl.test", timeout=0.5)

    def test_truncation(self):
        r = self.q("big.pl.test", bufsize=1232)
        self.assertTrue(r["tc"])
        self.assertLessEqual(r["size"], 1232)
        r = self.q("big.pl.test", tcp=True)
        self.assertFalse(r["tc"])
        self.assertEqual(len(dz.answer_values(r, "A")), 150)

    def test_zz_hostsdir_reload(self):
        a = dict(ZONE["a"], **{"flip.pl.test": ["127.0.12.1"]})
        dz.write_records(self.proc.workdir, a, ZONE["aaaa"])
        dz.wait_for_answer(self.port, "flip.pl.test", "A", ["127.0.12.1"], timeout=10)
        a["flip.pl.test"] = ["127.0.12.2", "127.0.12.3"]
        dz.write_records(self.proc.workdir, a, ZONE["aaaa"])
        dz.wait_for_answer(self.port, "flip.pl.test", "A", ["127.0.12.2", "127.0.12.3"], timeout=10)
        del a["flip.pl.test"]
        dz.write_records(self.proc.workdir, a, ZONE["aaaa"])
        dz.wait_for_answer(self.port, "flip.pl.test", "A", [], timeout=10)
        self.assertEqual(self.q("flip.pl.test")["rcode_name"], "NXDOMAIN")


class TestDnsmasqCli(unittest.TestCase):
    def test_cli_lifecycle(self):
        tmp = tempfile.mkdtemp(prefix="pl-selftest-cli-")
        try:
            zone_path = os.path.join(tmp, "zone.json")
            with open(zone_path, "w") as f:
                json.dump(ZONE, f)
            ready_path = os.path.join(tmp, "ready.json")
            script = os.path.join(HERE, "dnsmasq_zone.py")
            workdir = os.path.join(tmp, "w")
            proc = subprocess.Popen([sys.executable, script,
                                     "--workdir", workdir, "--listen-address", "127.0.0.2",
                                     "--port", "0", "--zone", zone_path, "--ready-file", ready_path],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            ready = wait_file(ready_path, proc)
            self.assertEqual(ready["host"], "127.0.0.2")
            port = ready["port"]
            self.assertEqual(dz.query(port, "broken.pl.test", host="127.0.0.2")["rcode_name"],
                             "SERVFAIL")
            records = os.path.join(tmp, "records.json")
            with open(records, "w") as f:
                json.dump({"a": {"two.pl.test": ["127.0.10.77"]}, "aaaa": {}}, f)
            subprocess.run([sys.executable, script, "--workdir", workdir, "--rewrite", records],
                           check=True)
            dz.wait_for_answer(port, "alias.pl.test", "A", ["127.0.10.77"], timeout=10,
                               host="127.0.0.2")
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=10)
            self.assertEqual(proc.returncode, 0, err)
            self.assertEqual(err, b"")
            for pid in (ready["dnsmasq_pid"], ready["upstream_pid"]):
                with self.assertRaises(ProcessLookupError):
                    os.kill(pid, 0)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
