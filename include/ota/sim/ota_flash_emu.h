/**
 * @file ota_flash_emu.h
 * @brief Emulated NOR flash with counters, a timing model and power-cut injection.
 *
 * Modelled on littlefs's lfs_emubd: the emulator works on a byte array that is either its own RAM
 * or memory the caller provides (the POSIX port maps a device image file, see
 * ota_flash_file.h), and adds what a test or benchmark needs to know about a real chip:
 *
 *  - NOR semantics: erase to 0xFF on sector/block boundaries, program ANDs bits; in strict mode a
 *    program that would turn a 0 bit back into 1 fails and logs the address (ESP-IDF's Linux
 *    emulation calls this "invalid flash operation detected").
 *  - counters: operations and bytes per kind, erase count per sector (wear);
 *  - simulated device time from per-operation costs (default: W25Q32 typical figures);
 *  - power cuts: "cut before the k-th program/erase from now", either clean (that operation does
 *    nothing) or torn (a program writes a prefix or a random subset of its bits, an erase leaves
 *    random content), deterministic from a seed. After a cut the chip is off: every operation,
 *    reads included, fails with OTA_ERR_FLASH_POWER_LOST until ota_flash_emu_power_on() (the
 *    equivalent of reopening the device).
 *  - faults of a worn or failing chip (lfs_emubd's bad-block modes, MCUboot's simulator): an erase
 *    or program that reports an error, a bad sector, reads that return garbage, cells that stop
 *    programming after a wear limit; armed at an operation number and/or an address range.
 */
#ifndef OTA_FLASH_EMU_H
#define OTA_FLASH_EMU_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/port/ota_flash.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_FLASH_EMU_DEFAULT_SIZE (4u * 1024u * 1024u)
#define OTA_FLASH_EMU_MAX_SIZE     (16u * 1024u * 1024u)

/** Cost of each chip operation. A field left 0 takes its W25Q32 default. */
typedef struct {
    uint32_t sector_erase_us;   /**< 4 KiB sector erase; default 45000 (45 ms, W25Q32 tSE typ) */
    uint32_t block_erase_us;    /**< 64 KiB block erase; default 150000 (150 ms, tBE2 typ) */
    uint32_t page_program_us;   /**< one page program, full or partial; default 700 (tPP typ) */
    uint32_t read_clock_hz;     /**< SPI clock for reads; default 40 MHz */
    uint32_t read_bus_width;    /**< data lines for reads; default 4 (quad I/O) */
    uint32_t read_setup_clocks; /**< command + address + dummy clocks per read; default 20 */
} ota_flash_timing_t;

typedef struct {
    uint32_t size;             /**< bytes: multiple of 64 KiB, at most 16 MiB; 0 = 4 MiB */
    bool strict;               /**< program 0->1 is an error (recommended; tests use it) */
    bool readonly;             /**< program and erase fail with OTA_ERR_FLASH_READONLY */
    ota_flash_timing_t timing; /**< operation costs; zeros take the defaults */
} ota_flash_emu_config_t;

typedef enum {
    OTA_FLASH_CUT_CLEAN = 0, /**< the interrupted operation has no effect */
    OTA_FLASH_CUT_TORN = 1,  /**< the interrupted operation is partly done, randomly */
} ota_flash_cut_mode_t;

typedef struct {
    uint64_t read_ops;
    uint64_t read_bytes;
    uint64_t program_ops;
    uint64_t program_bytes;
    uint64_t program_pages; /**< page-program commands: pages touched by program calls */
    uint64_t sector_erases;
    uint64_t block_erases;
    uint64_t erase_bytes;
    uint64_t sim_time_ns;     /**< simulated device time of all operations */
    uint32_t max_sector_wear; /**< highest per-sector erase count */
} ota_flash_emu_stats_t;

typedef struct ota_flash_emu ota_flash_emu_t;

/**
 * Create an emulator. With @p memory NULL it allocates cfg->size bytes of RAM filled with 0xFF;
 * otherwise it works on the caller's @p memory (cfg->size bytes, contents kept, not freed).
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL cfg or out); OTA_ERR_FLASH_GEOMETRY (size not a
 *         multiple of 64 KiB, or above the maximum); OTA_ERR_NO_MEM.
 */
int ota_flash_emu_create(const ota_flash_emu_config_t *cfg, uint8_t *memory, ota_flash_emu_t **out);
void ota_flash_emu_destroy(ota_flash_emu_t *emu);

/** The device interface of this emulator (valid until destroy). */
ota_flash_t *ota_flash_emu_flash(ota_flash_emu_t *emu);

/** Direct access to the array, for test harnesses that inspect state without counting. */
uint8_t *ota_flash_emu_memory(ota_flash_emu_t *emu);

/** The configuration in effect (defaults filled in). */
const ota_flash_emu_config_t *ota_flash_emu_config(const ota_flash_emu_t *emu);

void ota_flash_emu_get_stats(const ota_flash_emu_t *emu, ota_flash_emu_stats_t *out);
/** Zero the operation counters and simulated time; wear counts are kept (they are the chip's). */
void ota_flash_emu_reset_stats(ota_flash_emu_t *emu);
/** Erase count of one sector since the emulator was created. */
uint32_t ota_flash_emu_sector_wear(const ota_flash_emu_t *emu, uint32_t sector_index);

/** Program and erase operations attempted since creation (power-cut points are counted in these). */
uint64_t ota_flash_emu_op_count(const ota_flash_emu_t *emu);

/**
 * Cut the power before the @p k-th program/erase operation from now (k >= 1; 0 cancels).
 * @p seed makes torn contents reproducible.
 */
void ota_flash_emu_schedule_cut(ota_flash_emu_t *emu, uint64_t k, ota_flash_cut_mode_t mode, uint64_t seed);
/** True once a scheduled cut has happened and until power_on. */
bool ota_flash_emu_is_powered_off(const ota_flash_emu_t *emu);
/** Power the chip back on (contents as the cut left them) and cancel any scheduled cut. */
void ota_flash_emu_power_on(ota_flash_emu_t *emu);

/** What a failing chip does (ota_flash_fault_t.kind). */
typedef enum {
    OTA_FLASH_FAULT_NONE = 0,
    /** The triggering erase or program reports OTA_ERR_FLASH_ERASE_FAILED / _PROGRAM_FAILED and is
     *  left half done (random content / a random part of its bits), once; the chip then works. */
    OTA_FLASH_FAULT_OP_ERROR,
    /** Every erase and program touching the range fails like OP_ERROR, from the trigger on. */
    OTA_FLASH_FAULT_BAD_SECTOR,
    /** Reads touching the range return bits flipped at random (no error), from the trigger on. */
    OTA_FLASH_FAULT_BAD_READ,
    /** Worn cells: a program touching a sector of the range whose erase count is >= wear_limit
     *  leaves one bit per programmed byte that should go to 0 at 1 and reports success. */
    OTA_FLASH_FAULT_WORN,
} ota_flash_fault_kind_t;

typedef struct {
    ota_flash_fault_kind_t kind;
    uint64_t at_op;      /**< trigger before the at_op-th program/erase from now (1-based); 0: at once */
    uint32_t addr, len;  /**< affected range; len 0: the sector(s) the triggering operation touches */
    uint32_t wear_limit; /**< OTA_FLASH_FAULT_WORN: erase count from which a sector is worn */
    uint64_t seed;       /**< garbage and half-done contents are reproducible from it */
} ota_flash_fault_t;

/** Arm @p fault (NULL or kind NONE: a healthy chip again). One fault at a time. */
void ota_flash_emu_set_fault(ota_flash_emu_t *emu, const ota_flash_fault_t *fault);
/** Operations (and reads) the fault has affected since it was armed. */
uint64_t ota_flash_emu_fault_hits(const ota_flash_emu_t *emu);

/** Address of the last strict-mode or bounds violation (for messages), or UINT32_MAX. */
uint32_t ota_flash_emu_last_fault_addr(const ota_flash_emu_t *emu);

#ifdef __cplusplus
}
#endif
#endif /* OTA_FLASH_EMU_H */
