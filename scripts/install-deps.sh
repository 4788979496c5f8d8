#!/bin/sh
# Install the Debian packages a make target needs, only those that are missing.
#   scripts/install-deps.sh build   compile the library and the `ota` CLI
#   scripts/install-deps.sh demo    + python3 (make demo serves the app with python3 -m http.server)
#   scripts/install-deps.sh test    + cmocka, python3, nginx, openssl, clang + libFuzzer (make check,
#                                   make fuzz: the fuzz harnesses build with clang; llvm symbolizes)
#   scripts/install-deps.sh bench   + valgrind, curl, strace, linux-perf (make bench)
set -eu

build="gcc make cmake pkg-config libc6-dev libcurl4-openssl-dev libssl-dev libcjson-dev libmbedtls-dev zlib1g-dev libdivsufsort-dev"
demo="$build python3"
test="$build libcmocka-dev python3 nginx openssl clang libclang-rt-14-dev llvm"
bench="$test valgrind curl strace linux-perf"

case "${1:-build}" in
build) want=$build ;;
demo) want=$demo ;;
test) want=$test ;;
bench) want=$bench ;;
*) echo "usage: $0 build|demo|test|bench" >&2; exit 2 ;;
esac

missing=""
for pkg in $want; do
    if ! dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
[ -z "$missing" ] && exit 0

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
