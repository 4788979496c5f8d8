#!/bin/sh
# `make demo` (interim, until the OTA service lands): create a device image with the ESP-ADF OTA
# example's partition table and list its partitions.
set -eu
ota=${1:?usage: demo.sh path/to/ota}
dir=build/demo
mkdir -p "$dir"
"$ota" flash create "$dir/device.bin"
"$ota" partition list "$dir/device.bin"
