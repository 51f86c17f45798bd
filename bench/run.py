#!/usr/bin/env python3
"""Probe cost benchmark for privatelink-sidecar: one command, see bench/README.md.

    bench/run.py [--iterations 1000] [--check-runs 5] [--no-build] [--json-out FILE]

1. Builds bench_probes and privatelink-sidecar in build/release (cmake preset
   `release`, at most -j2) unless --no-build.
2. Creates the test PKI (tests/support/make_certs.sh) in a temp dir, starts
   dnsmasq (tests/support/dnsmasq_zone.py) on 127.0.0.1 and one fixture TLS
   server process (tests/support/fixture_server.py) with 36 listeners on
   127.0.10.1 .. 127.0.10.36. Loopback only; all names are under pl.test.
3. Runs bench_probes: client CPU per DNS probe, per TCP+TLS probe and per bare
   OpenSSL handshake against the same listener.
4. Runs `openssl s_time -new` against that listener (a second floor; its
   whole-process CPU from wait4 divided by its connection count).
5. Runs `privatelink-sidecar --config F check -o json` over 12 intakes x 3
   addresses several times under /usr/bin/time (peak RSS; see run_measured)
   and checks that every intake is ok; `version` gives the baseline RSS.
6. Prints the figures against the targets. It reports; it never fails on a
   missed target (exit 1 only if something did not run or a probe failed).
"""

import argparse
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SUPPORT = os.path.join(ROOT, "tests", "support")
sys.path.insert(0, SUPPORT)
import dnsmasq_zone  # noqa: E402

INTAKES = 12
ADDRESSES_PER_INTAKE = 3
PRIVATE_NET = "127.0.10"
TIME = "/usr/bin/time"  # GNU time (Debian package `time`)
TARGETS = {"tls_over_bare": 1.3, "dns_cpu_us": 50.0, "check_rss_mib": 12.0}


def log(message):
    print(message, flush=True)


# ------------------------------------------------------------------ build
def build(build_dir):
    # Configuring again is cheap and makes sure the bench target is enabled.
    subprocess.run(["cmake", "--preset", "release", "-DSIDECAR_BUILD_BENCH=ON"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build_dir, "-j2", "--target", "bench_probes", "privatelink-sidecar"],
                   cwd=ROOT, check=True)


# ------------------------------------------------------------------ the loopback world
def intake_host(index):
    return "intake%02d.pl.test" % (index + 1)


def intake_addresses(index):
    first = index * ADDRESSES_PER_INTAKE + 1
    return ["%s.%d" % (PRIVATE_NET, first + offset) for offset in range(ADDRESSES_PER_INTAKE)]


def free_port(host):
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def start_fixture_server(workdir, certs, port):
    listeners = []
    for index in range(INTAKES):
        for address in intake_addresses(index):
            listeners.append({"name": address, "mode": "tls", "host": address, "port": port,
                              "cert": os.path.join(certs, "valid.pem"), "key": os.path.join(certs, "valid.key")})
    spec = os.path.join(workdir, "listeners.json")
    ready = os.path.join(workdir, "listeners.ready")
    with open(spec, "w") as f:
        json.dump({"listeners": listeners}, f)
    proc = subprocess.Popen([sys.executable, os.path.join(SUPPORT, "fixture_server.py"), spec, ready],
                            stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not os.path.exists(ready):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("fixture_server.py did not start (exit %s)" % proc.poll())
        time.sleep(0.02)
    return proc


def write_check_config(path, dns, ca_file, port):
    lines = ["timeout: 5s",
             "dns:",
             "  servers: [\"%s:%d\"]" % (dns.host, dns.port),
             "private_cidrs: [\"%s.0/24\"]" % PRIVATE_NET,
             "tls:",
             "  ca_file: \"%s\"" % ca_file,
             "intakes:"]
    for index in range(INTAKES):
        lines.append("  - {name: intake%02d, host: %s, port: %d}" % (index + 1, intake_host(index), port))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


# ------------------------------------------------------------------ measuring child processes
def run_measured(argv, env=None):
    """Runs argv under /usr/bin/time; returns (exit code, stdout, stderr, wall s, cpu s, max RSS KiB).

    The peak RSS is the one GNU time reads with wait4 for its own child. It is
    not taken from our own wait4: a child forked (or vforked) from this Python
    process inherits Python's high-water RSS, which exec() keeps. CPU is user +
    sys from our wait4 on time, which includes the waited-for child (and the
    well under 1 ms that time itself uses).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(mode="r", suffix=".time") as rss:
        start = time.monotonic()
        proc = subprocess.Popen([TIME, "-f", "%M", "-o", rss.name] + argv, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        lines = rss.read().split()
        max_rss = int(lines[-1]) if lines and lines[-1].isdigit() else 0
        return (proc.returncode, out.read().decode(), err.read().decode(), wall, usage.ru_utime + usage.ru_stime,
                max_rss)


def run_bench_probes(build_dir, dns, certs, port, iterations, dns_iterations):
    argv = [os.path.join(build_dir, "bench", "bench_probes"),
            "--dns-server", "%s:%d" % (dns.host, dns.port), "--dns-name", intake_host(0),
            "--tls-address", intake_addresses(0)[0], "--tls-port", str(port),
            "--server-name", intake_host(0), "--ca-file", os.path.join(certs, "ca.pem"),
            "--iterations", str(iterations), "--dns-iterations", str(dns_iterations)]
    log("$ " + " ".join(argv))
    result = subprocess.run(argv, stdout=subprocess.PIPE, text=True)
    figures = None
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            figures = json.loads(line[len("BENCH_JSON "):])
        else:
            log("  " + line)
    if result.returncode != 0 or figures is None:
        raise RuntimeError("bench_probes failed (exit %d)" % result.returncode)
    return figures


def run_s_time(certs, port, seconds):
    argv = ["openssl", "s_time", "-connect", "%s:%d" % (intake_addresses(0)[0], port), "-new",
            "-time", str(seconds), "-CAfile", os.path.join(certs, "ca.pem"), "-verify", "2"]
    code, out, _, wall, cpu, _ = run_measured(argv)
    match = re.search(r"(\d+) connections in ([\d.]+)s", out)
    if code != 0 or not match or int(match.group(1)) == 0:
        return {"error": "openssl s_time failed (exit %d)" % code}
    connections = int(match.group(1))
    return {"connections": connections, "wall_s": wall, "cpu_us_per_connection": cpu * 1e6 / connections}


def check_environment():
    # The sidecar's own environment overrides would change the config.
    return {key: value for key, value in os.environ.items() if not key.startswith("PRIVATELINK_SIDECAR_")}


def verify_check_output(text):
    document = json.loads(text)
    intakes = document.get("intakes", [])
    problems = []
    if len(intakes) != INTAKES:
        problems.append("%d intakes in the report" % len(intakes))
    for intake in intakes:
        reachable = [a for a in intake.get("addresses", []) if a.get("outcome") == "ok"]
        if intake.get("verdict") != "ok" or len(reachable) != ADDRESSES_PER_INTAKE:
            problems.append("%s: %s %s" % (intake.get("name"), intake.get("verdict"), intake.get("reason")))
    return problems


def process_cpu_seconds(pid):
    """user + sys of a running process, from /proc (clock-tick resolution)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_checks(build_dir, config, runs, server_pid):
    binary = os.path.join(build_dir, "sidecar", "privatelink-sidecar")
    _, _, _, _, version_cpu, version_rss = run_measured([binary, "version"], env=check_environment())
    argv = [binary, "--config", config, "check", "-o", "json"]
    log("$ " + " ".join(argv) + "   (x%d)" % runs)
    samples = []
    server_cpu_before = process_cpu_seconds(server_pid)
    for _ in range(runs):
        code, out, err, wall, cpu, max_rss = run_measured(argv, env=check_environment())
        problems = verify_check_output(out) if out.strip() else ["no output: " + err.strip()]
        if code != 0 or problems:
            raise RuntimeError("check run failed (exit %d): %s" % (code, "; ".join(problems[:3])))
        samples.append({"wall_ms": wall * 1e3, "max_rss_kib": max_rss, "cpu_ms": cpu * 1e3})
        log("  wall %.1f ms, CPU %.1f ms, peak RSS %d KiB" % (wall * 1e3, cpu * 1e3, max_rss))
    return {"runs": samples,
            "wall_ms_median": statistics.median(s["wall_ms"] for s in samples),
            "wall_ms_max": max(s["wall_ms"] for s in samples),
            "cpu_ms_median": statistics.median(s["cpu_ms"] for s in samples),
            "max_rss_kib_max": max(s["max_rss_kib"] for s in samples),
            "max_rss_kib_median": statistics.median(s["max_rss_kib"] for s in samples),
            "server_cpu_ms_per_check": (process_cpu_seconds(server_pid) - server_cpu_before) * 1e3 / runs,
            "version_cpu_ms": version_cpu * 1e3, "version_max_rss_kib": version_rss}


# ------------------------------------------------------------------ report
def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    openssl = subprocess.run(["openssl", "version"], stdout=subprocess.PIPE, text=True).stdout.strip()
    revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "cpu_model": model, "kernel": platform.release(), "openssl": openssl,
            "git_revision": revision or "unknown"}


def verdict(met):
    return "MET" if met else "MISSED"


def print_summary(result):
    probes, check, s_time = result["probes"], result["check"], result["s_time"]
    ratio = probes["tls_over_bare_mean"]
    dns = probes["dns_probe"]["cpu_us_mean"]
    rss_mib = check["max_rss_kib_max"] / 1024
    m = result["machine"]
    log("")
    log("machine: %d CPUs, %s, kernel %s, %s, git %s" % (m["nproc"], m["cpu_model"], m["kernel"], m["openssl"],
                                                         m["git_revision"]))
    log("load average before/after: %s / %s (other work on the machine inflates CPU figures)"
        % (result["load_before"], result["load_after"]))
    log("CPU affinity: %s" % ("everything on CPU %d" % result["pinned_cpu"] if result["pinned_cpu"] is not None
                              else "not pinned"))

    def row(label, key, note=""):
        figures = probes[key]
        log("%-24s %8.1f us CPU  (median %.1f, p90 %.1f)%s" % (label, figures["cpu_us_mean"], figures["cpu_us_median"],
                                                                figures["cpu_us_p90"], note))
    row("TCP+TLS probe", "tcp_tls_probe")
    row("bare handshake", "bare_handshake")
    if "cpu_us_per_connection" in s_time:
        log("%-24s %8.1f us CPU  (whole process / %d connections, no SNI)"
            % ("openssl s_time -new", s_time["cpu_us_per_connection"], s_time["connections"]))
    row("DNS probe", "dns_probe")
    row("DNS probe, 12 in flight", "dns_probe_batch12", " per probe")
    row("bare DNS, new socket", "bare_dns_new_socket")
    row("bare DNS, kept socket", "bare_dns_kept_socket")
    log("%-24s %8.1f ms wall (median of %d), %.1f ms CPU, peak RSS %.2f MiB (max)"
        % ("check 12 x 3", check["wall_ms_median"], len(check["runs"]), check["cpu_ms_median"], rss_mib))
    log("%-24s %8.1f ms CPU per check (the Python TLS server, 36 handshakes)"
        % ("fixture server", check["server_cpu_ms_per_check"]))
    log("%-24s %8.1f ms CPU, peak RSS %.2f MiB" % ("version (baseline)", check["version_cpu_ms"],
                                                  check["version_max_rss_kib"] / 1024))
    log("")
    log("target  TCP+TLS probe <= %.1fx bare handshake CPU: %.2fx  %s"
        % (TARGETS["tls_over_bare"], ratio, verdict(ratio <= TARGETS["tls_over_bare"])))
    log("target  DNS probe < %.0f us CPU: %.1f us  %s" % (TARGETS["dns_cpu_us"], dns, verdict(dns < TARGETS["dns_cpu_us"])))
    log("target  check peak RSS < %.0f MiB: %.2f MiB  %s"
        % (TARGETS["check_rss_mib"], rss_mib, verdict(rss_mib < TARGETS["check_rss_mib"])))


def load_average():
    return "%.2f %.2f %.2f" % os.getloadavg()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=1000, help="measured TLS operations per kind (default 1000)")
    parser.add_argument("--dns-iterations", type=int, default=5000, help="measured DNS operations per kind (default 5000)")
    parser.add_argument("--check-runs", type=int, default=5, help="privatelink-sidecar check runs (default 5)")
    parser.add_argument("--s-time-seconds", type=int, default=3, help="openssl s_time duration; 0 skips it")
    parser.add_argument("--build-dir", help="benchmark the binaries of this build tree (nothing is built)")
    parser.add_argument("--no-build", action="store_true", help="use the binaries already in --build-dir")
    parser.add_argument("--pin-cpu", type=int, metavar="N",
                        help="run everything (servers included) on CPU N only; see README (DNS figures)")
    parser.add_argument("--json-out", help="also write every figure to this file")
    args = parser.parse_args()

    if not os.access(TIME, os.X_OK):
        sys.exit("%s is missing: apt-get install time" % TIME)
    if args.build_dir:
        args.build_dir = os.path.abspath(args.build_dir)
    else:
        args.build_dir = os.path.join(ROOT, "build", "release")
        if not args.no_build:
            build(args.build_dir)
    if args.pin_cpu is not None:
        os.sched_setaffinity(0, {args.pin_cpu})  # inherited by every child started from here on
    result = {"machine": machine(), "load_before": load_average(), "pinned_cpu": args.pin_cpu}
    with tempfile.TemporaryDirectory(prefix="pl-bench-") as workdir:
        certs = os.path.join(workdir, "certs")
        subprocess.run([os.path.join(SUPPORT, "make_certs.sh"), certs], check=True, stdout=subprocess.DEVNULL)
        zone = {"a": {intake_host(i): intake_addresses(i) for i in range(INTAKES)}, "ttl": 60}
        port = free_port(intake_addresses(0)[0])
        with dnsmasq_zone.start_dnsmasq(os.path.join(workdir, "dns"), 0, zone) as dns:
            server = start_fixture_server(workdir, certs, port)
            try:
                result["probes"] = run_bench_probes(args.build_dir, dns, certs, port, args.iterations, args.dns_iterations)
                result["s_time"] = run_s_time(certs, port, args.s_time_seconds) if args.s_time_seconds > 0 else {}
                config = os.path.join(workdir, "check.yaml")
                write_check_config(config, dns, os.path.join(certs, "ca.pem"), port)
                result["check"] = run_checks(args.build_dir, config, args.check_runs, server.pid)
            finally:
                server.terminate()
                server.wait(10)
    result["load_after"] = load_average()
    print_summary(result)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
