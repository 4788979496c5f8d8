"""Run a document's shell blocks as a reader typing them would (docs/CONVENTIONS.md).

One bash per document, started in a fresh directory with `ota` (the build's) first on PATH; each
block is sourced in it with `set -e -o pipefail`, so variables, `cd` and background jobs carry over
to the next block as in a terminal. A line `PORT=NNNN` is given a free port instead (PORT is also in
the environment), so servers never collide; a block whose last command ends with `&` started a
server: the next block waits until something listens on $PORT. At the end the shell's whole
process group (the servers) is killed.
"""
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

PORT_LINE = re.compile(r"^(?P<export>export[ \t]+)?PORT=\d+(?P<rest>[ \t]*(#.*)?)$", re.M)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False


def starts_server(text):
    cmds = [l.split(" #")[0].rstrip() for l in text.split("\n") if l.strip() and not l.lstrip().startswith("#")]
    return bool(cmds) and cmds[-1].endswith("&") and not cmds[-1].endswith("&&")


class BlockFailure(Exception):
    pass


class DocRunner:
    """with DocRunner(ota_dir) as r: r.run(block) for each block in order."""

    def __init__(self, bin_dirs, block_timeout=300, env=None, server_wait=30):
        self.bin_dirs = bin_dirs
        self.server_wait = server_wait
        self.block_timeout = block_timeout
        self.base_env = dict(env if env is not None else os.environ)
        self.port = free_port()

    def __enter__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="ota-doc-")
        self.work = os.path.join(self.tmp.name, "work")   # what the reader sees: empty at first
        self.ctl = os.path.join(self.tmp.name, "ctl")     # block scripts, outputs, statuses
        os.mkdir(self.work)
        os.mkdir(self.ctl)
        env = {k: v for k, v in self.base_env.items()
               if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "ftp_proxy", "no_proxy")}
        env.update(PATH=os.pathsep.join(self.bin_dirs + [env.get("PATH", "/usr/bin:/bin")]),
                   PORT=str(self.port), no_proxy="127.0.0.1,localhost", PWD=self.work)
        self.shell = subprocess.Popen(["bash", "--noprofile", "--norc"], stdin=subprocess.PIPE,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.work,
                                      env=env, text=True, start_new_session=True)
        self.n = 0
        return self

    def save(self, block):
        """A block the doc says to save as a file (```c ota_update.c): write it where the reader is.
        The shell's current directory is asked for, so a `cd` of an earlier block counts."""
        here = os.path.join(self.ctl, "pwd")
        self.shell.stdin.write(f"pwd >{here}.tmp && mv {here}.tmp {here}\n")
        self.shell.stdin.flush()
        deadline = time.monotonic() + 30
        while not os.path.exists(here) and time.monotonic() < deadline and self.shell.poll() is None:
            time.sleep(0.02)
        with open(here) as f:
            cwd = f.read().strip()
        os.remove(here)
        with open(os.path.join(cwd, block.filename), "w") as f:
            f.write(block.text)

    def run(self, block):
        """Run @block (an mdblocks.Block); returns its output; raises BlockFailure with the story."""
        self.n += 1
        script = os.path.join(self.ctl, f"b{self.n}.sh")
        out = os.path.join(self.ctl, f"o{self.n}")
        rc = os.path.join(self.ctl, f"r{self.n}")
        text = PORT_LINE.sub(lambda m: f"{m.group('export') or ''}PORT={self.port}{m.group('rest')}", block.text)
        with open(script, "w") as f:
            f.write(text)
        # errexit in the shell itself: a failing command ends the shell, whose status is the
        # command's; the outputs are appended, so a server started here may keep logging.
        self.shell.stdin.write(f"set -e -o pipefail\n{{ . {script} ; }} >>{out} 2>&1 </dev/null\n"
                               f"echo $? >{rc}.tmp && mv {rc}.tmp {rc}\n")
        self.shell.stdin.flush()
        deadline = time.monotonic() + self.block_timeout
        status = None
        while time.monotonic() < deadline:
            if os.path.exists(rc):
                with open(rc) as f:
                    status = int(f.read().strip())
                break
            if self.shell.poll() is not None:
                status = self.shell.returncode
                break
            time.sleep(0.02)
        output = open(out, errors="replace").read() if os.path.exists(out) else ""
        if status is None:
            raise BlockFailure(f"{block.where()}: still running after {self.block_timeout} s"
                               + self._story(block, output))
        if status != 0:
            raise BlockFailure(f"{block.where()}: exit status {status} (a command of the block failed)"
                               + self._story(block, output))
        if starts_server(block.text) and not wait_for_port(self.port, self.server_wait):
            raise BlockFailure(f"{block.where()}: the block ends with a background command, but nothing "
                               f"listens on $PORT ({self.port}) after {self.server_wait} s: a server must use $PORT"
                               + self._story(block, output))
        return output

    @staticmethod
    def _story(block, output):
        tail = output[-6000:]
        return f"\n--- block ---\n{block.text}--- output (last {len(tail)} bytes) ---\n{tail}"

    def __exit__(self, *exc):
        try:
            if self.shell.poll() is None:
                self.shell.stdin.write("exit 0\n")
                self.shell.stdin.flush()
        except (BrokenPipeError, OSError):
            pass
        for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 3)):
            try:
                os.killpg(self.shell.pid, sig)   # the shell's group: it and its background servers
            except ProcessLookupError:
                break
            try:
                self.shell.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        try:
            self.shell.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        self.shell.wait()
        self.tmp.cleanup()
