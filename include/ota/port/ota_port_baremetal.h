/**
 * @file ota_port_baremetal.h
 * @brief The bare-metal port (src/port/baremetal): no OS, no threads, I/O over semihosting.
 *
 * The worked example of docs/porting.md, run in QEMU by examples/mcu_ota for Cortex-M4
 * (mps2-an386) and RV32IMC (virt). What it provides:
 *  - ota_port.h: heap (picolibc malloc, counted with plain words: one thread), clock (SysTick on
 *    Cortex-M, the CLINT's mtime on RISC-V), sleep (busy wait), threads: none (ota_service_start
 *    answers OTA_ERR_NOT_SUPPORTED; run the service with ota_service_run());
 *  - ota_source_open(): file:// read from the host over semihosting (standing in for a network
 *    stack); http(s):// is refused with OTA_ERR_SRC_URI;
 *  - ota_crypto.h: CRC-32 here (the ROM's esp_rom_crc32_le on an ESP32); SHA-256, SHA-384 and
 *    MD5 from src/port/mbedtls; the public-key and AES-GCM functions from
 *    src/port/mbedtls/crypto_mbedtls_hash_only.c, which answer OTA_ERR_NOT_SUPPORTED (signature
 *    checks and decryption fail closed);
 *  - a log sink printing ESP-IDF lines on the semihosting console;
 *  - an emulated eFuse for the device's burn hook (the boards have none);
 *  - word-size atomics for cores without the A extension (rv32imc).
 * The flash is the NOR emulator of the host (src/sim/flash_emu.c) over a RAM array.
 */
#ifndef OTA_PORT_BAREMETAL_H
#define OTA_PORT_BAREMETAL_H

#include <stddef.h>
#include <stdint.h>

#include "ota/ota_device.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The bare-metal port's transport settings: an ota_source_config_t's `transport` points to one
 *  (NULL: defaults). The file source reads file://sdcard/NAME from the host over semihosting. */
typedef struct {
    const char *sdcard_root; /**< host directory file://sdcard/... maps to; NULL or "" = "./sdcard" */
} ota_source_baremetal_config_t;

/* ---- semihosting (ARM's numbers; RISC-V uses the same ones) ------------------------------
 * These return what the debugger's semihosting call returns, not ota_err_t codes. */
#define OTA_SEMIHOST_MODE_RB 1 /**< SYS_OPEN mode "rb" */
#define OTA_SEMIHOST_MODE_WB 5 /**< SYS_OPEN mode "wb" */

/** SYS_OPEN.
 *  @return a host file handle (>= 0), or -1 (not an ota_err_t). */
int ota_semihost_open(const char *path, int mode);
/** SYS_CLOSE.
 *  @return 0, or -1 (not an ota_err_t). */
int ota_semihost_close(int handle);
/** Bytes NOT read (0: all read), as SYS_READ reports, or -1. */
long ota_semihost_read(int handle, void *buf, size_t len);
/** Bytes NOT written (0: all written), or -1. */
long ota_semihost_write(int handle, const void *buf, size_t len);
/** File length, or -1. */
long ota_semihost_flen(int handle);
/** Seek to an absolute position (SYS_SEEK).
 *  @return 0, or negative (not an ota_err_t). */
int ota_semihost_seek(int handle, size_t pos);
/** Write a NUL-terminated string on the debug console. */
void ota_semihost_write0(const char *s);
/** The command line given to the debugger (QEMU: -semihosting-config arg=...), SYS_GET_CMDLINE.
 *  @return 0, or -1 (not an ota_err_t). */
int ota_semihost_get_cmdline(char *buf, size_t size);
/** End the program with @p status as the host process's exit status (SYS_EXIT_EXTENDED). */
_Noreturn void ota_semihost_exit(int status);

/* ---- set-up ------------------------------------------------------------------------------- */
/** Start the clock (Cortex-M: SysTick at 1 kHz from @p cpu_hz; RISC-V: nothing, mtime runs). */
void ota_baremetal_clock_init(uint32_t cpu_hz);
/** Print OTA_LOG* lines as "I (ms) TAG: message" on the semihosting console. */
void ota_baremetal_log_init(void);
/** Device hooks burning the port's emulated eFuse (a word that only gains bits). */
void ota_baremetal_device_hooks(ota_device_hooks_t *hooks);
/** Secure version burned in the emulated eFuse so far. */
uint32_t ota_baremetal_efuse_secure_version(void);

#ifdef __cplusplus
}
#endif
#endif /* OTA_PORT_BAREMETAL_H */
