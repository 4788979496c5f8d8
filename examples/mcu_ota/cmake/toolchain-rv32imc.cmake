# RV32IMC (the ESP32-C3's instruction set), ilp32, Debian's riscv64-unknown-elf GCC + picolibc.
# picolibc has no rv32imc multilib: GCC links its rv32im one (no compressed code in libc only).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_ASM_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(OTA_MCU_TARGET rv32imc)
set(OTA_MCU_ARCH_FLAGS -march=rv32imc -mabi=ilp32 -mcmodel=medany)
set(OTA_MCU_LINKER_SCRIPT rv32imc-virt.ld)
set(OTA_MCU_TOOL_PREFIX riscv64-unknown-elf-)
set(OTA_MCU_QEMU qemu-system-riscv32 -M virt -bios none)
# Code and data share the one DRAM: a single RWX segment is what the board is.
set(OTA_MCU_EXTRA_LINK_FLAGS -Wl,--no-warn-rwx-segments)
# Code size (GCC's RISC-V option): prologues/epilogues call the shared __riscv_save_N /
# __riscv_restore_N routines of libgcc instead of saving each register inline.
set(OTA_MCU_SIZE_FLAGS -msave-restore)
