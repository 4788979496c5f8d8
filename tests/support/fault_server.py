#!/usr/bin/env python3
"""A fault-injecting HTTP/1.1 file server for the source tests and the network-fault sweep.

It serves the files of one directory like a static web server (Content-Length, a strong ETag,
Last-Modified, Range / If-Range with 206 and 416), and misbehaves on request. The fault is chosen
per request by the query string, so one server serves every scenario at once and a test needs no
control channel:

    GET /app.bin?fault=close&at=100000&times=1

Query parameters (all optional; combine faults with commas: fault=close,ignore-range):
  fault=     close         send the body up to absolute byte `at`, then close (FIN)
             reset         same, then reset the connection (RST)
             stall         send up to byte `at`, then send nothing for `hold` seconds (default 60)
             short         announce the full Content-Length but stop `cut` bytes (default 1)
                           before the end of every response, then close
             status        answer `status` (default 500) with a small text body
             redirect-loop answer 302 to the same URL, forever
             redirect      answer 302 `redirects` times (default 1, counted per URL), then serve
             ignore-range  answer 200 with the whole file to a Range request
             no-if-range   honour Range even when If-Range no longer matches the ETag
             etag-change   a different ETag for every request (the resource "changes")
             length-change from the 2nd request on, the resource is `grow` bytes longer
                           (default 1024 bytes of 0x5A): a new length and a new ETag
             flip          XOR 0xFF into the byte at absolute offset `at` (a corrupt body)
             range-shift   answer a Range request with a 206 for a range starting `shift` bytes
                           (default -100) away from the one asked for (Content-Range says so)
             chunked       Transfer-Encoding: chunked, no Content-Length
             no-etag       no ETag header
             weak-etag     a weak ETag (W/"...")
             delay         wait `delay` seconds (float) before the response headers
  times=K   the faults apply to the first K requests of this exact URL only (default 0: all)
  faultN=, atN=, statusN=, holdN=, cutN=, shiftN=, delayN=, growN=
            the same, for request number N of this URL only, overriding the plain ones and times:
            fault1=close&at1=5000&fault2=status&status2=503 breaks the first request at byte
            5000, answers 503 to the second and serves the third normally

Requests are counted per exact request target (path + query), so a test asserts how many
requests (automatic resumes) a download needed. Control endpoints:
  GET /_stats   JSON {"total": n, "requests": {target: n}, "log": [{target, n, method, range,
                if_range, status, sent}, ...]}
  GET /_reset   zero the counters and the log

Use it in-process (FaultServer(root).start(), .port, .stop()) or as a process:
  fault_server.py --root DIR [--port 0]
prints one JSON line {"port": N} on stdout when it listens (127.0.0.1 only), then serves until
SIGTERM/SIGINT or until stdin closes (with --stdin-lifetime).
"""
import argparse
import email.utils
import http.server
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse

SLICE = 64 * 1024
_PER_REQUEST = ("fault", "at", "status", "hold", "cut", "shift", "delay", "grow", "redirects")


class _State:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.log = []
        self.total = 0
        self.stopping = threading.Event()

    def count(self, target):
        with self.lock:
            n = self.counts.get(target, 0) + 1
            self.counts[target] = n
            self.total += 1
            return n

    def record(self, entry):
        with self.lock:
            self.log.append(entry)

    def snapshot(self):
        with self.lock:
            return {"total": self.total, "requests": dict(self.counts), "log": list(self.log)}

    def reset(self):
        with self.lock:
            self.counts.clear()
            self.log.clear()
            self.total = 0


def _int(params, name, default):
    try:
        return int(params.get(name, default))
    except ValueError:
        return default


def _parse_range(value, size):
    """(first, last) of a single 'bytes=' range, 'unsatisfiable', or None (ignore the header)."""
    if not value or not value.startswith("bytes=") or "," in value:
        return None
    spec = value[6:].strip()
    first, _, last = spec.partition("-")
    try:
        if first == "":
            n = int(last)
            if n == 0:
                return "unsatisfiable"
            return (max(0, size - n), size - 1)
        a = int(first)
        b = int(last) if last else size - 1
    except ValueError:
        return None
    if a >= size:
        return "unsatisfiable"
    if b < a:
        return None
    return (a, min(b, size - 1))


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ota-fault-server/1"

    def log_message(self, fmt, *args):  # quiet: the tests read /_stats
        pass

    # --- helpers ---------------------------------------------------------------------------

    def _finish(self, entry, status, sent):
        entry["status"] = status
        entry["sent"] = sent
        self.server.state.record(entry)

    def _simple(self, entry, status, text, extra=()):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self._finish(entry, status, 0)

    def _json(self, obj):
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _abort(self, rst):
        self.close_connection = True
        try:
            if rst:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        if rst:
            try:
                self.connection.close()
            except OSError:
                pass

    # --- requests --------------------------------------------------------------------------

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_stats":
            return self._json(self.server.state.snapshot())
        if url.path == "/_reset":
            self.server.state.reset()
            return self._json({"reset": True})

        target = self.path
        n = self.server.state.count(target)
        params = dict(urllib.parse.parse_qsl(url.query))
        faults = set(f for f in params.get("fault", "").split(",") if f)
        times = _int(params, "times", 0)
        if times and n > times:
            faults = set()
        # a script for this request number (fault2=..., at2=...) overrides the plain parameters
        suffix = str(n)
        for key, value in list(params.items()):
            base = key[:-len(suffix)]
            if key.endswith(suffix) and base in _PER_REQUEST:
                params[base] = value
                if base == "fault":
                    faults = set(f for f in value.split(",") if f)
        entry = {"target": target, "n": n, "method": self.command,
                 "range": self.headers.get("Range"), "if_range": self.headers.get("If-Range")}

        if "delay" in faults:
            time.sleep(float(params.get("delay", "1")))
        if "status" in faults:
            code = _int(params, "status", 500)
            return self._simple(entry, code, f"fault server: status {code}\n")
        if "redirect-loop" in faults:
            return self._simple(entry, 302, "loop\n", [("Location", target)])
        if "redirect" in faults and n <= _int(params, "redirects", 1):
            return self._simple(entry, 302, "moved\n", [("Location", target)])

        rel = urllib.parse.unquote(url.path).lstrip("/")
        path = os.path.realpath(os.path.join(self.server.root, rel))
        if not path.startswith(self.server.root + os.sep) or not os.path.isfile(path):
            return self._simple(entry, 404, "not found\n")
        with open(path, "rb") as f:
            data = f.read()
        st = os.stat(path)
        if "length-change" in faults and n > 1:
            data = data + b"\x5a" * _int(params, "grow", 1024)
        size = len(data)
        etag = '"%x-%x"' % (int(st.st_mtime), size)
        if "etag-change" in faults:
            etag = '"%x-%x-r%d"' % (int(st.st_mtime), size, n)
        if "weak-etag" in faults:
            etag = "W/" + etag
        if "flip" in faults:
            at = _int(params, "at", 0)
            if 0 <= at < size:
                data = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]

        rng = None
        if "ignore-range" not in faults:
            rng = _parse_range(self.headers.get("Range"), size)
            if_range = self.headers.get("If-Range")
            if rng is not None and if_range is not None and "no-if-range" not in faults:
                # RFC 9110 13.1.5: a strong ETag must match exactly, else the whole resource (200).
                if if_range.startswith('"'):
                    if if_range != etag or etag.startswith("W/"):
                        rng = None
                elif if_range != email.utils.formatdate(st.st_mtime, usegmt=True):
                    rng = None
        if "range-shift" in faults and isinstance(rng, tuple):
            shifted = max(0, min(size - 1, rng[0] + _int(params, "shift", -100)))
            rng = (shifted, size - 1)
        if rng == "unsatisfiable":
            return self._simple(entry, 416, "range not satisfiable\n", [("Content-Range", f"bytes */{size}")])

        first, last = (0, size - 1) if rng is None else rng
        status = 200 if rng is None else 206
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Last-Modified", email.utils.formatdate(st.st_mtime, usegmt=True))
        if "no-etag" not in faults:
            self.send_header("ETag", etag)
        if status == 206:
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        chunked = "chunked" in faults
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(last - first + 1 if size else 0))
        self.end_headers()
        if self.command == "HEAD":
            return self._finish(entry, status, 0)

        end = last + 1 if size else 0  # absolute offset after the last byte to send
        cut = None  # absolute offset at which the response breaks
        for f in ("close", "reset", "stall"):
            if f in faults:
                cut = max(first, min(end, _int(params, "at", 0)))
        if "short" in faults:
            cut = max(first, end - _int(params, "cut", 1))
        stop = end if cut is None else cut
        sent = 0
        pos = first
        try:
            while pos < stop:
                piece = data[pos:min(stop, pos + SLICE)]
                if chunked:
                    self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
                else:
                    self.wfile.write(piece)
                pos += len(piece)
                sent += len(piece)
            if cut is None:
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
                return self._finish(entry, status, sent)
            self._finish(entry, status, sent)
            if "stall" in faults:
                self.server.state.stopping.wait(float(params.get("hold", "60")))
                self.close_connection = True
            else:
                self._abort(rst="reset" in faults)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            self._finish(entry, status, sent)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):  # clients hang up on purpose here
        pass


class FaultServer:
    """In-process server on 127.0.0.1: FaultServer(root).start(); .port; .stats(); .stop()."""

    def __init__(self, root, port=0):
        self.root = os.path.realpath(root)
        self.requested_port = port
        self.httpd = None
        self.thread = None

    @property
    def port(self):
        return self.httpd.server_address[1]

    def start(self):
        self.httpd = _Server(("127.0.0.1", self.requested_port), _Handler)
        self.httpd.root = self.root
        self.httpd.state = _State()
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        return self

    def url(self, name, **params):
        q = urllib.parse.urlencode(params)
        return f"http://127.0.0.1:{self.port}/{name}" + (f"?{q}" if q else "")

    def stats(self):
        return self.httpd.state.snapshot()

    def reset(self):
        self.httpd.state.reset()

    def stop(self):
        if self.httpd is not None:
            self.httpd.state.stopping.set()
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv=None):
    ap = argparse.ArgumentParser(description="fault-injecting HTTP/1.1 file server (127.0.0.1 only)")
    ap.add_argument("--root", required=True, help="directory to serve")
    ap.add_argument("--port", type=int, default=0, help="port (default: a free one, printed)")
    ap.add_argument("--stdin-lifetime", action="store_true", help="exit when stdin reaches EOF")
    args = ap.parse_args(argv)
    server = FaultServer(args.root, args.port).start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    if args.stdin_lifetime:
        threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    print(json.dumps({"port": server.port}), flush=True)
    while not done.wait(0.2):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
