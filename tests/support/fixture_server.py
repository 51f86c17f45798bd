#!/usr/bin/env python3
"""Loopback test listeners for privatelink-sidecar tests and benchmarks.

Usage:
    fixture_server.py [--verbose] SPEC.json READY_FILE

SPEC.json:
    {"listeners": [
       {"name": "ok1",    "mode": "tls",    "host": "127.0.10.1", "port": 0,
        "cert": "/p/valid.pem", "key": "/p/valid.key"},
       {"name": "silent", "mode": "silent", "host": "127.0.10.9", "port": 18443},
       {"name": "reset",  "mode": "reset",  "host": "127.0.10.8", "port": 18443},
       {"name": "dead",   "mode": "blackhole", "host": "127.0.10.7", "port": 18443},
       {"name": "dns-silent", "mode": "udp-silent", "host": "127.0.0.1", "port": 0}
     ],
     "api_key": "optional-test-key"}

Modes:
    tls         TLS 1.2/1.3 server speaking HTTP/1.1 after the handshake.
                GET /api/v1/validate -> 200 {"valid":true} if the DD-API-KEY
                header equals spec "api_key" (no "api_key" in the spec means
                every key is refused), else 403 {"errors":["Forbidden"]}.
                Any other path -> 200 "ok".  Keep-alive is honoured
                (HTTP/1.1 default, "Connection: close" respected, HTTP/1.0
                closes unless "Connection: keep-alive").  Content-Length is
                always set.  Failed handshakes (client rejected our cert, sent
                garbage, ...) are dropped silently.
    silent      Accept TCP, never send a byte, hold the socket until the
                client closes it (models a black-holed endpoint after connect).
    reset       Accept TCP, then close immediately with RST (SO_LINGER 0).
    blackhole   TCP listener whose accept queue is kept full, so the kernel
                drops every new SYN: clients see a connect() timeout, like a
                dead endpoint or a firewall that drops packets.  (On loopback
                nothing else can drop a SYN without root/iptables.)
    udp-silent  UDP socket that reads and discards every datagram (a DNS
                server that never answers) plus a TCP listener on the same
                port that accepts and holds silently (DNS-over-TCP fallback
                that never answers either).

Hosts must be loopback IP literals (127.0.0.0/8 or ::1); anything else is
refused so a typo can never make the fixture listen on a real interface.
Port 0 picks a free port.  Listeners may share a port on different loopback
addresses (127.0.10.1:18443 and 127.0.10.2:18443).

Once every listener is bound, READY_FILE is written atomically (temp file +
rename) as:
    {"pid": N, "listeners": {"ok1": {"host": "127.0.10.1", "port": 41234}, ...}}
A stale READY_FILE is deleted at startup, so "file exists" means "ready".
SIGTERM / SIGINT stop the process with exit code 0.  An invalid listener or a
bind failure exits with code 1, an unreadable/unparsable SPEC.json with code 2,
each with a one-line message on stderr (and no READY_FILE).

With --verbose, one line per connection (per datagram for UDP) goes to stderr.
Without it stderr stays empty in normal operation.

Only the Python standard library is used (works with Debian's python3 and
pyenv builds alike).  TLS is done with ssl.SSLObject over memory BIOs inside
a plain asyncio Protocol rather than asyncio's built-in ssl= support: this
gives one code path where handshake failures are observed (to log them with
--verbose and otherwise swallow them), it never prints asyncio's
"SSL handshake failed" tracebacks, and it has no per-connection Task overhead,
which keeps CPU low when benchmarks hammer it with handshakes.
"""

import argparse
import asyncio
import ipaddress
import json
import os
import signal
import socket
import ssl
import struct
import sys
import time

VALIDATE_PATH = "/api/v1/validate"
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024
LISTEN_BACKLOG = 4096  # benchmarks open connections in bursts

VERBOSE = False


def log(msg):
    if VERBOSE:
        sys.stderr.write(msg + "\n")
        sys.stderr.flush()


def peer_str(transport):
    peer = transport.get_extra_info("peername")
    if not peer:
        return "?"
    host, port = peer[0], peer[1]
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


# --------------------------------------------------------------------------
# HTTP over TLS
# --------------------------------------------------------------------------

def http_response(status, reason, body, keep_alive, content_type, head_only):
    headers = (
        "HTTP/1.1 %d %s\r\n"
        "Content-Type: %s\r\n"
        "Content-Length: %d\r\n"
        "Connection: %s\r\n"
        "\r\n" % (status, reason, content_type, len(body),
                  "keep-alive" if keep_alive else "close")
    ).encode("ascii")
    return headers if head_only else headers + body


class TLSHTTPProtocol(asyncio.Protocol):
    """TLS server (via memory BIOs) + minimal HTTP/1.1 request handling."""

    def __init__(self, name, ctx, api_key):
        self.name = name
        self.api_key = api_key
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.sslobj = ctx.wrap_bio(self.incoming, self.outgoing, server_side=True)
        self.transport = None
        self.handshaken = False
        self.closing = False
        self.buf = b""
        self.requests = 0
        self.outcome = None  # for the verbose log line

    # -- asyncio callbacks -------------------------------------------------

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        if self.closing:
            return
        self.incoming.write(data)
        if not self.handshaken:
            try:
                self.sslobj.do_handshake()
            except ssl.SSLWantReadError:
                self._flush()  # ServerHello etc. must go out now
                return
            except (ssl.SSLError, OSError, ValueError) as exc:
                # Typically the client rejected our certificate (alert) or
                # spoke something that is not TLS.  Send whatever alert
                # OpenSSL queued, then drop the connection quietly.
                self.outcome = "handshake failed: %s" % _short_exc(exc)
                self._flush()
                self._close(graceful=False)
                return
            self.handshaken = True
            self._flush()
        self._read_app_data()

    def eof_received(self):
        # Client shut down its side: nothing more can arrive, so finish.
        if self.outcome is None:
            self.outcome = "client closed" if self.handshaken else "eof during handshake"
        self._close(graceful=False)
        return False

    def connection_lost(self, exc):
        if self.outcome is None:
            self.outcome = "connection lost" + (": %s" % _short_exc(exc) if exc else "")
        if self.handshaken:
            log("%s %s tls %s %s requests=%d %s" % (
                self.name, peer_str(self.transport), self.sslobj.version(),
                self.sslobj.cipher()[0] if self.sslobj.cipher() else "-",
                self.requests, self.outcome))
        else:
            log("%s %s tls %s" % (self.name, peer_str(self.transport), self.outcome))

    # -- TLS plumbing ------------------------------------------------------

    def _flush(self):
        data = self.outgoing.read()
        if data and not self.transport.is_closing():
            self.transport.write(data)

    def _close(self, graceful):
        if self.closing:
            return
        self.closing = True
        if graceful and self.handshaken:
            # Queue our close_notify.  unwrap() wants the peer's close_notify
            # too and raises WantRead; we do not wait for it (like most
            # HTTP servers), we only need our alert in the outgoing BIO.
            try:
                self.sslobj.unwrap()
            except (ssl.SSLError, OSError, ValueError):
                pass
            self._flush()
            self.transport.close()  # closes after the write buffer drains
        else:
            self._flush()
            self.transport.close()

    def _read_app_data(self):
        while not self.closing:
            try:
                chunk = self.sslobj.read(65536)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                self.outcome = "client sent close_notify"
                self._close(graceful=True)
                return
            except (ssl.SSLError, OSError, ValueError) as exc:
                self.outcome = "tls error: %s" % _short_exc(exc)
                self._close(graceful=False)
                return
            if not chunk:
                break
            self.buf += chunk
        self._flush()  # key updates / session tickets generated while reading
        self._process_requests()

    def _send(self, data):
        self.sslobj.write(data)
        self._flush()

    # -- HTTP --------------------------------------------------------------

    def _process_requests(self):
        # Handles pipelined requests too: loop while a full request is buffered.
        while not self.closing:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > MAX_HEADER_BYTES:
                    self._reply(431, "Request Header Fields Too Large",
                                b'{"errors":["header too large"]}', False, "application/json", False)
                return
            head = self.buf[:end].decode("latin-1")
            lines = head.split("\r\n")
            parts = lines[0].split(" ")
            if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
                self._reply(400, "Bad Request", b'{"errors":["bad request line"]}',
                            False, "application/json", False)
                return
            method, target, version = parts
            headers = {}
            for line in lines[1:]:
                k, sep, v = line.partition(":")
                if not sep:
                    self._reply(400, "Bad Request", b'{"errors":["bad header"]}',
                                False, "application/json", False)
                    return
                headers[k.strip().lower()] = v.strip()

            if "chunked" in headers.get("transfer-encoding", "").lower():
                # Never needed by the client under test; refuse explicitly
                # rather than mis-framing the connection.
                self._reply(501, "Not Implemented", b'{"errors":["chunked body"]}',
                            False, "application/json", False)
                return
            try:
                body_len = int(headers.get("content-length", "0"))
                if body_len < 0 or body_len > MAX_BODY_BYTES:
                    raise ValueError
            except ValueError:
                self._reply(400, "Bad Request", b'{"errors":["bad content-length"]}',
                            False, "application/json", False)
                return
            total = end + 4 + body_len
            if len(self.buf) < total:
                return  # wait for the rest of the body
            self.buf = self.buf[total:]
            self.requests += 1

            conn = headers.get("connection", "").lower()
            if version == "HTTP/1.0":
                keep_alive = "keep-alive" in conn
            else:
                keep_alive = "close" not in conn
            head_only = method == "HEAD"

            path = target.split("?", 1)[0]
            if path == VALIDATE_PATH:
                if self.api_key is not None and headers.get("dd-api-key") == self.api_key:
                    self._reply(200, "OK", b'{"valid":true}', keep_alive,
                                "application/json", head_only)
                else:
                    self._reply(403, "Forbidden", b'{"errors":["Forbidden"]}', keep_alive,
                                "application/json", head_only)
            else:
                self._reply(200, "OK", b"ok", keep_alive, "text/plain", head_only)

    def _reply(self, status, reason, body, keep_alive, content_type, head_only):
        try:
            self._send(http_response(status, reason, body, keep_alive, content_type, head_only))
        except (ssl.SSLError, OSError, ValueError) as exc:
            self.outcome = "write failed: %s" % _short_exc(exc)
            self._close(graceful=False)
            return
        if not keep_alive:
            self.outcome = "server closed after %d" % status
            self._close(graceful=True)


def _short_exc(exc):
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return exc.reason
    return ("%s: %s" % (type(exc).__name__, exc)).strip(": ")


# --------------------------------------------------------------------------
# Plain TCP / UDP behaviours
# --------------------------------------------------------------------------

class SilentProtocol(asyncio.Protocol):
    """Accept, never answer, discard input, close only when the client does."""

    def __init__(self, name, label="silent"):
        self.name = name
        self.label = label
        self.nbytes = 0
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.nbytes += len(data)

    def eof_received(self):
        return False  # close our side too

    def connection_lost(self, exc):
        log("%s %s %s held, discarded %d bytes, client closed" % (
            self.name, peer_str(self.transport), self.label, self.nbytes))


class ResetProtocol(asyncio.Protocol):
    """Accept, then abort with SO_LINGER{1,0} so the kernel sends RST."""

    def __init__(self, name):
        self.name = name

    def connection_made(self, transport):
        sock = transport.get_extra_info("socket")
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        log("%s %s reset" % (self.name, peer_str(transport)))
        transport.abort()


class DiscardDatagramProtocol(asyncio.DatagramProtocol):
    def __init__(self, name):
        self.name = name

    def datagram_received(self, data, addr):
        log("%s %s udp-silent discarded %d-byte datagram" % (self.name, addr[0], len(data)))

    def error_received(self, exc):
        pass  # e.g. ICMP errors; irrelevant for a black hole


# --------------------------------------------------------------------------
# Setup
# --------------------------------------------------------------------------

class SpecError(Exception):
    pass


def loopback_family(host):
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise SpecError("host %r is not an IP literal" % host)
    if not ip.is_loopback:
        raise SpecError("host %r is not a loopback address; refusing to bind" % host)
    return socket.AF_INET6 if ip.version == 6 else socket.AF_INET


def accept_queue(lsock):
    """(connections waiting in the accept queue, its limit) of a listener.

    For a listening socket Linux reports these in TCP_INFO's tcpi_unacked and
    tcpi_sacked (struct tcp_info: 8 bytes of u8 fields, then u32 rto, ato,
    snd_mss, rcv_mss, unacked, sacked)."""
    info = lsock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return struct.unpack_from("=II", info, 24)


def make_blackhole(family, host, port):
    """Listener with backlog 0 that is never accept()ed, plus filler
    connections from this process that occupy its accept queue.

    Linux drops an incoming SYN when the accept queue is full (more queued
    than its limit), so every later client's connect() just times out (the
    SYN is retried until the client gives up). Fillers are added until the
    kernel itself reports the queue full; no timing is involved, so a loaded
    machine cannot make this stop early.
    Returns (listener, fillers); both must stay open.
    """
    lsock = make_socket(family, socket.SOCK_STREAM, host, port, backlog=0)
    addr = lsock.getsockname()[:2]
    fillers = []
    try:
        for _ in range(16):
            queued, limit = accept_queue(lsock)
            if queued > limit:
                return lsock, fillers
            c = socket.socket(family, socket.SOCK_STREAM)
            fillers.append(c)
            c.setblocking(False)
            c.connect_ex(addr)
            deadline = time.monotonic() + 10
            while accept_queue(lsock)[0] == queued:
                if time.monotonic() > deadline:
                    raise OSError("a filler connection to %s:%d never reached the accept queue" % addr)
                time.sleep(0.001)
        raise OSError("could not fill the accept queue of %s:%d" % addr)
    except BaseException:
        lsock.close()
        for c in fillers:
            c.close()
        raise


def make_socket(family, kind, host, port, backlog=LISTEN_BACKLOG):
    sock = socket.socket(family, kind)
    try:
        if kind == socket.SOCK_STREAM:
            # Allows immediate rebinding while old connections sit in
            # TIME_WAIT; on Linux it does NOT let two listeners share one
            # addr:port, so collisions are still reported.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
        if kind == socket.SOCK_STREAM:
            sock.listen(backlog)
        sock.setblocking(False)
        return sock
    except BaseException:
        sock.close()
        raise


class _Closer:
    """Gives plain sockets the close() interface of asyncio servers."""

    def __init__(self, socks):
        self.socks = socks

    def close(self):
        for s in self.socks:
            s.close()


def make_tls_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)  # loaded once per listener, shared by all connections
    try:
        ctx.set_alpn_protocols(["http/1.1"])
    except NotImplementedError:
        pass
    return ctx


async def bind_listener(loop, spec, api_key):
    """Binds one listener; returns (list of servers/transports, actual port)."""
    name = spec.get("name")
    mode = spec.get("mode")
    host = spec.get("host")
    port = spec.get("port", 0)
    if not isinstance(name, str) or not name:
        raise SpecError("listener without a name: %r" % spec)
    if not isinstance(host, str):
        raise SpecError("%s: missing host" % name)
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise SpecError("%s: bad port %r" % (name, port))
    family = loopback_family(host)

    if mode == "tls":
        if "cert" not in spec or "key" not in spec:
            raise SpecError("%s: tls mode needs cert and key" % name)
        try:
            ctx = make_tls_context(spec["cert"], spec["key"])
        except (OSError, ssl.SSLError) as exc:
            raise SpecError("%s: cannot load cert/key: %s" % (name, exc))
        sock = make_socket(family, socket.SOCK_STREAM, host, port)
        server = await loop.create_server(
            lambda: TLSHTTPProtocol(name, ctx, api_key), sock=sock, backlog=LISTEN_BACKLOG)
        return [server], sock.getsockname()[1]

    if mode == "silent":
        sock = make_socket(family, socket.SOCK_STREAM, host, port)
        server = await loop.create_server(lambda: SilentProtocol(name), sock=sock,
                                          backlog=LISTEN_BACKLOG)
        return [server], sock.getsockname()[1]

    if mode == "reset":
        sock = make_socket(family, socket.SOCK_STREAM, host, port)
        server = await loop.create_server(lambda: ResetProtocol(name), sock=sock,
                                          backlog=LISTEN_BACKLOG)
        return [server], sock.getsockname()[1]

    if mode == "blackhole":
        lsock, fillers = make_blackhole(family, host, port)
        return [_Closer([lsock] + fillers)], lsock.getsockname()[1]

    if mode == "udp-silent":
        # UDP and TCP must share one port number.  With port 0, let the
        # kernel pick the UDP port and retry if TCP is taken on that port.
        attempts = 50 if port == 0 else 1
        for attempt in range(attempts):
            usock = make_socket(family, socket.SOCK_DGRAM, host, port)
            actual = usock.getsockname()[1]
            try:
                tsock = make_socket(family, socket.SOCK_STREAM, host, actual)
            except OSError:
                usock.close()
                if attempt + 1 == attempts:
                    raise
                continue
            break
        transport, _ = await loop.create_datagram_endpoint(
            lambda: DiscardDatagramProtocol(name), sock=usock)
        server = await loop.create_server(lambda: SilentProtocol(name, "udp-silent/tcp"),
                                          sock=tsock, backlog=LISTEN_BACKLOG)
        return [transport, server], actual

    raise SpecError("%s: unknown mode %r" % (name, mode))


def write_ready_file(path, payload):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        json.dump(payload, f)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def quiet_exception_handler(loop, context):
    # Anything that reaches here is a per-connection error (the listeners
    # themselves are set up before the loop runs).  Never print tracebacks;
    # with --verbose, keep a one-line note.
    exc = context.get("exception")
    log("asyncio: %s%s" % (context.get("message", ""),
                           ": %s" % _short_exc(exc) if exc else ""))


async def main_async(spec, ready_file):
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(quiet_exception_handler)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    api_key = spec.get("api_key")
    listeners = spec.get("listeners")
    if not isinstance(listeners, list):
        raise SpecError("spec needs a \"listeners\" list")
    names = [l.get("name") for l in listeners]
    if len(set(names)) != len(names):
        raise SpecError("listener names must be unique")

    closables = []
    ready = {}
    try:
        for l in listeners:
            try:
                objs, actual_port = await bind_listener(loop, l, api_key)
            except OSError as exc:
                raise SpecError("%s: cannot bind %s:%s: %s" % (
                    l.get("name"), l.get("host"), l.get("port"), exc.strerror or exc))
            closables.extend(objs)
            ready[l["name"]] = {"host": l["host"], "port": actual_port}

        write_ready_file(ready_file, {"pid": os.getpid(), "listeners": ready})
        log("fixture_server ready: %s" % json.dumps(ready, sort_keys=True))
        await stop.wait()
    finally:
        for obj in closables:
            obj.close()


def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description="loopback TLS/TCP/UDP test listeners")
    ap.add_argument("spec", help="JSON spec file")
    ap.add_argument("ready_file", help="written atomically once all listeners are bound")
    ap.add_argument("--verbose", "-v", action="store_true",
                    help="log one line per connection to stderr")
    args = ap.parse_args()
    VERBOSE = args.verbose

    # A leftover file from an earlier run must not be mistaken for readiness.
    try:
        os.unlink(args.ready_file)
    except FileNotFoundError:
        pass

    try:
        with open(args.spec) as f:
            spec = json.load(f)
    except (OSError, ValueError) as exc:
        sys.stderr.write("fixture_server: cannot read spec %s: %s\n" % (args.spec, exc))
        return 2

    try:
        asyncio.run(main_async(spec, args.ready_file))
    except SpecError as exc:
        sys.stderr.write("fixture_server: %s\n" % exc)
        return 1
    except KeyboardInterrupt:  # SIGINT before the handler was installed
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
