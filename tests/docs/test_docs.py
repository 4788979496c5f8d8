#!/usr/bin/env python3
"""Every shell block of README.md and docs/*.md runs as written and prints what the doc says.

Each document gets a fresh directory and one shell (tests/docs/docrun.py); its ```sh blocks run in
order as a reader continuing the page would, with the build's `ota` first on PATH. A block fails
the test when a command exits non-zero, when it ends with a server that never listens on $PORT,
or when a line of the ```text block right after it is missing from its output
(docs/CONVENTIONS.md, "Shell blocks in the docs"). The failure names the document, the line and
the block, and shows the block's output.
"""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import mdblocks  # noqa: E402
from docrun import BlockFailure, DocRunner  # noqa: E402
from otatest import BUILD_DIR, OTA, SOURCE_DIR, main  # noqa: E402

ROOT = SOURCE_DIR or os.path.abspath(os.path.join(HERE, "..", ".."))
_install = {}


def doc_env():
    """The reader's environment: this build installed into a temporary prefix (`make install`)
    and found by pkg-config; CFLAGS carries the sanitizers when the build is instrumented (its
    static library needs their runtimes at link time)."""
    env = dict(os.environ)
    if BUILD_DIR and "prefix" not in _install:
        import subprocess
        import tempfile
        _install["tmp"] = tempfile.TemporaryDirectory(prefix="ota-doc-prefix-")
        prefix = _install["prefix"] = _install["tmp"].name
        subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix", prefix], check=True,
                       capture_output=True, text=True)
        with open(os.path.join(BUILD_DIR, "CMakeCache.txt")) as f:
            _install["sanitize"] = "OTA_SANITIZE:BOOL=ON" in f.read()
    if "prefix" in _install:
        pcdirs = [os.path.join(_install["prefix"], d, "pkgconfig") for d in ("lib", "lib64", "lib/x86_64-linux-gnu")]
        env["PKG_CONFIG_PATH"] = os.pathsep.join(d for d in pcdirs if os.path.isdir(d))
        if _install["sanitize"]:
            env["CFLAGS"] = "-fsanitize=address,undefined"
    return env


def ota_dirs():
    """Directories to put first on PATH: the `ota` under test (a bare name means PATH's)."""
    return [os.path.dirname(os.path.abspath(OTA))] if os.sep in OTA else []


def run_document(doc, root=ROOT, server_wait=30):
    """Run @doc's shell blocks; returns the number of blocks run; raises AssertionError."""
    blocks = [b for b in mdblocks.parse(root, doc) if b.runnable or b.filename]
    with DocRunner(ota_dirs(), server_wait=server_wait, env=doc_env()) as runner:
        for b in blocks:
            if not b.runnable:
                runner.save(b)
                continue
            try:
                output = runner.run(b)
            except BlockFailure as e:
                raise AssertionError(str(e)) from None
            if b.expected is not None:
                missing = mdblocks.missing_lines(b.expected, output)
                if missing:
                    raise AssertionError(
                        f"{b.where()}: the ```text block after it says the output contains lines it "
                        f"does not:\n  " + "\n  ".join(missing) + DocRunner._story(b, output))
    return sum(1 for b in blocks if b.runnable)


class Documents(unittest.TestCase):
    def test_every_shell_block_runs(self):
        docs = mdblocks.user_docs(ROOT)
        self.assertIn("README.md", docs)
        ran = {}
        for doc in docs:
            with self.subTest(doc=doc):
                ran[doc] = run_document(doc)
        print("doc blocks run: " + ", ".join(f"{d} {n}" for d, n in ran.items() if n), flush=True)
        # the walk-throughs exist and are run (not turned into ```text to make the test pass)
        self.assertGreaterEqual(ran.get("README.md", 0), 2)
        self.assertGreaterEqual(ran.get("docs/ci.md", 0), 5)
        self.assertGreaterEqual(ran.get("docs/library.md", 0), 2)


class Conventions(unittest.TestCase):
    """The checker itself: it must fail where a reader would fail."""

    def write(self, d, text):
        os.makedirs(os.path.join(d, "docs"), exist_ok=True)
        with open(os.path.join(d, "docs", "t.md"), "w") as f:
            f.write(text)
        return "docs/t.md"

    def check(self, text):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            return run_document(self.write(d, text), root=d, server_wait=2)

    def test_failing_command_fails_naming_doc_and_block(self):
        with self.assertRaises(AssertionError) as cm:
            self.check("x\n\n```sh\ntrue\n```\n\n```bash\necho before\nfalse\necho after\n```\n")
        msg = str(cm.exception)
        self.assertIn("docs/t.md:7 (shell block 2, ```bash)", msg)
        self.assertIn("exit status 1", msg)
        self.assertIn("before", msg)
        self.assertNotIn("\nafter", msg)

    def test_expected_output(self):
        self.assertEqual(self.check("```sh\necho 'hello   world'; echo x >&2\n```\n\n```text\nhello world\n...\nx\n```\n"), 1)
        with self.assertRaises(AssertionError) as cm:
            self.check("```sh\necho hello\n```\n```text\nhello\ngoodbye\n```\n")
        self.assertIn("goodbye", str(cm.exception))
        # a ```text block that does not directly follow is not an expectation
        self.assertEqual(self.check("```sh\necho hello\n```\nprose\n```text\ngoodbye\n```\n"), 1)

    def test_blocks_share_directory_and_shell_but_not_other_fences(self):
        self.assertEqual(self.check("```sh\nA=1; echo hi > f\n```\n```console\nfalse\n```\n"
                                    "```shell\ntest \"$A\" = 1 && test -s f && test -z \"$(ls -A | grep -v '^f$')\"\n```\n"), 2)

    def test_fresh_directory_and_ota_on_path(self):
        self.assertEqual(self.check("```sh\ntest -z \"$(ls -A)\"\nota --version\n```\n\n```text\nota \n```\n"), 1)

    def test_saved_file(self):
        self.assertEqual(self.check("```sh\nmkdir src && cd src\n```\n```c hello.c\nint main(void) { return 0; }\n```\n"
                                    "```sh\ngrep -q 'int main' hello.c && test \"$(basename \"$PWD\")\" = src\n```\n"), 2)

    def test_port_and_server(self):
        n = self.check("```sh\nPORT=8080\nmkdir www && echo hi > www/a\n"
                       "python3 -m http.server $PORT --bind 127.0.0.1 --directory www &\n```\n"
                       "```sh\ntest $PORT != 8080\nota fetch http://127.0.0.1:$PORT/a a && cat a\n```\n```text\nhi\n```\n")
        self.assertEqual(n, 2)
        with self.assertRaises(AssertionError) as cm:
            self.check("```sh\nsleep 60 &\n```\n")
        self.assertIn("nothing listens on $PORT", str(cm.exception))


if __name__ == "__main__":
    main()
