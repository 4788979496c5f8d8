"""Reading the project's Markdown the way its doc tests need (stdlib only).

The conventions are in docs/CONVENTIONS.md ("Shell blocks in the docs"):
- a ```sh (or ```bash, ```shell, ```zsh) block is run as written; ```console and ```text are never run;
- a ```text block that directly follows a shell block (only blank lines between) is that block's
  output: every line of it must appear in what the block printed (stdout and stderr);
- blocks of one document run in order, in one shell, in one fresh directory;
- a block whose info string names a file after the language (```c ota_update.c) is a file the
  reader saves: it is written into that directory when the blocks before it have run.
"""
import glob
import os
import re

SHELL_LANGS = ("sh", "bash", "shell", "zsh")
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[^\s`]*)[ \t]*(?P<file>[^\s`]*)")


class Block:
    def __init__(self, doc, line, lang, text, filename=""):
        self.doc = doc        # path relative to the project root
        self.filename = filename  # the file the reader saves this block as ("" if none)
        self.line = line      # 1-based line of the opening fence
        self.lang = lang      # info string's first word, lower case ("" for a bare fence)
        self.text = text      # the block's content, indentation of the fence removed
        self.expected = None  # the following ```text block's content, for shell blocks
        self.index = 0        # 1-based number among the document's shell blocks

    @property
    def runnable(self):
        return self.lang in SHELL_LANGS

    def where(self):
        return f"{self.doc}:{self.line} (shell block {self.index}, ```{self.lang})"


def user_docs(root):
    """README.md and docs/*.md, relative to @root, in a stable order."""
    docs = ["README.md"] + sorted(os.path.relpath(p, root) for p in glob.glob(os.path.join(root, "docs", "*.md")))
    return [d for d in docs if os.path.exists(os.path.join(root, d))]


def parse(root, doc):
    """Every fenced block of @doc, with each shell block's expected output attached."""
    with open(os.path.join(root, doc), encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks = []
    gaps = []  # for each block: were there only blank lines since the previous block closed?
    i = 0
    last_close = -1
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = len(m.group("indent")), m.group("fence"), m.group("lang").lower()
        filename = m.group("file") if re.fullmatch(r"[\w.-]+", m.group("file") or "") else ""
        start = i
        body = []
        i += 1
        while i < len(lines):
            close = lines[i].strip()
            if close.startswith(fence[0] * len(fence)) and close.strip(fence[0]) == "":
                break
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i].lstrip())
            i += 1
        blocks.append(Block(doc, start + 1, lang, "\n".join(body) + "\n", filename))
        gaps.append(last_close >= 0 and all(not l.strip() for l in lines[last_close + 1:start]))
        last_close = i
        i += 1
    n = 0
    for k, b in enumerate(blocks):
        if b.runnable:
            n += 1
            b.index = n
            if k + 1 < len(blocks) and blocks[k + 1].lang == "text" and gaps[k + 1]:
                b.expected = blocks[k + 1].text
    return blocks


def normalise(s):
    return " ".join(s.split())


def missing_lines(expected, output):
    """The lines of @expected (blank lines and lines of only `...` are skipped) that do not occur
    in @output; whitespace runs count as one space on both sides."""
    out = normalise(output)
    missing = []
    for line in expected.split("\n"):
        want = normalise(line)
        if not want or want in ("...", "…"):
            continue
        if want not in out:
            missing.append(line.strip())
    return missing
