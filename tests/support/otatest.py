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


def module_fixture(make):
    """For setUpModule: @make(dir) builds the module's files once in a temp dir, and the fixture's
    www folder is served by an HttpServer. Both go when the module's tests end (a module cleanup,
    which unittest also runs when @make fails). Returns (fixture, server)."""
    stack = contextlib.ExitStack()
    unittest.addModuleCleanup(stack.close)
    fixture = make(stack.enter_context(tempdir()))
    return fixture, stack.enter_context(HttpServer(fixture.www))


def class_workdir(cls):
    """For setUpClass: a temp dir (cls.dir) holding an empty www folder to serve (cls.www), removed
    after the class's tests (a class cleanup: after tearDownClass, also when setUpClass fails)."""
    tmp = tempdir()
    cls.dir = tmp.__enter__()
    cls.addClassCleanup(tmp.__exit__, None, None, None)
    cls.www = os.path.join(cls.dir, "www")
    os.mkdir(cls.www)


class DeviceCopyCase(unittest.TestCase):
    """A test working on copies of template devices, in its own temp dir (self.dir, removed after
    the test); self.n numbers the files a test makes there."""

    def setUp(self):
        tmp = tempdir()
        self.dir = tmp.__enter__()
        self.addCleanup(tmp.__exit__, None, None, None)
        self.n = 0

    def copy_device(self, template):
        """@template and its .state copied to self.dir as dev<n>.bin; returns the copy's path."""
        self.n += 1
        path = os.path.join(self.dir, f"dev{self.n}.bin")
        copy_device(template, path)
        return path


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


# ---------------------------------------------------------------------------------------------
# Sources (file://, http://, https://): a proxy-free environment, deterministic files, the
# project's fault-injecting server, nginx with HTTPS and a PKI made with the openssl CLI.
# ---------------------------------------------------------------------------------------------
import types
import urllib.parse
import urllib.request

PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "ftp_proxy", "no_proxy",
              "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "FTP_PROXY", "NO_PROXY")


def no_proxy_env(base=None, **extra):
    """A copy of @base (default os.environ) without proxy variables, with no_proxy=127.0.0.1,localhost.

    libcurl (and so `ota`) honours http_proxy, https_proxy, all_proxy and no_proxy; every test
    server runs on 127.0.0.1, so a proxy set in the developer's or CI's environment must not be used.
    """
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in PROXY_VARS}
    env["no_proxy"] = env["NO_PROXY"] = "127.0.0.1,localhost"
    env.update({k: str(v) for k, v in extra.items()})
    return env


# Applied on import: every `ota` and urllib call of the tests talks to 127.0.0.1 directly.
for _var in PROXY_VARS:
    os.environ.pop(_var, None)
os.environ["no_proxy"] = os.environ["NO_PROXY"] = "127.0.0.1,localhost"
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def make_file(path, size, seed=0):
    """Write @size deterministic pseudo-random bytes to @path; returns their SHA-256 (hex)."""
    import random
    data = random.Random(seed).randbytes(size)
    with open(path, "wb") as f:
        f.write(data)
    return hashlib.sha256(data).hexdigest()


def _stop_process(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class FaultServer:
    """tests/support/fault_server.py as a process on 127.0.0.1 (see its docstring for the faults).

    with FaultServer(directory) as fs:
        url = fs.url("app.bin", fault="close", at=1000, times=1)
        ...; fs.requests(url) -> how many requests that exact URL received
    """

    SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fault_server.py")

    def __init__(self, directory):
        self.directory = directory
        self.port = None
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(
            [sys.executable, self.SCRIPT, "--root", self.directory, "--stdin-lifetime"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line:
            _stop_process(self.proc)
            raise RuntimeError("fault_server.py did not start")
        self.port = json.loads(line)["port"]
        return self

    def url(self, name, **params):
        q = urllib.parse.urlencode(params)
        return f"http://127.0.0.1:{self.port}/{name}" + (f"?{q}" if q else "")

    def stats(self):
        with _DIRECT.open(f"http://127.0.0.1:{self.port}/_stats", timeout=10) as r:
            return json.loads(r.read())

    def reset(self):
        with _DIRECT.open(f"http://127.0.0.1:{self.port}/_reset", timeout=10) as r:
            r.read()

    def requests(self, url):
        """Requests received for the exact request target of @url."""
        parts = urllib.parse.urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        return self.stats()["requests"].get(target, 0)

    def log(self, url):
        parts = urllib.parse.urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        return [e for e in self.stats()["log"] if e["target"] == target]

    def __exit__(self, *exc):
        if self.proc.stdin:
            self.proc.stdin.close()
        _stop_process(self.proc)
        self.proc.stdout.close()


def _openssl(*args, cwd):
    proc = subprocess.run(["openssl"] + list(args), cwd=cwd, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)}: {proc.stderr}")


def make_test_pki(directory):
    """A throw-away PKI made with the openssl CLI in @directory (EC P-256, valid 2 days).

    Returns a namespace of absolute paths:
      ca, ca_key            test CA
      other_ca              an unrelated CA (the "wrong CA")
      server, server_key    signed by ca; SAN IP:127.0.0.1, DNS:localhost
      wrong_host, wrong_host_key   signed by ca; SAN DNS:wrong.example only
      self_signed, self_signed_key a self-signed leaf for 127.0.0.1
    """
    d = os.path.abspath(directory)
    os.makedirs(d, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def ca(name, cn):
        _openssl("req", "-x509", *ec, "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "2",
                 "-subj", f"/CN={cn}", "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)

    def leaf(name, cn, san, serial):
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write(f"subjectAltName={san}\nbasicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                 "-set_serial", str(serial), "-days", "2", "-extfile", f"{name}.ext",
                 "-out", f"{name}.crt", cwd=d)

    ca("ca", "ota-service test CA")
    ca("other_ca", "ota-service unrelated CA")
    leaf("server", "127.0.0.1", "IP:127.0.0.1,DNS:localhost", 1001)
    leaf("wrong_host", "wrong.example", "DNS:wrong.example", 1002)
    _openssl("req", "-x509", *ec, "-keyout", "self_signed.key", "-out", "self_signed.crt", "-days", "2",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", cwd=d)
    p = lambda n: os.path.join(d, n)  # noqa: E731
    return types.SimpleNamespace(
        ca=p("ca.crt"), ca_key=p("ca.key"), other_ca=p("other_ca.crt"),
        server=p("server.crt"), server_key=p("server.key"),
        wrong_host=p("wrong_host.crt"), wrong_host_key=p("wrong_host.key"),
        self_signed=p("self_signed.crt"), self_signed_key=p("self_signed.key"))


class NginxServer:
    """nginx in the foreground serving @root over HTTP and HTTPS (Range, ETag) on free 127.0.0.1 ports.

    Listeners (ports in .ports): "http"; "https" (pki.server, signed by pki.ca); "wrong_host"
    (pki.wrong_host: a valid chain for another name); "self_signed" (pki.self_signed). Config, pid,
    logs and temp files live in @workdir. url(kind, name) -> "https://127.0.0.1:PORT/name".
    """

    def __init__(self, root, pki, workdir):
        self.root = os.path.abspath(root)
        self.pki = pki
        self.workdir = os.path.abspath(workdir)
        self.ports = {}
        self.proc = None

    @staticmethod
    def binary():
        found = shutil.which("nginx", path=os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin")
        if not found:
            raise RuntimeError("nginx not found: run scripts/install-deps.sh test")
        return found

    def _config(self):
        w = self.workdir
        servers = [f"    server {{ listen 127.0.0.1:{self.ports['http']}; root {self.root}; }}"]
        for kind, crt, key in (("https", self.pki.server, self.pki.server_key),
                               ("wrong_host", self.pki.wrong_host, self.pki.wrong_host_key),
                               ("self_signed", self.pki.self_signed, self.pki.self_signed_key)):
            servers.append(f"    server {{ listen 127.0.0.1:{self.ports[kind]} ssl; root {self.root};\n"
                           f"             ssl_certificate {crt}; ssl_certificate_key {key}; }}")
        return "\n".join([
            "daemon off;", "master_process off;", "worker_processes 1;",
            f"pid {w}/nginx.pid;", f"error_log {w}/error.log warn;",
            "events { worker_connections 128; }",
            "http {",
            f"    access_log {w}/access.log;",
            f"    client_body_temp_path {w}/tmp/body;", f"    proxy_temp_path {w}/tmp/proxy;",
            f"    fastcgi_temp_path {w}/tmp/fastcgi;", f"    uwsgi_temp_path {w}/tmp/uwsgi;",
            f"    scgi_temp_path {w}/tmp/scgi;",
            "    types { }", "    default_type application/octet-stream;",
            *servers, "}", ""])

    def __enter__(self):
        os.makedirs(os.path.join(self.workdir, "tmp"), exist_ok=True)
        self.ports = {k: free_port() for k in ("http", "https", "wrong_host", "self_signed")}
        conf = os.path.join(self.workdir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(self._config())
        self.proc = subprocess.Popen(
            [self.binary(), "-p", self.workdir, "-c", conf, "-e", os.path.join(self.workdir, "error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            for port in self.ports.values():
                wait_for_port(port, proc=self.proc)
        except RuntimeError:
            _stop_process(self.proc)
            err = self.proc.stderr.read()
            raise RuntimeError(f"nginx did not start: {err}")
        return self

    def url(self, kind, name):
        scheme = "http" if kind == "http" else "https"
        return f"{scheme}://127.0.0.1:{self.ports[kind]}/{name}"

    def __exit__(self, *exc):
        _stop_process(self.proc)
        self.proc.stderr.close()


# ---------------------------------------------------------------------------------------------
# ESP app images and otadata, decoded here independently of the C code (reference
# esp-idf-formats.md §2-§3), so integration tests can check what `ota` wrote or reported.
# ---------------------------------------------------------------------------------------------
import binascii
import struct as _struct


def xor_bytes(data):
    """XOR of all bytes of @data (folds a big integer in halves: fast for MiBs)."""
    if not data:
        return 0
    v = int.from_bytes(data, "little")
    width = len(data)
    while width > 1:
        half = (width + 1) // 2
        v = (v & ((1 << (8 * half)) - 1)) ^ (v >> (8 * half))
        width = half
    return v & 0xFF


def parse_esp_image(data):
    """Decode an app image: header fields, segments (addr, length, file_offs of the header), the
    stored and recomputed checksum (0xEF ^ XOR of segment data) and SHA-256, the app description."""
    magic, count, mode, size_freq, entry = _struct.unpack_from("<BBBBI", data, 0)
    wp, drv0, drv1, drv2, chip_id, min_rev, min_full, max_full = _struct.unpack_from("<BBBBHBHH", data, 8)
    img = dict(magic=magic, segment_count=count, flash_mode=mode, flash_speed=size_freq & 0xF,
               flash_size=size_freq >> 4, entry=entry, wp_pin=wp, chip_id=chip_id, min_rev=min_rev,
               min_rev_full=min_full, max_rev_full=max_full, hash_appended=data[23], segments=[])
    pos = 24
    checksum = 0xEF
    for _ in range(count):
        addr, length = _struct.unpack_from("<II", data, pos)
        img["segments"].append(dict(addr=addr, length=length, file_offs=pos))
        checksum ^= xor_bytes(data[pos + 8:pos + 8 + length])
        pos += 8 + length
    end = (pos + 1 + 15) & ~15
    img.update(unpadded=pos, checksum_end=end, checksum_stored=data[end - 1], checksum_calc=checksum)
    if img["hash_appended"]:
        img["hash_stored"] = data[end:end + 32].hex()
        img["hash_calc"] = hashlib.sha256(data[:end]).hexdigest()
        img["length"] = end + 32
    else:
        img["length"] = end
    desc = data[0x20:0x120]
    magic_word, secure_version = _struct.unpack_from("<II", desc, 0)

    def text(off, n):
        return desc[off:off + n].split(b"\0")[0].decode("latin-1")
    img["app_desc"] = dict(magic=magic_word, secure_version=secure_version, version=text(0x10, 32),
                           project_name=text(0x30, 32), time=text(0x50, 16), date=text(0x60, 16),
                           idf_ver=text(0x70, 32), elf_sha256=desc[0x90:0xB0].hex())
    return img


def decode_partition_table(raw):
    """A binary partition table decoded independently of the C code (gen_esp32part's 32-byte
    entries, magic 0xAA50, then the 0xEBEB MD5 entry): ({label: (offset, size)}, md5_ok), md5_ok
    None when there is no MD5 entry."""
    entries, md5_ok = {}, None
    for i in range(0, 0xC00, 32):
        e = raw[i:i + 32]
        if e[:2] == b"\xeb\xeb":
            md5_ok = e[16:32] == hashlib.md5(raw[:i]).digest()
            break
        if e[:2] != b"\xaa\x50":
            break
        _magic, _type, _subtype, off, size = _struct.unpack_from("<HBBII", e, 0)
        entries[e[12:28].split(b"\0")[0].decode()] = (off, size)
    return entries, md5_ok


def otadata_crc(seq):
    """The otadata CRC: zlib crc32 of the little-endian seq, seeded with 0xFFFFFFFF (otatool.py)."""
    return binascii.crc32(_struct.pack("<I", seq), 0xFFFFFFFF) & 0xFFFFFFFF


def read_otadata(device_path, offset=0xD000):
    """Both otadata entries of a device image: dicts with seq, state, crc, crc_ok."""
    with open(device_path, "rb") as f:
        f.seek(offset)
        raw = f.read(0x2000)
    entries = []
    for i in range(2):
        seq, = _struct.unpack_from("<I", raw, i * 0x1000)
        state, crc = _struct.unpack_from("<II", raw, i * 0x1000 + 24)
        entries.append(dict(seq=seq, state=state, crc=crc, crc_ok=crc == otadata_crc(seq)))
    return entries


OTA_IMG_STATES = {0: "NEW", 1: "PENDING_VERIFY", 2: "VALID", 3: "INVALID", 4: "ABORTED", 0xFFFFFFFF: "UNDEFINED"}


# ---------------------------------------------------------------------------------------------
# `ota run` and the network-fault sweep: the ESP-ADF example's device, images made with the CLI,
# independent checks of what ends up on the flash (otadata -> slot -> image verifies).
# ---------------------------------------------------------------------------------------------

# The table `ota flash create` writes by default (the ESP-ADF example's, 1 MiB app slots),
# as documented by `ota flash create --help` and the example's README boot log.
EXAMPLE_PARTS = {"otadata": (0xD000, 0x2000), "ota_0": (0x10000, 0x100000), "ota_1": (0x110000, 0x100000),
                 "flash_tone": (0x210000, 0x100000)}
TWO_DEVICES = os.environ.get("OTA_TWO_DEVICES", "")


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def write_file(path, data):
    """Write @data (bytes or bytearray) to @path, replacing it; returns @path."""
    with open(path, "wb") as f:
        f.write(data)
    return path


def device_slice(device_path, label):
    """The raw bytes of partition @label of a device with the example table (read directly)."""
    offset, size = EXAMPLE_PARTS[label]
    with open(device_path, "rb") as f:
        f.seek(offset)
        return f.read(size)


def read_partition(device_path, label, out_path):
    """`ota partition read DEVICE LABEL OUT`; returns the bytes."""
    run(["partition", "read", device_path, label, out_path], expect=0)
    return read_file(out_path)


def make_app(path, version, project="play_mp3_control", size="300K", seed=1, secure_version=0, idf=None):
    """`ota image make` (@idf: the ESP-IDF recorded in the image, else the tool's default); returns the
    image bytes."""
    run(["image", "make", "--version", version, "--project", project, "--size", size, "--seed", seed,
         "--secure-version", secure_version] + (["--idf-version", idf] if idf else []) + [path], expect=0)
    return read_file(path)


def copy_device(src, dst):
    """Copy a device image and its .state sidecar (if any)."""
    shutil.copyfile(src, dst)
    if os.path.exists(src + ".state"):
        shutil.copyfile(src + ".state", dst + ".state")
    elif os.path.exists(dst + ".state"):
        os.remove(dst + ".state")


def events(text):
    """A JSON-lines event stream, strictly: every non-empty line must be one JSON object."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise AssertionError(f"not a JSON line ({e}): {line!r}\n--- stdout ---\n{text}")
        if not isinstance(obj, dict):
            raise AssertionError(f"not a JSON object: {line!r}")
        out.append(obj)
    return out


def app_image_verifies(data, max_size=0x100000, chip_id=0):
    """True if @data starts with a complete, valid ESP32 app image: magic, segment table inside
    @max_size, checksum, appended SHA-256, app description magic, chip. Independent of the C code."""
    try:
        if len(data) < 24 or data[0] != 0xE9 or data[1] == 0 or data[1] > 16:
            return False
        pos = 24
        for _ in range(data[1]):
            _addr, length = _struct.unpack_from("<II", data, pos)
            pos += 8 + length
            if pos > max_size or pos > len(data):
                return False
        img = parse_esp_image(data[:max_size])
    except (_struct.error, IndexError):
        return False
    if img["length"] > max_size or img["chip_id"] != chip_id or not img["hash_appended"]:
        return False
    if img["checksum_stored"] != img["checksum_calc"] or img["hash_stored"] != img["hash_calc"]:
        return False
    return img["app_desc"]["magic"] == 0xABCD5432


def bootable_otadata_slots(device_path):
    """The app slots (labels) that otadata entries name as bootable candidates: CRC valid, seq set,
    state not INVALID / ABORTED (reference esp-idf-formats.md §3: slot = (seq - 1) % 2)."""
    names = []
    for e in read_otadata(device_path):
        if not e["crc_ok"] or e["seq"] in (0, 0xFFFFFFFF) or e["state"] in (3, 4):
            continue
        names.append(f"ota_{(e['seq'] - 1) % 2}")
    return names


def otadata_selected_slot(device_path):
    """What the bootloader selects from otadata (highest valid seq), None when otadata is blank."""
    best = None
    for e in read_otadata(device_path):
        if not e["crc_ok"] or e["seq"] in (0, 0xFFFFFFFF) or e["state"] in (3, 4):
            continue
        if best is None or e["seq"] > best["seq"]:
            best = e
    return None if best is None else f"ota_{(best['seq'] - 1) % 2}"
