#!/usr/bin/env python3
"""Run a real dnsmasq on loopback serving a test zone (helper module + CLI).

CLI:
    dnsmasq_zone.py --workdir DIR --port N --zone ZONE.json --ready-file F
                    [--listen-address 127.0.0.1] [--verbose]
        Starts dnsmasq (plus, if needed, a tiny SERVFAIL upstream), writes F
        once dnsmasq answers, and stays in the foreground until SIGTERM/SIGINT,
        then stops everything and exits 0.  --port 0 picks a free port.
        --listen-address must be a loopback literal (any of 127.0.0.0/8 or
        ::1; e.g. 127.0.53.7 with --port 53 as root).
    dnsmasq_zone.py --workdir DIR --write-records RECORDS.json   (alias: --rewrite)
        Only rewrites the A/AAAA hosts file (atomically) from the "a" and
        "aaaa" keys (ZONE.json shape); a running dnsmasq reloads it (inotify).
    dnsmasq_zone.py --query NAME [--type A] [--port N] [--listen-address A]
                    [--tcp] [--bufsize 1232]
        Debug aid: one raw stdlib DNS query to A#N (default 127.0.0.1#53),
        prints the parsed reply as JSON.

Python API:
    start_dnsmasq(workdir, port, records, extra_args=(), verbose=False,
                  listen_address="127.0.0.1") -> Popen
    write_records(workdir, a, aaaa)
    query(port, name, qtype="A", tcp=False, bufsize=None, ...) -> dict
    wait_ready(port, timeout=5.0, proc=None)
    wait_for_answer(port, name, qtype, expected, timeout=5.0)

ZONE.json (all keys optional):
    {"a":        {"two.pl.test": ["127.0.10.1", "127.0.10.2"]},
     "aaaa":     {"v6.pl.test": ["::1"]},
     "cname":    {"alias.pl.test": "mid.pl.test", "mid.pl.test": "two.pl.test"},
     "txt":      {"txtonly.pl.test": "no addresses here"},
     "ttl":      60,
     "servfail": ["broken.pl.test"],
     "timeout":  ["slow.pl.test"],
     "local":    ["pl.test"],
     "hostsdir": true}
  a/aaaa    -> lines of WORKDIR/hosts.d/records.  With "hostsdir": true (the
               default) that directory is given to --hostsdir and watched with
               inotify, so write_records() changes answers without a restart.
               With false it is loaded once with --addn-hosts (SIGHUP rereads).
  cname     -> --cname=alias,target,ttl (static: changing needs a restart).
  txt       -> --txt-record=name,"text"[,"text"...] (value: string or list);
               a TXT-only name answers NODATA for A and AAAA.
  ttl       -> --local-ttl: TTL of every A/AAAA/CNAME answer (default 0!).
  servfail  -> names (and their subdomains) answered with rcode SERVFAIL.
  timeout   -> names (and subdomains) that never get an answer (extra).
  local     -> --local=/d/ domains (default ["pl.test"]): unknown names in
               them are NXDOMAIN; names outside every local domain are REFUSED.

Ready file JSON:
    {"pid": CLI pid, "dnsmasq_pid": N, "host": listen address, "port": N,
     "workdir": DIR, "hosts_file": DIR/hosts.d/records,
     "upstream_pid": N or null, "servfail_port": N or null, "timeout_port": N or null}

VERIFIED BEHAVIOUR of dnsmasq 2.90 (Debian 12), checked with dig 9.18.49 and
with query() below (selftest.py re-checks all of it).  Base flags, as built by
build_args(): --no-resolv --no-hosts --conf-file=WORKDIR/dnsmasq.conf (TXT
records only) --local=/pl.test/
--local-ttl=60 --hostsdir=WORKDIR/hosts.d --listen-address=127.0.0.1
--bind-interfaces.

  * CNAME chain of 2 hops ending in 2 A + 1 AAAA:
        --cname=alias.pl.test,mid.pl.test,60 --cname=mid.pl.test,two.pl.test,60
    with two.pl.test having 2 A + 1 AAAA lines in the hosts file.
    "alias.pl.test A" -> NOERROR, flags qr aa, ONE answer section:
    alias CNAME mid, mid CNAME two, two A, two A (ANSWER: 4).  The AAAA query
    gives the 2 CNAMEs + the AAAA (ANSWER: 3).  Same over TCP.  Every TTL is
    the --local-ttl (60).
  * Several A and several AAAA for one name: one hosts line per address.
    All are returned, but the ORDER ROTATES from one query to the next
    (cache move-to-front; no option turns it off): with file order .1, .99
    consecutive queries answer [.1, .99], [.99, .1], [.1, .99], ...  Tests
    must compare answers as sets.
  * NXDOMAIN: a name under pl.test with no data -> rcode 3 (NXDOMAIN), no
    SOA, no aa flag (dnsmasq logs "config NAME is NXDOMAIN").
  * NODATA: name with only A records queried for AAAA (or MX...) -> rcode 0,
    ANSWER: 0, no SOA, no aa flag (dnsmasq logs "NODATA-IPv6").
  * SERVFAIL: dnsmasq 2.90 cannot make SERVFAIL out of local config alone.
    Tried:
      --server=/broken.pl.test/127.0.0.1#9 (closed port): NO answer at all
          over UDP (the ICMP port-unreachable goes unnoticed; dig times out)
          and over TCP the connection is closed without a reply ("end of file").
      --server=/broken.pl.test/127.0.0.1#0: sendto fails -> REFUSED
          (logged "REFUSED (EDE: network error)").
      forwarding to its own address/port: "ignoring nameserver 127.0.0.1 -
          local interface" and the name is then NXDOMAIN.
      an upstream (second dnsmasq) answering REFUSED: relayed as REFUSED.
      --dnssec with made-up trust anchors for "." and broken.pl.test plus a
          second dnsmasq serving unsigned data: SERVFAIL (EDE 6 "DNSSEC
          Bogus") for A, but its AAAA came back REFUSED, and it turns DNSSEC
          on for the whole instance: works, too fragile to build tests on.
    USED: --server=/broken.pl.test/127.0.0.1#P where P is a tiny stdlib
    upstream (this file, --upstream mode, started by start_dnsmasq) that
    answers every query with rcode 2.  dnsmasq relays it: rcode 2 (SERVFAIL)
    over UDP and TCP, for every qtype and for subdomains, in ~1 ms.
  * REFUSED: a name outside any local domain (outside.example) with
    --no-resolv and no --server -> rcode 5 over UDP and TCP, carrying
    EDE 14 "Not Ready" (logged "config error is REFUSED (EDE: not ready)").
    No trick needed.
  * Truncation: 150 A records for big.pl.test (127.0.10.1..127.0.10.250...).
    UDP with EDNS bufsize 1232 (dig +bufsize=1232 +ignore) -> flags
    "qr aa tc rd ra", and, surprisingly, a PARTIAL answer section (75 A
    records, 1229 bytes) rather than an empty one, and no OPT record.
    Advertising a bigger bufsize (4096) changes nothing: dnsmasq caps UDP
    replies at its --edns-packet-max (1232 by default).  Without EDNS: tc
    with 30 records (509 bytes).  Over TCP (dig +tcp, or plain dig, which
    retries over TCP by itself): all 150 records, 2429 bytes, no tc.
  * hostsdir reload: inotify, no restart, no signal.  A rewrite by rename
    (IN_MOVED_TO, what write_records() does) was visible to the next query
    after median 1.3 ms / p95 2.7 ms / max 3.7 ms (200 rewrites, measured
    write-to-answer with wait_for_answer()); an in-place rewrite
    (IN_CLOSE_WRITE) too.  Names that disappear from the file become
    NXDOMAIN at once (log: "inotify: flushed N names read from ...").
    Files whose names start with "." or end with "~" are ignored, which is
    what makes the temp-file+rename in write_records() safe.
  * c-ares 1.18.1 (Debian 12) reports both SERVFAIL and REFUSED as
    ARES_ECONNREFUSED ("Could not contact DNS servers") unless the channel
    sets ARES_FLAG_NOCHECKRESP; with it, ARES_ESERVFAIL / ARES_EREFUSED.
  Other surprises:
  * The apex of a --local domain ("pl.test A") answers NOERROR/NODATA, not
    NXDOMAIN.
  * A CNAME whose target has lost its records still answers NOERROR with
    just the CNAME chain (no A), not NXDOMAIN.
  * Started as root without --user, dnsmasq switches to "nobody" and then
    cannot read a hostsdir inside a 0700 temp dir: it only logs "bad dynamic
    directory ...: Permission denied" and serves nothing.  Run as a normal
    user, --user is ignored (no setuid attempted).  So we always pass
    --user/--group = the current effective user: root stays root, a normal
    user works unchanged (tested with both).
  * --port=0 disables DNS entirely (it is not "pick a free port"), so port 0
    is resolved here by finding a free port first.
  * Quotes in --txt-record only work in a conf file; on the command line
    they become part of the text (hence WORKDIR/dnsmasq.conf).  A TXT-only
    name answers NOERROR/NODATA for A and AAAA.
  * Without --local-ttl every local answer has TTL 0; --cname takes its own
    TTL (we pass the zone ttl explicitly).  --auth-ttl is irrelevant (no
    --auth-zone).
  * Even without --log-queries dnsmasq logs 3 lines per hostsdir reload to
    its --log-facility (WORKDIR/dnsmasq.log when not verbose).
"""

import argparse
import grp
import ipaddress
import json
import os
import pwd
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import time

DNSMASQ = os.environ.get("DNSMASQ", "/usr/sbin/dnsmasq")
LISTEN_HOST = "127.0.0.1"
HOSTS_SUBDIR = "hosts.d"
HOSTS_FILE = "records"

QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16,
          "AAAA": 28, "SRV": 33, "OPT": 41, "ANY": 255}
QTYPE_NAMES = {v: k for k, v in QTYPES.items()}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


# --------------------------------------------------------------------------
# Minimal DNS wire format (stdlib only)
# --------------------------------------------------------------------------

def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode("idna") if not label.isascii() else label.encode("ascii")
            out += bytes([len(raw)]) + raw
    return out + b"\0"


def build_query(name, qtype, qid=None, bufsize=None, rd=True):
    qid = random.randint(0, 0xFFFF) if qid is None else qid
    flags = 0x0100 if rd else 0
    arcount = 1 if bufsize else 0
    msg = struct.pack("!HHHHHH", qid, flags, 1, 0, 0, arcount)
    qtype_num = QTYPES[qtype.upper()] if isinstance(qtype, str) else int(qtype)
    msg += encode_name(name) + struct.pack("!HH", qtype_num, 1)
    if bufsize:
        # OPT pseudo-RR: root name, type 41, class = UDP payload size.
        msg += b"\0" + struct.pack("!HHIH", 41, bufsize, 0, 0)
    return qid, msg


def _read_name(msg, off):
    labels, jumped, end = [], False, None
    for _ in range(128):  # bound pointer chasing
        length = msg[off]
        if length & 0xC0 == 0xC0:
            if not jumped:
                end = off + 2
            off = ((length & 0x3F) << 8) | msg[off + 1]
            jumped = True
            continue
        off += 1
        if length == 0:
            break
        labels.append(msg[off:off + length].decode("ascii", "replace"))
        off += length
    return ".".join(labels) + ".", (end if jumped else off)


def parse_response(msg):
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        _, off = _read_name(msg, off)
        off += 4
    sections = []
    for count in (an, ns, ar):
        rrs = []
        for _ in range(count):
            name, off = _read_name(msg, off)
            rtype, rclass, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
            off += 10
            rdata = msg[off:off + rdlen]
            if rtype == 1 and rdlen == 4:
                value = socket.inet_ntop(socket.AF_INET, rdata)
            elif rtype == 28 and rdlen == 16:
                value = socket.inet_ntop(socket.AF_INET6, rdata)
            elif rtype in (2, 5, 12):
                value = _read_name(msg, off)[0]
            elif rtype == 16:  # TXT: list of character-strings
                value, i = [], 0
                while i < rdlen:
                    value.append(rdata[i + 1:i + 1 + rdata[i]].decode("utf-8", "replace"))
                    i += 1 + rdata[i]
            else:
                value = rdata.hex()
            off += rdlen
            rrs.append({"name": name, "type": QTYPE_NAMES.get(rtype, rtype),
                        "ttl": ttl, "value": value})
        sections.append(rrs)
    flag_names = [n for bit, n in ((0x8000, "qr"), (0x0400, "aa"), (0x0200, "tc"),
                                   (0x0100, "rd"), (0x0080, "ra")) if flags & bit]
    return {"id": qid, "rcode": flags & 0xF, "rcode_name": RCODES.get(flags & 0xF, str(flags & 0xF)),
            "flags": flag_names, "tc": bool(flags & 0x0200),
            "answer": sections[0], "authority": sections[1], "additional": sections[2]}


def query(port, name, qtype="A", host=LISTEN_HOST, tcp=False, bufsize=None, timeout=2.0):
    """One DNS query over UDP or TCP to a loopback server; returns parse_response().

    Raises socket.timeout if nothing answers (that *is* the expected result
    for "timeout" names)."""
    qid, msg = build_query(name, qtype, bufsize=bufsize)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if tcp:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(struct.pack("!H", len(msg)) + msg)
            hdr = _recv_exact(s, 2)
            resp = _recv_exact(s, struct.unpack("!H", hdr)[0])
    else:
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.sendto(msg, (host, port))
            deadline = time.monotonic() + timeout
            while True:
                s.settimeout(max(0.001, deadline - time.monotonic()))
                resp, _ = s.recvfrom(65535)
                if len(resp) >= 12 and struct.unpack("!H", resp[:2])[0] == qid:
                    break
    parsed = parse_response(resp)
    parsed["size"] = len(resp)
    return parsed


def _recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def answer_values(resp, qtype):
    return sorted(rr["value"] for rr in resp["answer"] if rr["type"] == qtype)


# --------------------------------------------------------------------------
# Records (hosts file)
# --------------------------------------------------------------------------

def hosts_dir(workdir):
    return os.path.join(workdir, HOSTS_SUBDIR)


def hosts_file(workdir):
    return os.path.join(hosts_dir(workdir), HOSTS_FILE)


def write_records(workdir, a, aaaa):
    """Atomically rewrite WORKDIR/hosts.d/records from {name: [ip, ...]} maps.

    The temp file starts with "." because dnsmasq's hostsdir watcher ignores
    dotfiles; the rename then triggers exactly one re-read of the final file
    (dnsmasq drops all names it had from that file and loads the new set).
    """
    d = hosts_dir(workdir)
    os.makedirs(d, exist_ok=True)
    lines = ["# generated by dnsmasq_zone.py; one address per line\n"]
    for mapping in (a or {}, aaaa or {}):
        for name in sorted(mapping):
            ips = mapping[name]
            if isinstance(ips, str):
                ips = [ips]
            for ip in ips:
                lines.append("%s %s\n" % (ip, name))
    tmp = os.path.join(d, ".%s.tmp.%d" % (HOSTS_FILE, os.getpid()))
    with open(tmp, "w") as f:
        f.writelines(lines)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o644)  # readable even if dnsmasq ends up unprivileged
    os.replace(tmp, hosts_file(workdir))


def wait_for_answer(port, name, qtype, expected, timeout=5.0, host=LISTEN_HOST):
    """Polls until the sorted answer values for NAME/QTYPE equal EXPECTED
    (a list; [] with rcode NXDOMAIN/NOERROR both count as "no records").
    Use after write_records(): the inotify reload is asynchronous."""
    expected = sorted(expected)
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = answer_values(query(port, name, qtype, host=host, timeout=0.5), qtype)
            if last == expected:
                return True
        except (socket.timeout, OSError):
            pass
        time.sleep(0.002)
    raise TimeoutError("%s %s: still %r, wanted %r" % (name, qtype, last, expected))


# --------------------------------------------------------------------------
# Fake upstream: SERVFAIL responder and black hole (used via --server=)
# --------------------------------------------------------------------------

def _servfail_reply(msg):
    """Header + question of MSG with QR/RA set and rcode 2."""
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    off = 12
    try:
        for _ in range(qd):
            _, off = _read_name(msg, off)
            off += 4
    except (IndexError, struct.error):
        return None
    flags = (flags & 0x7900) | 0x8000 | 0x0080 | 2  # keep opcode+RD, set QR, RA, SERVFAIL
    return struct.pack("!HHHHHH", qid, flags, qd, 0, 0, 0) + msg[12:off]


def _bind_pair(host):
    """UDP + TCP sockets on the same free port of HOST."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(50):
        u = socket.socket(family, socket.SOCK_DGRAM)
        u.bind((host, 0))
        port = u.getsockname()[1]
        t = socket.socket(family, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            t.bind((host, port))
        except OSError:
            u.close()
            t.close()
            continue
        t.listen(64)
        return u, t, port
    raise OSError("no free UDP+TCP port pair on %s" % host)


def run_upstream(host=LISTEN_HOST):
    """Process body for --upstream: prints "SERVFAIL_PORT TIMEOUT_PORT" and
    serves until stdin closes (i.e. the parent died or closed the pipe).

    SERVFAIL port: answers every UDP/TCP query with rcode 2.
    TIMEOUT port:  reads and discards (UDP and TCP), never answers.
    Plain select() loop: a handful of queries per test, no need for more.
    """
    # Die quietly (no KeyboardInterrupt traceback) on Ctrl-C / SIGTERM.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    su, st, sport = _bind_pair(host)
    tu, tt, tport = _bind_pair(host)
    sys.stdout.write("%d %d\n" % (sport, tport))
    sys.stdout.flush()
    conns = {}  # tcp socket -> (buffer, answer?)
    while True:
        rlist = [sys.stdin, su, st, tu, tt] + list(conns)
        ready, _, _ = select.select(rlist, [], [])
        for s in ready:
            if s is sys.stdin:
                if not os.read(sys.stdin.fileno(), 4096):
                    return 0  # parent gone: exit with it
            elif s is su:
                msg, addr = su.recvfrom(65535)
                reply = _servfail_reply(msg)
                if reply:
                    su.sendto(reply, addr)
            elif s is tu:
                tu.recvfrom(65535)  # black hole
            elif s in (st, tt):
                c, _ = s.accept()
                conns[c] = [b"", s is st]
            else:
                try:
                    data = s.recv(65535)
                except OSError:
                    data = b""
                if not data:
                    s.close()
                    del conns[s]
                    continue
                buf = conns[s][0] + data
                while conns[s][1] and len(buf) >= 2:
                    n = struct.unpack("!H", buf[:2])[0]
                    if len(buf) < 2 + n:
                        break
                    reply = _servfail_reply(buf[2:2 + n])
                    buf = buf[2 + n:]
                    if reply:
                        try:
                            s.sendall(struct.pack("!H", len(reply)) + reply)
                        except OSError:
                            break
                conns[s][0] = buf if conns[s][1] else b""


# --------------------------------------------------------------------------
# dnsmasq process
# --------------------------------------------------------------------------

class DnsmasqProcess(subprocess.Popen):
    """Popen of dnsmasq that also owns the optional fake-upstream helper, so
    terminate()/kill()/wait() handle both; leaving a `with` block stops both."""

    upstream = None
    servfail_port = None
    timeout_port = None
    host = None
    port = None
    workdir = None

    def send_signal(self, sig):
        super().send_signal(sig)
        # Stop signals also stop the helper; others (SIGHUP = reload hosts,
        # SIGUSR1 = stats) are meant for dnsmasq only.
        if (sig in (signal.SIGTERM, signal.SIGINT, signal.SIGKILL)
                and self.upstream is not None and self.upstream.poll() is None):
            self.upstream.send_signal(signal.SIGKILL if sig == signal.SIGKILL else signal.SIGTERM)

    def wait(self, timeout=None):
        rc = super().wait(timeout)
        _stop_upstream(self.upstream)
        return rc

    def __exit__(self, *exc):
        # Plain Popen.__exit__ only waits, which would block forever on a
        # daemon; `with start_dnsmasq(...) as p:` should stop it instead.
        if self.poll() is None:
            self.terminate()
        try:
            self.wait(5)
        except subprocess.TimeoutExpired:
            self.kill()
            self.wait()
        return False


def _identity_args():
    """--user/--group for the current effective ids (see header comment)."""
    args = []
    try:
        args.append("--user=%s" % pwd.getpwuid(os.geteuid()).pw_name)
    except KeyError:
        pass  # uid without passwd entry: can only be non-root, --user not needed
    try:
        args.append("--group=%s" % grp.getgrgid(os.getegid()).gr_name)
    except KeyError:
        pass
    return args


def write_conf(workdir, zone):
    """Writes WORKDIR/dnsmasq.conf with the zone's TXT records; returns its path.

    TXT records go through a conf file, not the command line, because only
    the conf-file parser understands quotes: on the command line
    --txt-record=n,"a b" serves the quote characters as part of the text,
    and commas always split strings.
    """
    lines = ["# generated by dnsmasq_zone.py\n"]
    for name, texts in sorted((zone.get("txt") or {}).items()):
        if isinstance(texts, str):
            texts = [texts]
        quoted = ",".join('"%s"' % t.replace("\\", "\\\\").replace('"', '\\"') for t in texts)
        lines.append("txt-record=%s,%s\n" % (name, quoted))
    path = os.path.join(workdir, "dnsmasq.conf")
    with open(path, "w") as f:
        f.writelines(lines)
    return path


def check_loopback(host):
    """Refuses anything but a loopback IP literal (tests must stay on lo)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError("listen address %r is not an IP literal" % host)
    if not ip.is_loopback:
        raise ValueError("listen address %r is not loopback" % host)
    return str(ip)


def build_args(workdir, port, zone, verbose=False, servfail_port=None, timeout_port=None,
               listen_address=LISTEN_HOST):
    ttl = int(zone.get("ttl", 0))
    args = [
        DNSMASQ,
        "--keep-in-foreground",
        # Our own conf file instead of /etc/dnsmasq.conf (and its conf-dir);
        # it only holds TXT records, see write_conf().
        "--conf-file=%s" % write_conf(workdir, zone),
        "--no-resolv",               # no upstreams from /etc/resolv.conf
        "--no-hosts",                # ignore /etc/hosts
        "--no-poll",
        "--listen-address=%s" % check_loopback(listen_address),
        # Bind exactly that address, never the wildcard; this also lets
        # several instances share port 53 on different 127.x addresses.
        "--bind-interfaces",
        "--port=%d" % port,
        "--pid-file=",               # empty value: no pid file
        "--local-ttl=%d" % ttl,      # TTL of hosts + cname answers (default 0)
        "--edns-packet-max=1232",    # the default, explicit because TC tests depend on it
    ] + _identity_args()
    if verbose:
        args += ["--log-facility=-", "--log-queries"]
    else:
        # Keep stderr quiet and stay out of the system syslog, but keep a log
        # for post-mortems.
        args += ["--log-facility=%s" % os.path.join(workdir, "dnsmasq.log")]

    # --local: answer these domains from local data only and never forward,
    # so names without records are NXDOMAIN (rather than REFUSED).
    for domain in zone.get("local") or ["pl.test"]:
        args.append("--local=/%s/" % domain.strip("."))

    if zone.get("hostsdir", True):
        args.append("--hostsdir=%s" % hosts_dir(workdir))
    else:
        args.append("--addn-hosts=%s" % hosts_file(workdir))

    for alias, target in sorted((zone.get("cname") or {}).items()):
        args.append("--cname=%s,%s,%d" % (alias, target, ttl))
    for name in zone.get("servfail") or []:
        args.append("--server=/%s/%s#%d" % (name, LISTEN_HOST, servfail_port))
    for name in zone.get("timeout") or []:
        args.append("--server=/%s/%s#%d" % (name, LISTEN_HOST, timeout_port))
    return args


def _free_port(host=LISTEN_HOST):
    u, t, port = _bind_pair(host)
    u.close()
    t.close()
    return port


def wait_ready(port, timeout=5.0, proc=None, host=LISTEN_HOST, probe_name=None):
    """Polls with a raw UDP query until dnsmasq answers.

    Without PROBE_NAME any reply counts.  With it, only an A answer for that
    name counts: start_dnsmasq() gives each instance a unique --host-record
    so that another server already sitting on the port (dnsmasq then dies
    with "Address already in use") is never mistaken for ours.
    """
    deadline = time.monotonic() + timeout
    name = probe_name or "ready-probe.pl.test"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("dnsmasq exited with code %s during startup" % proc.returncode)
        try:
            resp = query(port, name, "A", host=host, timeout=0.1)
            if probe_name is None or answer_values(resp, "A"):
                return
        except (socket.timeout, OSError):
            pass
        time.sleep(0.01)
    raise TimeoutError("dnsmasq on %s#%d did not answer within %.1fs" % (host, port, timeout))


def start_dnsmasq(workdir, port, records, extra_args=(), verbose=False, ready_timeout=5.0,
                  listen_address=LISTEN_HOST):
    """Starts dnsmasq for zone dict RECORDS (ZONE.json shape) on LISTEN_ADDRESS#PORT.

    Writes WORKDIR/hosts.d/records, starts the fake upstream if the zone has
    "servfail"/"timeout" names, waits until dnsmasq answers and returns a
    DnsmasqProcess (a Popen; .host, .port, .workdir, .upstream, .servfail_port).
    PORT 0 picks a free port.  Stop it with .terminate(); .wait().
    """
    listen_address = check_loopback(listen_address)
    workdir = os.path.abspath(workdir)
    os.makedirs(workdir, exist_ok=True)
    write_records(workdir, records.get("a"), records.get("aaaa"))

    upstream = servfail_port = timeout_port = None
    if records.get("servfail") or records.get("timeout"):
        # The helper exits by itself when its stdin pipe closes, i.e. when we
        # close it or when this process dies, so it can never be orphaned.
        upstream = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--upstream"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = upstream.stdout.readline().split()
        if len(line) != 2:
            _stop_upstream(upstream)
            raise RuntimeError("fake upstream failed to start")
        servfail_port, timeout_port = int(line[0]), int(line[1])

    proc = None
    try:
        attempts = 5 if port == 0 else 1
        for attempt in range(attempts):
            use_port = _free_port(listen_address) if port == 0 else port
            probe = "ready-%s.probe.invalid" % os.urandom(6).hex()
            args = build_args(workdir, use_port, records, verbose, servfail_port, timeout_port,
                              listen_address)
            args.append("--host-record=%s,127.0.0.1" % probe)
            args += list(extra_args)
            with open(os.path.join(workdir, "dnsmasq.args"), "w") as f:
                f.write(" ".join(args) + "\n")  # for humans debugging a failed test
            proc = DnsmasqProcess(args, stdin=subprocess.DEVNULL)
            try:
                wait_ready(use_port, ready_timeout, proc, host=listen_address, probe_name=probe)
            except RuntimeError:
                # dnsmasq exited: with port 0 most likely the port we picked
                # was taken in the meantime; pick another one.
                if attempt + 1 == attempts:
                    raise
                continue
            proc.upstream = upstream
            proc.servfail_port, proc.timeout_port = servfail_port, timeout_port
            proc.host, proc.port, proc.workdir = listen_address, use_port, workdir
            return proc
    except BaseException:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        _stop_upstream(upstream)
        raise


def _stop_upstream(upstream):
    if upstream is None:
        return
    for pipe in (upstream.stdin, upstream.stdout):
        try:
            pipe.close()  # closing stdin is what tells the helper to exit
        except OSError:
            pass
    try:
        upstream.wait(5)
    except subprocess.TimeoutExpired:
        upstream.kill()
        upstream.wait()


def load_zone(path):
    with open(path) as f:
        zone = json.load(f)
    if not isinstance(zone, dict):
        raise ValueError("zone must be a JSON object")
    return zone


def _write_json_atomic(path, payload):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        json.dump(payload, f)
        f.write("\n")
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description="run dnsmasq on 127.0.0.1 with a test zone")
    ap.add_argument("--workdir")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--listen-address", default=LISTEN_HOST,
                    help="loopback address for dnsmasq (default 127.0.0.1)")
    ap.add_argument("--zone", help="ZONE.json")
    ap.add_argument("--ready-file")
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--write-records", "--rewrite", metavar="RECORDS.json", dest="write_records",
                    help="only rewrite the hosts file of --workdir and exit")
    ap.add_argument("--query", metavar="NAME", help="send one query and print the parsed answer")
    ap.add_argument("--type", default="A")
    ap.add_argument("--tcp", action="store_true")
    ap.add_argument("--bufsize", type=int)
    ap.add_argument("--upstream", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.upstream:
        return run_upstream()

    if args.query:
        try:
            print(json.dumps(query(args.port or 53, args.query, args.type.upper(),
                                   host=check_loopback(args.listen_address),
                                   tcp=args.tcp, bufsize=args.bufsize), indent=1))
        except socket.timeout:
            print(json.dumps({"timeout": True}))
            return 1
        return 0

    if args.write_records:
        if not args.workdir:
            ap.error("--write-records needs --workdir")
        zone = load_zone(args.write_records)
        write_records(args.workdir, zone.get("a"), zone.get("aaaa"))
        return 0

    if not (args.workdir and args.zone and args.ready_file):
        ap.error("--workdir, --zone and --ready-file are required")

    try:
        os.unlink(args.ready_file)  # a stale file must not look like readiness
    except FileNotFoundError:
        pass

    # Turn SIGTERM into a normal exception so cleanup below always runs.
    stop = {"sig": None}

    def on_signal(signum, frame):
        stop["sig"] = signum
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    proc = None
    try:
        zone = load_zone(args.zone)
        proc = start_dnsmasq(args.workdir, args.port, zone, verbose=args.verbose,
                             listen_address=args.listen_address)
        _write_json_atomic(args.ready_file, {
            "pid": os.getpid(), "dnsmasq_pid": proc.pid,
            "host": proc.host, "port": proc.port,
            "workdir": proc.workdir, "hosts_file": hosts_file(proc.workdir),
            "upstream_pid": proc.upstream.pid if proc.upstream else None,
            "servfail_port": proc.servfail_port, "timeout_port": proc.timeout_port,
        })
        rc = proc.wait()
        sys.stderr.write("dnsmasq_zone: dnsmasq exited unexpectedly with code %d\n" % rc)
        return 1
    except KeyboardInterrupt:
        return 0
    except (OSError, ValueError, RuntimeError, TimeoutError) as exc:
        sys.stderr.write("dnsmasq_zone: %s\n" % exc)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        elif proc is not None:
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())
