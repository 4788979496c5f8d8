#!/usr/bin/env python3
"""Build and run the libFuzzer harnesses of fuzz/ (docs/fuzzing.md).

  scripts/fuzz.py build  --build DIR                     configure + build the harnesses with clang
  scripts/fuzz.py run    --build DIR --harness NAME --seconds S
                         replay tests/fuzz/regressions/NAME/*, then fuzz NAME for S seconds
                         (what each `fuzz_NAME` CTest entry of `make check` does)
  scripts/fuzz.py report --build DIR --seconds S [--doc docs/fuzzing.md] [--ota OTA --cli-mutations N]
                         run every harness for S seconds, one after the other, and write the
                         figures into the results section of the doc (`make fuzz`)

The harness list, seed folders and input size limits come from fuzz/harnesses.cmake (one line per
harness). Seeds are read in place from ../shared/testdata; libFuzzer writes the corpus it grows
into DIR/corpus/NAME and findings into DIR/artifacts/NAME/, never into the source tree.
"""
import argparse
import datetime
import glob
import os
import platform
import re
import resource
import shlex
import subprocess
import sys
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN = "<!-- fuzz-results:begin (written by scripts/fuzz.py report; do not edit by hand) -->"
END = "<!-- fuzz-results:end -->"


def harnesses():
    """[(name, seeds, max_len, corpus)] from fuzz/harnesses.cmake, in file order."""
    out = []
    with open(os.path.join(SRC, "fuzz", "harnesses.cmake")) as f:
        for line in f:
            m = re.match(r"\s*ota_fuzz_harness\((\w+)(.*)\)\s*$", line)
            if not m:
                continue
            words = m.group(2).split()
            seeds, max_len, corpus, key = [], 0, m.group(1), None
            for w in words:
                if w in ("SEEDS", "MAX_LEN", "CORPUS"):
                    key = w
                elif key == "SEEDS":
                    seeds.append(w)
                elif key == "MAX_LEN":
                    max_len = int(w, 0)
                elif key == "CORPUS":
                    corpus = w
            out.append((m.group(1), seeds, max_len, corpus))
    return out


def testdata_dir(args):
    return os.path.abspath(args.testdata or os.path.join(SRC, "..", "shared", "testdata"))


def cmd_build(args):
    cc = args.cc
    cfg = ["cmake", "-S", SRC, "-B", args.build, f"-DCMAKE_C_COMPILER={cc}", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
           "-DOTA_FUZZ=ON", "-DOTA_BUILD_TESTS=OFF"]
    print("+", shlex.join(cfg), flush=True)
    subprocess.run(cfg, check=True)
    bld = ["cmake", "--build", args.build, "--target", "ota_fuzzers", f"-j{args.jobs}"]
    print("+", shlex.join(bld), flush=True)
    subprocess.run(bld, check=True)
    return 0


def fuzzer_cmd(args, h, seconds, runs=0):
    """The libFuzzer command line for one harness: grown corpus first (the only one written)."""
    name, seeds, max_len, hand_corpus = h
    exe = os.path.join(args.build, "fuzz", f"fuzz_{name}")
    corpus = os.path.join(args.build, "corpus", name)
    artifacts = os.path.join(args.build, "artifacts", name)
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(artifacts, exist_ok=True)
    cmd = [exe, f"-max_total_time={seconds}", "-timeout=1", "-print_final_stats=1",
           "-rss_limit_mb=2048", f"-artifact_prefix={artifacts}/"]
    if runs:
        cmd.append(f"-runs={runs}")
    if max_len:
        cmd.append(f"-max_len={max_len}")
    cmd.append(corpus)
    hand = os.path.join(SRC, "fuzz", "corpus", hand_corpus)
    if os.path.isdir(hand):
        cmd.append(hand)
    for s in seeds:
        d = os.path.join(testdata_dir(args), s)
        if not os.path.isdir(d):
            raise SystemExit(f"fuzz: seed folder {d} missing (../shared/testdata beside the project?)")
        cmd.append(d)
    return cmd


def regression_inputs(name):
    return sorted(p for p in glob.glob(os.path.join(SRC, "tests", "fuzz", "regressions", name, "*")) if os.path.isfile(p))


def replay(args, name):
    """Each saved crasher once (libFuzzer runs files given on the command line and exits)."""
    files = regression_inputs(name)
    if not files:
        return 0
    exe = os.path.join(args.build, "fuzz", f"fuzz_{name}")
    r = subprocess.run([exe, "-timeout=1"] + files, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       errors="replace")
    if r.returncode != 0:
        print(r.stdout[-6000:])
        print(f"fuzz: {name}: a regression input fails again (exit {r.returncode})", file=sys.stderr)
        return 1
    print(f"fuzz: {name}: {len(files)} regression input(s) replayed clean")
    return 0


def parse_run(output, rc, elapsed):
    """Figures of one libFuzzer run from its output."""
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", output, re.M))
    execs = int(stats.get("number_of_executed_units", 0))
    if not execs:  # a crash before the final stats: the last progress line
        lines = re.findall(r"^#(\d+)\s", output, re.M)
        execs = int(lines[-1]) if lines else 0
    rate = int(stats.get("average_exec_per_sec", 0)) or (int(execs / elapsed) if elapsed else 0)
    leaks = len(re.findall(r"ERROR: LeakSanitizer", output))
    timeouts = len(re.findall(r"ALARM: working on the last Unit for", output))
    slow = len(re.findall(r"^Slowest unit: \d+ s", output, re.M))
    crash_lines = re.findall(r"^(==\d+== ?ERROR: (?!LeakSanitizer|libFuzzer: timeout).*|.*runtime error:.*)$", output, re.M)
    # libFuzzer stops at its first finding: a run has at most one crash (or one leak, one timeout).
    crashes = 1 if rc != 0 and not (leaks or timeouts) else 0
    artifacts = re.findall(r"Test unit written to (\S+)", output)
    return {"execs": execs, "rate": rate, "crashes": crashes, "leaks": leaks, "timeouts": timeouts,
            "slow": slow, "slowest_s": int(stats.get("slowest_unit_time_sec", 0)),
            "rss_mb": int(stats.get("peak_rss_mb", 0)), "rc": rc, "seconds": elapsed,
            "corpus": int(stats.get("new_units_added", 0)), "artifacts": artifacts, "first_error": (crash_lines or [""])[0]}


def replay_cpu_seconds(exe, path):
    """(exit status, CPU seconds) of running one input alone, judged by CPU time, not wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run([exe, "-timeout=60", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.returncode, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def fuzz_one(args, h, seconds, runs=0, log_path=None):
    """Fuzz one harness for `seconds` (0: no cap) or `runs` executions.

    libFuzzer's -timeout is wall-clock time: on a machine shared with other work a process can
    wait more than 1 s for the CPU with an input that takes microseconds. A timeout is therefore
    replayed alone and judged by its CPU time: a real one (>= 1 s CPU, or failing again) is a
    finding; one that replays in well under 1 s of CPU is logged as spurious and fuzzing goes on
    for the rest of the time and runs, from the corpus grown so far.
    """
    exe = os.path.join(args.build, "fuzz", f"fuzz_{h[0]}")
    t0 = time.monotonic()
    total, spurious, outputs, cmd, res = 0, [], [], None, None
    while True:
        left_s = int(seconds - (time.monotonic() - t0)) if seconds else 0
        left_runs = runs - total if runs else 0
        cmd = fuzzer_cmd(args, h, max(left_s, 1) if seconds else 0, left_runs)
        print("+", shlex.join(cmd), flush=True)
        t1 = time.monotonic()
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
        outputs.append(r.stdout)
        seg = parse_run(r.stdout, r.returncode, time.monotonic() - t1)
        total += seg["execs"]
        if res is None:
            res = seg
        else:
            res.update({k: seg[k] for k in ("crashes", "leaks", "timeouts", "rc", "artifacts", "first_error")})
            res["slowest_s"] = max(res["slowest_s"], seg["slowest_s"])
            res["rss_mb"] = max(res["rss_mb"], seg["rss_mb"])
            res["corpus"] += seg["corpus"]
        if not (seg["timeouts"] and seg["artifacts"] and not seg["crashes"] and not seg["leaks"]):
            break
        art = seg["artifacts"][-1]
        rc, cpu = replay_cpu_seconds(exe, art)
        if rc != 0 or cpu >= 1.0:
            break  # a real slow input: a finding
        os.replace(art, art + ".spurious")
        spurious.append(cpu)
        res.update({"timeouts": 0, "rc": 0, "artifacts": []})
        print(f"fuzz: {h[0]}: wall-clock timeout of an input that replays in {cpu:.2f} s CPU: machine load, "
              f"not the input; fuzzing on", flush=True)
        if (seconds and time.monotonic() - t0 > seconds - 2) or (runs and total >= runs):
            break
    elapsed = time.monotonic() - t0
    res.update({"execs": total, "seconds": elapsed, "rate": int(total / elapsed) if elapsed else 0,
                "spurious": spurious})
    out = "\n".join(outputs)
    if log_path:
        with open(log_path, "w") as f:
            f.write(out)
    return res, out, cmd


def cmd_run(args):
    table = {h[0]: h for h in harnesses()}
    if args.harness not in table:
        raise SystemExit(f"fuzz: unknown harness {args.harness!r} (fuzz/harnesses.cmake)")
    if replay(args, args.harness):
        return 1
    res, out, _ = fuzz_one(args, table[args.harness], args.seconds)
    print(f"fuzz: {args.harness}: {res['execs']} executions, {res['rate']} exec/s, crashes {res['crashes']}, "
          f"leaks {res['leaks']}, inputs over 1 s {res['timeouts']}")
    if res["rc"] != 0 or res["leaks"] or res["timeouts"]:
        print(out[-8000:])
        print(f"fuzz: {args.harness}: finding saved as {res['artifacts']}; once fixed, copy it to "
              f"tests/fuzz/regressions/{args.harness}/", file=sys.stderr)
        return 1
    return 0


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
            cpu = m.group(1).strip() if m else cpu
    except OSError:
        pass
    clang = subprocess.run(["clang", "--version"], stdout=subprocess.PIPE, text=True).stdout.splitlines()
    return (f"{cpu}, {os.cpu_count()} cores (shared with other work: load average at the start "
            f"{os.getloadavg()[0]:.2f}), {platform.system()} {platform.release()}, {clang[0] if clang else 'clang'}")


def cli_mutations(args):
    env = dict(os.environ, OTA_BIN=os.path.abspath(args.ota), OTA_TESTDATA=testdata_dir(args),
               OTA_MUTATIONS=str(args.cli_mutations), PYTHONPATH=os.path.join(SRC, "tests", "support"),
               PYTHONDONTWRITEBYTECODE="1")
    script = os.path.join(SRC, "tests", "fuzz", "test_cli_mutation.py")
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, script], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, errors="replace")
    summary = re.findall(r"cli-mutation: .*$", r.stdout, re.M)
    return r.returncode, (summary[-1] if summary else r.stdout[-2000:]), time.monotonic() - t0


def cmd_report(args):
    only = set(args.harness or [])
    rows = []
    start = datetime.datetime.now(datetime.timezone.utc)
    mach = machine()
    logs = os.path.join(args.build, "logs")
    os.makedirs(logs, exist_ok=True)
    failed = False
    todo = [h for h in harnesses() if not only or h[0] in only]
    deadline = time.monotonic() + args.budget if args.budget else None
    for i, h in enumerate(todo):
        name = h[0]
        if replay(args, name):
            failed = True
        seconds = args.seconds
        if deadline is not None:
            # What the earlier harnesses left (those that reached --runs early) goes to the later.
            share = int((deadline - time.monotonic()) / (len(todo) - i))
            seconds = max(10, min(seconds, share) if seconds else share)
        res, _, cmd = fuzz_one(args, h, seconds, args.runs, os.path.join(logs, f"{name}.log"))
        res["cap"] = seconds
        print(f"fuzz: {name}: {res['execs']} executions in {res['seconds']:.0f} s ({res['rate']} exec/s), crashes "
              f"{res['crashes']}, leaks {res['leaks']}, inputs over 1 s {res['timeouts']}", flush=True)
        failed |= res["rc"] != 0 or bool(res["leaks"] or res["timeouts"])
        rows.append((name, res, cmd))
    cli = None
    if args.cli_mutations and args.ota:
        cli = cli_mutations(args)
        failed |= cli[0] != 0
        print(f"fuzz: {cli[1]}")
    end = datetime.datetime.now(datetime.timezone.utc)
    if args.doc:
        write_doc(args, rows, cli, mach, start, end)
    return 1 if failed else 0


def fmt_int(n):
    return f"{n:,}".replace(",", " ")


def spurious_text(r):
    sp = r.get("spurious") or []
    return f"{len(sp)} (max {max(sp):.2f} s)" if sp else "0"


def write_doc(args, rows, cli, mach, start, end):
    goal = 10_000_000
    lines = [BEGIN, "",
             f"Run of {start:%Y-%m-%d %H:%M} to {end:%H:%M} UTC; harnesses one after the other; per harness "
             + (f"at most {args.seconds} s" if args.seconds else "no fixed time cap")
             + (f", stopping at {fmt_int(args.runs)} executions" if args.runs else "")
             + (f", all within {args.budget} s (each an equal share of the time the earlier ones left)"
                if args.budget else "") + ".", "",
             f"- Machine: {mach}.",
             f"- Command: `{args.command or 'scripts/fuzz.py report --seconds %d' % args.seconds}`",
             "- Each harness: `fuzz/fuzz_NAME -max_total_time=S -timeout=1 -rss_limit_mb=2048 "
             "[-max_len=M] CORPUS SEEDS...` (seeds and limits in `fuzz/harnesses.cmake`); logs in "
             "`build/fuzz/logs/`.",
             "- libFuzzer's `-timeout` is wall-clock time; on this shared machine a process can wait over 1 s "
             "for a CPU. Each timeout was replayed alone: \"inputs > 1 s\" counts those that fail again or take "
             "1 s of CPU or more (real findings), \"load timeouts\" those that replayed in the CPU time shown "
             "(fuzzing then went on). \"slowest (wall)\" is libFuzzer's wall-clock figure.", "",
             "| harness | executions | time | exec/s | crashes | leaks | inputs > 1 s | load timeouts (replay CPU) | "
             "slowest (wall) | peak RSS | goal 10 M |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, r, _ in rows:
        lines.append(f"| {name} | {fmt_int(r['execs'])} | {r['seconds']:.0f} s | {fmt_int(r['rate'])} | {r['crashes']} | {r['leaks']} | "
                     f"{r['timeouts']} | {spurious_text(r)} | {r['slowest_s']} s | {r['rss_mb']} MB | "
                     f"{'reached' if r['execs'] >= goal else 'NOT reached (%.1f M)' % (r['execs'] / 1e6)} |")
    total = sum(r["execs"] for _, r, _ in rows)
    lines += ["", f"Total: {fmt_int(total)} executions; crashes {sum(r['crashes'] for _, r, _ in rows)}, leaks "
              f"{sum(r['leaks'] for _, r, _ in rows)}, inputs over 1 s {sum(r['timeouts'] for _, r, _ in rows)}."]
    findings = [(n, r) for n, r, _ in rows if r["artifacts"] or r["rc"] != 0]
    for n, r in findings:
        lines.append(f"- {n}: exit {r['rc']}, {r['first_error'] or 'see log'}; saved {', '.join(r['artifacts'])}")
    if cli is not None:
        lines += ["", f"Command-line mutation run (`tests/fuzz/test_cli_mutation.py`, ASan+UBSan build of `ota`, "
                  f"{args.cli_mutations} mutations, {cli[2]:.0f} s): exit {cli[0]}; {cli[1]}"]
    lines += ["", END]
    if args.append:  # a re-run: a titled part added to the results section, which stays
        lines = ["### " + args.append, ""] + lines[2:]
    block = "\n".join(lines)
    try:
        with open(args.doc) as f:
            text = f.read()
    except FileNotFoundError:
        text = "# Fuzzing\n\n" + BEGIN + "\n" + END + "\n"
    if args.append and END in text:
        text = text[:text.index(END)] + block + text[text.index(END) + len(END):]
    elif BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(args.doc, "w") as f:
        f.write(text)
    print(f"fuzz: results written to {args.doc}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("build", "run", "report"):
        s = sub.add_parser(name)
        s.add_argument("--build", default=os.path.join(SRC, "build", "fuzz"), help="fuzz build folder")
        s.add_argument("--testdata", help="../shared/testdata (default: beside the project)")
        if name == "build":
            s.add_argument("--cc", default="clang")
            s.add_argument("--jobs", type=int, default=2)
        if name == "run":
            s.add_argument("--harness", required=True)
            s.add_argument("--seconds", type=int, default=10)
        if name == "report":
            s.add_argument("--harness", action="append", help="only these (repeatable)")
            s.add_argument("--seconds", type=int, default=60, help="time cap per harness (0: none, with --budget)")
            s.add_argument("--runs", type=int, default=0, help="stop a harness after this many executions (0: none)")
            s.add_argument("--budget", type=int, default=0,
                           help="total seconds for all harnesses: each gets an equal share of what is left")
            s.add_argument("--doc", help="markdown file whose results section is rewritten")
            s.add_argument("--ota", help="ASan build of the ota CLI, for the command-line mutation run")
            s.add_argument("--cli-mutations", type=int, default=0)
            s.add_argument("--command", help="the command to quote in the doc (make fuzz passes its own)")
            s.add_argument("--append", metavar="TITLE",
                           help="add this run below the results already in the doc (a re-run) instead of "
                                "replacing them")
    args = p.parse_args()
    args.build = os.path.abspath(args.build)
    return {"build": cmd_build, "run": cmd_run, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
