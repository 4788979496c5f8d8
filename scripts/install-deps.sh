#!/bin/sh
# Install the Debian packages a make target needs, only those that are missing.
#   scripts/install-deps.sh build   compile the library and the `ota` CLI
#   scripts/install-deps.sh demo    + python3 (make demo serves the app with python3 -m http.server)
#   scripts/install-deps.sh test    + cmocka, python3, nginx, openssl, clang + libFuzzer, clang-format (make check,
#                                   make fuzz: the fuzz harnesses build with clang; llvm symbolizes)
#   scripts/install-deps.sh bench   + valgrind, curl, strace, linux-perf, time (make bench)
#   scripts/install-deps.sh mcu     cross toolchains, picolibc, QEMU, Mbed TLS source (make mcu)
# `test` includes `mcu`: the QEMU runs are part of make check.
set -eu

# libjsmn-dev: the header-only JSON tokenizer of the release manifest parser (src/formats/manifest.c).
build="gcc make cmake pkg-config libc6-dev libcurl4-openssl-dev libssl-dev libcjson-dev libmbedtls-dev zlib1g-dev libdivsufsort-dev libjsmn-dev"
demo="$build python3"
# Microcontroller builds (make mcu, the mcu CTest entries): Debian's cross GCCs with picolibc,
# QEMU for both boards, dpkg-dev for `apt-get source` (scripts/fetch-debian-source.sh).
mcu="$build libcmocka-dev python3 gcc-arm-none-eabi picolibc-arm-none-eabi gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-arm qemu-system-misc dpkg-dev"
# gcc-multilib + qemu-user: the unit tests also run as a 32-bit program (tests/m32), under
# qemu-i386 where the kernel has no IA32 emulation.
# clang-format: scripts/check_tree.py fails on an unformatted C file (make format applies .clang-format).
# jq: docs/ci.md asserts on `ota run --json` with it, and the doc test (tests/docs) runs that page.
# libbsd-dev: ESP-IDF's Linux-target esp_partition (tests/esp-idf) includes <bsd/sys/cdefs.h>.
# python3-kconfiglib: the ESP-IDF component's Kconfig parsed and evaluated (scripts/esp_idf_check.py).
test="$build libcmocka-dev python3 jq nginx openssl clang clang-format libclang-rt-14-dev llvm gcc-multilib qemu-user libbsd-dev python3-kconfiglib $mcu"
bench="$test valgrind curl strace linux-perf time"

case "${1:-build}" in
build) want=$build ;;
demo) want=$demo ;;
test) want=$test ;;
bench) want=$bench ;;
mcu) want=$mcu ;;
*) echo "usage: $0 build|demo|test|bench|mcu" >&2; exit 2 ;;
esac

# Mbed TLS for the targets (and cmocka for the 32-bit unit tests) come from Debian's source
# packages, cached under build/ (never committed); the fetch needs no root and touches no system
# apt state.
fetch_sources() {
    case "${1:-build}" in
    mcu | test | bench) "$(dirname "$0")/fetch-debian-source.sh" mbedtls "$(dirname "$0")/../build/mbedtls-src" ;;
    esac
    case "${1:-build}" in
    test | bench) "$(dirname "$0")/fetch-debian-source.sh" cmocka "$(dirname "$0")/../build/cmocka-src" ;;
    esac
}

missing=""
for pkg in $want; do
    if ! dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
if [ -z "$missing" ]; then
    fetch_sources "${1:-build}"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages:$missing" >&2
    echo "install-deps: run as root, or: sudo apt-get install$missing" >&2
    exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# nginx's package scripts try to start the system service; the tests start their own nginx on a
# free port, so a refused start (no init, port 80 taken) must not fail the installation.
apt-get install -y -qq --no-install-recommends $missing || {
    dpkg --configure -a || true
    for pkg in $missing; do
        dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q "install ok installed" || {
            echo "install-deps: could not install $pkg" >&2
            exit 1
        }
    done
}
fetch_sources "${1:-build}"
