#!/usr/bin/env python3
"""README.md and docs/*.md point only at things that exist in the repository.

- every relative Markdown link `[text](path#anchor)` resolves to a file or folder of the tree,
  and its #anchor to a heading of the target (GitHub's slugs);
- every `path` in backticks that names a file or folder of the tree's top-level folders
  (src/, include/, tests/, ...) exists, so a renamed file cannot leave a stale pointer;
- the user docs describe the product: no pointers to design notes outside the repository
  (DESIGN.md, reference/) and no "issue N" or task-text history (docs/CONVENTIONS.md, the
  engineers' page, may name ../shared).
"""
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import mdblocks  # noqa: E402
from otatest import SOURCE_DIR, main  # noqa: E402

ROOT = SOURCE_DIR or os.path.abspath(os.path.join(HERE, "..", ".."))
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
CODE = re.compile(r"`([^`\s]+)`")
TOP = ("include/", "src/", "tests/", "tools/", "examples/", "docs/", "scripts/", "cmake/", "bench/", "fuzz/")
OUTSIDE = [(re.compile(r"\bDESIGN\.md\b"), "DESIGN.md is not in the repository"),
           (re.compile(r"(?<![\w/.])reference/|shared/reference\b"), "reference/ is not in the repository"),
           (re.compile(r"\bissues? #?\d+\b", re.I), "user docs describe the product, not the issue that made it"),
           (re.compile(r"\btask text\b", re.I), "user docs describe the product, not a task text")]


def slug(heading):
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*]", "", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    """The anchors of a Markdown file's headings (outside code blocks), duplicates numbered."""
    seen, out, in_code = {}, set(), False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if mdblocks.FENCE.match(line):
                in_code = not in_code
            elif not in_code and re.match(r"#{1,6} ", line):
                s = slug(line.lstrip("#"))
                out.add(s if s not in seen else f"{s}-{seen[s]}")
                seen[s] = seen.get(s, 0) + 1
    return out


def prose_lines(path):
    """(line number, text) of the lines outside fenced blocks."""
    in_code = False
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if mdblocks.FENCE.match(line):
                in_code = not in_code
            elif not in_code:
                yield n, line


class Links(unittest.TestCase):
    def test_relative_links_and_anchors_resolve(self):
        docs = mdblocks.user_docs(ROOT)
        bad, count = [], 0
        for doc in docs:
            base = os.path.dirname(os.path.join(ROOT, doc))
            for n, line in prose_lines(os.path.join(ROOT, doc)):
                for target in LINK.findall(line):
                    if re.match(r"[a-z][a-z0-9+.-]*:", target):   # http:, https:, mailto:
                        continue
                    count += 1
                    path, _, anchor = target.partition("#")
                    full = os.path.normpath(os.path.join(base, path)) if path else os.path.join(ROOT, doc)
                    if not full.startswith(ROOT + os.sep) and full != ROOT:
                        bad.append(f"{doc}:{n}: {target}: outside the repository")
                    elif not os.path.exists(full):
                        bad.append(f"{doc}:{n}: {target}: no such file")
                    elif anchor and full.endswith(".md") and anchor not in anchors(full):
                        bad.append(f"{doc}:{n}: {target}: no heading with anchor #{anchor}")
        self.assertEqual(bad, [], "\n" + "\n".join(bad))
        self.assertGreater(count, 5)

    def test_paths_in_backticks_exist(self):
        bad, count = [], 0
        for doc in mdblocks.user_docs(ROOT):
            for n, line in prose_lines(os.path.join(ROOT, doc)):
                for token in CODE.findall(line):
                    token = token.rstrip(".,:;)")
                    if not token.startswith(TOP) or any(c in token for c in "*<>{}$|"):
                        continue
                    if re.search(r"[A-Z]{3,}", token) and not token.endswith(".md"):
                        continue   # a placeholder: fuzz/corpus/NAME/
                    count += 1
                    if not os.path.exists(os.path.join(ROOT, token)):
                        bad.append(f"{doc}:{n}: `{token}` does not exist in the repository")
        self.assertEqual(bad, [], "\n" + "\n".join(bad))
        self.assertGreater(count, 10)

    def test_no_pointers_outside_the_product(self):
        bad = []
        for doc in mdblocks.user_docs(ROOT):
            if doc == "docs/CONVENTIONS.md":
                continue
            for n, line in prose_lines(os.path.join(ROOT, doc)):
                for rx, why in OUTSIDE:
                    m = rx.search(line)
                    if m:
                        bad.append(f"{doc}:{n}: \"{m.group(0)}\": {why}")
        self.assertEqual(bad, [], "\n" + "\n".join(bad))

    def test_readme_c_snippet_names_the_public_api(self):
        """The README's library snippet is a fragment (docs/library.md has the program the doc test
        builds): every ota_/OTA_ name in it must be declared by an installed header."""
        import glob
        headers = "".join(open(h, encoding="utf-8").read() for h in glob.glob(os.path.join(ROOT, "include", "ota", "**", "*.h"), recursive=True))
        blocks = [b for b in mdblocks.parse(ROOT, "README.md") if b.lang == "c"]
        self.assertTrue(blocks)
        bad = []
        for b in blocks:
            for name in sorted(set(re.findall(r"\b(?:ota|OTA)_\w+", b.text))):
                if not re.search(r"\b" + name + r"\b", headers):
                    bad.append(f"README.md:{b.line}: {name} is in no header of include/ota/")
        self.assertEqual(bad, [], "\n" + "\n".join(bad))

    def test_checker(self):
        self.assertEqual(slug("How an item is written: power-cut safety"), "how-an-item-is-written-power-cut-safety")
        self.assertEqual(slug("Table offset, real flash dumps and `merge_bin`"), "table-offset-real-flash-dumps-and-merge_bin")
        self.assertTrue(LINK.findall("see [a](docs/x.md#y) and ![img](i.png)") == ["docs/x.md#y"])


if __name__ == "__main__":
    main()
