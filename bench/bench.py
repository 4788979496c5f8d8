#!/usr/bin/env python3
"""`make bench`: speed, memory and device time of ota-service against the machine's limits.

    bench/run.sh BUILD_DIR [--quick] [--pairs N] [--out FILE] [--keep] [--only S,...] [--into FILE]

Measures (issue 7, DESIGN.md section 7) and prints one table, and writes it with the machine, the
date, the exact commands and the analysis of every missed target to BENCHMARKS.md (full mode) or
BUILD_DIR/bench-work/BENCHMARKS.quick.md (--quick, unless --out):

 1. end to end: `ota run` updating a 16 MiB device from nginx on 127.0.0.1 (and from file://),
    against `curl -o` + `openssl dgst -sha256` (and `cat | openssl dgst -sha256`), A B A B pairs;
 2. instructions per image byte of the service (callgrind) next to SHA-256 alone;
 3. heap high-water mark and allocations of the service (ota_mem counters) and, separately, of
    libcurl/OpenSSL (process-wide malloc counter of ota_bench), at two sizes (per-chunk check);
 4. simulated device time (the emulator's W25Q32 model) of a 1 MiB app and of the tone partition
    update, against the physical floor and ESP-ADF-like erase strategies;
 5. scaling from 64 KiB to the largest app a 16 MiB flash holds;
 6. Secure Boot V2 verification and pre-encrypted images (issue 11): bench/bench_secure.py;
 7. delta updates (issue 13): bench/delta_bench.py;
 8. a release installed as one (ota_release.h): device time per item against the floor and today's
    single-item updates, and the flash its twins need per partition table: bench/release_bench.py.

`--only secure,delta,release` runs just those sections (development; writes BUILD_DIR/bench-work/BENCHMARKS.only.md
unless --out). The section of BENCHMARKS.md between the mcu-footprint markers belongs to `make mcu`
(scripts/mcu_footprint.py) and is carried over unchanged.

Every figure printed comes from this run. Python standard library only; servers on 127.0.0.1.
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIB = 1024
MIB = 1024 * 1024

# The 16 MiB device of the end-to-end runs: a small factory app (the running firmware) and one
# OTA slot as large as the flash allows. A "16 MiB" app cannot exist on a 16 MiB flash (the
# bootloader, the table and the running app need room), so the top size is that slot: 0xFE0000.
TABLE_16M = """# Name,   Type, SubType, Offset,   Size, Flags
nvs,      data, nvs,     0x9000,   0x4000,
otadata,  data, ota,     0xd000,   0x2000,
phy_init, data, phy,     0xf000,   0x1000,
factory,  app,  factory, 0x10000,  0x10000,
ota_0,    app,  ota_0,   0x20000,  0xFE0000,
"""
SLOT_16M_OFFSET = 0x20000
MAX_APP_16M = 0xFE0000


def die(msg):
    print(f"bench: error: {msg}", file=sys.stderr)
    sys.exit(1)


def size_name(n):
    if n == MAX_APP_16M:
        return "15.9 MiB (max)"
    if n % MIB == 0:
        return f"{n // MIB} MiB"
    if n % KIB == 0:
        return f"{n // KIB} KiB"
    return f"{n} B"


def fmt_int(n):
    return f"{int(n):,}"


def fmt_ms(s):
    return f"{s * 1e3:.1f} ms"


def fmt_rate(nbytes, seconds):
    return f"{nbytes / seconds / 1e6:,.0f} MB/s" if seconds > 0 else "-"


def fmt_kib(n):
    return f"{n / KIB:.1f} KiB"


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def linear_fit(xs, ys):
    """Least squares y = a + b x; returns (a, b)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    return my - b * mx, b


class Recorder:
    """Runs commands and remembers one example of each kind for BENCHMARKS.md."""

    def __init__(self, env):
        self.env = env
        self.examples = {}

    def note(self, kind, cmd):
        if kind not in self.examples:
            self.examples[kind] = cmd if isinstance(cmd, str) else " ".join(shq(c) for c in cmd)

    def run(self, cmd, kind=None, check=True, **kw):
        if kind:
            self.note(kind, cmd)
        p = subprocess.run(cmd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
        if check and p.returncode != 0:
            die(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stderr[-2000:]}")
        return p

    def jsonl(self, cmd, kind=None):
        out = self.run(cmd, kind).stdout
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def shq(s):
    s = str(s)
    return s if re.fullmatch(r"[A-Za-z0-9_./:=@%+,-]+", s) else "'" + s.replace("'", "'\\''") + "'"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            die(f"nginx exited early with status {proc.returncode}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    die(f"nginx is not listening on 127.0.0.1:{port}")


def make_pki(rec, d):
    """A CA and a server certificate for 127.0.0.1 (EC P-256), for the TLS memory figure."""
    os.makedirs(d, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    rec.run(["openssl", "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj",
             "/CN=ota-service bench CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
             "keyUsage=critical,keyCertSign,cRLSign"], cwd=d)
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    rec.run(["openssl", "req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"], cwd=d)
    rec.run(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial",
             "1001", "-days", "2", "-extfile", "server.ext", "-out", "server.crt"], cwd=d)
    return os.path.join(d, "ca.crt"), os.path.join(d, "server.crt"), os.path.join(d, "server.key")


class Nginx:
    """nginx in the foreground on free 127.0.0.1 ports: plain HTTP and HTTPS over @root."""

    def __init__(self, root, workdir, cert, key):
        self.root, self.workdir, self.cert, self.key = root, workdir, cert, key
        self.proc = None

    def __enter__(self):
        binary = shutil.which("nginx", path=os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin")
        if not binary:
            die("nginx not found: run scripts/install-deps.sh bench")
        w = self.workdir
        os.makedirs(os.path.join(w, "tmp"), exist_ok=True)
        self.http, self.https = free_port(), free_port()
        conf = os.path.join(w, "nginx.conf")
        with open(conf, "w") as f:
            f.write("\n".join([
                "daemon off;", "master_process off;", "worker_processes 1;",
                f"pid {w}/nginx.pid;", f"error_log {w}/error.log warn;",
                "events { worker_connections 64; }",
                "http {",
                "    access_log off;", "    sendfile on;", "    tcp_nopush on;",
                f"    client_body_temp_path {w}/tmp/body;", f"    proxy_temp_path {w}/tmp/proxy;",
                f"    fastcgi_temp_path {w}/tmp/fastcgi;", f"    uwsgi_temp_path {w}/tmp/uwsgi;",
                f"    scgi_temp_path {w}/tmp/scgi;",
                "    types { }", "    default_type application/octet-stream;",
                f"    server {{ listen 127.0.0.1:{self.http}; root {self.root}; }}",
                f"    server {{ listen 127.0.0.1:{self.https} ssl; root {self.root};",
                f"             ssl_certificate {self.cert}; ssl_certificate_key {self.key}; }}",
                "}", ""]))
        self.proc = subprocess.Popen([binary, "-p", w, "-c", conf, "-e", os.path.join(w, "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.http, self.proc)
        wait_for_port(self.https, self.proc)
        self.conf = conf
        return self

    def url(self, name, tls=False):
        return f"https://127.0.0.1:{self.https}/{name}" if tls else f"http://127.0.0.1:{self.http}/{name}"

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ------------------------------------------------------------------------------------------------
# machine


def read_first(path, pattern):
    try:
        with open(path) as f:
            for line in f:
                m = re.match(pattern, line)
                if m:
                    return m.group(1).strip()
    except OSError:
        pass
    return "?"


def cpu_jiffies():
    with open("/proc/stat") as f:
        vals = [int(x) for x in f.readline().split()[1:]]
    busy = sum(vals[:8]) - vals[3] - vals[4]
    return busy


def own_cpu_seconds():
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def first_line(cmd):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=20)
        return p.stdout.strip().splitlines()[0] if p.stdout.strip() else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "not found"


def cmake_cache(build, key):
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return "?"


def perf_available():
    if not shutil.which("perf"):
        return False, "perf not installed"
    p = subprocess.run(["perf", "stat", "-x,", "-e", "instructions", "true"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if p.returncode == 0 and "not supported" not in p.stderr and "<not" not in p.stderr:
        return True, "hardware counters available"
    return False, "`perf stat -e instructions true`: not supported on this machine (no PMU in the VM)"


# ------------------------------------------------------------------------------------------------
# callgrind


def callgrind(rec, args, toggle, out, kind):
    cmd = ["valgrind", "--tool=callgrind", f"--toggle-collect={toggle}", f"--callgrind-out-file={out}", *args]
    p = rec.run(cmd, kind)
    m = re.search(r"Collected\s*:\s*(\d+)", p.stderr)
    if not m:
        die(f"no callgrind total in:\n{p.stderr[-1000:]}")
    return int(m.group(1))


def annotate(out, inclusive):
    p = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", "--threshold=100",
                        out], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    rows = []
    for line in p.stdout.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(\S.*)$", line)
        if m and "PROGRAM TOTALS" not in line:
            rows.append((int(m.group(1).replace(",", "")), m.group(3)))
    return rows


SYMBOL_LABELS = {}  # symbol-less functions identified from their callers (see label_anonymous)


def func_name(entry):
    """'???:emu_program [/path/ota_bench]' -> 'emu_program'; a symbol-less function of a shared
    library -> 'libcrypto.so.3 0x...' or what label_anonymous found it to be."""
    m = re.match(r"(?:.*?:)?(\S+?)(?:\s+\[(.*)\])?$", entry)
    name, obj = (m.group(1), m.group(2) or "") if m else (entry, "")
    if name in SYMBOL_LABELS:
        return SYMBOL_LABELS[name]
    if name.startswith("0x"):
        return f"{os.path.basename(obj)} {name}"
    return name


def label_anonymous(out):
    """Name libcrypto's symbol-less SHA-256 block function: the callee of SHA256_Update."""
    p = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--tree=calling", "--threshold=100", out],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines = p.stdout.splitlines()
    for i, line in enumerate(lines):
        if re.search(r"\*\s+\S*:SHA256_Update\s", line):
            for nxt in lines[i + 1:]:
                m = re.match(r"\s*[\d,]+\s+\(\s*[\d.]+%\)\s+>\s+\S*?:(0x[0-9a-f]+)\s", nxt)
                if m:
                    SYMBOL_LABELS[m.group(1)] = "sha256_block_data_order (libcrypto, no symbol)"
                    break
                if ">" not in nxt:
                    break
            break


def callers_of(out, func):
    """Inclusive cost of each caller of @func (callgrind_annotate --tree=caller)."""
    p = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--tree=caller", "--threshold=100", out],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines = p.stdout.splitlines()
    result = []
    for i, line in enumerate(lines):
        if re.search(r"\*\s+\S*:" + re.escape(func) + r"(\s|$)", line):
            j = i - 1
            while j >= 0 and "<" in lines[j]:
                m = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+<\s+(\S+)\s+\((\S+)x\)", lines[j])
                if m:
                    result.append((int(m.group(1).replace(",", "")), func_name(m.group(2)), m.group(3)))
                j -= 1
            break
    return sorted(result, reverse=True)


# ------------------------------------------------------------------------------------------------
# the benchmark


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.ota = os.path.join(self.build, "tools", "ota", "ota")
        self.ob = os.path.join(self.build, "bench", "ota_bench")
        for exe in (self.ota, self.ob, *(os.path.join(self.build, "bench", n) for n in (
                "ota_secure_bench_openssl", "ota_secure_bench_mbedtls", "evp_decrypt", "delta_bench"))):
            if not os.access(exe, os.X_OK):
                die(f"{exe} not built (cmake --build {args.build})")
        self.work = os.path.abspath(args.work or os.path.join(self.build, "bench-work"))
        self.testdata = os.path.abspath(os.environ.get("OTA_TESTDATA", os.path.join(ROOT, "..", "shared",
                                                                                   "testdata")))
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env["no_proxy"] = env["NO_PROXY"] = "*"
        env["LC_ALL"] = "C"
        self.rec = Recorder(env)
        self.quick = args.quick
        self.pairs = args.pairs or (5 if self.quick else 25)
        self.repeat = 3 if self.quick else 7
        self.e2e_sizes = [1 * MIB, 4 * MIB] if self.quick else [1 * MIB, 4 * MIB, MAX_APP_16M]
        self.scale_sizes = ([64 * KIB, 1 * MIB, MAX_APP_16M] if self.quick
                            else [64 * KIB, 256 * KIB, 1 * MIB, 4 * MIB, MAX_APP_16M])
        self.cg_sizes = [256 * KIB, 1 * MIB] if self.quick else [64 * KIB, 256 * KIB, 1 * MIB, 4 * MIB, MAX_APP_16M]
        self.cg_profile_size = 1 * MIB if self.quick else 4 * MIB
        self.rows = []      # the one table: (section, what, measured, reference, ratio, target, verdict)
        self.notes = []     # analysis paragraphs for BENCHMARKS.md
        self.notes_new = []  # those of sections 6 and 7, printed after the others
        self.timings = []   # (section, wall seconds) of this run
        self.details = []   # extra markdown blocks (pairs, profiles, op counts)
        self.misses = []

    def log(self, msg):
        print(f"bench: {msg}", file=sys.stderr, flush=True)

    def row(self, section, what, measured, reference="", ratio="", target="", verdict=""):
        self.rows.append((section, what, measured, reference, ratio, target, verdict))

    # -- set-up ----------------------------------------------------------------------------------

    def setup(self):
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        self.www = os.path.join(self.work, "www")
        os.makedirs(self.www)
        r = self.rec
        table = os.path.join(self.work, "table16.csv")
        with open(table, "w") as f:
            f.write(TABLE_16M)
        # 16 MiB device with a factory app that has booted: the pristine device of every run.
        self.dev16 = os.path.join(self.work, "dev16.pristine.bin")
        r.run([self.ota, "flash", "create", "--table", table, "--size", "16MB", self.dev16], "setup: device")
        factory = os.path.join(self.work, "factory.bin")
        r.run([self.ota, "image", "make", "--version", "0.0.1", "--project", "factory", "--size", "60K",
               factory], "setup: image")
        r.run([self.ota, "partition", "write", self.dev16, "factory", factory], "setup: factory app")
        r.run([self.ota, "boot", self.dev16], "setup: boot")
        with open(self.dev16 + ".state") as f:
            if "running=factory" not in f.read():
                die("the pristine device did not boot its factory app")
        # ESP-ADF example layout (ota_0/ota_1/flash_tone 1 MiB each) for the device-time runs.
        self.dev4 = os.path.join(self.work, "dev4.pristine.bin")
        r.run([self.ota, "flash", "create", self.dev4], "setup: ESP-ADF example device")
        self.images = {}
        for i, n in enumerate(sorted(set(self.e2e_sizes + self.scale_sizes + self.cg_sizes + [1 * MIB]))):
            path = os.path.join(self.www, f"app_{n}.bin")
            r.run([self.ota, "image", "make", "--version", "1.0.0", "--project", "bench", "--size", str(n),
                   "--seed", str(i + 1), path])
            if os.path.getsize(path) != n:
                die(f"{path}: {os.path.getsize(path)} bytes, wanted {n}")
            with open(path, "rb") as f:
                self.images[n] = (path, hashlib.sha256(f.read()).hexdigest())
        self.tone = os.path.join(self.testdata, "esp-adf", "flash_tone_fmt0.bin")
        if not os.path.exists(self.tone):
            die(f"{self.tone} missing (set OTA_TESTDATA to the shared testdata directory)")
        self.ca, cert, key = make_pki(r, os.path.join(self.work, "pki"))
        self.nginx = Nginx(self.www, os.path.join(self.work, "nginx"), cert, key)

    # -- 1. end to end ---------------------------------------------------------------------------

    def reset_device(self, dev):
        """Put the pristine device back (not timed). The flash file is overwritten in place: a fresh
        copy would leave 16 MiB of not-yet-allocated dirty pages (ext4 delayed allocation), and the
        journal commit behind any fsync in the next run would have to write them out first — a cost
        of the reset, not of the update (measured: an fsync of 18-46 ms instead of < 1 ms)."""
        if not hasattr(self, "_pristine"):
            with open(self.dev16, "rb") as f:
                self._pristine = f.read()
        if os.path.exists(dev) and os.path.getsize(dev) == len(self._pristine):
            with open(dev, "r+b") as f:
                f.write(self._pristine)
        else:
            with open(dev, "wb") as f:
                f.write(self._pristine)
                f.flush()
                os.fsync(f.fileno())
        shutil.copyfile(self.dev16 + ".state", dev + ".state")

    def timed_sh(self, line, kind):
        self.rec.note(kind, line)
        t0 = time.perf_counter()
        p = subprocess.run(["sh", "-c", line], env=self.rec.env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        t = time.perf_counter() - t0
        if p.returncode != 0:
            die(f"`{line}` exited {p.returncode}: {p.stderr[-1500:]}")
        return t

    def check_slot(self, dev, n):
        path, digest = self.images[n]
        with open(dev, "rb") as f:
            f.seek(SLOT_16M_OFFSET)
            got = hashlib.sha256(f.read(n)).hexdigest()
        if got != digest:
            die(f"{dev}: ota_0 does not hold {path} after `ota run`")
        with open(dev + ".state") as f:
            if "running=ota_0" not in f.read():
                die(f"{dev}: the device did not boot ota_0 after `ota run`")

    def e2e(self):
        dev = os.path.join(self.work, "dev16.bin")
        out = os.path.join(self.work, "curl.out")
        results = []
        for transport in ("http", "file"):
            for n in self.e2e_sizes:
                path, digest = self.images[n]
                if transport == "http":
                    uri = self.nginx.url(os.path.basename(path))
                    a_line = f"{shq(self.ota)} run {shq(dev)} --app-uri {shq(uri)} --data-uri ''"
                    b_line = f"curl -s -o {shq(out)} {shq(uri)} && openssl dgst -sha256 {shq(out)}"
                else:
                    uri = "file://" + path
                    a_line = f"{shq(self.ota)} run {shq(dev)} --app-uri {shq(uri)} --data-uri ''"
                    b_line = f"cat {shq(path)} | openssl dgst -sha256"
                # warm-up and correctness, not timed
                self.reset_device(dev)
                self.timed_sh(a_line, f"e2e A ({transport})")
                self.check_slot(dev, n)
                p = subprocess.run(["sh", "-c", b_line], env=self.rec.env, stdout=subprocess.PIPE, text=True)
                self.rec.note(f"e2e B ({transport})", b_line)
                if digest not in p.stdout:
                    die(f"baseline `{b_line}` printed {p.stdout!r}, not {digest}")
                a, b, ratios = [], [], []
                for _ in range(self.pairs):
                    self.reset_device(dev)  # not timed
                    ta = self.timed_sh(a_line, f"e2e A ({transport})")
                    tb = self.timed_sh(b_line, f"e2e B ({transport})")
                    a.append(ta)
                    b.append(tb)
                    ratios.append(ta / tb)
                r = {"transport": transport, "bytes": n, "a": a, "b": b, "ratios": ratios,
                     "a_med": median(a), "b_med": median(b), "ratio": median(ratios)}
                results.append(r)
                self.log(f"e2e {transport} {size_name(n)}: ota run {fmt_ms(r['a_med'])}, baseline "
                         f"{fmt_ms(r['b_med'])}, ratio {r['ratio']:.2f}")
        self.e2e_results = results
        for r in results:
            http = r["transport"] == "http"
            target = "≤ 1.10×" if http else "(none)"
            verdict = ("met" if r["ratio"] <= 1.10 else "MISSED") if http else ""
            base = "curl -o + openssl dgst" if http else "cat \\| openssl dgst"
            self.row("1 end to end", f"`ota run` {r['transport']}:// {size_name(r['bytes'])} "
                     f"({self.pairs} pairs)", f"{fmt_ms(r['a_med'])} ({fmt_rate(r['bytes'], r['a_med'])})",
                     f"{base}: {fmt_ms(r['b_med'])}", f"{r['ratio']:.3f}×", target, verdict)
            if http and r["ratio"] > 1.10:
                self.misses.append(("e2e", r))
        # cost model over the sizes: fixed + per byte, for `ota run` and for the baseline
        self.fits = {}
        for transport in ("http", "file"):
            rs = [r for r in results if r["transport"] == transport]
            if len(rs) >= 2:
                xs = [r["bytes"] for r in rs]
                fa, sa = linear_fit(xs, [r["a_med"] for r in rs])
                fb, sb = linear_fit(xs, [r["b_med"] for r in rs])
                self.fits[transport] = (fa, sa, fb, sb)
                self.row("1 end to end", f"cost model over the sizes, {transport}:// (least squares on medians)",
                         f"`ota run`: {fmt_ms(fa)} + {sa * 1e9:.2f} ns/B",
                         f"baseline: {fmt_ms(fb)} + {sb * 1e9:.2f} ns/B", f"{sa / sb:.2f}× per byte", "", "")
        self.syscalls(dev, results)
        lines = ["| transport | size | ota run, each pair (ms) | baseline, each pair (ms) | ratio per pair |",
                 "|---|---|---|---|---|"]
        for r in results:
            lines.append(f"| {r['transport']} | {size_name(r['bytes'])} | "
                         f"{' '.join(f'{x * 1e3:.0f}' for x in r['a'])} | {' '.join(f'{x * 1e3:.0f}' for x in r['b'])}"
                         f" | {' '.join(f'{x:.2f}' for x in r['ratios'])} |")
        self.details.append(("End-to-end pairs (A then B, device reset before each A, not timed)",
                             "\n".join(lines)))

    def syscalls(self, dev, results):
        """Time `ota run` spends blocked in the syscalls that do not scale with work done in user
        space: fsync & co. and munmap (strace -T, separate runs, not the timed ones)."""
        if not shutil.which("strace"):
            self.row("1 end to end", "`ota run` time in fsync/munmap", "not measured (strace missing)", "", "", "", "")
            return
        r = max((x for x in results if x["transport"] == "http"), key=lambda x: x["bytes"])
        uri = self.nginx.url(os.path.basename(self.images[r["bytes"]][0]))
        trace = os.path.join(self.work, "strace.txt")
        sums = {}
        for _ in range(3):
            self.reset_device(dev)
            cmd = ["strace", "-f", "-T", "-e", "trace=fsync,fdatasync,msync,sync_file_range,munmap", "-o", trace,
                   self.ota, "run", dev, "--app-uri", uri, "--data-uri", ""]
            self.rec.run(cmd, "strace ota run")
            per = {}
            with open(trace) as f:
                for line in f:
                    m = re.search(r"\b(fsync|fdatasync|msync|sync_file_range|munmap)\(.*<([\d.]+)>\s*$", line)
                    if m:
                        per[m.group(1)] = per.get(m.group(1), 0.0) + float(m.group(2))
            for k, v in per.items():
                sums.setdefault(k, []).append(v)
        self.sync = {k: median(v) for k, v in sums.items()}
        callers = []
        for top in ("src", "tools", "examples"):
            for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
                for fn in files:
                    if fn.endswith(".c"):
                        with open(os.path.join(dirpath, fn), errors="replace") as f:
                            if re.search(r"\b(fsync|fdatasync|msync)\s*\(", f.read()):
                                callers.append(os.path.relpath(os.path.join(dirpath, fn), ROOT))
        self.sync_callers = callers
        syncs = sum(v for k, v in self.sync.items() if k != "munmap")
        self.row("1 end to end", f"`ota run` blocked in fsync (caller: {', '.join(callers) or 'none'}) / munmap, "
                 f"http:// {size_name(r['bytes'])} (strace -T, median of 3)",
                 f"{fmt_ms(syncs)} / {fmt_ms(self.sync.get('munmap', 0.0))}",
                 f"`ota run` median {fmt_ms(r['a_med'])}", f"{syncs / r['a_med']:.0%} of it", "", "")

    # -- in-process runs (ota_bench) -------------------------------------------------------------

    def update(self, uri, repeat, phases=False, boot=False, cacert=None, kind="ota_bench update"):
        cmd = [self.ob, "update", "--device", self.dev16, "--running", "factory", "--uri", uri,
               "--repeat", str(repeat)]
        if phases:
            cmd.append("--phases")
        if boot:
            cmd.append("--boot")
        if cacert:
            cmd += ["--cacert", cacert]
        runs = self.rec.jsonl(cmd, kind)
        if len(runs) != repeat:
            die(f"{' '.join(cmd)}: {len(runs)} results")
        return runs

    def sha(self, n, repeat):
        path, digest = self.images[n]
        runs = self.rec.jsonl([self.ob, "sha", path, "--repeat", str(repeat)], "ota_bench sha")
        if runs[0]["sha256"] != digest:
            die("ota_bench sha disagrees with hashlib")
        return runs

    # -- 2. CPU per byte -------------------------------------------------------------------------

    def cpu(self):
        d = os.path.join(self.work, "callgrind")
        os.makedirs(d, exist_ok=True)
        self.cg = {}
        for n in self.cg_sizes:
            path, _ = self.images[n]
            out = os.path.join(d, f"service_{n}.out")
            ir = callgrind(self.rec, [self.ob, "update", "--device", self.dev16, "--running", "factory", "--uri",
                                      "file://" + path], "bench_service_run", out, "callgrind service")
            sha_ir = callgrind(self.rec, [self.ob, "sha", path], "bench_sha_run",
                               os.path.join(d, f"sha_{n}.out"), "callgrind sha")
            self.cg[n] = (ir, sha_ir, out)
            self.log(f"callgrind {size_name(n)}: service {ir / n:.1f} instr/B, SHA-256 {sha_ir / n:.1f} instr/B")
        big = max(self.cg_sizes)
        small = min(self.cg_sizes)
        ir, sha_ir, big_out = self.cg[big]
        label_anonymous(big_out)
        slope = (self.cg[big][0] - self.cg[small][0]) / (big - small)
        sha_slope = (self.cg[big][1] - self.cg[small][1]) / (big - small)
        self.cpu_figures = {"ir_per_byte": ir / big, "sha_per_byte": sha_ir / big, "slope": slope,
                            "sha_slope": sha_slope, "fixed": self.cg[small][0] - slope * small}
        self.row("2 CPU per byte", f"service data path, file:// {size_name(big)} into RAM flash (callgrind)",
                 f"{ir / big:.1f} instr/B", f"SHA-256 alone: {sha_ir / big:.1f} instr/B",
                 f"{(ir / big) / (sha_ir / big):.2f}×", "", "")
        self.row("2 CPU per byte", f"marginal cost per byte ({size_name(small)} → {size_name(big)})",
                 f"{slope:.2f} instr/B + {fmt_int(self.cpu_figures['fixed'])} instr fixed",
                 f"SHA-256: {sha_slope:.2f} instr/B", f"{slope / sha_slope:.2f}×", "", "")
        # where the service's instructions per byte go
        incl = {func_name(name): v for v, name in annotate(big_out, True)}
        selfc = annotate(big_out, False)
        sha_total = incl.get("SHA256_Update", 0)
        passes = callers_of(big_out, "ota_image_validator_feed")
        self.cpu_split = {"sha": sha_total / big, "passes": [(name, v / big, calls) for v, name, calls in passes]}
        parts = ", ".join(f"{name} {v:.1f}" for name, v, _ in self.cpu_split["passes"] if v >= 0.5)
        self.row("2 CPU per byte", "… of which SHA-256 (SHA256_Update, inclusive)", f"{sha_total / big:.1f} instr/B",
                 f"validator feeds by caller: {parts} instr/B", f"{sha_total / ir:.0%} of the service", "", "")
        lines = ["| instructions (self) | per image byte | share | function |", "|---:|---:|---:|---|"]
        for v, name in selfc[:12]:
            lines.append(f"| {fmt_int(v)} | {v / big:.2f} | {100 * v / ir:.1f}% | {func_name(name)} |")
        lines += ["", "Callers of the image validator (every feed hashes its bytes):", "",
                  "| instructions (inclusive) | per image byte | caller | calls |", "|---:|---:|---|---:|"]
        for v, name, calls in passes:
            lines.append(f"| {fmt_int(v)} | {v / big:.2f} | {name} | {calls} |")
        self.details.append((f"Instruction profile of the service data path (callgrind, file:// {size_name(big)} "
                             f"into RAM flash, {fmt_int(ir)} instructions in bench_service_run)", "\n".join(lines)))
        # native: one SHA-256 pass vs the service, same image, same backend
        n = max(self.scale_sizes)
        shas = self.sha(n, self.repeat)
        self.sha_backend = shas[0]["backend"]
        self.sha_native = median([r["ns"] for r in shas]) / 1e9
        self.sha_ns_per_byte = self.sha_native / n
        self.row("2 CPU per byte", f"SHA-256 alone, native ({self.sha_backend}), {size_name(n)}",
                 f"{self.sha_native * 1e9 / n:.2f} ns/B ({fmt_rate(n, self.sha_native)})", "", "", "", "")
        # profile of what `ota run` does per update (restart and boot verification included)
        n = self.cg_profile_size
        path, _ = self.images[n]
        out = os.path.join(d, f"profile_boot_{n}.out")
        total = callgrind(self.rec, [self.ob, "update", "--device", self.dev16, "--running", "factory", "--uri",
                                     "file://" + path, "--boot"], "bench_service_run", out, "callgrind profile")
        self.profile = {"bytes": n, "total": total, "incl": annotate(out, True),
                        "passes": callers_of(out, "ota_image_validator_feed")}
        lines = ["| instructions (inclusive) | share | caller of the image validator | calls |", "|---:|---:|---|---:|"]
        for v, name, calls in self.profile["passes"]:
            lines.append(f"| {fmt_int(v)} | {100 * v / total:.1f}% | {name} | {calls} |")
        lines.append(f"| {fmt_int(self.incl_count('SHA256_Update'))} | "
                     f"{100 * self.incl_share('SHA256_Update'):.1f}% | (all SHA-256: SHA256_Update) | |")
        self.details.append((f"Instruction profile of one update as `ota run` does it: service + restart + boot "
                             f"verification (callgrind, file:// {size_name(n)}, {fmt_int(total)} instructions)",
                             "\n".join(lines)))

    def incl_count(self, func):
        for ir_, name in self.profile["incl"]:
            if func_name(name) == func:
                return ir_
        return 0

    def incl_share(self, func):
        for ir_, name in self.profile["incl"]:
            if func_name(name) == func:
                return ir_ / self.profile["total"]
        return 0.0

    # -- 3 + 5. memory and scaling ---------------------------------------------------------------

    def scaling(self):
        self.scale = {}
        for n in self.scale_sizes:
            path, _ = self.images[n]
            rec = {}
            for transport in ("file", "http"):
                uri = "file://" + path if transport == "file" else self.nginx.url(os.path.basename(path))
                runs = self.update(uri, self.repeat + 1, kind=f"ota_bench update ({transport})")
                steady = runs[1:]  # the first run pays libcurl's and OpenSSL's one-time set-up
                rec[transport] = {
                    "s": median([r["ns"] for r in steady]) / 1e9,
                    "ota_peak": max(r["ota_mem"]["peak"] for r in steady),
                    "ota_allocs": steady[-1]["ota_mem"]["allocations"],
                    "ota_leaked": max(r["ota_mem"]["leaked"] for r in steady),
                    "malloc_peak": max(r["malloc"]["peak"] for r in steady),
                    "malloc_allocs": steady[-1]["malloc"]["allocations"],
                    "malloc_available": steady[-1]["malloc"]["available"],
                    "first": runs[0],
                    "flash": steady[-1]["flash"],
                    "sizes": steady[-1]["malloc"].get("sizes", []),
                }
            self.scale[n] = rec
            self.log(f"scaling {size_name(n)}: file {fmt_rate(n, rec['file']['s'])}, http "
                     f"{fmt_rate(n, rec['http']['s'])}, heap {rec['file']['ota_peak']} / {rec['http']['ota_peak']} B")
        n = max(self.scale_sizes)
        r = self.scale[n]
        self.row("2 CPU per byte", f"service, native, file:// {size_name(n)} into RAM flash (in-process, no boot)",
                 f"{r['file']['s'] * 1e9 / n:.2f} ns/B", f"SHA-256 alone: {self.sha_ns_per_byte * 1e9:.2f} ns/B",
                 f"{r['file']['s'] / n / self.sha_ns_per_byte:.2f}×", "", "")
        ff, fh = r["file"]["flash"], r["http"]["flash"]
        self.row("4 device time", f"{size_name(n)} app, http:// vs file:// source (same image, RAM flash)",
                 f"{fmt_int(fh['program_pages'])} vs {fmt_int(ff['program_pages'])} page programs, "
                 f"{fmt_int(fh['program_ops'])} vs {fmt_int(ff['program_ops'])} program calls",
                 f"{fh['sim_ns'] / 1e9:.2f} s vs {ff['sim_ns'] / 1e9:.2f} s simulated",
                 f"{fh['sim_ns'] / ff['sim_ns']:.3f}×", "", "")
        self.short_reads = (fh, ff)
        for n in self.scale_sizes:
            r = self.scale[n]
            ipb = f"{self.cg[n][0] / n:.1f} instr/B" if n in self.cg else "-"
            self.row("5 scaling", f"{size_name(n)} update into RAM flash, in-process: file:// / http://",
                     f"{fmt_rate(n, r['file']['s'])} / {fmt_rate(n, r['http']['s'])}",
                     f"heap {fmt_int(r['file']['ota_peak'])} / {fmt_int(r['http']['ota_peak'])} B, "
                     f"{r['file']['ota_allocs']} / {r['http']['ota_allocs']} allocations", ipb, "", "")

    def memory(self):
        small, big = min(self.scale_sizes), max(self.scale_sizes)
        f_small, f_big = self.scale[small]["file"], self.scale[big]["file"]
        h_small, h_big = self.scale[small]["http"], self.scale[big]["http"]
        limit = 16 * KIB
        file_peak = max(self.scale[n]["file"]["ota_peak"] for n in self.scale_sizes)
        http_peak = max(self.scale[n]["http"]["ota_peak"] for n in self.scale_sizes)
        self.row("3 memory", "service heap high-water, file:// source (ota_mem)", f"{fmt_int(file_peak)} B",
                 f"{fmt_kib(file_peak)}", f"{file_peak / limit:.2f}× limit", "≤ 16 KiB",
                 "met" if file_peak <= limit else "MISSED")
        self.row("3 memory", "service heap high-water, http:// source (ota_mem, the HTTP source "
                 "included; libcurl's buffers are libcurl's)", f"{fmt_int(http_peak)} B", f"{fmt_kib(http_peak)}",
                 f"{http_peak / limit:.2f}× limit", "≤ 16 KiB", "met" if http_peak <= limit else "MISSED")
        if http_peak > limit:
            self.misses.append(("heap", http_peak))
        if file_peak > limit:
            self.misses.append(("heap_file", file_peak))
        per_chunk = len({self.scale[n]["file"]["ota_allocs"] for n in self.scale_sizes}) == 1
        http_same = len({self.scale[n]["http"]["ota_allocs"] for n in self.scale_sizes}) == 1
        chunks = (big - small) // 4096
        self.row("3 memory", f"service allocations per update, {size_name(small)} vs {size_name(big)} "
                 f"(file:// / http://)",
                 f"{f_small['ota_allocs']} vs {f_big['ota_allocs']} / {h_small['ota_allocs']} vs {h_big['ota_allocs']}",
                 f"{chunks:,} more 4 KiB chunks",
                 f"{(f_big['ota_allocs'] - f_small['ota_allocs']) / chunks:.3f} / "
                 f"{(h_big['ota_allocs'] - h_small['ota_allocs']) / chunks:.3f} per chunk",
                 "0 per chunk", "met" if per_chunk and http_same else "MISSED")
        if not (per_chunk and http_same):
            self.misses.append(("per_chunk", None))
        leaked = max(self.scale[n][t]["ota_leaked"] for n in self.scale_sizes for t in ("file", "http"))
        self.row("3 memory", "service bytes still allocated after an update", f"{leaked} B", "", "", "0", "met"
                 if leaked == 0 else "MISSED")
        if h_big["malloc_available"]:
            curl_small = h_small["malloc_allocs"] - h_small["ota_allocs"]
            curl_big = h_big["malloc_allocs"] - h_big["ota_allocs"]
            per = (curl_big - curl_small) / max(1, (big - small) / KIB)
            self.row("3 memory", "libcurl (+OpenSSL) heap high-water during an http:// update, steady state "
                     "(process malloc − service)", f"{fmt_int(h_big['malloc_peak'] - h_big['ota_peak'])} B",
                     f"first update in the process: {fmt_int(h_big['first']['malloc']['peak'])} B "
                     "(global init)", "", "excluded", "")
            self.row("3 memory", f"libcurl allocations per http:// update, {size_name(small)} vs {size_name(big)}",
                     f"{fmt_int(curl_small)} vs {fmt_int(curl_big)}",
                     f"{per * 1024:.2f} per MiB" if per > 0 else "none per chunk", "", "excluded", "")
            self.curl_alloc_per_mib = per * 1024
            tls = self.update(self.nginx.url(os.path.basename(self.images[1 * MIB][0]), tls=True), 2,
                              cacert=self.ca, kind="ota_bench update (https)")
            t0, t1 = tls
            self.row("3 memory", "https:// 1 MiB update: whole-process heap high-water (TLS + libcurl + "
                     "service)", f"{fmt_int(t1['malloc']['peak'])} B",
                     f"first in process: {fmt_int(t0['malloc']['peak'])} B", "",
                     f"service part: {fmt_int(t1['ota_mem']['peak'])} B", "")
        else:
            self.row("3 memory", "libcurl/OpenSSL heap", "not measured (sanitizer build)", "", "", "", "")

    # -- 4. device time --------------------------------------------------------------------------

    def devtime(self):
        self.dev_results = {}
        for label, image, extra in (("1 MiB app", self.images[1 * MIB][0], []),
                                    ("tone partition (flash_tone_fmt0.bin)", self.tone, ["--data", "flash_tone"])):
            runs = self.rec.jsonl([self.ob, "devtime", "--device", self.dev4, "--image", image, *extra],
                                  "ota_bench devtime")
            by = {r["what"]: r for r in runs if r["cmd"] == "devtime"}
            target = next(r for r in runs if r["cmd"] == "devtime_target")
            self.dev_results[label] = (by, target)
            svc, floor = by["service"], by["floor"]
            ratio = svc["flash"]["sim_ns"] / floor["flash"]["sim_ns"]
            is_app = label.startswith("1 MiB")
            self.row("4 device time", f"{label} → {target['label']}: the service", f"{svc['flash']['sim_ns'] / 1e9:.3f} s",
                     f"floor {floor['flash']['sim_ns'] / 1e9:.3f} s", f"{ratio:.3f}×", "≤ 1.10×" if is_app else "",
                     ("met" if ratio <= 1.10 else "MISSED") if is_app else "")
            if is_app and ratio > 1.10:
                self.misses.append(("devtime", (svc, floor)))
            for what, desc in (("espadf_sectors", "ESP-ADF-like: whole slot erased up front in 4 KiB sectors"),
                               ("espadf_erase_range", "ESP-IDF erase_range of the whole slot (64 KiB blocks)")):
                r = by[what]
                self.row("4 device time", f"{label}: {desc}", f"{r['flash']['sim_ns'] / 1e9:.3f} s",
                         f"floor {floor['flash']['sim_ns'] / 1e9:.3f} s",
                         f"{r['flash']['sim_ns'] / floor['flash']['sim_ns']:.3f}×", "", "")
        lines = ["| update | strategy | sim time | erase | program | read | sector erases | block erases | "
                 "bytes erased | program calls | page programs | reads | bytes read |",
                 "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for label, (by, target) in self.dev_results.items():
            for what in ("service", "floor", "espadf_sectors", "espadf_erase_range"):
                r, f = by[what], by[what]["flash"]
                lines.append(f"| {label} ({fmt_int(r['bytes'])} B → {target['label']}, {fmt_int(target['size'])} B) "
                             f"| {what} | {f['sim_ns'] / 1e9:.3f} s | {r['erase_ns'] / 1e9:.3f} s | "
                             f"{r['program_ns'] / 1e9:.3f} s | {r['read_ns'] / 1e9:.3f} s | {f['sector_erases']} | "
                             f"{f['block_erases']} | {fmt_int(f['erase_bytes'])} | {fmt_int(f['program_ops'])} | "
                             f"{fmt_int(f['program_pages'])} | {fmt_int(f['read_ops'])} | {fmt_int(f['read_bytes'])} |")
        t = next(iter(self.dev_results.values()))[0]["floor"]["timing"]
        lines += ["", f"Timing model (ota_flash_emu defaults, W25Q32 typical): sector erase {t['sector_erase_us']} µs, "
                  f"block erase {t['block_erase_us']} µs, page program {t['page_program_us']} µs, reads "
                  f"{t['read_setup_clocks']} clocks + 8/{t['read_bus_width']} clocks per byte at "
                  f"{t['read_clock_hz'] / 1e6:.0f} MHz. Floor: cheapest erase cover of the image's bytes "
                  "(64 KiB blocks, sectors where fewer sectors cost less than a block) + one page program per "
                  "256 B, no reads. The service row counts everything the update does to the chip (journal, "
                  "checkpoints, the final rewrite of sector 0, read-back verification, otadata)."]
        self.details.append(("Device time: operations (RAM emulator, the ESP-ADF example's 4 MiB layout)",
                             "\n".join(lines)))

    # -- native breakdown (for the analysis) -----------------------------------------------------

    def breakdown(self):
        n = max(self.scale_sizes)
        path, _ = self.images[n]
        self.phases = {}
        for transport in ("file", "http"):
            uri = "file://" + path if transport == "file" else self.nginx.url(os.path.basename(path))
            runs = self.update(uri, self.repeat + 1, phases=True, boot=True, kind="ota_bench update --phases --boot")
            steady = runs[1:]
            med = lambda key: median([r["phases"][key] for r in steady]) / 1e9  # noqa: E731
            total = median([r["ns"] for r in steady]) / 1e9
            boot = median([r["boot_ns"] for r in steady]) / 1e9
            p = {"total": total, "boot": boot, "source": med("source_ns"), "program": med("flash_program_ns"),
                 "erase": med("flash_erase_ns"), "read": med("flash_read_ns")}
            p["rest"] = total - boot - p["source"] - p["program"] - p["erase"] - p["read"]
            self.phases[transport] = p
        lines = ["| source | total | boot verification | source reads | flash program | flash erase | flash read "
                 "| the rest (validator + SHA-256 + copies) | one SHA-256 pass alone |",
                 "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for t, p in self.phases.items():
            lines.append(f"| {t}:// {size_name(n)} | {fmt_ms(p['total'])} | {fmt_ms(p['boot'])} | {fmt_ms(p['source'])} | "
                         f"{fmt_ms(p['program'])} | {fmt_ms(p['erase'])} | {fmt_ms(p['read'])} | {fmt_ms(p['rest'])} | "
                         f"{fmt_ms(self.sha_native)} |")
        self.details.append((f"Where the wall-clock time of one update goes (ota_bench --phases --boot, RAM "
                             f"flash, median of {self.repeat}; flash and source calls timed individually)",
                             "\n".join(lines)))

    # -- analysis --------------------------------------------------------------------------------

    def analyse(self):
        prof = self.profile
        sha_share = self.incl_share("SHA256_Update")
        pass_txt = "; ".join(f"{name} {100 * ir / prof['total']:.1f}%" for ir, name, _ in prof["passes"]
                             if ir / prof["total"] >= 0.005)
        e2e = [d for k, d in self.misses if k == "e2e"]
        if e2e:
            sizes = ", ".join(f"{size_name(r['bytes'])} {r['ratio']:.3f}×" for r in e2e)
            met = [r for r in self.e2e_results if r["transport"] == "http" and r["ratio"] <= 1.10]
            met_txt = ", ".join(f"{size_name(r['bytes'])} {r['ratio']:.3f}×" for r in met)
            text = [f"**End to end over http://, `ota run` against `curl -o` + `openssl dgst -sha256` misses "
                    f"1.10× at {sizes}**" + (f" (met at {met_txt})" if met else "") + "."]
            syncs = sum(v for k, v in getattr(self, "sync", {}).items() if k != "munmap")
            one = self.sha_ns_per_byte
            if "http" in self.fits:
                fa, sa, fb, sb = self.fits["http"]
                r = max(e2e, key=lambda x: x["bytes"])
                n = r["bytes"]
                excess = (r["ratio"] - 1.10) * r["b_med"]
                fixed_part = fa - 1.10 * fb
                byte_part = (sa - 1.10 * sb) * n
                text.append(
                    f"Cost model over the sizes (least squares on the medians): `ota run` {fmt_ms(fa)} + "
                    f"{sa * 1e9:.2f} ns/B, the baseline {fmt_ms(fb)} + {sb * 1e9:.2f} ns/B. At {size_name(n)} "
                    f"`ota run` is about {fmt_ms(excess)} over the 1.10× limit; against 1.10× the baseline the "
                    f"model gives the fixed part {fmt_ms(fixed_part)} and the per-byte part {fmt_ms(byte_part)}: "
                    f"the miss is {'per byte' if byte_part >= fixed_part else 'a fixed cost'}.")
                passes = [name for ir, name, _ in prof["passes"] if ir / prof["total"] >= 0.05]
                others = [p for p in passes if p != "image_feed"]  # the app procedure's verifier (app_proc.c)
                text.append(
                    f"Per byte, the baseline hashes the image once; an update as `ota run` does it hashes it "
                    f"{len(passes)} times (callgrind over one update, {size_name(prof['bytes'])}: SHA-256 is "
                    f"{100 * sha_share:.1f}% of all instructions; by caller of the image validator: {pass_txt}). "
                    f"Besides the stream's own pass (image_feed, the app procedure's verifier): "
                    + (", ".join(others) if others else "none")
                    + (", the bootloader verifying the image it boots after the restart - what a real ESP32 "
                       "does, kept on purpose" if "ota_image_verify_partition" in others else "")
                    + f". Natively one pass costs {one * 1e9:.2f} ns/B ({self.sha_backend}, with SHA-NI), against a "
                    f"measured per-byte difference of {(sa - sb) * 1e9:.2f} ns/B; the rest is copies (libcurl's download "
                    f"buffer into the service's, a piece that does not fit parked with libcurl and handed over again; the "
                    f"read-back comparison of every program), while the baseline pays "
                    f"for writing the file and reading it again. What limits the ratio is the verified boot: "
                    f"without it, one pass ({fmt_ms(one * n)} at {size_name(n)}) less.")
                text.append(
                    f"Fixed cost: `ota run` spends {fmt_ms(syncs)} in fsync (strace -T; the only caller is "
                    f"{', '.join(self.sync_callers) or '?'}: the state sidecar) and "
                    f"{fmt_ms(self.sync.get('munmap', 0.0))} in munmap of the flash mapping.")
            if syncs > 0.1 * 0.10 * min(r["b_med"] for r in e2e):
                text.append(f"Also: the sidecar's fsync ({fmt_ms(syncs)}) could go (the rename is atomic against the "
                            f"process crash the host models, and the flash mapping itself is never msync'ed).")
            self.notes.append(" ".join(text))
        for kind, data in self.misses:
            if kind in ("heap", "heap_file"):
                file_peak = max(self.scale[n]["file"]["ota_peak"] for n in self.scale_sizes)
                sizes = self.scale[min(self.scale_sizes)]["file"]["sizes"]
                self.notes.append(
                    f"**Service heap with an http:// source: {fmt_int(data)} B against 16,384 B** (missed by "
                    f"{fmt_int(data - 16 * KIB)} B). With a file:// source the same service peaks at "
                    f"{fmt_int(file_peak)} B; the difference ({fmt_int(data - file_peak)} B) is the HTTP "
                    f"source's state (src/port/posix/source_http.c; it keeps no receive buffer). The service's own blocks (file://, in allocation order, ota_malloc's 16-byte header "
                    f"included): {', '.join(fmt_int(x) for x in sizes)}.")
            elif kind == "devtime":
                svc, floor = data
                self.notes.append(
                    f"**Device time of the 1 MiB app update: "
                    f"{svc['flash']['sim_ns'] / floor['flash']['sim_ns']:.3f}× the floor** (target 1.10×).")
            elif kind == "per_chunk":
                self.notes.append("**The service's allocations grow with the image size**: see section 3.")
        svc_app = self.dev_results["1 MiB app"][0]
        s_, f_ = svc_app["service"], svc_app["floor"]
        self.notes.append(
            f"Device time (met): the 1 MiB app update needs {s_['flash']['sim_ns'] / 1e9:.3f} s of chip time "
            f"against a floor of {f_['flash']['sim_ns'] / 1e9:.3f} s ({s_['flash']['sim_ns'] / f_['flash']['sim_ns']:.3f}×); "
            f"an ESP-ADF-like update that first erases the whole slot in 4 KiB sectors needs "
            f"{svc_app['espadf_sectors']['flash']['sim_ns'] / 1e9:.3f} s. The excess over the floor: reads "
            f"{s_['read_ns'] / 1e9:.3f} s (read-back verification), "
            f"{s_['flash']['sector_erases']} sector erases (sector 0 again at the commit, otadata), "
            f"{fmt_int(s_['flash']['program_pages'] - f_['flash']['program_pages'])} extra page programs "
            f"(install journal, checkpoints, sector 0 rewritten, otadata).")
        tone, _target = self.dev_results["tone partition (flash_tone_fmt0.bin)"]
        ts, tf = tone["service"], tone["floor"]
        self.notes.append(
            f"Tone partition ({fmt_int(ts['bytes'])} B, no target; the partition starts out full of a previous "
            f"image, and the update leaves the new image followed by erased flash to the partition's end, as "
            f"ESP-ADF does - the floor erases the whole partition too): "
            f"{ts['flash']['sim_ns'] / tf['flash']['sim_ns']:.3f}× "
            f"the floor ({ts['flash']['sim_ns'] / 1e9:.3f} s vs {tf['flash']['sim_ns'] / 1e9:.3f} s). Erases: "
            f"{ts['flash']['block_erases']} blocks + {ts['flash']['sector_erases']} sectors (floor: "
            f"{tf['flash']['block_erases']} + {tf['flash']['sector_erases']}); "
            f"{fmt_int(ts['flash']['program_pages'] - tf['flash']['program_pages'])} extra page programs "
            f"(install journal, checkpoints, sector 0 rewritten); reads {ts['read_ns'] / 1e9:.3f} s "
            f"(read-back verification).")
        if getattr(self, "curl_alloc_per_mib", 0) > 0:
            self.notes.append(
                f"libcurl (excluded from the target) allocates about {self.curl_alloc_per_mib:.0f} times per MiB "
                f"of body: when a write callback arrives before the previous one is drained, the HTTP source "
                f"answers CURL_WRITEFUNC_PAUSE and libcurl keeps that piece in a buffer it allocates per pause. "
                f"(Pausing from inside the callback with curl_easy_pause instead was tried and made it worse: "
                f"libcurl then re-registers the socket at every pause/unpause.)")
        fh, ff = self.short_reads
        if fh["program_pages"] > ff["program_pages"]:
            extra = fh["program_pages"] - ff["program_pages"]
            self.notes.append(
                f"Short reads cost page programs: the same {size_name(max(self.scale_sizes))} app from http:// needs "
                f"{fmt_int(extra)} more page programs than from file:// ({fmt_int(fh['program_ops'])} vs "
                f"{fmt_int(ff['program_ops'])} program calls; {(fh['sim_ns'] - ff['sim_ns']) / 1e9:.2f} s of simulated "
                f"time, {fh['sim_ns'] / ff['sim_ns'] - 1:.1%}): the HTTP source returns what one libcurl callback "
                f"left, so the service programs pieces that do not start on a page boundary and every "
                f"boundary-straddling page is programmed twice. Proposal (src/service/item.c ota_item_read, or "
                f"the writer): fill the 4 KiB work buffer before writing (loop over short reads, checking the "
                f"stop request between them), so programs stay page-aligned whatever the source.")

    # -- output ----------------------------------------------------------------------------------

    def table(self):
        head = ["#", "measurement", "measured", "reference", "ratio", "target", "verdict"]
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
        for row in sorted(self.rows, key=lambda r: int(r[0].split()[0])):
            lines.append("| " + " | ".join(str(c) for c in row) + " |")
        return "\n".join(lines)

    def write(self, started, wall, others, machine):
        table = self.table()
        print(table)
        out = self.args.out or (os.path.join(self.work, "BENCHMARKS.quick.md") if self.quick
                                else os.path.join(self.work, "BENCHMARKS.only.md") if self.only
                                else os.path.join(ROOT, "BENCHMARKS.md"))
        mcu = mcu_block(out if os.path.exists(out) else os.path.join(ROOT, "BENCHMARKS.md"))
        md = ["# Benchmarks", "",
              f"Written by `make bench` (bench/bench.py{' --quick' if self.quick else ''}) on "
              f"{started.strftime('%Y-%m-%d %H:%M UTC')}; every figure below comes from that run (nothing "
              f"typed by hand), except the microcontroller section, which `make mcu` writes. Targets: DESIGN.md "
              f"§7, issue 11 (section 6), issue 13 (section 7), the release design (section 8). The run took {wall:.0f} s."
              + (f" Sections run: {', '.join(sorted(self.only))} only (`--only`)." if self.only else "")
              + " Wall-clock time per part: " + ", ".join(f"{k} {v:.0f} s" for k, v in self.timings) + ".", "",
              "## Machine", ""]
        md += [f"- {k}: {v}" for k, v in machine.items()]
        shared = ("the machine was shared: wall-clock figures are noisy; pairs are alternated and medians "
                  "taken; callgrind counts and simulated device times are unaffected" if others >= 0.05
                  else "the machine was otherwise idle")
        md += [f"- other processes used {others:.2f} CPU cores on average during the run ({shared})",
               "- the machine is shared with other engineers' builds and tests (and a libFuzzer job at nice 19): "
               "wall-clock figures carry that noise; the in-process timings of sections 6 and 7 use thread "
               "CPU time, callgrind counts and simulated device times do not depend on the load", "",
               "## Results", "", table, "",
               "Ratios of section 1 are the median of the per-pair ratios (A/B of each pair). Section 2 counts "
               "instructions with callgrind: valgrind does not emulate the SHA extensions, so under it OpenSSL "
               "runs its non-SHA-NI SHA-256 (instructions per byte are those of that code path; natively the "
               "machine has SHA-NI: see the native ns/B row and the breakdown below). Heap figures are bytes "
               "requested through ota_malloc (service) and usable bytes of every malloc in the process "
               "(libcurl/OpenSSL rows), from ota_bench's own counters.", ""]
        md += ["## Analysis", ""] + [f"- {n}" for n in self.notes + self.notes_new] + [""]
        for title, body in self.details:
            md += [f"## {title}", "", body, ""]
        md += ["## Commands", "", "Run: `make bench` (= `scripts/install-deps.sh bench`, a Release build in "
               "build/release, then `bench/run.sh build/release`); `bench/run.sh BUILD --quick` for a short run. "
               "One example of each command the run executed (paths and ports are this run's):", ""]
        sections = sorted({r[0] for r in self.rows}, key=lambda x: int(x.split()[0]))
        md += ["Which of them measured each section of the table:", ""]
        md += [f"- {sec}: {SECTION_COMMANDS.get(sec, '')}" for sec in sections]
        md += ["", "The commands:", ""]
        for kind, cmd in self.rec.examples.items():
            md.append(f"- {kind}: `{cmd}`")
        md.append("")
        if mcu:
            md += [mcu, ""]
        with open(out, "w") as f:
            f.write("\n".join(md))
        self.out_path = out
        self.log(f"wrote {out}")


# Which kinds of the Commands list measured each section's rows.
SECTION_COMMANDS = {
    "1 end to end": "e2e A/B (http, file), strace ota run",
    "2 CPU per byte": "callgrind service/sha/profile, ota_bench sha, ota_bench update",
    "3 memory": "ota_bench update (file, http, https)",
    "4 device time": "ota_bench devtime, ota_bench update",
    "5 scaling": "ota_bench update (file, http)",
    "6 secure": "ota_secure_bench_openssl/_mbedtls, callgrind verify, openssl speed, secure e2e A/B, "
                "ota_bench update (secure, ...)",
    "7 delta": "delta make / apply, delta make (2 MiB, timed), delta_bench, ota_bench update (delta / full)",
    "8 release": "ota_bench release, ota_bench space (set-up: release setup)",
}
# Sections other tools write into BENCHMARKS.md between their markers: `make mcu`
# (scripts/mcu_footprint.py) and the ESP-IDF footprint (scripts/esp_idf_check.py footprint).
KEPT_SECTIONS = (("<!-- mcu-footprint:begin", "<!-- mcu-footprint:end -->"),
                 ("<!-- esp-idf-footprint:begin", "<!-- esp-idf-footprint:end -->"))


def mcu_block(path):
    """The sections other tools keep in BENCHMARKS.md (KEPT_SECTIONS), markers included, or ''."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return ""
    blocks = []
    for begin, end in KEPT_SECTIONS:
        i, j = text.find(begin), text.find(end)
        if 0 <= i < j:
            blocks.append(text[i:j + len(end)])
    return "\n\n".join(blocks)


def machine_info(b):
    model = read_first("/proc/cpuinfo", r"model name\s*:\s*(.*)")
    flags = read_first("/proc/cpuinfo", r"flags\s*:\s*(.*)")
    perf_ok, perf_msg = perf_available()
    return {
        "CPU": f"{model}, `nproc` = {first_line(['nproc'])}, SHA-NI {'yes' if ' sha_ni' in ' ' + flags else 'no'}",
        "load average at start (1 / 5 / 15 min)": " / ".join(f"{x:.2f}" for x in b.load_at_start),
        "memory": read_first("/proc/meminfo", r"MemTotal:\s*(.*)"),
        "kernel": f"{platform.system()} {platform.release()}",
        "build": f"{cmake_cache(b.build, 'CMAKE_BUILD_TYPE')} "
                 f"({cmake_cache(b.build, 'CMAKE_C_FLAGS_RELEASE')}), "
                 f"{first_line([cmake_cache(b.build, 'CMAKE_C_COMPILER'), '--version'])}",
        "crypto backend": getattr(b, "sha_backend", "?"),
        "curl": first_line(["curl", "--version"]),
        "nginx": first_line(["nginx", "-v"]) if shutil.which("nginx") else first_line(["/usr/sbin/nginx", "-v"]),
        "valgrind": first_line(["valgrind", "--version"]),
        "perf": perf_msg,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--quick", action="store_true", help="fewer sizes, pairs and repeats (development)")
    ap.add_argument("--pairs", type=int, default=0, help="A/B pairs per end-to-end case (default 25, quick 5)")
    ap.add_argument("--out", help="markdown output (default BENCHMARKS.md; --quick: in the work directory)")
    ap.add_argument("--work", help="scratch directory (default BUILD/bench-work)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    ap.add_argument("--into", help="with --only release: put section 8 of this run into FILE (e.g. BENCHMARKS.md), "
                    "replacing its section 8 and leaving every other line")
    ap.add_argument("--only", help="comma-separated sections to run, of: secure, delta, release (development)")
    args = ap.parse_args()
    started = datetime.datetime.now(datetime.timezone.utc)
    t0, busy0, own0 = time.monotonic(), cpu_jiffies(), own_cpu_seconds()
    b = Bench(args)
    b.load_at_start = os.getloadavg()
    b.only = set(args.only.split(",")) if args.only else set()
    if b.only - {"secure", "delta", "release"}:
        die("--only: secure, delta and/or release")
    if args.into and b.only != {"release"}:
        die("--into goes with --only release")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bench_secure  # noqa: E402 (they import this file as the module `bench` for its helpers)
    import delta_bench  # noqa: E402
    import release_bench  # noqa: E402
    if b.pairs < 5 and not b.quick:
        die("at least 5 pairs")
    b.log(f"work directory {b.work}; {'quick' if b.quick else 'full'} run")
    def part(name, fn):
        b.log(name)
        t = time.monotonic()
        fn()
        b.timings.append((name, time.monotonic() - t))

    part("set-up", b.setup)
    with b.nginx:
        if not b.only:
            part("1 end to end", b.e2e)
            part("2 CPU per byte (callgrind)", b.cpu)
            part("3+5 memory and scaling", lambda: (b.scaling(), b.memory(), b.breakdown()))
        if not b.only or "secure" in b.only:
            part("6 secure boot and encrypted images", lambda: bench_secure.run(b))
    if not b.only:
        part("4 device time", b.devtime)
    if not b.only or "delta" in b.only:
        part("7 delta updates", lambda: delta_bench.run(b))
    if not b.only or "release" in b.only:
        part("8 release installed as one", lambda: release_bench.run(b))
    if not b.only:
        b.analyse()
    wall = time.monotonic() - t0
    hz = os.sysconf("SC_CLK_TCK")
    others = max(0.0, (cpu_jiffies() - busy0) / hz - (own_cpu_seconds() - own0)) / wall
    b.write(started, wall, others, machine_info(b))
    if args.into:
        release_bench.splice(b.out_path, args.into, started.strftime("%Y-%m-%d %H:%M UTC"))
        b.log(f"section 8 put into {args.into}")
    if not args.keep and (args.out or not (b.quick or b.only)):
        shutil.rmtree(b.work, ignore_errors=True)


if __name__ == "__main__":
    main()
