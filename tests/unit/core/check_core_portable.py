#!/usr/bin/env python3
"""The core (src/core, formats, flash, boot, source, service, secure, less the host-only files of
cmake/ota_sources.cmake) stays portable (DESIGN.md §2): its compiled objects call nothing of the
platform but the port interface - ota_crypto.h, ota_port.h (heap, clock, threads) and the default
source opener - and of the C library only string and formatting functions. An OS call (open,
mmap, pthread_*, curl_*, fopen, getenv, malloc...) added to the core makes this fail, and so does a
call into the host-only library (it is not among the core's definitions).

Run on the host's objects and on the microcontroller builds' (examples/mcu_ota), where it also
refuses what a 32-bit MCU would have to emulate: atomics wider than the word (__atomic_*_8) and
soft-float (a double in the core). Word-size __atomic_*_4 calls are allowed: rv32imc has no
atomic instructions, and the port provides them (as ESP-IDF does for the ESP32-C3).
Usage: check_core_portable.py [--nm NM] OBJECT...
       check_core_portable.py --mcu-build DIR   (a build of examples/mcu_ota: its core layers' objects)"""
import glob
import os
import re
import subprocess
import sys

LIBC = {"memchr", "memcmp", "memcpy", "memmove", "memset", "snprintf", "vsnprintf", "sprintf",
        "strchr", "strrchr", "strcmp", "strncmp", "strcpy", "strlen", "strstr"}
PORT = {"ota_crc32_le", "ota_md5", "ota_md5_init", "ota_md5_update", "ota_md5_final", "ota_sha256", "ota_sha256_init", "ota_sha256_update",
        "ota_sha256_final", "ota_crypto_backend", "ota_port_uptime_ms", "ota_port_sleep_ms",
        "ota_port_thread_start", "ota_port_thread_join", "ota_source_open", "ota_port_malloc",
        "ota_port_free", "ota_port_mem_stats", "ota_port_mem_reset_peak", "ota_port_work_buffer_default",
        # ota_crypto.h for signatures and pre-encrypted images (src/secure)
        "ota_sha384", "ota_sha384_init", "ota_sha384_update", "ota_sha384_final", "ota_rsa_pss_verify_sha256",
        "ota_ecdsa_verify", "ota_aes_gcm_init", "ota_aes_gcm_update", "ota_aes_gcm_finish_decrypt",
        "ota_aes_gcm_finish_encrypt", "ota_aes_gcm_free", "ota_rsa_pkcs1_decrypt_pem", "ota_pbkdf2_hmac_sha256",
        "ota_hkdf_sha256", "ota_ecdh_p256", "ota_ec_p256_public"}
TOOLCHAIN_PREFIXES = ("__asan", "__ubsan", "__sanitizer", "_GLOBAL_OFFSET_TABLE_", "__stack_chk_fail")
# Compiler support routines a 32-bit target links from libgcc: 64-bit integer division and shifts.
LIBGCC_INTEGER = re.compile(r"^(__aeabi_(u?ldivmod|llsl|llsr|lasr|lmul|uidiv|idiv|uidivmod|idivmod)|"
                            r"__(u?div|u?mod|ashl|ashr|lshr|mul)di3|__clzsi2|__ctzsi2)$")
# RISC-V -msave-restore (a code-size option of the target build): libgcc's shared prologue and
# epilogue routines.
LIBGCC_SAVE_RESTORE = re.compile(r"^__riscv_(save|restore)_[0-9]+$")
WORD_ATOMIC = re.compile(r"^__atomic_[a-z_]+_[124]$")
SOFT_FLOAT = re.compile(r"^(__aeabi_([df]|.*2[df]$)|__.*(df|sf)[0-9]?$|__float|__fix)")


def symbols(nm, objects, *flags):
    """{object: set of symbols}, from one nm run over all objects (nm is slow to start)."""
    out = subprocess.run([nm, "-A", *flags, *objects], capture_output=True, text=True, check=True).stdout
    result = {obj: set() for obj in objects}
    for line in out.splitlines():
        if not line.strip():
            continue
        # "path:symbol-line"; the path itself has no ':' in our builds
        path, _, rest = line.partition(":")
        if path in result and rest.split():
            result[path].add(rest.split()[-1])
    return result


def main():
    args = sys.argv[1:]
    nm = "nm"
    if len(args) >= 2 and args[0] == "--nm":
        nm, args = args[1], args[2:]
    if len(args) == 2 and args[0] == "--mcu-build":
        with open(os.path.join(args[1], "mcu_target.txt")) as f:
            info = dict(line.strip().split("=", 1) for line in f if "=" in line)
        nm = info["tool_prefix"] + "nm"
        # The core's layer libraries of that build (ota_host and ota_port are not the core).
        args = sorted(glob.glob(os.path.join(args[1], "CMakeFiles", "ota_*.dir", "**", "*.obj"), recursive=True))
        args = [a for a in args if not re.search(r"ota_(host|port)\.dir", a)]
    objects = args
    if len(objects) < 20:
        print(f"expected the core's object files, got {len(objects)}", file=sys.stderr)
        return 1
    defined = set().union(*symbols(nm, objects, "--defined-only").values())
    undefined = symbols(nm, objects, "-u")
    bad = []
    for obj in objects:
        for sym in sorted(undefined[obj]):
            if SOFT_FLOAT.match(sym):
                bad.append(f"{os.path.basename(obj)}: {sym} (soft-float)")
                continue
            if sym in defined or sym in LIBC or sym in PORT or sym.startswith(TOOLCHAIN_PREFIXES):
                continue
            if LIBGCC_INTEGER.match(sym) or WORD_ATOMIC.match(sym) or LIBGCC_SAVE_RESTORE.match(sym):
                continue
            bad.append(f"{os.path.basename(obj)}: {sym}")
    for line in bad:
        print("not portable:", line)
    print(f"core: {len(objects)} objects, {len(bad)} calls outside the port interface and libc strings")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
