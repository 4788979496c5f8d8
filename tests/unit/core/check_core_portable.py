#!/usr/bin/env python3
"""The core (src/core, formats, flash, boot, source, service, secure) stays portable (DESIGN.md §2): its
compiled objects call nothing of the platform but the port interface - ota_crypto.h, ota_port.h
and the default source opener - and of the C library only string and formatting functions
(malloc/free only in src/core/mem.c, the counting allocator). An OS call (open, mmap, pthread_*,
curl_*, fopen, getenv...) added to the core makes this fail. Arguments: the core's object files."""
import os
import subprocess
import sys

LIBC = {"memchr", "memcmp", "memcpy", "memmove", "memset", "snprintf", "vsnprintf", "sprintf",
        "strchr", "strrchr", "strcmp", "strncmp", "strcpy", "strlen", "strstr"}
ALLOCATOR = {"malloc", "free"}             # src/core/mem.c only
PORT = {"ota_crc32_le", "ota_md5", "ota_sha256", "ota_sha256_init", "ota_sha256_update",
        "ota_sha256_final", "ota_crypto_backend", "ota_port_uptime_ms", "ota_port_sleep_ms",
        "ota_port_thread_start", "ota_port_thread_join", "ota_source_open",
        # ota_crypto.h for signatures and pre-encrypted images (src/secure)
        "ota_sha384", "ota_sha384_init", "ota_sha384_update", "ota_sha384_final", "ota_rsa_pss_verify_sha256",
        "ota_ecdsa_verify", "ota_aes_gcm_init", "ota_aes_gcm_update", "ota_aes_gcm_finish_decrypt",
        "ota_aes_gcm_finish_encrypt", "ota_aes_gcm_free", "ota_rsa_pkcs1_decrypt_pem", "ota_pbkdf2_hmac_sha256",
        "ota_hkdf_sha256", "ota_ecdh_p256", "ota_ec_p256_public"}
TOOLCHAIN_PREFIXES = ("__asan", "__ubsan", "__sanitizer", "_GLOBAL_OFFSET_TABLE_", "__stack_chk_fail")


def symbols(obj, *flags):
    out = subprocess.run(["nm", *flags, obj], capture_output=True, text=True, check=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


def main():
    objects = sys.argv[1:]
    if len(objects) < 20:
        print(f"expected the core's object files, got {len(objects)}", file=sys.stderr)
        return 1
    defined = set()
    for obj in objects:
        defined |= symbols(obj, "--defined-only")
    bad = []
    for obj in objects:
        allowed = LIBC | PORT | (ALLOCATOR if os.path.basename(obj).startswith("mem.c") else set())
        for sym in sorted(symbols(obj, "-u")):
            if sym in defined or sym in allowed or sym.startswith(TOOLCHAIN_PREFIXES):
                continue
            bad.append(f"{obj}: {sym}")
    for line in bad:
        print("not portable:", line)
    print(f"core: {len(objects)} objects, {len(bad)} calls outside the port interface and libc strings")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
