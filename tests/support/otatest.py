"""Shared helpers for the Python integration tests (stdlib only).

CTest sets the environment (tests/CMakeLists.txt, ota_add_script_test):
  OTA_BIN         the `ota` executable under test
  OTA_TESTDATA    ../shared/testdata (Espressif-made artifacts, read in place)
  OTA_SOURCE_DIR  the project root
  OTA_BUILD_DIR   the CMake build directory

Tests are unittest.TestCase classes run with `main()`: a failure or error exits non-zero, and
a skipped test is reported as a failure (a skip must never pass for success).
"""
import contextlib
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

OTA = os.environ.get("OTA_BIN", "ota")
TESTDATA = os.environ.get("OTA_TESTDATA", "")
SOURCE_DIR = os.environ.get("OTA_SOURCE_DIR", "")
BUILD_DIR = os.environ.get("OTA_BUILD_DIR", "")


def testdata(*parts):
    """Absolute path of a file under ../shared/testdata."""
    return os.path.join(TESTDATA, *parts)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run(args, expect=None, timeout=300, cwd=None, env=None, input=None):
    """Run `ota ARGS...`; returns CompletedProcess with text stdout/stderr.

    expect: the exit status the test requires (None: any); a mismatch raises AssertionError with
    both streams so the failure explains itself.
    """
    cmd = [OTA] + [str(a) for a in args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env=env, input=input)
    if expect is not None and proc.returncode != expect:
        raise AssertionError(
            f"{' '.join(cmd)}: exit {proc.returncode}, expected {expect}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")
    return proc


def run_json(args, expect=0, **kw):
    """Run with --json appended and parse stdout as one JSON document."""
    proc = run(list(args) + ["--json"], expect=expect, **kw)
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(f"not JSON ({e}):\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")


def json_lines(text):
    """Parse a JSON-lines event stream."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@contextlib.contextmanager
def tempdir():
    path = tempfile.mkdtemp(prefix="ota-it-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def free_port():
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=15.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited early with status {proc.returncode}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


class HttpServer:
    """python3 -m http.server serving a directory on 127.0.0.1, as the ESP-ADF README does."""

    def __init__(self, directory):
        self.directory = directory
        self.port = None
        self.proc = None

    def __enter__(self):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(self.port), "--bind", "127.0.0.1",
             "--directory", self.directory],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, proc=self.proc)
        return self

    def url(self, name):
        return f"http://127.0.0.1:{self.port}/{name}"

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class _NoSkipResult(unittest.TextTestResult):
    def addSkip(self, test, reason):  # a skipped test is a failure here, never a pass
        try:
            raise AssertionError(f"skipped: {reason}")
        except AssertionError:
            self.addFailure(test, sys.exc_info())


def main():
    """Run the calling module's tests; exit status 1 on any failure, error or skip."""
    runner = unittest.TextTestRunner(verbosity=2, resultclass=_NoSkipResult)
    program = unittest.main(module="__main__", testRunner=runner, exit=False)
    result = program.result
    ok = result.wasSuccessful() and result.testsRun > 0
    sys.exit(0 if ok else 1)
