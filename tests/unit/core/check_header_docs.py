#!/usr/bin/env python3
"""The public headers document every return code, and only what exists (issue 12 point 7).

Checks, over include/ota/**/*.h and the private src/**/ota_*.h:
 1. every function declared to return `int` or `ota_err_t` has a `@return` in its comment (the
    nearest comment above it; a comment above a group of declarations serves the group only if
    it names each function of the group, so each still gets its own list);
 2. every OTA_ERR_* named in a header comment exists in include/ota/ota_err.h (a name ending in
    `_*` must be the prefix of some code);
 3. every repository path a comment mentions (src/..., docs/..., tools/..., tests/...,
    scripts/..., examples/..., bench/..., include/...) and every bare header name (ota_*.h)
    exists;
 4. every OTA_ERR_* a function's @return lists can be returned by it: the code occurs in the
    function's definition under src/ or in a function or macro it calls, transitively. The call
    graph is an over-approximation (a name defined twice, e.g. by two ports, counts both), so a
    listed code that is not in it is certainly wrong. Functions that reach a call through a
    pointer (a user callback, a port's vtable) have an open set: they are not checked.

Usage: check_header_docs.py REPO_ROOT            run the checks
       check_header_docs.py REPO_ROOT --codes FN  print the codes FN can reach (for writing docs)
"""
import pathlib
import re
import sys

PATH_PREFIXES = ("src/", "docs/", "tools/", "tests/", "scripts/", "examples/", "bench/", "include/")
# Paths of other projects that a comment cites as theirs (not files of this repository).
EXTERNAL_PATHS = ("tools/audio_tone",)  # ESP-ADF's mk_audio_tone.py
KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "do", "else", "case", "defined",
            "_Static_assert", "static_assert", "__attribute__", "_Alignof", "alignof"}


def blank(match: re.Match) -> str:
    """Replace a match by spaces, keeping newlines (offsets and line numbers stay valid)."""
    return re.sub(r"[^\n]", " ", match.group())


# One pass, left to right, so that "file://x" is a string and not a comment, and a quote inside
# a comment is not a string.
TOKENS = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)


def strip_comments(text: str) -> str:
    """Blank the comments (strings are kept)."""
    return TOKENS.sub(lambda m: blank(m) if m.group().startswith("/") else m.group(), text)


def strip_strings(text: str) -> str:
    """Blank the strings and character literals (of a text whose comments are blank already)."""
    return TOKENS.sub(lambda m: m.group() if m.group().startswith("/") else blank(m), text)


# --- headers ---------------------------------------------------------------------------------

def header_decls(text: str):
    """(name, return type, start offset) of each function declared in a header (not members of
    structs, not typedefs, not macros)."""
    code = strip_comments(text)
    code = re.sub(r"^[ \t]*#[^\n]*(?:\\\n[^\n]*)*", blank, code, flags=re.M)
    # Blank out struct/enum bodies (depth >= 2; depth 1 is extern "C").
    out, depth = [], 0
    extern_c = 'extern "C"' in code
    limit = 2 if extern_c else 1
    for ch in code:
        if ch == "{":
            depth += 1
            out.append(" ")
        elif ch == "}":
            depth -= 1
            out.append(" ")
        else:
            out.append(ch if depth < limit or ch == "\n" else " ")
    code = "".join(out)
    for m in re.finditer(r"(?:(?<=;)|(?<=\n)|^)\s*([A-Za-z_][\w \t\*]*?)\b(\w+)\s*\(([^;{}]*?)\)\s*;",
                         code):
        rtype = " ".join(m.group(1).split())
        if not rtype or rtype.startswith("typedef") or rtype in ("return", "else"):
            continue
        rtype = re.sub(r"\b(extern|static|inline|_Noreturn)\b", "", rtype).strip()
        yield m.group(2), rtype, m.start(2)


def comments_of(text: str):
    """(start, end, body) of every /* */ comment."""
    return [(m.start(), m.end(), m.group()) for m in re.finditer(r"/\*.*?\*/", text, flags=re.S)]


def doc_comment(text: str, comments, pos: int, decl_spans):
    """The comment documenting the declaration at pos: the nearest comment above it with only
    whitespace and other declarations in between. Returns (comment, group) where group is the
    list of declaration names between the comment and pos (pos's own included)."""
    before = [c for c in comments if c[1] <= pos]
    if not before:
        return None, []
    start, end, body = before[-1]
    gap = text[end:pos]
    # Remove declarations that lie in the gap; what remains must be blank.
    group = []
    rest = gap
    for name, dstart, dend in decl_spans:
        if end <= dstart and dend <= pos:
            group.append(name)
            rest = rest.replace(text[dstart:dend], "", 1)
    if rest.strip():
        return None, []
    return body, group


def return_block(comment: str, name: str, group) -> str:
    """The part of the comment that documents name's return value."""
    if len(group) > 1:
        # A group comment: the text from name's mention up to the next function's mention.
        others = [g for g in group if g != name]
        m = re.search(r"\b%s\b" % re.escape(name), comment)
        if not m:
            return ""
        tail = comment[m.start():]
        ends = [tail.find(o, len(name)) for o in others]
        ends = [e for e in ends if e > 0 and re.match(r"\b", tail[e - 1:e]) is not None]
        cut = min([e for e in ends if e > 0], default=len(tail))
        section = tail[:cut]
        return section if "@return" in section or "@return" in comment else ""
    m = re.search(r"@returns?\b", comment)
    if not m:
        return ""
    rest = comment[m.start():]
    nxt = re.search(r"\n\s*\*?\s*@(?!return)\w+", rest)
    return rest[: nxt.start()] if nxt else rest


# --- sources ----------------------------------------------------------------------------------

def source_graph(root: pathlib.Path):
    """name -> (set of OTA codes named in its body, set of identifiers it calls, indirect?) for
    every function and function-like/object-like macro defined under src/."""
    graph, assigned = {}, {}
    file_codes = {}  # function name -> codes named in its file

    # A call through a struct member (ops->read(...)) resolves to every function the sources
    # assign to a member of that name (.read = flash_emu_read, ops->prepare = ...); a member
    # that nothing here assigns (a user callback) leaves the set open.
    pending = []
    defined_here = []

    def add(name, body, indirect, members=()):
        codes = set(re.findall(r"\bOTA_(?:OK|ERR_\w+)\b", body))
        calls = set(re.findall(r"\b([A-Za-z_]\w*)\s*\(", body)) - KEYWORDS
        words = set(re.findall(r"\b([A-Z_][A-Z0-9_]*)\b", body))  # object-like macros
        old = graph.get(name, (set(), set(), False))
        graph[name] = (old[0] | codes, old[1] | calls | words, old[2] or indirect)
        pending.append((name, set(members)))
        defined_here.append(name)

    # src/ and the public headers' own static inline functions.
    for path in sorted((root / "src").rglob("*")) + sorted((root / "include/ota").rglob("*.h")):
        if path.suffix not in (".c", ".h") or not path.is_file():
            continue
        raw = path.read_text(errors="replace")
        # A header's extern "C" { ... } block is not a scope.
        raw = re.sub(r'extern\s+"C"\s*\{|#ifdef\s+__cplusplus\s*\}\s*#endif', blank, raw)
        text = strip_strings(strip_comments(raw))
        in_file = set(re.findall(r"\bOTA_ERR_\w+\b", text))
        defined_here = []
        for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(\w+)((?:\([^)]*\))?)((?:[^\n]*\\\n)*[^\n]*)",
                             text, flags=re.M):
            add(m.group(1), m.group(3), bool(re.search(r"->\s*\w+\s*\(", m.group(3))))
        depth, last, i = 0, 0, 0
        while i < len(text):
            ch = text[i]
            if ch == "{":
                if depth == 0:
                    head = text[last:i]
                    fm = re.search(r"\b(\w+)\s*\(([^;{}]*)\)\s*$", head)
                    if fm and "=" not in head.split("(")[0] and fm.group(1) not in KEYWORDS:
                        # Find the matching brace.
                        d, j = 0, i
                        while j < len(text):
                            if text[j] == "{":
                                d += 1
                            elif text[j] == "}":
                                d -= 1
                                if d == 0:
                                    break
                            j += 1
                        body = text[i:j + 1]
                        members = re.findall(r"(?:->|\.)\s*(\w+)\s*\)?\s*\(", body)
                        indirect = bool(re.search(r"\(\s*\*\s*\w+\s*\)\s*\(", body))
                        add(fm.group(1), body, indirect, members)
                        last = i = j + 1
                        continue
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    last = i + 1
            elif ch == ";" and depth == 0:
                last = i + 1
            i += 1
        for fn in defined_here:
            file_codes.setdefault(fn, set()).update(in_file)
        for m in re.finditer(r"(?:\.|->)\s*(\w+)\s*=\s*&?\s*([A-Za-z_]\w*)\s*[,;}\n]", text):
            assigned.setdefault(m.group(1), set()).add(m.group(2))
    for name, members in pending:
        codes, calls, indirect = graph[name]
        for member in members:
            if member in assigned:
                calls = calls | {f for f in assigned[member] if f in graph or f[0].isalpha()}
            else:
                indirect = True
        graph[name] = (codes, calls, indirect)
    graph["__file_codes__"] = (set(), set(), False)
    source_graph.file_codes = file_codes
    return graph


def reach(graph, name, file_codes=None):
    """(codes reachable from name, whether a pointer call is reachable). The codes named anywhere
    in the file that defines name count too: a module keeps a sticky error in its state (set by
    one function, returned by another)."""
    seen, stack, codes, indirect = set(), [name], set(file_codes.get(name, ())) if file_codes else set(), False
    while stack:
        n = stack.pop()
        if n in seen or n not in graph:
            continue
        seen.add(n)
        c, calls, ind = graph[n]
        codes |= c
        indirect = indirect or ind
        stack.extend(calls - seen)
    return codes, indirect


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    graph = source_graph(root)
    if len(sys.argv) > 3 and sys.argv[2] == "--codes":
        for fn in sys.argv[3:]:
            codes, ind = reach(graph, fn, source_graph.file_codes)
            print(fn, "(open: calls through a pointer)" if ind else "", "defined" if fn in graph else "NOT DEFINED")
            print("   ", " ".join(sorted(codes - {"OTA_OK"})))
        return 0

    codes = set(re.findall(r"^\s*X\((OTA_\w+),", (root / "include/ota/ota_err.h").read_text(), re.M))
    if len(codes) < 50:
        print(f"only {len(codes)} codes parsed from ota_err.h: parser broken?")
        return 1
    # The installed headers (application API, port/, sim/); a bare header name in a comment may
    # also be one of the private headers next to their layer in src/ (issue 21 §4).
    headers = sorted((root / "include/ota").rglob("*.h")) + sorted((root / "src").rglob("ota_*.h"))
    header_names = {h.name for h in headers}
    bad, nfun, nchecked = [], 0, 0
    for h in headers:
        text = h.read_text()
        rel = h.relative_to(root).as_posix()
        comments = comments_of(text)
        decls = list(header_decls(text))
        spans = []
        for name, _, start in decls:
            line_start = text.rfind("\n", 0, start) + 1
            end = text.find(";", start) + 1
            spans.append((name, line_start, end))
        # 2 and 3: names and paths in comments.
        for cstart, _, body in comments:
            line = text.count("\n", 0, cstart) + 1
            # ota_err.h's own comments name retired codes on purpose.
            for code in set(re.findall(r"\bOTA_ERR_\w+\*?", body)) if h.name != "ota_err.h" else ():
                if code.endswith("_*") or code.endswith("*"):
                    prefix = code.rstrip("*")
                    if not any(c.startswith(prefix) for c in codes):
                        bad.append(f"{rel}:{line}: {code} matches no code of ota_err.h")
                elif code not in codes:
                    bad.append(f"{rel}:{line}: {code} is not in ota_err.h")
            for path in set(re.findall(r"(?<![\w/.])((?:%s)[\w./-]*\w)" % "|".join(map(re.escape, PATH_PREFIXES)), body)):
                if not (root / path).exists() and not path.startswith(EXTERNAL_PATHS):
                    bad.append(f"{rel}:{line}: mentions {path}, which does not exist")
            for hname in set(re.findall(r"(?<![\w/])(ota_\w+\.h)\b", body)):
                if hname not in header_names:
                    bad.append(f"{rel}:{line}: mentions {hname}, which is not a header of include/ota or src")
        # 1 and 4: return codes of each function.
        for name, rtype, start in decls:
            nfun += 1
            if rtype not in ("int", "ota_err_t"):
                continue
            line = text.count("\n", 0, start) + 1
            comment, group = doc_comment(text, comments, spans[[s[0] for s in spans].index(name)][1], spans)
            block = return_block(comment or "", name, group) if comment else ""
            if not block:
                bad.append(f"{rel}:{line}: {name}() returns {rtype} but its comment has no @return list")
                continue
            if name not in graph:
                bad.append(f"{rel}:{line}: {name}() is declared but defined nowhere under src/")
                continue
            reachable, indirect = reach(graph, name, source_graph.file_codes)
            if indirect:
                continue
            nchecked += 1
            for code in sorted(set(re.findall(r"\bOTA_ERR_\w+\b(?!\*)", block))):
                if code in codes and code not in reachable:
                    bad.append(f"{rel}:{line}: {name}() lists {code}, which neither it nor its callees return")
    for line in bad:
        print(line)
    print(f"{len(headers)} headers, {nfun} functions, {nchecked} return lists cross-checked, {len(bad)} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
