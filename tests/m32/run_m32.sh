#!/bin/sh
# Run a 32-bit test program: natively when the kernel runs i386 programs (the probe says so),
# else under qemu-i386 (Debian's qemu-user). Neither: fail, never skip.
set -eu
probe="$(dirname "$1")/m32_probe"
if [ -x "$probe" ] && "$probe" 2>/dev/null; then
    exec "$@"
fi
if command -v qemu-i386 >/dev/null 2>&1; then
    exec qemu-i386 "$@"
fi
echo "run_m32: this kernel does not run i386 programs and qemu-i386 is missing (scripts/install-deps.sh test)" >&2
exit 1
