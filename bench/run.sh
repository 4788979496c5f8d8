#!/bin/sh
# make bench: bench/run.sh BUILD_DIR [--quick] [--pairs N] [--out FILE] [--keep]
# Runs bench/bench.py against the `ota` CLI and bench/ota_bench of BUILD_DIR; see bench/README.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build/release}
[ $# -gt 0 ] && shift
exec python3 "$here/bench.py" --build "$build" "$@"
