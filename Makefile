# ota-service: the two commands of the README, and the rest.
#   make demo      build (release) and run the ESP-ADF OTA example on an emulated device
#   make check     build with -Werror + ASan/UBSan and run the whole test suite through CTest
#   make install   install both libraries, headers, pkg-config files and `ota` (PREFIX=/usr/local)
#   make powercut  the full power-cut sweep (tests/powercut): every flash operation, clean and torn
#   make bench     benchmarks (bench/), results in BENCHMARKS.md (issues 7, 11, 13)
#   make fuzz      every libFuzzer harness (fuzz/) for FUZZ_SECONDS each with clang, plus the CLI
#                  mutation run; figures written to docs/fuzzing.md
#   make mcu       the core on Cortex-M4 and RV32IMC in QEMU (examples/mcu_ota), footprint in BENCHMARKS.md
#   make format    apply .clang-format to every C file of the tree
# Each target installs the Debian packages it needs when they are missing (scripts/install-deps.sh).

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
RELEASE_DIR := build/release
CHECK_DIR := build/check
FUZZ_DIR := build/fuzz
# make fuzz: time cap per harness, optional stop after FUZZ_RUNS executions and a total budget in
# seconds shared by all harnesses (0 = none), mutations of the command-line run.
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= 0
FUZZ_BUDGET ?= 0
FUZZ_CLI_MUTATIONS ?= 1000
FUZZ_COMMAND = make fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_BUDGET=$(FUZZ_BUDGET) FUZZ_CLI_MUTATIONS=$(FUZZ_CLI_MUTATIONS)
PREFIX ?= /usr/local

MCU_DIR := build/mcu-host

.PHONY: all release demo check check-build powercut bench fuzz fuzz-build mcu install format clean

all: release

release:
	@scripts/install-deps.sh build
	cmake -S . -B $(RELEASE_DIR) -DCMAKE_BUILD_TYPE=Release -DOTA_BUILD_TESTS=OFF
	cmake --build $(RELEASE_DIR) -j$(JOBS)

demo: release
	@scripts/install-deps.sh demo
	scripts/demo.sh $(RELEASE_DIR)/tools/ota/ota

check: check-build
	ctest --test-dir $(CHECK_DIR) --output-on-failure -j$(JOBS)

check-build:
	@scripts/install-deps.sh test
	cmake -S . -B $(CHECK_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOTA_WERROR=ON -DOTA_SANITIZE=ON
	cmake --build $(CHECK_DIR) -j$(JOBS)

powercut: check-build
	$(CHECK_DIR)/tests/powercut/ota_powercut --all
	$(CHECK_DIR)/tests/powercut/ota_powercut --all --delta
	$(CHECK_DIR)/tests/powercut/ota_powercut --all --secure
	$(CHECK_DIR)/tests/powercut/ota_powercut --all --secure --delta
	$(CHECK_DIR)/tests/powercut/ota_powercut --all --release
	$(CHECK_DIR)/tests/powercut/ota_powercut --all --release --rollback
	$(CHECK_DIR)/tests/powercut/ota_powercut --all --release --data-only

bench:
	@scripts/install-deps.sh bench
	cmake -S . -B $(RELEASE_DIR) -DCMAKE_BUILD_TYPE=Release -DOTA_BUILD_TESTS=OFF
	cmake --build $(RELEASE_DIR) -j$(JOBS)
	bench/run.sh $(RELEASE_DIR)

fuzz-build:
	@scripts/install-deps.sh test
	scripts/fuzz.py build --build $(FUZZ_DIR) --jobs $(JOBS)

fuzz: fuzz-build check-build
	nice scripts/fuzz.py report --build $(FUZZ_DIR) --seconds $(FUZZ_SECONDS) --runs $(FUZZ_RUNS) \
	  --budget $(FUZZ_BUDGET) --ota $(CHECK_DIR)/tools/ota/ota --cli-mutations $(FUZZ_CLI_MUTATIONS) \
	  --doc docs/fuzzing.md --command "$(FUZZ_COMMAND)"

# The firmware for both targets (ExternalProject of tests/mcu), the `ota` CLI the QEMU runs are
# compared with, the mcu tests, then the footprint table of both builds into BENCHMARKS.md.
mcu:
	@scripts/install-deps.sh mcu
	cmake -S . -B $(MCU_DIR) -DCMAKE_BUILD_TYPE=Release -DOTA_WERROR=ON
	cmake --build $(MCU_DIR) -j$(JOBS) --target ota mcu_firmware_cortex-m4 mcu_firmware_rv32imc
	ctest --test-dir $(MCU_DIR) -L mcu --output-on-failure -j$(JOBS)
	python3 scripts/mcu_footprint.py --write BENCHMARKS.md $(MCU_DIR)/mcu/cortex-m4 $(MCU_DIR)/mcu/rv32imc

install: release
	cmake --install $(RELEASE_DIR) --prefix $(PREFIX)

format:
	git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf build
