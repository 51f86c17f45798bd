#!/usr/bin/env python3
"""Daemon benchmark for privatelink-sidecar: one command, see bench/README.md ("Daemon").

    bench/daemon_bench.py [--duration 600] [--no-build] [--phases AB,D] [--json-out FILE]

1. Builds build/release (cmake preset `release`, -j2) unless --no-build.
2. Starts the loopback world of bench/run.py: the test PKI, dnsmasq on
   127.0.0.1 serving intake01..intake12.pl.test (3 A records each) and one
   fixture TLS server with 36 listeners on 127.0.10.1 .. .36.
3. Phase A: `privatelink-sidecar run` at interval 1s over the 12 intakes for
   --duration seconds; at the same time Prometheus' blackbox_exporter probes
   the same 12 intakes at the same rate (36 TCP+TLS probes and 24 DNS probes,
   A and AAAA, per second), driven by a small HTTP loop hitting /probe.
   VmRSS/RssAnon every 5 s, utime+stime at the start and end of the window,
   probes from /status (daemon) and from the driver (blackbox).
4. Phase B: the same at the default interval (30s) and the same rate for
   blackbox_exporter.
5. Phase D: the daemon at interval 1s, a quiet window, then `wrk` on /metrics
   for the same length; /status and /healthz are polled during both windows to
   find missed probe cycles.
Reports the figures against the targets. It never fails on a missed target;
exit 1 only if something did not run or a probe failed.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.dont_write_bytecode = True  # importing bench/run.py must not leave bench/__pycache__
sys.path.insert(0, HERE)
import run as probe_bench  # noqa: E402  (bench/run.py: the loopback world, build, machine())
import dnsmasq_zone  # noqa: E402  (tests/support, on the path through run.py)

INTAKES = probe_bench.INTAKES
ADDRESSES = probe_bench.ADDRESSES_PER_INTAKE
BLACKBOX = "/usr/bin/prometheus-blackbox-exporter"
WRK = "/usr/bin/wrk"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
TARGETS = {"rss_mib": 16.0, "idle_core_percent": 0.1, "cpu_vs_blackbox": 0.5, "metrics_rps": 10000.0}
log = probe_bench.log


# ------------------------------------------------------------------ /proc
def proc_cpu_seconds(pid):
    """utime + stime of the whole process (all threads, live and exited), clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_runtime_ns(pid):
    """Sum of /proc/PID/task/*/schedstat run time (ns resolution; live threads only)."""
    total = 0
    for task in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, task)) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def proc_memory(pid):
    """VmRSS, RssAnon, RssFile, VmHWM (KiB) and Threads from /proc/PID/status."""
    values = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM", "Threads"):
                values[key] = int(rest.split()[0])
    return values


def proc_pss_kib(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def rss_by_file(pid):
    """Resident KiB per mapped file (anonymous mappings under [heap], [anon], ...) from /proc/PID/smaps."""
    totals, name = {}, None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            fields = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                name = os.path.realpath(fields[5]) if len(fields) > 5 and fields[5].startswith("/") else \
                    (fields[5] if len(fields) > 5 else "[anon]")
            elif fields and fields[0] == "Rss:":
                totals[name] = totals.get(name, 0) + int(fields[1])
    return totals


def library_closure(path):
    """The real paths of every shared library `path` loads (ldd), itself included."""
    out = subprocess.run(["ldd", path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    found = {os.path.realpath(path)}
    for line in out.splitlines():
        m = re.search(r"=> (/\S+)", line)
        if m:
            found.add(os.path.realpath(m.group(1)))
    return found


def library_rss(binary, pid):
    """RSS per mapped file, and what only libcurl / only libsystemd bring in (their dependency
    closure minus everything the binary's other direct NEEDED libraries load)."""
    per_file = rss_by_file(pid)
    needed = re.findall(r"\(NEEDED\).*\[(.+)\]", subprocess.run(["readelf", "-d", binary], stdout=subprocess.PIPE,
                                                                 text=True).stdout)
    resolved = {}
    for line in subprocess.run(["ldd", binary], stdout=subprocess.PIPE, text=True).stdout.splitlines():
        m = re.match(r"\s*(\S+) => (/\S+)", line)
        if m:
            resolved[m.group(1)] = m.group(2)
    closures = {lib: library_closure(resolved[lib]) for lib in needed if lib in resolved}
    only = {}
    for prefix in ("libcurl.so", "libsystemd.so"):
        mine = [lib for lib in closures if lib.startswith(prefix)]
        if not mine:
            continue
        others = set().union(*[c for lib, c in closures.items() if lib not in mine])
        files = closures[mine[0]] - others
        only[prefix.split(".")[0]] = {"kib": sum(per_file.get(f, 0) for f in files), "libraries": len(files)}
    top = sorted(per_file.items(), key=lambda item: -item[1])[:10]
    return {"top": top, "only": only}


class Tracker:
    """CPU and memory of one process over a measuring window."""

    def __init__(self, name, pid):
        self.name, self.pid = name, pid
        self.samples = []
        self.cpu0 = self.cpu1 = self.run0 = self.run1 = self.t0 = self.t1 = None

    def begin(self):
        self.t0 = time.monotonic()
        self.cpu0, self.run0 = proc_cpu_seconds(self.pid), proc_runtime_ns(self.pid)
        self.sample()

    def sample(self):
        memory = proc_memory(self.pid)
        memory["t"] = round(time.monotonic() - self.t0, 1)
        self.samples.append(memory)

    def end(self):
        self.sample()
        self.t1 = time.monotonic()
        self.cpu1, self.run1 = proc_cpu_seconds(self.pid), proc_runtime_ns(self.pid)
        self.pss_kib = proc_pss_kib(self.pid)

    def summary(self, probes):
        wall = self.t1 - self.t0
        cpu = self.cpu1 - self.cpu0
        runtime = (self.run1 - self.run0) / 1e9
        result = {"wall_s": round(wall, 1), "cpu_s": round(cpu, 3), "schedstat_cpu_s": round(runtime, 4),
                  "core_percent": 100 * cpu / wall, "schedstat_core_percent": 100 * runtime / wall,
                  "probes": probes, "samples": self.samples, "pss_kib_end": self.pss_kib}
        if probes:
            result["cpu_us_per_probe"] = cpu * 1e6 / probes
            result["schedstat_cpu_us_per_probe"] = runtime * 1e6 / probes
        for key in ("VmRSS", "RssAnon", "RssFile"):
            series = [s[key] for s in self.samples]
            half = series[: max(1, len(series) // 2)]
            result[key] = {"first": series[0], "last": series[-1], "min": min(series), "max": max(series),
                           "max_first_half": max(half), "max_second_half": max(series[len(half):] or half)}
        result["VmHWM"] = self.samples[-1]["VmHWM"]
        result["threads"] = self.samples[-1]["Threads"]
        return result


# ------------------------------------------------------------------ the daemon
def http_get(port, path, timeout=5):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return None, b""


class Daemon:
    def __init__(self, binary, workdir, name, world, interval):
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir)
        self.port = probe_bench.free_port("127.0.0.1")
        config = {
            "dns": {"servers": ["%s:%d" % (world["dns"].host, world["dns"].port)]},
            "private_cidrs": ["%s.0/24" % probe_bench.PRIVATE_NET],
            "tls": {"ca_file": world["ca_file"]},
            "intakes": [{"name": "intake%02d" % (i + 1), "host": probe_bench.intake_host(i), "port": world["port"]}
                        for i in range(INTAKES)],
            "status": {"listen": "127.0.0.1:%d" % self.port},
            "state_dir": os.path.join(self.dir, "state"),
            "restart": {"enabled": False},
            "agent": {"process_names": ["none"]},
        }
        if interval is not None:  # None: the defaults (interval 30s, timeout and confirm_interval too)
            config.update({"interval": "%dms" % (interval * 1000), "timeout": "500ms",
                           "confirm_interval": "%dms" % min(interval * 1000, 900)})
        self.config = config
        self.config_path = os.path.join(self.dir, "sidecar.json")
        with open(self.config_path, "w") as f:
            json.dump(config, f, indent=2)
        self.argv = [binary, "--config", self.config_path, "run"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PRIVATELINK_SIDECAR_")}
        self.log_path = os.path.join(self.dir, "daemon.log")
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen(self.argv, stdout=self.log_file, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=env)
        self.wait_for(lambda: self.get("/healthz")[0] == 200, "the status endpoint")

    def get(self, path):
        return http_get(self.port, path)

    def status(self):
        code, body = self.get("/status")
        if code != 200:
            raise RuntimeError("/status answered %s" % code)
        return json.loads(body)

    def probe_counts(self):
        return {i["name"]: i["probes"] for i in self.status()["intakes"]}

    def wait_for(self, predicate, what, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("daemon exited (%d) waiting for %s; log %s" % (self.process.returncode, what,
                                                                                  self.log_path))
            try:
                if predicate():
                    return
            except (RuntimeError, ValueError, KeyError):
                pass
            time.sleep(0.05)
        raise RuntimeError("timed out waiting for %s; log %s" % (what, self.log_path))

    def check_all_ok(self):
        problems = []
        status = self.status()
        for intake in status["intakes"]:
            if intake.get("verdict") != "ok":
                problems.append("%s: %s" % (intake["name"], intake.get("verdict")))
        if not status.get("healthy"):
            problems.append("status.healthy is false")
        return problems

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


# ------------------------------------------------------------------ blackbox_exporter
def write_blackbox_config(path, world):
    """Per intake: one tcp+tls module (server_name = the intake name) and two dns modules (A, AAAA)."""
    lines = ["modules:"]
    for i in range(INTAKES):
        host = probe_bench.intake_host(i)
        lines += ["  tls_%02d:" % (i + 1),
                  "    prober: tcp",
                  "    timeout: 5s",
                  "    tcp:",
                  "      preferred_ip_protocol: ip4",
                  "      tls: true",
                  "      tls_config:",
                  "        ca_file: %s" % world["ca_file"],
                  "        server_name: %s" % host]
        for qtype in ("A", "AAAA"):
            lines += ["  dns_%s_%02d:" % (qtype.lower(), i + 1),
                      "    prober: dns",
                      "    timeout: 5s",
                      "    dns:",
                      "      transport_protocol: udp",
                      "      preferred_ip_protocol: ip4",
                      "      query_name: %s" % host,
                      "      query_type: %s" % qtype,
                      "      valid_rcodes: [NOERROR]"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


class Blackbox:
    def __init__(self, workdir, name, config_path):
        self.name = name
        self.port = probe_bench.free_port("127.0.0.1")
        self.log_path = os.path.join(workdir, name + ".log")
        self.log_file = open(self.log_path, "w")
        self.argv = [BLACKBOX, "--config.file=" + config_path, "--web.listen-address=127.0.0.1:%d" % self.port,
                     "--log.level=warn"]
        self.process = subprocess.Popen(self.argv, stdout=self.log_file, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while http_get(self.port, "/metrics", 1)[0] != 200:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("%s did not start; log %s" % (name, self.log_path))
            time.sleep(0.05)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


class BlackboxDriver(threading.Thread):
    """Plays Prometheus: every interval, for each intake (spread over the interval as the
    daemon spreads its first runs), /probe the 3 addresses on the TLS instance and the
    A and AAAA queries on the DNS instance. Keep-alive connections, one request at a time."""

    def __init__(self, world, tls_port, dns_port, interval):
        super().__init__(daemon=True)
        self.world, self.interval = world, interval
        self.connections = {"tls": http.client.HTTPConnection("127.0.0.1", tls_port, timeout=10),
                            "dns": http.client.HTTPConnection("127.0.0.1", dns_port, timeout=10)}
        self.counts = {"tls": 0, "dns": 0, "failed": 0, "cycles": 0, "late_slots": 0}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.first_failure = None

    def requests_for(self, index):
        dns_target = "%s:%d" % (self.world["dns"].host, self.world["dns"].port)
        for address in probe_bench.intake_addresses(index):
            yield "tls", "tls_%02d" % (index + 1), "%s:%d" % (address, self.world["port"])
        for qtype in ("a", "aaaa"):
            yield "dns", "dns_%s_%02d" % (qtype, index + 1), dns_target

    def probe(self, kind, module, target):
        path = "/probe?" + urllib.parse.urlencode({"module": module, "target": target})
        connection = self.connections[kind]
        for attempt in (1, 2):
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read().decode()
                break
            except (http.client.HTTPException, OSError):
                connection.close()
                if attempt == 2:
                    body = ""
        ok = re.search(r"^probe_success 1$", body, re.M) is not None
        with self.lock:
            if ok:
                self.counts[kind] += 1
            else:
                self.counts["failed"] += 1
                if self.first_failure is None:
                    self.first_failure = "%s %s: %s" % (module, target, body[-300:])

    def one_round(self):
        for index in range(INTAKES):
            for request in self.requests_for(index):
                self.probe(*request)

    def snapshot(self):
        with self.lock:
            return dict(self.counts)

    def run(self):
        start = time.monotonic()
        slot = 0
        while not self.stopping.is_set():
            due = start + slot * self.interval / INTAKES
            delay = due - time.monotonic()
            if delay > 0:
                if self.stopping.wait(delay):
                    return
            elif delay < -self.interval / INTAKES:
                with self.lock:
                    self.counts["late_slots"] += 1
            for request in self.requests_for(slot % INTAKES):
                self.probe(*request)
            slot += 1
            if slot % INTAKES == 0:
                with self.lock:
                    self.counts["cycles"] += 1

    def stop(self):
        self.stopping.set()
        self.join(30)


# ------------------------------------------------------------------ phases A / B (with blackbox)
def run_probe_phase(label, binary, workdir, world, interval, duration, with_blackbox):
    """interval None = the daemon's default (30 s); blackbox is driven at the same rate."""
    rate = interval if interval is not None else 30
    log("")
    log("== phase %s: daemon at interval %s%s, %d s" % (label, "%ds" % interval if interval else "default (30s)",
                                                       ", blackbox_exporter at the same rate" if with_blackbox else "",
                                                       duration))
    daemon = Daemon(binary, workdir, "daemon-" + label, world, interval)
    log("$ " + " ".join(daemon.argv))
    boxes, driver = [], None
    try:
        daemon.wait_for(lambda: all(c >= 1 for c in daemon.probe_counts().values()), "every intake's first probe")
        if with_blackbox:
            boxes = [Blackbox(workdir, "blackbox-tls-" + label, world["blackbox_config"]),
                     Blackbox(workdir, "blackbox-dns-" + label, world["blackbox_config"])]
            log("$ " + " ".join(boxes[0].argv) + "   (x2: one for the TCP+TLS probes, one for the DNS probes)")
            driver = BlackboxDriver(world, boxes[0].port, boxes[1].port, rate)
            driver.one_round()  # warm-up: every module once
            if driver.counts["failed"]:
                raise RuntimeError("blackbox warm-up probe failed: %s" % driver.first_failure)
            driver.counts = {k: 0 for k in driver.counts}
        trackers = [Tracker("daemon", daemon.process.pid)] + [Tracker(b.name, b.process.pid) for b in boxes]
        load_before = os.getloadavg()
        if driver:
            driver.start()
        counts0 = daemon.probe_counts()
        for tracker in trackers:
            tracker.begin()
        bb0 = driver.snapshot() if driver else None
        t0 = time.monotonic()
        next_sample = t0 + 5
        while time.monotonic() < t0 + duration:
            time.sleep(max(0.0, min(next_sample, t0 + duration) - time.monotonic()))
            if daemon.process.poll() is not None:
                raise RuntimeError("daemon exited (%d); log %s" % (daemon.process.returncode, daemon.log_path))
            if time.monotonic() >= next_sample - 0.01:
                for tracker in trackers:
                    tracker.sample()
                next_sample += 5
        for tracker in trackers:
            tracker.end()
        counts1 = daemon.probe_counts()
        bb1 = driver.snapshot() if driver else None
        load_after = os.getloadavg()
        problems = daemon.check_all_ok()
        libraries = library_rss(binary, daemon.process.pid)
        per_intake = {name: counts1[name] - counts0[name] for name in counts1}
        result = {"interval_s": rate, "daemon_interval_config": interval, "duration_s": duration,
                  "load_before": load_before, "load_after": load_after,
                  "daemon": trackers[0].summary(sum(per_intake.values())),
                  "daemon_probes_per_intake": per_intake, "daemon_problems": problems,
                  "daemon_rss_by_file": libraries}
        if driver:
            delta = {k: bb1[k] - bb0[k] for k in bb1}
            result["blackbox_counts"] = delta
            result["blackbox_tls"] = trackers[1].summary(delta["tls"])
            result["blackbox_dns"] = trackers[2].summary(delta["dns"])
            if delta["failed"]:
                problems.append("blackbox: %d failed probes, first: %s" % (delta["failed"], driver.first_failure))
        if problems:
            raise RuntimeError("phase %s: %s" % (label, "; ".join(problems)))
        print_probe_phase(label, result)
        return result
    finally:
        if driver:
            driver.stop()
        for box in boxes:
            box.stop()
        daemon.stop()


def mib(kib):
    return kib / 1024.0


def print_probe_phase(label, r):
    d = r["daemon"]
    intake_probes = d["probes"]
    log("daemon: %d intake probes in %.0f s (%.2f per intake per interval of %ds), CPU %.2f s = %.3f %% of one core"
        % (intake_probes, d["wall_s"], intake_probes / INTAKES / (d["wall_s"] / r["interval_s"]), r["interval_s"],
           d["cpu_s"], d["core_percent"]))
    log("        schedstat CPU %.3f s = %.3f %% of one core" % (d["schedstat_cpu_s"], d["schedstat_core_percent"]))
    if intake_probes:
        log("        CPU per intake probe (DNS A+AAAA + 3 TCP+TLS + bookkeeping): %.0f us (schedstat %.0f us);"
            " per address: %.0f us" % (d["cpu_us_per_probe"], d["schedstat_cpu_us_per_probe"],
                                       d["cpu_us_per_probe"] / ADDRESSES))
    for key in ("VmRSS", "RssAnon"):
        m = d[key]
        log("        %-7s first %.2f  last %.2f  min %.2f  max %.2f MiB (max 1st half %.2f, 2nd half %.2f)"
            % (key, mib(m["first"]), mib(m["last"]), mib(m["min"]), mib(m["max"]), mib(m["max_first_half"]),
               mib(m["max_second_half"])))
    log("        VmHWM %.2f MiB, PSS at the end %.2f MiB, %d threads" % (mib(d["VmHWM"]), mib(d["pss_kib_end"] or 0),
                                                                         d["threads"]))
    libs = r["daemon_rss_by_file"]
    log("        RSS by mapping: " + ", ".join("%s %.2f" % (os.path.basename(name), mib(kib)) for name, kib in libs["top"][:8])
        + " MiB")
    for lib, figures in sorted(libs["only"].items()):
        log("        %s and the %d libraries only it brings in: %.2f MiB of the VmRSS"
            % (lib, figures["libraries"] - 1, mib(figures["kib"])))
    if "blackbox_tls" in r:
        for key, what in (("blackbox_tls", "TCP+TLS probe"), ("blackbox_dns", "DNS probe")):
            b = r[key]
            log("%s: %d probes, CPU %.2f s = %.3f %% of one core, %.0f us per %s; VmRSS first %.2f last %.2f max "
                "%.2f MiB, RssAnon max %.2f MiB, %d threads"
                % (key, b["probes"], b["cpu_s"], b["core_percent"], b.get("cpu_us_per_probe", 0), what,
                   mib(b["VmRSS"]["first"]), mib(b["VmRSS"]["last"]), mib(b["VmRSS"]["max"]),
                   mib(b["RssAnon"]["max"]), b["threads"]))
        log("blackbox driver: %s" % r["blackbox_counts"])


# ------------------------------------------------------------------ phase D (wrk on /metrics)
class Poller(threading.Thread):
    """Polls /status (probe counters) and /healthz every `period` seconds; records, per
    intake, the longest time between two increments of its probe counter."""

    def __init__(self, daemon, period=0.25):
        super().__init__(daemon=True)
        self.d, self.period = daemon, period
        self.stopping = threading.Event()
        self.healthz = {"polls": 0, "not_200": 0, "slowest_s": 0.0}
        self.status_errors = 0
        self.last_change = {}
        self.last_count = {}
        self.max_gap = {}

    def run(self):
        while not self.stopping.is_set():
            started = time.monotonic()
            code, _ = self.d.get("/healthz")
            took = time.monotonic() - started
            self.healthz["polls"] += 1
            self.healthz["slowest_s"] = max(self.healthz["slowest_s"], took)
            if code != 200:
                self.healthz["not_200"] += 1
            try:
                counts = self.d.probe_counts()
            except (RuntimeError, ValueError, OSError):
                self.status_errors += 1
                counts = {}
            now = time.monotonic()
            for name, count in counts.items():
                if name not in self.last_count:
                    self.last_count[name], self.last_change[name], self.max_gap[name] = count, now, 0.0
                elif count != self.last_count[name]:
                    self.max_gap[name] = max(self.max_gap[name], now - self.last_change[name])
                    self.last_count[name], self.last_change[name] = count, now
            self.stopping.wait(max(0.0, self.period - (time.monotonic() - started)))

    def finish(self):
        self.stopping.set()
        self.join(10)
        now = time.monotonic()
        for name in self.last_change:  # a counter that stopped moving counts up to now
            self.max_gap[name] = max(self.max_gap[name], now - self.last_change[name])
        return {"healthz": self.healthz, "status_errors": self.status_errors,
                "max_gap_s": max(self.max_gap.values()) if self.max_gap else None,
                "max_gap_by_intake": {k: round(v, 2) for k, v in sorted(self.max_gap.items())}}


def observe_window(daemon, seconds, during=None):
    poller = Poller(daemon)
    counts0 = daemon.probe_counts()
    cpu0 = proc_cpu_seconds(daemon.process.pid)
    poller.start()
    t0 = time.monotonic()
    extra = during() if during else time.sleep(seconds)
    wall = time.monotonic() - t0
    polled = poller.finish()
    cpu = proc_cpu_seconds(daemon.process.pid) - cpu0
    counts1 = daemon.probe_counts()
    per_intake = {k: counts1[k] - counts0[k] for k in counts1}
    return {"wall_s": wall, "daemon_cpu_s": cpu, "daemon_core_percent": 100 * cpu / wall,
            "probes_per_intake": per_intake, "min_probes": min(per_intake.values()),
            "max_probes": max(per_intake.values()), "total_probes": sum(per_intake.values()),
            "memory_end": proc_memory(daemon.process.pid), "poll": polled, "extra": extra}


def parse_wrk(text):
    result = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    result["requests_per_s"] = float(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+), ([\d.]+)(\w+) read", text)
    if m:
        result["requests"] = int(m.group(1))
    m = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", text)
    if m:
        result["latency_avg"], result["latency_stdev"], result["latency_max"] = m.groups()
    for pct in ("50", "75", "90", "99"):
        m = re.search(r"^\s+%s%%\s+(\S+)" % pct, text, re.M)
        if m:
            result["latency_p" + pct] = m.group(1)
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    result["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", text)
    result["socket_errors"] = m.group(1).strip() if m else None
    return result


def run_wrk_phase(binary, workdir, world, seconds, connections, threads):
    log("")
    log("== phase D: daemon at interval 1s; %d s quiet, then %d s of wrk -t%d -c%d on /metrics"
        % (seconds, seconds, threads, connections))
    daemon = Daemon(binary, workdir, "daemon-D", world, 1)
    try:
        daemon.wait_for(lambda: all(c >= 2 for c in daemon.probe_counts().values()), "two probes of every intake")
        size = len(daemon.get("/metrics")[1])
        quiet = observe_window(daemon, seconds)
        argv = [WRK, "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds, "--latency",
                "http://127.0.0.1:%d/metrics" % daemon.port]
        log("$ " + " ".join(argv))

        def wrk():
            started = time.monotonic()
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            out, _ = proc.communicate()
            if proc.returncode != 0:
                raise RuntimeError("wrk failed (%d): %s" % (proc.returncode, out))
            parsed = parse_wrk(out)
            parsed["raw"] = out
            parsed["wall_s"] = time.monotonic() - started
            return parsed

        before = os.times()
        loaded = observe_window(daemon, seconds, during=wrk)
        after = os.times()
        loaded["extra"]["wrk_cpu_s"] = (after.children_user + after.children_system
                                        - before.children_user - before.children_system)
        problems = daemon.check_all_ok()
        if problems:
            raise RuntimeError("phase D: " + "; ".join(problems))
        result = {"metrics_bytes": size, "quiet": quiet, "wrk": loaded, "wrk_argv": argv}
        print_wrk_phase(result)
        return result
    finally:
        daemon.stop()


def print_wrk_phase(r):
    q, w = r["quiet"], r["wrk"]
    x = w["extra"]
    log("/metrics body: %d bytes" % r["metrics_bytes"])
    log("wrk: %.0f requests/s, latency avg %s, p50 %s, p90 %s, p99 %s, max %s; non-2xx %d; socket errors %s; "
        "wrk CPU %.1f s" % (x["requests_per_s"] or 0, x.get("latency_avg"), x.get("latency_p50"),
                            x.get("latency_p90"), x.get("latency_p99"), x.get("latency_max"), x["non_2xx"],
                            x["socket_errors"], x["wrk_cpu_s"]))
    for name, window in (("quiet", q), ("wrk", w)):
        log("%-5s window %.1f s: probes per intake %d..%d (total %d), longest gap between probes %.2f s, "
            "/healthz non-200 %d of %d (slowest %.3f s), daemon CPU %.1f %% of one core"
            % (name, window["wall_s"], window["min_probes"], window["max_probes"], window["total_probes"],
               window["poll"]["max_gap_s"], window["poll"]["healthz"]["not_200"], window["poll"]["healthz"]["polls"],
               window["poll"]["healthz"]["slowest_s"], window["daemon_core_percent"]))


# ------------------------------------------------------------------ report
def verdict(met):
    return "MET" if met else "MISSED"


def print_targets(result):
    log("")
    log("== targets")
    m = result["machine"]
    log("machine: %d CPUs, %s, kernel %s, %s, git %s%s; measured binary: %s"
        % (m["nproc"], m["cpu_model"], m["kernel"], m["openssl"], m["git_revision"],
           " (dirty tree)" if result["dirty"] else "", result["binary_version"]))
    verdicts = {}
    for label in ("A", "B"):
        r = result["phases"].get(label)
        if not r:
            continue
        d = r["daemon"]
        rss_max = mib(d["VmRSS"]["max"])
        anon = d["RssAnon"]
        # Flat: no new high after the first half of the window (64 KiB tolerance: a page table or two).
        flat = anon["max_second_half"] <= anon["max_first_half"] + 64 and \
            d["VmRSS"]["max_second_half"] <= d["VmRSS"]["max_first_half"] + 64
        log("phase %s  steady RSS < %.0f MiB: VmRSS max %.2f MiB (RssAnon max %.2f)  %s"
            % (label, TARGETS["rss_mib"], rss_max, mib(anon["max"]), verdict(rss_max < TARGETS["rss_mib"])))
        log("phase %s  RSS flat (no new high in the 2nd half): VmRSS %.2f -> %.2f MiB, RssAnon %.2f -> %.2f MiB  %s"
            % (label, mib(d["VmRSS"]["max_first_half"]), mib(d["VmRSS"]["max_second_half"]),
               mib(anon["max_first_half"]), mib(anon["max_second_half"]), verdict(flat)))
        verdicts["rss_" + label] = rss_max < TARGETS["rss_mib"]
        verdicts["flat_" + label] = flat
        if label == "B":
            ok = d["core_percent"] < TARGETS["idle_core_percent"]
            log("phase B  default interval < %.1f %% of one core: %.3f %% (schedstat %.3f %%)  %s"
                % (TARGETS["idle_core_percent"], d["core_percent"], d["schedstat_core_percent"], verdict(ok)))
            verdicts["idle_cpu"] = ok
        if "blackbox_tls" in r and d["probes"]:
            tls, dns = r["blackbox_tls"], r["blackbox_dns"]
            per_address_bb = tls.get("cpu_us_per_probe", 0)
            per_dns_bb = dns.get("cpu_us_per_probe", 0)
            per_intake_bb = ADDRESSES * per_address_bb + 2 * per_dns_bb
            per_intake = d["cpu_us_per_probe"]
            ratio = per_intake / per_intake_bb if per_intake_bb else float("inf")
            ratio_addr = (per_intake / ADDRESSES) / per_address_bb if per_address_bb else float("inf")
            log("phase %s  CPU per intake probe <= %.1fx blackbox: daemon %.0f us vs blackbox %.0f us "
                "(3 x %.0f TCP+TLS + 2 x %.0f DNS) = %.2fx  %s"
                % (label, TARGETS["cpu_vs_blackbox"], per_intake, per_intake_bb, per_address_bb, per_dns_bb, ratio,
                   verdict(ratio <= TARGETS["cpu_vs_blackbox"])))
            log("phase %s  per address probe (daemon's intake CPU / 3, DNS included) vs blackbox TCP+TLS: "
                "%.0f vs %.0f us = %.2fx" % (label, per_intake / ADDRESSES, per_address_bb, ratio_addr))
            log("phase %s  RSS side by side: daemon VmRSS max %.2f MiB (RssAnon %.2f) | blackbox VmRSS max "
                "%.2f (tls instance) / %.2f (dns instance) MiB (RssAnon %.2f / %.2f)"
                % (label, mib(d["VmRSS"]["max"]), mib(d["RssAnon"]["max"]), mib(tls["VmRSS"]["max"]),
                   mib(dns["VmRSS"]["max"]), mib(tls["RssAnon"]["max"]), mib(dns["RssAnon"]["max"])))
            verdicts["cpu_vs_blackbox_" + label] = ratio <= TARGETS["cpu_vs_blackbox"]
    r = result["phases"].get("D")
    if r:
        x, q, w = r["wrk"]["extra"], r["quiet"], r["wrk"]
        rps = x["requests_per_s"] or 0
        # A missed cycle: an intake's counter stood still for more than 2 intervals (1 s +10 % jitter + the
        # probe itself + the 0.25 s poll makes about 1.6 s the normal worst case), or it got clearly fewer
        # probes than in the quiet window.
        missed = w["poll"]["max_gap_s"] > 2.0 or w["min_probes"] < q["min_probes"] - 1 or \
            w["poll"]["healthz"]["not_200"] > 0
        ok = rps >= TARGETS["metrics_rps"] and not missed
        log("phase D  /metrics >= %.0f requests/s without a missed probe cycle: %.0f requests/s; probes per intake "
            "%d..%d under load vs %d..%d quiet; longest gap %.2f s (quiet %.2f s); /healthz non-200: %d  %s"
            % (TARGETS["metrics_rps"], rps, w["min_probes"], w["max_probes"], q["min_probes"], q["max_probes"],
               w["poll"]["max_gap_s"], q["poll"]["max_gap_s"], w["poll"]["healthz"]["not_200"], verdict(ok)))
        verdicts["metrics_rps"] = rps >= TARGETS["metrics_rps"]
        verdicts["no_missed_cycle"] = not missed
    result["verdicts"] = verdicts


# ------------------------------------------------------------------ main
def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=600, help="seconds per probe phase (A, B); default 600")
    parser.add_argument("--wrk-duration", type=int, default=30, help="seconds of wrk (and of the quiet window); 30")
    parser.add_argument("--wrk-connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--phases", default="A,B,D", help="comma list of A (1s), B (default 30s), D (wrk); A,B,D")
    parser.add_argument("--no-blackbox", action="store_true", help="phases A/B without blackbox_exporter")
    parser.add_argument("--build-dir", help="use this build tree (nothing is built)")
    parser.add_argument("--no-build", action="store_true", help="use the binaries already in build/release")
    parser.add_argument("--json-out", help="also write every figure to this file")
    args = parser.parse_args()
    phases = [p.strip().upper() for p in args.phases.split(",") if p.strip()]
    for tool in ([WRK] if "D" in phases else []) + ([BLACKBOX] if not args.no_blackbox else []):
        if not os.access(tool, os.X_OK):
            sys.exit("%s is missing (Debian: wrk, prometheus-blackbox-exporter)" % tool)
    build_dir = os.path.abspath(args.build_dir) if args.build_dir else os.path.join(ROOT, "build", "release")
    if not args.build_dir and not args.no_build:
        probe_bench.build(build_dir)
    binary = os.path.join(build_dir, "sidecar", "privatelink-sidecar")
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.strip()
    version = subprocess.run([binary, "version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             env=probe_bench.check_environment()).stdout.strip()
    log("binary: %s (%s)" % (binary, version))
    result = {"machine": probe_bench.machine(), "dirty": dirty, "binary_version": version, "args": vars(args),
              "phases": {},
              "processes": len([p for p in os.listdir("/proc") if p.isdigit()])}
    workdir = tempfile.mkdtemp(prefix="pl-daemon-bench-")
    try:
        certs = os.path.join(workdir, "certs")
        subprocess.run([os.path.join(probe_bench.SUPPORT, "make_certs.sh"), certs], check=True,
                       stdout=subprocess.DEVNULL)
        zone = {"a": {probe_bench.intake_host(i): probe_bench.intake_addresses(i) for i in range(INTAKES)},
                "ttl": 60}
        port = probe_bench.free_port(probe_bench.intake_addresses(0)[0])
        with dnsmasq_zone.start_dnsmasq(os.path.join(workdir, "dns"), 0, zone) as dns:
            server = probe_bench.start_fixture_server(workdir, certs, port)
            world = {"dns": dns, "port": port, "ca_file": os.path.join(certs, "ca.pem")}
            world["blackbox_config"] = os.path.join(workdir, "blackbox.yml")
            write_blackbox_config(world["blackbox_config"], world)
            try:
                for phase in phases:
                    if phase in ("A", "B"):
                        result["phases"][phase] = run_probe_phase(phase, binary, workdir, world,
                                                                  1 if phase == "A" else None, args.duration,
                                                                  not args.no_blackbox)
                    elif phase == "D":
                        result["phases"]["D"] = run_wrk_phase(binary, workdir, world, args.wrk_duration,
                                                              args.wrk_connections, args.wrk_threads)
                    else:
                        sys.exit("unknown phase %s" % phase)
            finally:
                server.terminate()
                server.wait(10)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print_targets(result)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(result, f, indent=2, default=str)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as error:
        print("daemon_bench: %s" % error, file=sys.stderr)
        sys.exit(1)
