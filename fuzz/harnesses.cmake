# The fuzz harnesses: one line each. Included by fuzz/CMakeLists.txt (builds fuzz/fuzz_NAME.c with
# clang + libFuzzer) and by tests/fuzz/CMakeLists.txt (a short run of each in `make check`);
# scripts/fuzz.py runs them for `make fuzz`. To add a parser of outside bytes: write
# fuzz/fuzz_NAME.c (see docs/fuzzing.md) and add a line here.
#   SEEDS    folders of ../shared/testdata used as seed corpora, read in place (never copied)
#   MAX_LEN  largest input libFuzzer generates (default: libFuzzer's guess from the seeds)
#   CORPUS   folder of small hand-made seeds under fuzz/corpus/ (default NAME, when it exists)
# Regression inputs in tests/fuzz/regressions/NAME/ are replayed first when that folder exists.
# Fast parsers come first: `make fuzz FUZZ_RUNS=N` gives the time they leave to the later ones.
set(OTA_FUZZ_HARNESSES "")
macro(ota_fuzz_harness name)
  cmake_parse_arguments(_OFH "" "MAX_LEN;CORPUS" "SEEDS" ${ARGN})
  list(APPEND OTA_FUZZ_HARNESSES ${name})
  set(OTA_FUZZ_SEEDS_${name} ${_OFH_SEEDS})
  set(OTA_FUZZ_MAX_LEN_${name} "${_OFH_MAX_LEN}")
  set(OTA_FUZZ_CORPUS_${name} "${_OFH_CORPUS}")
endmacro()

ota_fuzz_harness(otadata            MAX_LEN 80)
ota_fuzz_harness(uri                MAX_LEN 1024)
ota_fuzz_harness(version            MAX_LEN 128)
# Issue 23: release manifests (JSON; the signed form is 8 KiB + the sector, past MAX_LEN on purpose:
# the parser's 8 KiB limit is what is fuzzed, and the sector has its own harness, sig_block).
ota_fuzz_harness(manifest           MAX_LEN 9000)
# ESP-ADF esp_ota_service's manifest (its checker's JSON, 4 KiB at most) and packed semver.
ota_fuzz_harness(adf_manifest       MAX_LEN 4200 CORPUS manifest)
ota_fuzz_harness(sdkconfig          MAX_LEN 4096)
ota_fuzz_harness(state_file         MAX_LEN 2048)
ota_fuzz_harness(http               MAX_LEN 4096)
ota_fuzz_harness(journal            MAX_LEN 4200)
ota_fuzz_harness(boot               MAX_LEN 8192)
ota_fuzz_harness(partition_bin      SEEDS partitions esp-adf MAX_LEN 4096)
ota_fuzz_harness(partition_csv      SEEDS partitions partitions/invalid esp-adf MAX_LEN 4096)
ota_fuzz_harness(tone_image         SEEDS esp-adf secure MAX_LEN 4096)
ota_fuzz_harness(app_image          SEEDS bootloaders secure esp-adf delta MAX_LEN 32768)
ota_fuzz_harness(app_image_stream   SEEDS bootloaders secure esp-adf delta MAX_LEN 32768 CORPUS app_image)
# Issues 10 and 13: the Secure Boot V2 signature sector (the whole ESP32-C6 signed apps fit in
# MAX_LEN, so their last 4 KiB is the real sector), esp_encrypted_img, delta patches, heatshrink.
ota_fuzz_harness(heatshrink         SEEDS delta MAX_LEN 8192)
ota_fuzz_harness(sig_block          SEEDS secure MAX_LEN 69632)
ota_fuzz_harness(enc_img            SEEDS secure MAX_LEN 66048)
ota_fuzz_harness(delta_patch        SEEDS delta MAX_LEN 65536)
