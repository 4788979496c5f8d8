"""Update sources (issue 4) through `ota fetch`, against real peers on 127.0.0.1.

- python3 -m http.server (what the ESP-ADF example uses): full downloads of several sizes;
- nginx with HTTPS and Range, its CA and certificates made with the openssl CLI here: download,
  resume from several offsets, wrong CA / self-signed / hostname mismatch refused, --insecure;
- tests/support/fault_server.py: every fault gets the right error, or an automatic resume that the
  server's request log proves happened, with a byte-identical result;
- file:// URIs: the sdcard root mapping, and the refusals.

Expected bytes are the served files' SHA-256 computed here with hashlib, never the CLI's own
output. No proxy is used: otatest removes the proxy variables from the environment on import.
"""
import json
import os
import shutil
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import otatest  # noqa: E402
from otatest import run, sha256_file  # noqa: E402

MIB = 1024 * 1024
FAST = ["--retry-backoff", "20", "--stall-timeout", "1000", "--connect-timeout", "3000"]


def fetch_json(args, expect, **kw):
    """`ota fetch ARGS --json`; the exit status must be @expect; returns (json, proc)."""
    proc = run(["fetch"] + [str(a) for a in args] + ["--json"], expect=expect, **kw)
    try:
        return json.loads(proc.stdout), proc
    except json.JSONDecodeError as e:
        raise AssertionError(f"not JSON ({e}):\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")


def write_prefix(src, dst, n):
    with open(src, "rb") as f:
        data = f.read(n)
    with open(dst, "wb") as f:
        f.write(data)


class HttpServerDownloads(unittest.TestCase):
    """python3 -m http.server, as in the ESP-ADF README."""

    SIZES = [0, 1, 4095, 4096, MIB + 3, 8 * MIB]

    @classmethod
    def setUpClass(cls):
        cls._tmp = otatest.tempdir()
        cls.dir = cls._tmp.__enter__()
        cls.www = os.path.join(cls.dir, "www")
        os.mkdir(cls.www)
        cls.sha = {n: otatest.make_file(os.path.join(cls.www, f"f{n}.bin"), n, seed=n) for n in cls.SIZES}
        cls._server = otatest.HttpServer(cls.www)
        cls.server = cls._server.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls._server.__exit__(None, None, None)
        cls._tmp.__exit__(None, None, None)

    def test_full_downloads_are_byte_identical(self):
        for n in self.SIZES:
            with self.subTest(size=n):
                out = os.path.join(self.dir, f"out{n}.bin")
                res, _ = fetch_json([self.server.url(f"f{n}.bin"), out], 0)
                self.assertEqual(sha256_file(out), self.sha[n])
                self.assertEqual(res["sha256"], self.sha[n])
                self.assertEqual(res["bytes"], n)
                self.assertEqual(res["total_size"], n)
                self.assertEqual(res["http_status"], 200)
                self.assertEqual(res["retries"], 0)
                self.assertFalse(os.path.exists(out + ".ota-resume"))

    def test_text_output_names_size_and_sha256(self):
        out = os.path.join(self.dir, "text.bin")
        proc = run(["fetch", self.server.url("f4095.bin"), out], expect=0)
        self.assertIn("4095 bytes", proc.stdout)
        self.assertIn(f"sha256: {self.sha[4095]}", proc.stdout)
        self.assertNotIn("\r", proc.stderr)  # no progress bar when stderr is not a terminal

    def test_server_without_range_support_is_resource_changed(self):
        # http.server ignores Range and answers 200: resuming must not append the whole file.
        out = os.path.join(self.dir, "partial.bin")
        write_prefix(os.path.join(self.www, f"f{MIB + 3}.bin"), out, 1000)
        res, proc = fetch_json(["--resume", self.server.url(f"f{MIB + 3}.bin"), out], 1)
        self.assertEqual(res["error"], "OTA_ERR_SRC_RESOURCE_CHANGED")
        self.assertIn("resource changed", proc.stderr)
        self.assertIn("200", proc.stderr)
        self.assertEqual(os.path.getsize(out), 1000)

    def test_404_reports_the_status(self):
        out = os.path.join(self.dir, "missing.bin")
        res, proc = fetch_json([self.server.url("missing.bin"), out], 1)
        self.assertEqual(res["error"], "OTA_ERR_SRC_HTTP_STATUS")
        self.assertEqual(res["http_status"], 404)
        self.assertIn("404", proc.stderr)
        self.assertFalse(os.path.exists(out))


class NginxHttps(unittest.TestCase):
    """nginx over HTTPS with Range; a PKI made with the openssl CLI for this run."""

    @classmethod
    def setUpClass(cls):
        cls._tmp = otatest.tempdir()
        cls.dir = cls._tmp.__enter__()
        cls.www = os.path.join(cls.dir, "www")
        os.mkdir(cls.www)
        cls.size = MIB + 3
        cls.app = os.path.join(cls.www, "app.bin")
        cls.sha = otatest.make_file(cls.app, cls.size, seed=7)
        cls.pki = otatest.make_test_pki(os.path.join(cls.dir, "pki"))
        cls._nginx = otatest.NginxServer(cls.www, cls.pki, os.path.join(cls.dir, "nginx"))
        cls.nginx = cls._nginx.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls._nginx.__exit__(None, None, None)
        cls._tmp.__exit__(None, None, None)

    def out(self, name):
        return os.path.join(self.dir, name)

    def test_download_with_ca_file(self):
        out = self.out("ca.bin")
        res, _ = fetch_json(["--cacert", self.pki.ca, self.nginx.url("https", "app.bin"), out], 0)
        self.assertEqual(sha256_file(out), self.sha)
        self.assertEqual(res["http_status"], 200)
        self.assertTrue(res["etag"].startswith('"'))

    def test_download_with_cert_pem_string(self):
        out = self.out("pem.bin")
        fetch_json(["--cert-pem", self.pki.ca, self.nginx.url("https", "app.bin"), out], 0)
        self.assertEqual(sha256_file(out), self.sha)

    def test_localhost_name_is_in_the_certificate(self):
        out = self.out("localhost.bin")
        url = self.nginx.url("https", "app.bin").replace("127.0.0.1", "localhost")
        fetch_json(["--cacert", self.pki.ca, url, out], 0)
        self.assertEqual(sha256_file(out), self.sha)

    def test_resume_from_several_offsets(self):
        for offset in (1, 4095, 4096, 65536, 500000, self.size - 1):
            for kind in ("https", "http"):
                with self.subTest(offset=offset, kind=kind):
                    out = self.out(f"resume-{kind}-{offset}.bin")
                    write_prefix(self.app, out, offset)
                    res, proc = fetch_json(["--resume", "--cacert", self.pki.ca, self.nginx.url(kind, "app.bin"),
                                            out], 0)
                    self.assertEqual(sha256_file(out), self.sha)
                    self.assertEqual(res["sha256"], self.sha)
                    self.assertEqual(res["resumed_from"], offset)
                    self.assertEqual(res["http_status"], 206)
                    self.assertEqual(res["bytes"], self.size)
                    self.assertIn("without checking", proc.stderr)  # no .ota-resume: warned

    def test_resume_of_a_complete_file(self):
        out = self.out("complete.bin")
        shutil.copy(self.app, out)
        res, _ = fetch_json(["--resume", "--cacert", self.pki.ca, self.nginx.url("https", "app.bin"), out], 0)
        self.assertEqual(res["http_status"], 416)  # "bytes */size": nothing missing
        self.assertEqual(sha256_file(out), self.sha)

    def test_resume_checks_the_recorded_etag(self):
        # A separate file, whose mtime this test changes.
        path = os.path.join(self.www, "changing.bin")
        sha = otatest.make_file(path, 300000, seed=8)
        url = self.nginx.url("https", "changing.bin")
        full, _ = fetch_json(["--cacert", self.pki.ca, url, self.out("changing-full.bin")], 0)
        out = self.out("changing.bin")
        write_prefix(path, out, 100000)
        # the documented OUT.ota-resume a failed run leaves behind
        with open(out + ".ota-resume", "w") as f:
            f.write(f"etag {full['etag']}\nsize {full['total_size']}\n")
        res, proc = fetch_json(["--resume", "--cacert", self.pki.ca, url, out], 0)
        self.assertEqual(sha256_file(out), sha)
        self.assertEqual(res["http_status"], 206)
        self.assertNotIn("without checking", proc.stderr)
        self.assertFalse(os.path.exists(out + ".ota-resume"))

        # the same bytes, a new mtime: nginx's ETag changes, If-Range makes it answer 200
        write_prefix(path, out, 100000)
        with open(out + ".ota-resume", "w") as f:
            f.write(f"etag {full['etag']}\nsize {full['total_size']}\n")
        st = os.stat(path)
        os.utime(path, (st.st_atime, st.st_mtime + 100))
        res, proc = fetch_json(["--resume", "--cacert", self.pki.ca, url, out], 1)
        self.assertEqual(res["error"], "OTA_ERR_SRC_RESOURCE_CHANGED")
        self.assertIn("resource changed", proc.stderr)
        self.assertEqual(os.path.getsize(out), 100000)  # nothing appended

    def test_wrong_ca_is_refused(self):
        out = self.out("wrong-ca.bin")
        res, proc = fetch_json(["--cacert", self.pki.other_ca, self.nginx.url("https", "app.bin"), out], 1)
        self.assertEqual(res["error"], "OTA_ERR_SRC_TLS_VERIFY")
        self.assertIn("not issued by a trusted CA", proc.stderr)
        self.assertFalse(os.path.exists(out))

    def test_system_bundle_does_not_trust_the_test_ca(self):
        res, proc = fetch_json([self.nginx.url("https", "app.bin"), self.out("bundle.bin")], 1)
        self.assertEqual(res["error"], "OTA_ERR_SRC_TLS_VERIFY")

    def test_self_signed_is_refused(self):
        res, proc = fetch_json(["--cacert", self.pki.ca, self.nginx.url("self_signed", "app.bin"),
                                self.out("self.bin")], 1)
        self.assertEqual(res["error"], "OTA_ERR_SRC_TLS_VERIFY")
        self.assertIn("self-signed", proc.stderr)

    def test_hostname_mismatch_is_refused(self):
        # a valid chain (our CA) for "wrong.example", reached as 127.0.0.1
        res, proc = fetch_json(["--cacert", self.pki.ca, self.nginx.url("wrong_host", "app.bin"),
                                self.out("mismatch.bin")], 1)
        self.assertEqual(res["error"], "OTA_ERR_SRC_TLS_VERIFY")
        self.assertIn("hostname mismatch", proc.stderr)
        self.assertNotIn("not issued by a trusted CA", proc.stderr)

    def test_insecure_works_and_warns(self):
        for kind in ("self_signed", "wrong_host"):
            with self.subTest(kind=kind):
                out = self.out(f"insecure-{kind}.bin")
                res, proc = fetch_json(["--insecure", self.nginx.url(kind, "app.bin"), out], 0)
                self.assertEqual(sha256_file(out), self.sha)
                self.assertRegex(proc.stderr, r"W \(\d+\) HTTP_CLIENT: .*verification is OFF \(insecure\)")

    def test_insecure_needs_the_flag(self):
        proc = run(["fetch", "--insecure", "--cacert", self.pki.ca, self.nginx.url("https", "app.bin"),
                    self.out("x.bin")], expect=2)
        self.assertIn("--insecure", proc.stderr)


class FaultInjection(unittest.TestCase):
    """tests/support/fault_server.py: each fault, its error or its automatic resume."""

    @classmethod
    def setUpClass(cls):
        cls._tmp = otatest.tempdir()
        cls.dir = cls._tmp.__enter__()
        cls.www = os.path.join(cls.dir, "www")
        os.mkdir(cls.www)
        cls.size = MIB + 3
        cls.app = os.path.join(cls.www, "app.bin")
        cls.sha = otatest.make_file(cls.app, cls.size, seed=11)
        cls._fs = otatest.FaultServer(cls.www)
        cls.fs = cls._fs.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls._fs.__exit__(None, None, None)
        cls._tmp.__exit__(None, None, None)

    def out(self, name):
        return os.path.join(self.dir, name)

    def url(self, name, **params):
        """A fault URL unique to the calling test, so request counts never mix between tests."""
        params.setdefault("test", self._testMethodName)
        return self.fs.url(name, **params)

    def fetch(self, url, out, expect, *opts):
        return fetch_json(list(FAST) + list(opts) + [url, out], expect)

    def served_etag(self):
        st = os.stat(self.app)
        return '"%x-%x"' % (int(st.st_mtime), self.size)

    def assert_resumed_once(self, url, out, res, at=None):
        self.assertEqual(sha256_file(out), self.sha)
        self.assertEqual(res["sha256"], self.sha)
        self.assertEqual(res["retries"], 1)
        self.assertEqual(self.fs.requests(url), 2)
        log = self.fs.log(url)
        self.assertIsNone(log[0]["range"])
        first = int(log[1]["range"].removeprefix("bytes=").rstrip("-"))
        self.assertEqual(log[0]["sent"] >= first, True)
        if at is not None:
            self.assertEqual(first, at)
        self.assertGreater(first, 0)
        self.assertEqual(log[1]["if_range"], self.served_etag())
        self.assertEqual(log[1]["status"], 206)

    def test_close_mid_body_resumes(self):
        url = self.url("app.bin", fault="close", at=300000, times=1)
        res, proc = self.fetch(url, self.out("close.bin"), 0)
        self.assert_resumed_once(url, self.out("close.bin"), res, at=300000)
        self.assertIn("resuming", proc.stderr)

    def test_close_in_the_first_chunk_and_before_the_last_byte(self):
        for at in (1, self.size - 1):
            with self.subTest(at=at):
                url = self.url("app.bin", fault="close", at=at, times=1)
                res, _ = self.fetch(url, self.out(f"close{at}.bin"), 0)
                self.assert_resumed_once(url, self.out(f"close{at}.bin"), res, at=at)

    def test_reset_mid_body_resumes(self):
        url = self.url("app.bin", fault="reset", at=300000, times=1)
        res, _ = self.fetch(url, self.out("reset.bin"), 0)
        self.assert_resumed_once(url, self.out("reset.bin"), res)

    def test_stall_is_detected_and_resumed(self):
        url = self.url("app.bin", fault="stall", at=300000, times=1)
        t0 = time.monotonic()
        res, proc = self.fetch(url, self.out("stall.bin"), 0, "--stall-timeout", "700")
        elapsed = time.monotonic() - t0
        self.assert_resumed_once(url, self.out("stall.bin"), res, at=300000)
        self.assertIn("stalled", proc.stderr)
        self.assertGreaterEqual(elapsed, 0.7)
        self.assertLess(elapsed, 15)

    def test_stall_every_time_is_reported_as_stalled(self):
        url = self.url("app.bin", fault="stall", at=5000)
        t0 = time.monotonic()
        res, _ = self.fetch(url, self.out("stalled.bin"), 1, "--stall-timeout", "500", "--retries", "1")
        elapsed = time.monotonic() - t0
        self.assertEqual(res["error"], "OTA_ERR_SRC_STALLED")
        self.assertEqual(self.fs.requests(url), 2)
        self.assertEqual(res["bytes"], 5000)
        self.assertLess(elapsed, 15)

    def test_headers_that_never_come_are_stalled(self):
        url = self.url("app.bin", fault="delay", delay=5)
        t0 = time.monotonic()
        res, _ = self.fetch(url, self.out("noheaders.bin"), 1, "--stall-timeout", "500")
        self.assertEqual(res["error"], "OTA_ERR_SRC_STALLED")
        self.assertLess(time.monotonic() - t0, 4)

    def test_short_body_is_truncated_after_the_retries(self):
        url = self.url("app.bin", fault="short", cut=10)
        out = self.out("short.bin")
        res, proc = self.fetch(url, out, 1, "--retries", "2")
        self.assertEqual(res["error"], "OTA_ERR_SRC_TRUNCATED")
        self.assertEqual(res["retries"], 2)
        self.assertEqual(self.fs.requests(url), 3)
        self.assertEqual(os.path.getsize(out), self.size - 10)
        self.assertIn("--resume", proc.stderr)
        # the caller resumes from the bytes it has, against a healthy URL, in a new run
        res, _ = self.fetch(self.url("app.bin", run="short-resume"), out, 0, "--resume")
        self.assertEqual(res["resumed_from"], self.size - 10)
        self.assertEqual(sha256_file(out), self.sha)

    def test_close_every_time_exhausts_the_retries(self):
        url = self.url("app.bin", fault="close", at=1000)
        res, _ = self.fetch(url, self.out("closes.bin"), 1, "--retries", "3")
        self.assertEqual(res["error"], "OTA_ERR_SRC_TRUNCATED")
        self.assertEqual(self.fs.requests(url), 4)
        self.assertEqual(res["bytes"], 1000)

    def test_no_retries_when_disabled(self):
        url = self.url("app.bin", fault="close", at=1000, times=1)
        res, _ = self.fetch(url, self.out("noretry.bin"), 1, "--retries", "0")
        self.assertEqual(res["error"], "OTA_ERR_SRC_TRUNCATED")
        self.assertEqual(self.fs.requests(url), 1)

    def test_backoff_doubles(self):
        url = self.url("app.bin", fault="close", at=1000)
        t0 = time.monotonic()
        self.fetch(url, self.out("backoff.bin"), 1, "--retries", "3", "--retry-backoff", "200")
        self.assertGreaterEqual(time.monotonic() - t0, 0.2 + 0.4 + 0.8)

    def test_200_to_a_range_request_is_resource_changed(self):
        url = self.url("app.bin", fault="close,ignore-range", at=5000)
        out = self.out("ignore.bin")
        res, proc = self.fetch(url, out, 1)
        self.assertEqual(res["error"], "OTA_ERR_SRC_RESOURCE_CHANGED")
        self.assertIn("resource changed", proc.stderr)
        self.assertEqual(self.fs.requests(url), 2)
        self.assertEqual(os.path.getsize(out), 5000)  # never appended

    def test_206_for_another_range_is_refused(self):
        for shift in (-100, 100):
            with self.subTest(shift=shift):
                url = self.url("app.bin", fault1="close", at=5000, fault2="range-shift", shift=shift)
                out = self.out(f"shift{shift}.bin")
                res, proc = self.fetch(url, out, 1)
                self.assertEqual(res["error"], "OTA_ERR_SRC_RESOURCE_CHANGED")
                self.assertIn(f"HTTP 206 for bytes {5000 + shift}-", proc.stderr)
                self.assertEqual(os.path.getsize(out), 5000)

    def test_etag_change_is_resource_changed(self):
        # If-Range honoured: the server answers 200 with the new resource
        url = self.url("app.bin", fault="close,etag-change", at=5000)
        res, _ = self.fetch(url, self.out("etag1.bin"), 1)
        self.assertEqual(res["error"], "OTA_ERR_SRC_RESOURCE_CHANGED")
        self.assertEqual(self.fs.log(url)[1]["status"], 200)
        # If-Range ignored: a 206 whose ETag differs is caught by the source itself
        url = self.url("app.bin", fault="close,etag-change,no-if-range", at=5000)
        res, proc = self.fetch(url, self.out("etag2.bin"), 1)
        self.assertEqual(res["error"], "OTA_ERR_SRC_RESOURCE_CHANGED")
        self.assertEqual(self.fs.log(url)[1]["status"], 206)
        self.assertIn("ETag changed", proc.stderr)
        self.assertEqual(os.path.getsize(self.out("etag2.bin")), 5000)

    def test_length_change_is_resource_changed(self):
        url = self.url("app.bin", fault="close,length-change,no-etag", at=5000)
        res, proc = self.fetch(url, self.out("length.bin"), 1)
        self.assertEqual(res["error"], "OTA_ERR_SRC_RESOURCE_CHANGED")
        self.assertIn("length changed", proc.stderr)

    def test_http_error_statuses(self):
        for code in (404, 500, 503):
            with self.subTest(code=code):
                url = self.url("app.bin", fault="status", status=code)
                res, proc = self.fetch(url, self.out(f"s{code}.bin"), 1)
                self.assertEqual(res["error"], "OTA_ERR_SRC_HTTP_STATUS")
                self.assertEqual(res["http_status"], code)
                self.assertIn(f"HTTP {code}", proc.stderr)
                self.assertEqual(self.fs.requests(url), 1)  # an open is not retried

    def test_server_error_during_a_resume_is_retried(self):
        # request 1 breaks at 5000, request 2 answers 503, request 3 serves the range
        url = self.url("app.bin", fault1="close", at1=5000, fault2="status", status2=503)
        res, _ = self.fetch(url, self.out("then503.bin"), 0)
        self.assertEqual(sha256_file(self.out("then503.bin")), self.sha)
        self.assertEqual(res["retries"], 2)
        self.assertEqual([e["status"] for e in self.fs.log(url)], [200, 503, 206])
        self.assertEqual(self.fs.log(url)[2]["range"], "bytes=5000-")

    def test_scripted_breaks_at_different_offsets(self):
        # the sweep's building block: request N breaks at its own offset
        url = self.url("app.bin", fault1="close", at1=100000, fault2="reset", at2=400000, fault3="stall",
                       at3=700000, hold=30)
        res, _ = self.fetch(url, self.out("script.bin"), 0, "--stall-timeout", "500")
        self.assertEqual(sha256_file(self.out("script.bin")), self.sha)
        self.assertEqual(res["retries"], 3)
        log = self.fs.log(url)
        self.assertEqual([e["status"] for e in log], [200, 206, 206, 206])
        self.assertEqual(log[1]["range"], "bytes=100000-")
        self.assertEqual(log[3]["range"], "bytes=700000-")
        starts = [int(e["range"][6:-1]) for e in log[1:]]
        self.assertTrue(100000 < starts[1] <= 400000)  # a reset may lose what was in flight

    def test_client_error_during_a_resume_is_not_retried(self):
        url = self.url("app.bin", fault1="close", at=5000, fault2="status", status=404)
        res, _ = self.fetch(url, self.out("then404.bin"), 1)
        self.assertEqual(res["error"], "OTA_ERR_SRC_HTTP_STATUS")
        self.assertEqual(res["http_status"], 404)
        self.assertEqual(self.fs.requests(url), 2)

    def test_redirect_loop_is_too_many_redirects(self):
        url = self.url("app.bin", fault="redirect-loop")
        res, _ = self.fetch(url, self.out("loop.bin"), 1)
        self.assertEqual(res["error"], "OTA_ERR_SRC_TOO_MANY_REDIRECTS")
        self.assertEqual(self.fs.requests(url), 1 + 5)  # the default bound
        url = self.url("app.bin", fault="redirect-loop", run="bound2")
        res, _ = self.fetch(url, self.out("loop2.bin"), 1, "--max-redirects", "2")
        self.assertEqual(res["error"], "OTA_ERR_SRC_TOO_MANY_REDIRECTS")
        self.assertEqual(self.fs.requests(url), 1 + 2)

    def test_redirects_within_the_bound_are_followed(self):
        url = self.url("app.bin", fault="redirect", redirects=2)
        res, _ = self.fetch(url, self.out("redir.bin"), 0)
        self.assertEqual(sha256_file(self.out("redir.bin")), self.sha)
        self.assertEqual(self.fs.requests(url), 3)
        url = self.url("app.bin", fault="redirect", redirects=1, run="none")
        res, _ = self.fetch(url, self.out("redir0.bin"), 1, "--max-redirects", "0")
        self.assertEqual(res["error"], "OTA_ERR_SRC_TOO_MANY_REDIRECTS")

    def test_flipped_byte_is_delivered_as_served(self):
        # The source cannot know; the verifier's SHA-256 / image checksum catches it later.
        url = self.url("app.bin", fault="flip", at=123456)
        out = self.out("flip.bin")
        res, _ = self.fetch(url, out, 0)
        self.assertNotEqual(res["sha256"], self.sha)
        with open(self.app, "rb") as a, open(out, "rb") as b:
            good, bad = a.read(), b.read()
        self.assertEqual(len(good), len(bad))
        self.assertEqual([i for i in range(len(good)) if good[i] != bad[i]], [123456])
        self.assertEqual(bad[123456], good[123456] ^ 0xFF)

    def test_chunked_body_without_length(self):
        url = self.url("app.bin", fault="chunked")
        res, _ = self.fetch(url, self.out("chunked.bin"), 0)
        self.assertEqual(sha256_file(self.out("chunked.bin")), self.sha)
        self.assertEqual(res["total_size"], -1)
        url = self.url("app.bin", fault="chunked,close", at=300000, times=1)
        res, _ = self.fetch(url, self.out("chunked2.bin"), 0)
        self.assert_resumed_once(url, self.out("chunked2.bin"), res, at=300000)

    def test_weak_etag_is_not_sent_in_if_range(self):
        url = self.url("app.bin", fault="weak-etag", fault1="close,weak-etag", at=5000)
        res, _ = self.fetch(url, self.out("weak.bin"), 0)
        self.assertEqual(sha256_file(self.out("weak.bin")), self.sha)
        log = self.fs.log(url)
        self.assertEqual(log[1]["range"], "bytes=5000-")
        self.assertIsNone(log[1]["if_range"])

    def test_resume_across_runs_detects_a_changed_file(self):
        path = os.path.join(self.www, "runs.bin")
        sha = otatest.make_file(path, 200000, seed=12)
        out = self.out("runs.bin")
        url = self.url("runs.bin", fault="close", at=50000)
        res, _ = self.fetch(url, out, 1, "--retries", "0")
        self.assertEqual(os.path.getsize(out), 50000)
        self.assertTrue(os.path.exists(out + ".ota-resume"))
        # unchanged: the next run resumes (Range + If-Range) and finishes
        shutil.copy(out, out + ".copy")
        shutil.copy(out + ".ota-resume", out + ".copy.ota-resume")
        url2 = self.url("runs.bin", run=2)
        res, _ = self.fetch(url2, out, 0, "--resume")
        self.assertEqual(sha256_file(out), sha)
        self.assertEqual(self.fs.log(url2)[0]["range"], "bytes=50000-")
        self.assertEqual(self.fs.log(url2)[0]["if_range"], '"%x-%x"' % (int(os.stat(path).st_mtime), 200000))
        # changed on the server in between: refused, nothing appended
        st = os.stat(path)
        os.utime(path, (st.st_atime, st.st_mtime + 100))
        res, proc = self.fetch(self.url("runs.bin", run=3), out + ".copy", 1, "--resume")
        self.assertEqual(res["error"], "OTA_ERR_SRC_RESOURCE_CHANGED")
        self.assertEqual(os.path.getsize(out + ".copy"), 50000)

    def test_connect_timeout(self):
        # A listener whose accept queue is full: the kernel drops the SYN, connect() hangs.
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(0)
        port = lsock.getsockname()[1]
        fillers = []
        for _ in range(4):
            c = socket.socket()
            c.setblocking(False)
            try:
                c.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            fillers.append(c)
        try:
            time.sleep(0.2)
            t0 = time.monotonic()
            res, _ = fetch_json(["--connect-timeout", "400", f"http://127.0.0.1:{port}/x.bin",
                                 self.out("ct.bin")], 1)
            self.assertEqual(res["error"], "OTA_ERR_SRC_CONNECT_TIMEOUT")
            self.assertLess(time.monotonic() - t0, 5)
        finally:
            for c in fillers:
                c.close()
            lsock.close()

    def test_nothing_listening_is_cannot_connect(self):
        port = otatest.free_port()
        res, _ = fetch_json([f"http://127.0.0.1:{port}/x.bin", self.out("refused.bin")], 1)
        self.assertEqual(res["error"], "OTA_ERR_SRC_CONNECT")

    def test_proxy_environment_is_honoured(self):
        # Documented behaviour (libcurl's): http_proxy applies unless no_proxy names the host.
        dead = otatest.free_port()
        env = otatest.no_proxy_env(http_proxy=f"http://127.0.0.1:{dead}")
        del env["no_proxy"], env["NO_PROXY"]
        url = self.url("app.bin", run="proxy")
        proc = run(["fetch", url, self.out("proxy.bin"), "--json"], expect=1, env=env)
        self.assertEqual(json.loads(proc.stdout)["error"], "OTA_ERR_SRC_CONNECT")
        self.assertEqual(self.fs.requests(url), 0)  # it went to the (dead) proxy
        env["no_proxy"] = "127.0.0.1"
        run(["fetch", url, self.out("proxy.bin")], expect=0, env=env)
        self.assertEqual(sha256_file(self.out("proxy.bin")), self.sha)


class FileUris(unittest.TestCase):
    """file://sdcard/PATH and file:///PATH."""

    def setUp(self):
        self._tmp = otatest.tempdir()
        self.dir = self._tmp.__enter__()
        self.sdcard = os.path.join(self.dir, "sdcard")
        os.mkdir(self.sdcard)
        self.tone = os.path.join(self.sdcard, "flash_tone.bin")
        self.sha = otatest.make_file(self.tone, 70000, seed=3)

    def tearDown(self):
        self._tmp.__exit__(None, None, None)

    def test_sdcard_root_option(self):
        out = os.path.join(self.dir, "out.bin")
        res, _ = fetch_json(["--sdcard", self.sdcard, "file://sdcard/flash_tone.bin", out], 0)
        self.assertEqual(sha256_file(out), self.sha)
        self.assertEqual(res["http_status"], 0)
        self.assertEqual(res["bytes"], 70000)

    def test_default_root_is_dot_sdcard(self):
        # the ESP-ADF example's URI, run from the directory holding sdcard/
        res, _ = fetch_json(["file://sdcard/flash_tone.bin", "out.bin"], 0, cwd=self.dir)
        self.assertEqual(sha256_file(os.path.join(self.dir, "out.bin")), self.sha)

    def test_absolute_path_and_resume(self):
        out = os.path.join(self.dir, "abs.bin")
        fetch_json([f"file://{self.tone}", out], 0)
        self.assertEqual(sha256_file(out), self.sha)
        write_prefix(self.tone, out, 4096)
        res, _ = fetch_json(["--resume", f"file://{self.tone}", out], 0)
        self.assertEqual(res["resumed_from"], 4096)
        self.assertEqual(sha256_file(out), self.sha)

    def expect_error(self, uri, code, text):
        out = os.path.join(self.dir, "err.bin")
        res, proc = fetch_json(["--sdcard", self.sdcard, uri, out], 1)
        self.assertEqual(res["error"], code)
        self.assertIn(text, proc.stderr)
        self.assertFalse(os.path.exists(out))

    def test_missing_file(self):
        self.expect_error("file://sdcard/nope.bin", "OTA_ERR_SRC_FILE_NOT_FOUND",
                          os.path.join(self.sdcard, "nope.bin"))

    def test_directory(self):
        os.mkdir(os.path.join(self.sdcard, "dir"))
        self.expect_error("file://sdcard/dir", "OTA_ERR_SRC_IS_DIRECTORY", "directory")

    def test_dotdot_is_refused(self):
        self.expect_error("file://sdcard/../sdcard/flash_tone.bin", "OTA_ERR_SRC_PATH_ESCAPE", "..")

    def test_symlink_out_of_the_root_is_refused(self):
        secret = os.path.join(self.dir, "secret.bin")
        otatest.make_file(secret, 10)
        os.symlink(secret, os.path.join(self.sdcard, "link.bin"))
        self.expect_error("file://sdcard/link.bin", "OTA_ERR_SRC_PATH_ESCAPE", "outside the sdcard root")

    def test_other_host_is_refused(self):
        self.expect_error("file://server/flash_tone.bin", "OTA_ERR_SRC_URI", "file://server")


class Usage(unittest.TestCase):
    def test_help(self):
        proc = run(["fetch", "--help"], expect=0)
        self.assertIn("Usage: ota fetch", proc.stdout)
        for opt in ("--resume", "--cacert", "--insecure", "--sdcard", "--connect-timeout", "--stall-timeout",
                    "--retries", "--json"):
            self.assertIn(opt, proc.stdout)

    def test_usage_errors(self):
        run(["fetch"], expect=2)
        run(["fetch", "http://127.0.0.1:1/x"], expect=2)
        run(["fetch", "ftp://h/x", "out"], expect=2)
        run(["fetch", "--retries", "x", "http://127.0.0.1:1/x", "out"], expect=2)
        run(["fetch", "--stall-timeout", "0", "http://127.0.0.1:1/x", "out"], expect=2)
        run(["fetch", "--bogus", "http://127.0.0.1:1/x", "out"], expect=2)


if __name__ == "__main__":
    otatest.main()
