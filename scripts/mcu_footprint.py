#!/usr/bin/env python3
"""Footprint of the OTA core on the microcontroller builds (issue 12), for BENCHMARKS.md.

From each build of examples/mcu_ota (-Os, both targets):
  * .text/.rodata/.data/.bss per layer, from the linker map of the linked firmware (only what the
    linker kept: --gc-sections), with Mbed TLS, the host-only parts the firmware links (simulated
    bootloader, flash emulator), the firmware itself and libc/libgcc apart;
  * worst-case stack of ota_service_run() and of main(), from GCC's -fcallgraph-info=su files (call
    graph + each function's frame); an indirect call (the item steps, flash and source operations,
    the log sink) may reach any function of the linked firmware whose address is taken (a non-call
    relocation names it in some object), and C library functions count 0 (they have no .ci): an
    upper-bound estimate, cross-checked by stack painting;
  * the painted stack and the heap high-water of a real update in QEMU, from the log the mcu test
    left in the build directory (mcu_run.log).

Usage: mcu_footprint.py [--write BENCHMARKS.md] BUILD_DIR...   (each has mcu_target.txt)"""
import glob
import os
import re
import sys

BEGIN = "<!-- mcu-footprint:begin (scripts/mcu_footprint.py, make mcu) -->"
END = "<!-- mcu-footprint:end -->"

GROUPS = [  # (key, label, archive or object pattern)
    ("core", "core (err, log, mem)", r"libota_core\.a"),
    ("formats", "formats", r"libota_formats\.a"),
    ("flash", "flash", r"libota_flash\.a"),
    ("boot", "boot (esp_ota_ops, image verify)", r"libota_boot\.a"),
    ("pipeline", "pipeline (an item's data path, partition writer)", r"libota_pipeline\.a"),
    ("service", "service (engine, default procedures)", r"libota_service\.a"),
    ("secure", "secure (signature verification, image decryption)", r"libota_secure\.a"),
    ("source", "source rules (URI, HTTP rules)", r"libota_source\.a"),
    ("port", "port (bare-metal + Mbed TLS glue)", r"libota_port\.a"),
    ("mbedtls", "Mbed TLS (SHA-256, MD5; SHA-512 comes with the signature feature)", r"libmbedcrypto_min\.a"),
    ("host", "host-only: simulated bootloader, NOR emulator", r"libota_host\.a"),
    ("firmware", "firmware: example list, startup, main", r"mcu_ota\.elf\.dir"),
    ("libc", "picolibc + libgcc", r"lib(c|gcc|g|m)\.a|crt"),
]
CORE_KEYS = ["core", "formats", "flash", "boot", "pipeline", "service", "secure", "source"]
# The optional update features, by object file: linked whether or not a device uses them (the
# service references them), and on the targets signature and decryption fail closed anyway (the
# hash-only crypto port). Their .text is reported so the goal can be read without them.
FEATURES = [
    ("delta patches", ("delta_patch.c", "heatshrink.c", "stage_delta.c")),
    ("signature verification", ("sig_verify.c", "sig_block.c", "verifier_sig.c", "image_sig.c")),
    ("image decryption", ("enc_img_decrypt.c", "stage_decrypt.c", "enc_img.c")),
]
KINDS = ["text", "rodata", "data", "bss"]


def out_kind(section):
    if section.startswith(".text"):
        return "text"
    if section.startswith((".rodata", ".ARM.exidx", ".srodata")):
        return "rodata"
    if section.startswith((".data", ".tdata", ".sdata")):
        return "data"
    if section.startswith((".bss", ".tbss", ".sbss")):
        return "bss"
    return None


# The example's upgrade list is a library call (src/service/adf_example_list.c) that only the
# example firmware links: counted with the firmware, as when it was compiled into it.
EXAMPLE_OBJECTS = r"adf_example_list\.c\.(o|obj)"


def group_of(origin):
    if re.search(EXAMPLE_OBJECTS, origin):
        return "firmware"
    for key, _, pattern in GROUPS:
        if re.search(pattern, origin):
            return key
    return "other"


def parse_map(path):
    sizes = {}
    with open(path) as f:
        lines = f.read().split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("Linker script and memory map"))
    kind = None
    pending = None
    for line in lines[start:]:
        m = re.match(r"^(\.[\w.$]+)", line)
        if m:  # an output section
            kind = out_kind(m.group(1))
            pending = None
            continue
        if kind is None:
            continue
        m = re.match(r"^ (\.[^\s]+|COMMON)\s*$", line)
        if m:  # input section name alone; address, size, origin on the next line
            pending = m.group(1)
            continue
        m = re.match(r"^ (\.[^\s]+|COMMON)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$", line)
        if m and (m.group(1) or pending):
            size = int(m.group(3), 16)
            g = group_of(m.group(4))
            sizes.setdefault(g, dict.fromkeys(KINDS, 0))[kind] += size
            obj = re.search(r"\((\w+\.c)\.obj\)", m.group(4))
            if obj and kind == "text" and g in CORE_KEYS:
                objs = sizes.setdefault("_objects", {})
                objs[obj.group(1)] = objs.get(obj.group(1), 0) + size
        pending = None
    return sizes


def parse_ci(build):
    own, calls, dynamic = {}, {}, set()
    for path in glob.glob(os.path.join(build, "CMakeFiles", "**", "*.ci"), recursive=True):
        with open(path) as f:
            for line in f:
                m = re.match(r'node: \{ title: "([^"]+)" label: "([^"]*)"', line)
                if m:
                    title, label = m.groups()
                    s = re.search(r"\\n(\d+) bytes \(([^)]*)\)", label)
                    if s:
                        own[title] = int(s.group(1))
                        if "dynamic" in s.group(2):
                            dynamic.add(title)
                    calls.setdefault(title, set())
                    continue
                m = re.match(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"', line)
                if m:
                    calls.setdefault(m.group(1), set()).add(m.group(2))
    return own, calls, dynamic


CALL_RELOCS = re.compile(r"R_ARM_(THM_CALL|THM_JUMP\d+|CALL|JUMP24|PC24|V4BX|NONE)|R_RISCV_(CALL|CALL_PLT|"
                         r"RVC_JUMP|RVC_BRANCH|BRANCH|JAL|RELAX|ADD\d+|SUB\d+|SET\d+|ALIGN)")


def address_taken(build, prefix):
    """Names of functions some object takes the address of (ops tables, callbacks)."""
    import subprocess
    objs = glob.glob(os.path.join(build, "CMakeFiles", "**", "*.obj"), recursive=True)
    out = subprocess.run([prefix + "readelf", "-rW", *objs], capture_output=True, text=True).stdout
    taken, skip = set(), False
    for line in out.splitlines():
        if line.startswith("Relocation section"):
            skip = "debug" in line
            continue
        parts = line.split()
        if skip or len(parts) < 5 or CALL_RELOCS.search(parts[2]) or not parts[2].startswith("R_"):
            continue
        sym = parts[4]
        taken.add(sym[len(".text."):] if sym.startswith(".text.") else sym)
    return taken


def linked_functions(elf, prefix):
    import subprocess
    out = subprocess.run([prefix + "nm", elf], capture_output=True, text=True).stdout
    return {l.split()[-1] for l in out.splitlines() if len(l.split()) == 3 and l.split()[1] in "tTwW"}


def worst_stack(own, calls, root, callbacks):
    memo = {}

    def walk(f, stack):
        if f in memo:
            return memo[f]
        if f in stack:
            return (0, [f + " (recursion)"])
        stack.add(f)
        targets = set(calls.get(f, ()))
        if "__indirect_call" in targets:
            targets.discard("__indirect_call")
            targets |= callbacks
        best = (0, [])
        # Sorted: with call cycles the memo depends on the visiting order, and set order
        # changes from run to run (string hashing); sorted, the figure is reproducible.
        for t in sorted(targets):
            if t not in own and t in calls and not calls[t]:
                continue  # a declared-only node of a function the firmware does not link
            depth, path = walk(t, stack)
            if depth > best[0]:
                best = (depth, path)
        stack.discard(f)
        result = (own.get(f, 0) + best[0], [f] + best[1])
        memo[f] = result
        return result

    return walk(root, set())


def run_figures(build):
    path = os.path.join(build, "mcu_run.log")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        log = f.read()
    out = {}
    for key, pattern in (("heap", r"heap high-water during the update: (\d+) bytes \((\d+) allocations\)"),
                         ("stack", r"stack high-water \(painted\): (\d+) bytes"),
                         ("service_stack", r"of which ota_service_(?:run|step): (\d+) bytes"),
                         ("device", r"device state \(ota_device_t, kept by the caller\): (\d+) bytes"),
                         ("work", r"work buffer \(static\) (\d+) bytes")):
        m = re.search(pattern, log)
        if m:
            out[key] = int(m.group(1))
            if key == "heap":
                out["allocations"] = int(m.group(2))
    return out


def short(name):
    return name.split(":")[-1]


def report(build):
    with open(os.path.join(build, "mcu_target.txt")) as f:
        info = dict(line.strip().split("=", 1) for line in f if "=" in line)
    sizes = parse_map(info["map"])
    # The same firmware with ota_update_features_all (mcu_ota_all.elf, linked only): what the
    # optional update features add, libc aside.
    if os.path.exists(info.get("map_all", "")):
        def code(sz):
            return sum(v["text"] for k, v in sz.items() if not k.startswith("_") and k != "libc")
        sizes["_features"] = {"added": code(parse_map(info["map_all"])) - code(sizes),
                              "flags": info.get("compile_flags", ""), "link": info.get("link_flags", ""),
                              "defines": info.get("defines", "").split()}
    own, calls, dynamic = parse_ci(build)
    prefix = info["tool_prefix"]
    linked = linked_functions(info["elf"], prefix)
    taken = address_taken(build, prefix)
    # Keep the graph to what the firmware links; indirect calls go to its address-taken functions.
    own = {f: n for f, n in own.items() if short(f) in linked}
    callbacks = {f for f in own if short(f) in taken}
    # The firmware drives the service with ota_service_step() in its main loop.
    svc = worst_stack(own, calls, "ota_service_step", callbacks)
    main = worst_stack(own, calls, "main", callbacks)
    return info["target"], sizes, svc, main, run_figures(build), dynamic


def kib(n):
    return f"{n / 1024:.1f} KiB"


def render(results):
    out = [BEGIN, "", "## Microcontroller footprint (issue 12)", ""]
    out.append("Measured by `make mcu` (scripts/mcu_footprint.py) on the firmware of `examples/mcu_ota` at `-Os`, "
               "from the linker map (only what `--gc-sections` kept), GCC 12 (Debian's arm-none-eabi and "
               "riscv64-unknown-elf), picolibc, Mbed TLS 2.28.3 built from Debian's source package with only "
               "SHA-256, SHA-512 and MD5 (no public-key or GCM code: the hash-only crypto port makes signature checks and decryption fail closed with OTA_ERR_NOT_SUPPORTED on the targets). Bytes.")
    out.append("")
    for target, sizes, svc, main, run, dynamic in results:
        out.append(f"### {target}")
        out.append("")
        out.append("| part | .text | .rodata | .data | .bss |")
        out.append("|---|---:|---:|---:|---:|")
        label = {k: l for k, l, _ in GROUPS}
        label["other"] = "other"
        core_total = dict.fromkeys(KINDS, 0)
        for key in [k for k, _, _ in GROUPS] + ["other"]:
            if key not in sizes or key.startswith("_"):
                continue
            s = sizes[key]
            if key in CORE_KEYS:
                for k in KINDS:
                    core_total[k] += s[k]
            out.append(f"| {label[key]} | {s['text']} | {s['rodata']} | {s['data']} | {s['bss']} |")
            if key == "source":
                out.append(f"| **OTA core (the eight layers above)** | **{core_total['text']}** | "
                           f"**{core_total['rodata']}** | **{core_total['data']}** | **{core_total['bss']}** |")
        port = sizes.get("port", dict.fromkeys(KINDS, 0))
        mbed = sizes.get("mbedtls", dict.fromkeys(KINDS, 0))
        out.append("")
        text_ok = core_total["text"] <= 32 * 1024
        out.append(f"- Goal *OTA core without crypto and libc ≤ 32 KiB .text*: core {kib(core_total['text'])} "
                   f"(+ port {kib(port['text'])} = {kib(core_total['text'] + port['text'])}) — "
                   f"**{'met' if text_ok else 'missed'}**.")
        feat = sizes.get("_features")
        if feat:
            out.append(f"- Built with `{feat['flags']}`, linked with `{feat['link']}`. The optional update "
                       f"features (`ota_service_config_t.features`, ota_update_features.h) are not linked: the "
                       f"example's list has no patch, and the hash-only crypto port cannot verify signatures or "
                       f"decrypt (a device that requires one refuses the item before any erase). The same "
                       f"firmware with `ota_update_features_all` (delta, signatures, decryption; mcu_ota_all.elf) "
                       f"has {feat['added']} B ({kib(feat['added'])}) more .text. The simulated bootloader (host-only: a "
                       f"real device's is its own binary) takes its Secure Boot V2 verifier from the same features "
                       f"(`ota_bootloader_config_t.verify_signature`; none linked: a device with Secure Boot V2 on "
                       f"boots nothing), and the stage driver the decryption and delta features plug into is "
                       f"reached only through an inserted stage: neither is in the layers above here.")
            if feat.get("defines"):
                out.append(f"- Compiled as a device build (docs/porting.md): `{' '.join('-D' + d for d in feat['defines'])}` "
                           f"- today's ESP-IDF console wording only (the wording of every ESP-IDF release is the "
                           f"host simulator's) and the chip table of the device's chip alone.")
        out.append(f"- Worst-case stack from the call graph (`-fcallgraph-info=su`): `ota_service_step` {svc[0]} B "
                   f"(path: {' → '.join(short(p) for p in svc[1][:12])}); whole firmware from `main` {main[0]} B. "
                   f"Functions with dynamic frames: {', '.join(sorted(short(d) for d in dynamic)) or 'none'}. An upper bound: "
                   f"an indirect call is matched to every address-taken function, whatever its type (hence the "
                   f"odd path); the painted figures below are what a real update used.")
        if run:
            static = sum(sizes.get(k, {}).get("data", 0) + sizes.get(k, {}).get("bss", 0)
                         for k in CORE_KEYS + ["port", "mbedtls"])
            total = run.get("heap", 0) + run.get("service_stack", 0) + static + run.get("device", 0) + run.get("work", 0)
            ram_ok = total <= 16 * 1024
            out.append(f"- Measured in QEMU during the update (the example's list: tone image, then a 1 MiB app, "
                       f"restart): heap high-water {run.get('heap')} B in {run.get('allocations')} allocations "
                       f"(the service's blocks; the emulated chip's own are excluded); stack painted: "
                       f"{run.get('service_stack')} B below `ota_service_step` (the restart into the simulated "
                       f"bootloader included), {run.get('stack')} B for the whole firmware; static data of core + "
                       f"port + Mbed TLS {static} B; the caller's `ota_device_t` (partition table copy) "
                       f"{run.get('device')} B; the service's streaming buffer, which the firmware gives it "
                       f"(`work_buffer`, static) with work_buffer_size 2048, the bare-metal port's default "
                       f"(`ota_port_work_buffer_default()`; the host's is 4096), {run.get('work')} B.")
            default_total = total + 2048
            out.append(f"- Goal *heap + stack + static data during an update ≤ 16 KiB*: {run.get('heap')} + "
                       f"{run.get('service_stack')} + {static} + {run.get('device')} + {run.get('work')} = {total} B = {kib(total)} — "
                       f"**{'met' if ram_ok else 'missed'}** in the configuration the example firmware uses, which "
                       f"is also the bare-metal port's default (a 2 KiB work buffer; the example gives it as a static "
                       f"array, `MCU_WORK_BUFFER_SIZE` in examples/mcu_ota, the default allocates it: the same bytes); "
                       f"with the host's default 4 KiB one {kib(default_total)} — "
                       f"**{'met' if default_total <= 16 * 1024 else 'missed'}**. "
                       f"The whole firmware's painted stack adds what loading the partition table costs at start "
                       f"(`ota_partition_table_load` keeps a 3 KiB table copy on the stack).")
        out.append("")
    out.append("Published figures to compare with (what each counts differs; read the sources):")
    out.append("")
    out.append("| project | ROM / flash | RAM | source |")
    out.append("|---|---|---|---|")
    out.append("| mender-mcu (Mender's MCU update client, preview; ESP32-S3-DevKitC, Zephyr 4.0.0, log level "
               "warning) | 33 KiB | 15 KiB | mendersoftware/mender-mcu `docs/footprint.md`, added by pull request "
               "#195 (\"MEN-7689: Add memory footprint calculations\", merged 2025-04) |")
    out.append("| MCUboot 1.10.0 (the bootloader, not an update client), bare-metal Cortex-M0+ (SAML21) with UART "
               "| 16 032 B | — | mcu-tools/mcuboot discussion #1806 (\"compiled binary size 16KB is that "
               "expected?\") |")
    out.append("| MCUboot with ECDSA signature + image encryption, Cortex-M33, NDEBUG | ≈ 19 kB | — | the reply in "
               "the same discussion #1806 |")
    out.append("")
    out.append("They count different things: mender-mcu's ROM/RAM is its client inside a Zephyr application "
               "(network and TLS are Zephyr's), MCUboot's a whole bootloader image with its crypto. The rows "
               "above count the OTA core alone (libc and crypto apart, each listed), which is the part this "
               "project writes.")
    out.append("")
    out.append(END)
    return "\n".join(out) + "\n"


def main():
    args = sys.argv[1:]
    write = None
    if len(args) >= 2 and args[0] == "--write":
        write, args = args[1], args[2:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    text = render([report(b) for b in args])
    if write is None:
        sys.stdout.write(text)
        return 0
    old = open(write).read() if os.path.exists(write) else ""
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN)] + text.rstrip("\n") + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + text
    with open(write, "w") as f:
        f.write(new)
    print(f"mcu_footprint: {write} updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
