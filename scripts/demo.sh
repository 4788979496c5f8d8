#!/bin/sh
# `make demo`: ESP-ADF's OTA example on an emulated ESP32, from nothing, on its defaults.
#   1. a device with the example's partition table, running app v2.2-252 from ota_0;
#   2. an "SD card" holding flash_tone.bin (tone format 0, 21 files), a new app on a web server
#      (python3 -m http.server on 127.0.0.1, a free port, as in the example's README);
#   3. `ota run`: the example's list (flash_tone from the SD card, then the app over HTTP),
#      restart, and the boot log of the new app;
#   4. checks: the new app boots from ota_1 at 0x110000 and flash_tone holds the new image.
# Everything lives in build/demo. Exit status 0 on success, non-zero with the reason otherwise.
set -eu

ota=${1:?usage: demo.sh path/to/ota}
ota=$(cd "$(dirname "$ota")" && pwd)/$(basename "$ota")
dir=build/demo
rm -rf "$dir"
mkdir -p "$dir/sdcard/tones" "$dir/www"
cd "$dir"

say() { printf '\n=== %s\n' "$*"; }
fail() { printf 'demo: FAILED: %s\n' "$*" >&2; exit 1; }

say "1. A device: the ESP-ADF OTA example's partition table, app v2.2-252 in ota_0"
"$ota" flash create device.bin
"$ota" image make --project play_mp3_control --version v2.2-252-g62edbd26-dirty --seed 252 --size 786432 \
    running-app.bin
"$ota" partition write device.bin ota_0 running-app.bin

say "2. The SD card: flash_tone.bin (format 0, 21 tones); the new app on a web server"
i=0
while [ $i -lt 21 ]; do
    # tone files of 4..24 KiB; their content does not matter to the OTA
    head -c $((4096 + i * 1000)) /dev/urandom > "sdcard/tones/$(printf 'tone_%02d.mp3' $i)"
    i=$((i + 1))
done
"$ota" tone make --format 0 sdcard/tones/*.mp3 sdcard/flash_tone.bin
"$ota" image make --project play_mp3_control --version v2.2-253-g0d3f2a11 --seed 253 --size 819200 \
    www/play_mp3_control.bin
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory www > http-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT INT TERM
tries=0
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2).close()" 2>/dev/null; do
    tries=$((tries + 1))
    [ $tries -lt 50 ] || fail "the HTTP server did not start on 127.0.0.1:$port"
    sleep 0.1
done
echo "Serving $(pwd)/www on http://127.0.0.1:$port/"

say "3. ota run: the example's upgrade list, then restart"
"$ota" run device.bin --sdcard sdcard --app-uri "http://127.0.0.1:$port/play_mp3_control.bin" ||
    fail "ota run exited with status $?"

say "4. Checks"
"$ota" info device.bin | sed -n '/^Running/p;/^App slots/,/^$/p'
"$ota" info device.bin --json > info.json
python3 - <<'PY' || fail "the device does not run the new app from ota_1 at 0x110000"
import json
info = json.load(open("info.json"))
running = info.get("running")
slot = next(s for s in info["apps"] if s["label"] == "ota_1")
assert running == "ota_1", running
assert slot["offset"] == 0x110000 and slot["valid"], slot
assert slot["app_desc"]["version"] == "v2.2-253-g0d3f2a11", slot["app_desc"]["version"]
PY
"$ota" partition read device.bin flash_tone flash_tone-readback.bin > /dev/null
size=$(wc -c < sdcard/flash_tone.bin)
cmp -n "$size" flash_tone-readback.bin sdcard/flash_tone.bin ||
    fail "flash_tone does not hold sdcard/flash_tone.bin"
echo "flash_tone holds sdcard/flash_tone.bin ($size bytes, byte for byte)"
echo "ota_1 (0x110000) runs play_mp3_control v2.2-253-g0d3f2a11"
printf '\ndemo: OK (files in %s)\n' "$(pwd)"
