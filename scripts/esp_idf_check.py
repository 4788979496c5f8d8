#!/usr/bin/python3
"""The ESP-IDF component checked without ESP-IDF's toolchain (issue 22), against ../shared/esp-idf
(ESP-IDF v6.0.2's headers, Mbed TLS 4 / TF-PSA-Crypto 1.0, esp-lwip; its README).

  esp_idf_check.py compile     compile what ESP-IDF would build for ESP32-C3 - the component's
                               SRCS (the core, src/port/esp-idf, src/port/psa) and the example's
                               main/ - with Debian's riscv64-unknown-elf-gcc and picolibc, -Wall
                               -Wextra -Werror on our files, ESP-IDF's folders as -isystem, the
                               hand-written sdkconfig.h of tests/unit/port/esp-idf/sdkconfig; then
                               a deliberately wrong call to an ESP-IDF function, which must FAIL
                               (the headers really are ESP-IDF's, with their prototypes)
  esp_idf_check.py footprint [--write BENCHMARKS.md] [--keep DIR]
                               .text/.rodata/.data/.bss of core + port at -Os, linked with
                               --gc-sections from app_main (the component's objects from a
                               static library, as ESP-IDF links it), without and with the optional
                               features; ESP-IDF's own code is not linked (its symbols stay
                               unresolved), so nothing of ESP-IDF is counted

The source lists come from the component files themselves: tests/unit/port/esp-idf/sources is a
CMake project that includes components/ota_service/CMakeLists.txt and the example's
main/CMakeLists.txt with a recording idf_component_register().

Exit status: 0 pass, 1 a check failed, 77 ../shared/esp-idf is absent (CTest: skipped)."""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
TEST_DIR = os.path.join(ROOT, "tests", "unit", "port", "esp-idf")
SKIP = 77

CC = "riscv64-unknown-elf-gcc"
AR = "riscv64-unknown-elf-ar"
ARCH = ["--specs=picolibc.specs", "-march=rv32imc_zicsr_zifencei", "-mabi=ilp32"]
# ESP-IDF compiles C as gnu17 with -ffunction-sections -fdata-sections; CONFIG_COMPILER_OPTIMIZATION_SIZE
# gives "-Os -freorder-blocks" with GCC (v6.0.2's top-level CMakeLists.txt), the footprint's flags.
CFLAGS = ["-std=gnu17", "-Os", "-freorder-blocks", "-ffunction-sections", "-fdata-sections", "-Wall", "-Wextra", "-Werror",
          # Mbed TLS 4's configuration as ESP-IDF's mbedtls component sets it
          "-DTF_PSA_CRYPTO_USER_CONFIG_FILE=\"mbedtls/esp_config.h\"",
          "-DMBEDTLS_CONFIG_FILE=\"mbedtls/esp_config.h\""]

# The INCLUDE_DIRS of the ESP-IDF components the port and the example use, for ESP32-C3 (the
# riscv FreeRTOS port, not xtensa or SMP), as their CMakeLists.txt list them.
ESP_IDF_INCLUDE_DIRS = """
esp_common/include esp_system/include esp_libc/platform_include log/include heap/include
esp_timer/include esp_rom/include esp_rom/esp32c3/include esp_rom/esp32c3
freertos/config/include freertos/config/include/freertos freertos/config/riscv/include
freertos/FreeRTOS-Kernel/include freertos/FreeRTOS-Kernel/portable/riscv/include
freertos/FreeRTOS-Kernel/portable/riscv/include/freertos freertos/esp_additions/include
esp_hw_support/include esp_hw_support/port/esp32c3/include esp_hw_support/port/esp32c3
esp_hw_support/etm/include soc/include soc/esp32c3/include soc/esp32c3/register hal/include
hal/esp32c3/include hal/platform_port/include riscv/include esp_hal_mspi/include esp_hal_sd/include
esp_hal_gpio/include esp_hal_gpio/esp32c3/include esp_hal_gpspi/include
esp_partition/include spi_flash/include esp_blockdev/include app_update/include
esp_app_format/include esp_bootloader_format/include bootloader_support/include efuse/include
efuse/esp32c3/include esp_http_client/include esp-tls mbedtls/esp_crt_bundle/include
mbedtls/port/include mbedtls/port/psa_driver/include mbedtls/mbedtls/include
mbedtls/mbedtls/tf-psa-crypto/include mbedtls/mbedtls/tf-psa-crypto/drivers/builtin/include
lwip/include lwip/lwip/src/include lwip/port/include lwip/port/freertos/include
lwip/port/esp32xx/include esp_netif/include esp_event/include nvs_flash/include vfs/include
fatfs/vfs fatfs/src fatfs/diskio wear_levelling/include sdmmc/include esp_driver_sdmmc/include
esp_driver_sdmmc/legacy/include esp_driver_sdspi/include esp_driver_sd_intf/include
esp_driver_gpio/include esp_driver_spi/include
""".split()

# A call with one argument missing: esp_partition_read(partition, src_offset, dst, size).
WRONG_CALL = """#include "esp_partition.h"
int wrong_call(const esp_partition_t *p, void *buf)
{
    return esp_partition_read(p, 0, buf); /* size missing */
}
"""
WRONG_CALL_EXPECT = "too few arguments to function 'esp_partition_read'"


def shared_esp_idf(args):
    path = args.esp_idf or os.path.join(ROOT, "..", "shared", "esp-idf")
    return os.path.normpath(path)


def component_lists(workdir):
    """{component: {"SRCS": [...], "INCLUDE_DIRS": [...], ...}} from the real CMakeLists files."""
    out = os.path.join(workdir, "sources.txt")
    subprocess.run(["cmake", "-S", os.path.join(TEST_DIR, "sources"), "-B", os.path.join(workdir, "sources"),
                    "-DOTA_ROOT=" + ROOT, "-DOUT=" + out], check=True, stdout=subprocess.DEVNULL)
    lists = {}
    with open(out) as f:
        for line in f:
            name, kind, value = line.rstrip("\n").split(" ", 2)
            lists.setdefault(name, {}).setdefault(kind, []).append(value)
    return lists


def include_flags(esp_idf, lists):
    comps = os.path.join(esp_idf, "components")
    missing = [d for d in ESP_IDF_INCLUDE_DIRS if not os.path.isdir(os.path.join(comps, d))]
    if missing:
        raise SystemExit("esp_idf_check: not in %s: %s" % (comps, " ".join(missing)))
    flags = ["-I" + os.path.join(TEST_DIR, "sdkconfig")]
    # the component's definitions (target_compile_definitions(${COMPONENT_LIB} PUBLIC ...)) reach
    # its own files and the app's
    flags += ["-D" + d for d in lists["ota_service"].get("DEFINES", [])]
    for comp in ("ota_service", "main"):
        for kind in ("INCLUDE_DIRS", "PRIV_INCLUDE_DIRS"):
            flags += ["-I" + d for d in lists[comp].get(kind, [])]
    # protocol_examples_common is not among ../shared/esp-idf's headers: its one declaration the
    # example uses (stubs/protocol_examples_common.h says where it comes from).
    flags += ["-I" + os.path.join(TEST_DIR, "stubs")]
    for d in ESP_IDF_INCLUDE_DIRS:
        flags += ["-isystem", os.path.join(comps, d)]
    return flags


def compile_one(src, obj, flags, extra=()):
    cmd = [CC] + ARCH + CFLAGS + list(extra) + flags + ["-c", src, "-o", obj]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode, r.stdout, cmd


def sources(lists):
    srcs = lists["ota_service"]["SRCS"] + lists["main"]["SRCS"]
    return [s for s in srcs if s.endswith(".c")]


def compile_all(srcs, flags, outdir, jobs, extra=()):
    """Compile every source; returns ({src: obj}, [(src, output)] of failures)."""
    objs, failures = {}, []
    os.makedirs(outdir, exist_ok=True)

    def job(src):
        rel = os.path.relpath(src, ROOT).replace(os.sep, "_").replace("..", "up")
        obj = os.path.join(outdir, rel[:-2] + ".o")
        return src, obj, compile_one(src, obj, flags, extra)

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for src, obj, (rc, out, _) in pool.map(job, srcs):
            if rc == 0:
                objs[src] = obj
            else:
                failures.append((src, out))
    return objs, failures


# ESP-IDF v6.0.2's requirements common to every component (tools/cmake/build.cmake), plus the
# target's architecture.
COMMON_REQUIRES = {"cxx", "esp_libc", "freertos", "esp_hw_support", "heap", "log", "soc", "hal", "esp_rom",
                   "esp_common", "esp_system", "esp_stdio", "riscv"}


def direct_esp_includes(src, flags, comps_dir):
    """[(includer, ESP-IDF component)] for every ESP-IDF header one of OUR files includes directly,
    from GCC's include tree (-H)."""
    cmd = [CC] + ARCH + CFLAGS + flags + ["-H", "-fsyntax-only", src]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    comps_dir = os.path.realpath(comps_dir) + os.sep
    stack = [os.path.realpath(src)]
    found = []
    for line in r.stdout.split("\n"):
        m = re.match(r"^(\.+) (\S+)$", line)
        if not m:
            continue
        depth, path = len(m.group(1)), os.path.realpath(m.group(2))
        del stack[depth:]
        parent = stack[-1]
        stack.append(path)
        ours = parent.startswith(ROOT + os.sep) and not parent.startswith(comps_dir)
        if ours and path.startswith(comps_dir):
            found.append((parent, path[len(comps_dir):].split(os.sep)[0]))
    return found


def check_requirements(lists, flags, esp_idf):
    """Each ESP-IDF header our files include must come from a component the including component
    requires (REQUIRES or PRIV_REQUIRES, or ESP-IDF's common ones): ESP-IDF v6 gives a component
    only its requirements' include folders, so a missing one is a build error there. Headers of the
    component's public include folders need a public REQUIRES. Returns the list of problems."""
    comps_dir = os.path.join(esp_idf, "components")
    req = {c: set(lists[c].get("REQUIRES", [])) for c in lists}
    public = {"ota_service": set(lists["ota_service"].get("REQUIRES_PUBLIC", []))}
    public_dirs = [os.path.realpath(d) + os.sep for d in lists["ota_service"].get("INCLUDE_DIRS", [])]
    allowed = {
        "ota_service": COMMON_REQUIRES | req["ota_service"],
        # main gets ota_service's public requirements through it
        "main": COMMON_REQUIRES | req["main"] | (public["ota_service"] if "ota_service" in req["main"] else set()),
    }
    problems = []
    for comp in ("ota_service", "main"):
        for src in lists[comp].get("SRCS", []):
            for parent, esp_comp in direct_esp_includes(src, flags, comps_dir):
                in_public = any(parent.startswith(d) for d in public_dirs) and not parent.endswith(".c")
                ok = (esp_comp in COMMON_REQUIRES | public["ota_service"]) if in_public else esp_comp in allowed[comp]
                if not ok:
                    problems.append("%s includes a header of %s, which %s does not %srequire" % (
                        os.path.relpath(parent, ROOT), esp_comp, "ota_service" if in_public else comp,
                        "publicly " if in_public else ""))
    return sorted(set(problems))


# sdkconfig.defaults options whose Kconfig is not in ../shared/esp-idf, and where it is (v6.0.2).
KCONFIG_ELSEWHERE = {
    "IDF_TARGET": "ESP-IDF's top-level Kconfig",
    "BOOTLOADER_APP_ROLLBACK_ENABLE": "components/bootloader/Kconfig.app_rollback",
    "EXAMPLE_CONNECT_WIFI": "examples/common_components/protocol_examples_common/Kconfig.projbuild",
}


def check_sdkconfig_defaults(esp_idf):
    """Every option the example's sdkconfig.defaults sets is one a Kconfig file defines (ESP-IDF's,
    the component's, the example's): idf.py only warns about an unknown one and goes on."""
    defined = set()
    roots = [os.path.join(esp_idf, "components"), os.path.join(ROOT, "components"),
             os.path.join(ROOT, "examples", "esp-idf")]
    for root in roots:
        for dirpath, _, files in os.walk(root):
            for name in files:
                if name.startswith("Kconfig"):
                    with open(os.path.join(dirpath, name), errors="replace") as f:
                        defined.update(re.findall(r"^\s*(?:menu)?config\s+([A-Z0-9_]+)\s*$", f.read(), re.M))
    path = os.path.join(ROOT, "examples", "esp-idf", "ota_example", "sdkconfig.defaults")
    with open(path) as f:
        used = re.findall(r"^CONFIG_([A-Z0-9_]+)=", f.read(), re.M)
    return ["sdkconfig.defaults: CONFIG_%s is defined by no Kconfig" % n for n in used
            if n not in defined and n not in KCONFIG_ELSEWHERE]


def defines(path):
    with open(path) as f:
        return dict(re.findall(r"^#define\s+(CONFIG_[A-Z0-9_]+)\s+(.+?)\s*$", f.read(), re.M))


def check_kconfig(work):
    """The component's Kconfig and the example's Kconfig.projbuild parsed by kconfiglib (Debian's
    python3-kconfiglib, the library ESP-IDF's menuconfig grew from), with the example's
    sdkconfig.defaults applied: the sdkconfig.h it generates for these options must hold exactly
    the values the hand-written sdkconfig.h of the target check has. Returns the problems."""
    try:
        import kconfiglib
    except ImportError:
        return ["kconfiglib is not installed (Debian's python3-kconfiglib: scripts/install-deps.sh test)"]
    top = os.path.join(work, "Kconfig")
    with open(top, "w") as f:
        f.write('mainmenu "ota-service"\nsource "%s"\nsource "%s"\n' % (
            os.path.join(ROOT, "components", "ota_service", "Kconfig"),
            os.path.join(ROOT, "examples", "esp-idf", "ota_example", "main", "Kconfig.projbuild")))
    try:
        kconf = kconfiglib.Kconfig(top, warn_to_stderr=False)
    except kconfiglib.KconfigError as e:
        return ["Kconfig: %s" % str(e).strip()]
    kconf.load_config(os.path.join(ROOT, "examples", "esp-idf", "ota_example", "sdkconfig.defaults"))
    out = os.path.join(work, "sdkconfig_ours.h")
    kconf.write_autoconf(out)
    want = defines(out)
    have = defines(os.path.join(TEST_DIR, "sdkconfig", "sdkconfig.h"))
    problems = ["Kconfig: %s" % w for w in kconf.warnings if "undefined symbol" not in w and "unknown" not in w]
    for name, value in sorted(want.items()):
        if have.get(name) != value:
            problems.append("sdkconfig.h: %s is %s, the Kconfig with sdkconfig.defaults gives %s"
                            % (name, have.get(name, "absent"), value))
    return problems


def cmd_compile(args):
    esp_idf = shared_esp_idf(args)
    if not os.path.isdir(os.path.join(esp_idf, "components")):
        print("SKIPPED: %s is absent: the ESP-IDF component cannot be compiled against ESP-IDF's headers "
              "(it holds ESP-IDF v6.0.2's headers; see ../shared/esp-idf/README.md)" % esp_idf)
        return SKIP
    if shutil.which(CC) is None:
        print("esp_idf_check: %s not found (scripts/install-deps.sh test)" % CC)
        return 1
    with tempfile.TemporaryDirectory(prefix="esp_idf_check.") as work:
        lists = component_lists(work)
        flags = include_flags(esp_idf, lists)
        srcs = sources(lists)
        core = [s for s in srcs if "/src/port/" not in s and "/examples/" not in s]
        port = [s for s in srcs if "/src/port/" in s]
        main = [s for s in srcs if "/examples/" in s]
        print("compiling for ESP32-C3 against %s: %d core, %d port (%s), %d example files"
              % (esp_idf, len(core), len(port), ", ".join(sorted({os.path.basename(os.path.dirname(p)) for p in port})),
                 len(main)))
        print("  %s %s" % (CC, " ".join(ARCH + CFLAGS)))
        objs, failures = compile_all(srcs, flags, os.path.join(work, "obj"), args.jobs)
        for src, out in failures:
            print("FAIL %s\n%s" % (os.path.relpath(src, ROOT), out.rstrip()))
        print("%d of %d files compiled" % (len(objs), len(srcs)))

        problems = check_requirements(lists, flags, esp_idf)
        for p in problems:
            print("REQUIRES: " + p)
        print("component requirements: %s" % ("every ESP-IDF header included comes from a required component"
                                              if not problems else "%d missing" % len(problems)))
        unknown = check_sdkconfig_defaults(esp_idf)
        for u in unknown:
            print(u)
        problems += unknown
        print("sdkconfig.defaults: %s" % ("every option has a Kconfig" if not unknown else "%d unknown" % len(unknown)))
        kprob = check_kconfig(work)
        for k in kprob:
            print(k)
        problems += kprob
        print("Kconfig: %s" % ("the component's and the example's options parse, and sdkconfig.h holds their values"
                               if not kprob else "%d problems" % len(kprob)))

        # The negative control: a wrong call must not compile with these headers and flags.
        wrong = os.path.join(work, "wrong_call.c")
        with open(wrong, "w") as f:
            f.write(WRONG_CALL)
        rc, out, _ = compile_one(wrong, os.path.join(work, "wrong_call.o"), flags)
        wrong_ok = rc != 0 and WRONG_CALL_EXPECT in out
        print("negative control (esp_partition_read with 3 of its 4 arguments): %s"
              % ("rejected as expected" if wrong_ok else "NOT rejected:\n" + out))
        return 0 if not failures and not problems and wrong_ok and len(objs) == len(srcs) else 1


# ---- footprint --------------------------------------------------------------------------------

BEGIN = "<!-- esp-idf-footprint:begin (scripts/esp_idf_check.py footprint) -->"
END = "<!-- esp-idf-footprint:end -->"
CORE_DIRS = ["core", "formats", "flash", "boot", "source", "service", "secure"]
FEATURE_DEFINES = ["-DCONFIG_OTA_SERVICE_FEATURE_SIGNATURES=1", "-DCONFIG_OTA_SERVICE_FEATURE_DECRYPTION=1",
                   "-DCONFIG_OTA_SERVICE_FEATURE_DELTA=1"]
KINDS = ["text", "rodata", "data", "bss"]


def group_of(obj_path):
    base = os.path.basename(obj_path)
    # The example's upgrade list: a library call of the component (src/service/adf_example_list.c)
    # that only the example links, counted with the example as when it was compiled into main/.
    if "adf_example_list" in base:
        return "example"
    for d in CORE_DIRS:
        if base.startswith("src_%s_" % d):
            return "core"
    if base.startswith("src_port_esp-idf_"):
        return "port-esp-idf"
    if base.startswith("src_port_psa_"):
        return "port-psa"
    return "example"


def out_kind(section):
    if section.startswith((".text", ".init", ".fini")):
        return "text"
    if section.startswith((".rodata", ".srodata")):
        return "rodata"
    if section.startswith((".data", ".sdata")):
        return "data"
    if section.startswith((".bss", ".sbss")):
        return "bss"
    return None


def parse_map(path):
    """Bytes the linker kept per group and kind (input sections of our objects only)."""
    sizes = {}
    with open(path) as f:
        lines = f.read().split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("Linker script and memory map"))
    pending = None
    for line in lines[start:]:
        m = re.match(r"^ (\.[^\s]+|COMMON)\s*$", line)
        if m:
            pending = m.group(1)
            continue
        # an object given to the linker (path.o) or a member of the component's archive (lib.a(x.o))
        m = re.match(r"^ (\.[^\s]+|COMMON)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+\.o)\)?$", line)
        if m and (m.group(1) or pending):
            section = m.group(1) or pending
            kind = "bss" if section == "COMMON" else out_kind(section)
            if kind is not None:
                obj = m.group(4).rsplit("(", 1)[-1]
                g = group_of(obj)
                size = int(m.group(3), 16)
                sizes.setdefault(g, dict.fromkeys(KINDS, 0))[kind] += size
                if kind == "text":
                    objs = sizes.setdefault("_objects", {})
                    name = os.path.basename(obj)
                    objs[name] = objs.get(name, 0) + size
        pending = None
    return sizes


def link(objs, outdir, name):
    elf = os.path.join(outdir, name + ".elf")
    mapf = os.path.join(outdir, name + ".map")
    # As ESP-IDF links a component: its objects (src/...) from a static library, the app's main/
    # objects as given (idf_component_register makes each component an archive; the linker takes
    # from it only the members something refers to - so the stage driver, referred to weakly by
    # the pipeline's loop, comes only with a feature that inserts a stage: src/pipeline/path.h).
    lib = os.path.join(outdir, "lib%s_ota_service.a" % name)
    component = sorted(o for o in objs if os.path.basename(o).startswith("src_"))
    if os.path.exists(lib):
        os.remove(lib)
    subprocess.run([AR, "rcs", lib] + component, check=True)
    objs = sorted(o for o in objs if o not in component) + [lib]
    # Entry app_main: what the example firmware reaches; ESP-IDF's functions and libc stay
    # undefined (not linked, not counted).
    # No picolibc.specs here: its linker script has a board's memory map; the default one has none.
    cmd = [CC] + ARCH[1:] + ["-nostdlib", "-nostartfiles", "-Wl,--gc-sections", "-Wl,-e,app_main",
                         "-Wl,--unresolved-symbols=ignore-all", "-Wl,-Map=" + mapf,
                         "-o", elf] + objs
    subprocess.run(cmd, check=True)
    return parse_map(mapf)


def cmd_footprint(args):
    esp_idf = shared_esp_idf(args)
    if not os.path.isdir(os.path.join(esp_idf, "components")):
        print("SKIPPED: %s is absent" % esp_idf)
        return SKIP
    with tempfile.TemporaryDirectory(prefix="esp_idf_fp.") as tmp:
        work = args.keep or tmp
        os.makedirs(work, exist_ok=True)
        lists = component_lists(work)
        flags = include_flags(esp_idf, lists)
        srcs = sources(lists)
        objs, failures = compile_all(srcs, flags, os.path.join(work, "obj"), args.jobs)
        for src, out in failures:
            print("not compiled (left out of the figures): %s\n%s" % (os.path.relpath(src, ROOT), out.rstrip()))
        feat_src = [s for s in objs if s.endswith("/src/port/esp-idf/features_kconfig.c")]
        feat_objs, feat_fail = compile_all(feat_src, flags, os.path.join(work, "feat"), 1, FEATURE_DEFINES)
        if feat_fail:
            print(feat_fail[0][1])
            return 1
        base = link(objs.values(), work, "without")
        with_objs = dict(objs)
        with_objs.update(feat_objs)
        full = link(with_objs.values(), work, "with")
        # CONFIG_COMPILER_SAVE_RESTORE_LIBCALLS (off by default): -msave-restore, which the
        # bare-metal rv32imc build uses; the same two links again.
        sr = ["-msave-restore"]
        sr_objs, _ = compile_all(list(objs), flags, os.path.join(work, "obj_sr"), args.jobs, sr)
        sr_feat, _ = compile_all(feat_src, flags, os.path.join(work, "feat_sr"), 1, FEATURE_DEFINES + sr)
        sr_base = link(sr_objs.values(), work, "without_sr")
        sr_objs.update(sr_feat)
        sr_full = link(sr_objs.values(), work, "with_sr")
        psa = sorted(os.path.relpath(s, ROOT) for s in objs if "/src/port/psa/" in s)
        flash = [s for s in objs if s.endswith("flash_esp_partition.c")]
    text = render(base, full, sr_base, sr_full, psa, bool(flash), [os.path.relpath(s, ROOT) for s, _ in failures])
    print(text)
    if args.write:
        with open(args.write) as f:
            old = f.read()
        if BEGIN in old and END in old:
            new = old[:old.index(BEGIN)] + text.rstrip("\n") + old[old.index(END) + len(END):]
        else:
            new = old.rstrip("\n") + "\n\n" + text
        with open(args.write, "w") as f:
            f.write(new)
    return 0


def kib(n):
    return "%.1f KiB" % (n / 1024.0)


def core_port_text(sizes):
    return sum(sizes.get(k, {}).get("text", 0) for k in ("core", "port-esp-idf", "port-psa"))


def render(base, full, sr_base, sr_full, psa, have_flash, not_compiled):
    rows = [("core", "OTA core (the seven layers, less the host-only files)"),
            ("port-esp-idf", "ESP-IDF port (src/port/esp-idf)"),
            ("port-psa", "PSA Crypto glue (src/port/psa)"),
            ("example", "the example's main/ and upgrade list")]
    out = [BEGIN, "", "## ESP-IDF component footprint, ESP32-C3 (issue 22)", ""]
    out.append("Measured by `python3 scripts/esp_idf_check.py footprint --write BENCHMARKS.md`: the component's "
               "sources and the example's main/ compiled for ESP32-C3 with Debian's riscv64-unknown-elf-gcc "
               "(`%s`) against ESP-IDF v6.0.2's headers (../shared/esp-idf), linked from `app_main` with "
               "`--gc-sections`, the component's objects from a static library as ESP-IDF links a component; ESP-IDF, libc and libgcc are not linked, so none of their bytes count "
               "(what the port calls there - esp_http_client, PSA Crypto, FreeRTOS, esp_partition - is "
               "ESP-IDF's). Not Espressif's toolchain: its GCC may differ by a few per cent. Bytes." %
               " ".join(ARCH[1:] + ["-Os", "-freorder-blocks", "-ffunction-sections", "-fdata-sections"]))
    out.append("")
    out.append("| part | .text | .rodata | .data | .bss | .text with all features |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for key, label in rows:
        b = base.get(key, dict.fromkeys(KINDS, 0))
        f = full.get(key, dict.fromkeys(KINDS, 0))
        out.append("| %s | %d | %d | %d | %d | %d |" % (label, b["text"], b["rodata"], b["data"], b["bss"], f["text"]))
    core_port = core_port_text(base)
    core_port_all = core_port_text(full)
    goal = 36 * 1024
    out.append("")
    out.append("- Goal *core + ESP-IDF port ≤ 36 KiB .text without the optional features*: %d B = %s — **%s**."
               % (core_port, kib(core_port), "met" if core_port <= goal else "missed"))
    core_only = base.get("core", {}).get("text", 0)
    out.append("- Of that, the core alone is %d B = %s and the ports %d B: within the goal the ports would have "
               "%d B. The core's share can only shrink in the core (its largest objects are listed below)."
               % (core_only, kib(core_only), core_port - core_only, goal - core_only))
    out.append("- With signatures, decryption and delta (CONFIG_OTA_SERVICE_FEATURE_SIGNATURES, _DECRYPTION, "
               "_DELTA: `ota_esp_idf_features()`): %d B = %s, i.e. %d B more." %
               (core_port_all, kib(core_port_all), core_port_all - core_port))
    out.append("- The component compiles the core as a device build: the ESP-IDF console wording of today's release "
               "only (Kconfig OTA_SERVICE_IDF_CONSOLE_HISTORY, default n; with it about 1.2 KiB more) and the chip "
               "table of IDF_TARGET alone (OTA_CHIP_ONLY); docs/porting.md.")
    objs = sorted(base.get("_objects", {}).items(), key=lambda kv: -kv[1])
    out.append("- The largest objects (.text, without features): %s." % ", ".join(
        "%s %d" % (re.sub(r"^(src|examples)_(port_)?", "", n)[:-2].replace("_", "/", 1), b) for n, b in objs[:8]))
    sr, sr_all = core_port_text(sr_base), core_port_text(sr_full)
    out.append("- With CONFIG_COMPILER_SAVE_RESTORE_LIBCALLS (`-msave-restore`, off by default in ESP-IDF; the "
               "bare-metal rv32imc build above uses it): core + port %d B = %s without features — **%s** — and "
               "%d B = %s with all three." % (sr, kib(sr), "met" if sr <= goal else "missed", sr_all, kib(sr_all)))
    notes = []
    if not psa:
        notes.append("src/port/psa/ was not in this tree (or did not compile): the PSA glue is not counted")
    if not have_flash:
        notes.append("src/port/esp-idf/flash_esp_partition.c was not in this tree: the flash port is not counted")
    if not_compiled:
        notes.append("not compiled, left out: " + ", ".join(not_compiled))
    for n in notes:
        out.append("- " + n + ".")
    out.append("")
    out.append(END)
    return "\n".join(out) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--esp-idf", help="ESP-IDF folder (default ../shared/esp-idf beside the project)")
    p.add_argument("--jobs", type=int, default=2)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("compile")
    fp = sub.add_parser("footprint")
    fp.add_argument("--write", metavar="BENCHMARKS.md")
    fp.add_argument("--keep", metavar="DIR", help="keep the objects, ELF files and link maps in DIR (to see where "
                    "the bytes go: nm --size-sort -S DIR/without.elf)")
    args = p.parse_args()
    return cmd_compile(args) if args.command == "compile" else cmd_footprint(args)


if __name__ == "__main__":
    sys.exit(main())
