/* Emulated NOR flash; see ota_flash_emu.h for the model. */
#include "ota/sim/ota_flash_emu.h"

#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"

static const char *TAG = "flash_emu";

struct ota_flash_emu {
    ota_flash_t flash; /* first member: ota_flash_emu_flash() returns its address */
    ota_flash_emu_config_t cfg;
    uint8_t *mem;
    bool owns_mem;
    uint32_t *wear; /* erase count per sector */
    ota_flash_emu_stats_t stats;
    uint64_t ops;       /* program + erase operations attempted */
    uint64_t cut_at_op; /* absolute op number to interrupt; 0 = none */
    ota_flash_cut_mode_t cut_mode;
    uint64_t rng; /* torn-content generator state */
    bool powered_off;
    uint32_t last_fault_addr;
    ota_flash_fault_t fault; /* kind NONE: healthy */
    uint64_t fault_at;       /* absolute op number of the trigger; 0: active since armed */
    bool fault_active;
    uint64_t fault_hits;
    uint64_t fault_rng;
};

/* splitmix64: tiny, good enough to spread torn bits, and reproducible across platforms. */
static uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t *state, uint64_t bound)
{
    return bound == 0 ? 0 : rng_next(state) % bound;
}

static void apply_timing_defaults(ota_flash_timing_t *t)
{
    if (t->sector_erase_us == 0)
        t->sector_erase_us = 45000;
    if (t->block_erase_us == 0)
        t->block_erase_us = 150000;
    if (t->page_program_us == 0)
        t->page_program_us = 700;
    if (t->read_clock_hz == 0)
        t->read_clock_hz = 40000000;
    if (t->read_bus_width == 0)
        t->read_bus_width = 4;
    if (t->read_setup_clocks == 0)
        t->read_setup_clocks = 20;
}

/* Returns true when this operation must be interrupted (and switches the power off). */
static bool take_cut(ota_flash_emu_t *emu)
{
    emu->ops++;
    if (emu->cut_at_op != 0 && emu->ops == emu->cut_at_op) {
        emu->powered_off = true;
        emu->cut_at_op = 0;
        return true;
    }
    return false;
}

static bool overlaps(uint32_t a, size_t a_len, uint32_t b, uint32_t b_len)
{
    return a_len > 0 && b_len > 0 && (uint64_t)a < (uint64_t)b + b_len && (uint64_t)b < (uint64_t)a + a_len;
}

/* What an injected fault does to the program/erase just counted (emu->ops): FAULT_OK (go on),
 * FAULT_FAIL (report an error, half done) or FAULT_WORN (program with stuck bits). */
enum {
    FAULT_OK = 0,
    FAULT_FAIL,
    FAULT_WORN
};

static int fault_on_write(ota_flash_emu_t *emu, uint32_t addr, size_t len)
{
    ota_flash_fault_t *f = &emu->fault;
    if (f->kind == OTA_FLASH_FAULT_NONE) {
        return FAULT_OK;
    }
    bool trigger = !emu->fault_active && emu->fault_at == emu->ops;
    if (trigger) {
        emu->fault_active = true;
        if (f->len == 0) { /* the sectors this operation touches */
            uint32_t s = emu->flash.sector_size;
            f->addr = addr / s * s;
            f->len = (uint32_t)(((uint64_t)addr + len + s - 1) / s * s - f->addr);
        }
    }
    if (!emu->fault_active) {
        return FAULT_OK;
    }
    switch (f->kind) {
    case OTA_FLASH_FAULT_OP_ERROR:
        if (trigger || (emu->fault_at == 0 && overlaps(addr, len, f->addr, f->len))) {
            f->kind = OTA_FLASH_FAULT_NONE; /* once */
            emu->fault_hits++;
            return FAULT_FAIL;
        }
        return FAULT_OK;
    case OTA_FLASH_FAULT_BAD_SECTOR:
        if (overlaps(addr, len, f->addr, f->len)) {
            emu->fault_hits++;
            return FAULT_FAIL;
        }
        return FAULT_OK;
    default: return FAULT_OK;
    }
}

/* A program into worn cells: is any sector it touches in the range and at the wear limit? */
static bool program_is_worn(ota_flash_emu_t *emu, uint32_t addr, size_t len)
{
    const ota_flash_fault_t *f = &emu->fault;
    if (!emu->fault_active || f->kind != OTA_FLASH_FAULT_WORN || !overlaps(addr, len, f->addr, f->len)) {
        return false;
    }
    for (uint32_t s = addr / emu->flash.sector_size; s <= (addr + len - 1) / emu->flash.sector_size; s++) {
        if (emu->wear[s] >= f->wear_limit) {
            return true;
        }
    }
    return false;
}

/* Reads through a bad-read range come back with bits flipped. */
static bool read_is_bad(ota_flash_emu_t *emu, uint32_t addr, size_t len)
{
    const ota_flash_fault_t *f = &emu->fault;
    return emu->fault_active && f->kind == OTA_FLASH_FAULT_BAD_READ && overlaps(addr, len, f->addr, f->len);
}

/* A read as the chip sees it: counters and time (a mapped read costs the same bus cycles). */
static void account_read(ota_flash_emu_t *emu, size_t len)
{
    const ota_flash_timing_t *t = &emu->cfg.timing;
    uint64_t clocks = t->read_setup_clocks + (uint64_t)len * 8u / t->read_bus_width;
    emu->stats.read_ops++;
    emu->stats.read_bytes += len;
    emu->stats.sim_time_ns += clocks * 1000000000ull / t->read_clock_hz;
}

static int emu_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    ota_flash_emu_t *emu = ctx;
    if (emu->powered_off) {
        return OTA_ERR_FLASH_POWER_LOST;
    }
    memcpy(buf, emu->mem + addr, len);
    if (read_is_bad(emu, addr, len)) {
        uint8_t *p = buf;
        for (size_t i = 0; i < len; i++) {
            if (overlaps(addr + (uint32_t)i, 1, emu->fault.addr, emu->fault.len)) {
                p[i] ^= (uint8_t)(rng_next(&emu->fault_rng) | 1u);
            }
        }
        emu->fault_hits++;
    }
    account_read(emu, len);
    return OTA_OK;
}

static int emu_map(void *ctx, uint32_t addr, size_t len, const void **out)
{
    ota_flash_emu_t *emu = ctx;
    if (emu->powered_off) {
        return OTA_ERR_FLASH_POWER_LOST;
    }
    if (read_is_bad(emu, addr, len)) {
        return OTA_ERR_NOT_SUPPORTED; /* the caller reads a copy, which comes back garbled */
    }
    *out = emu->mem + addr;
    account_read(emu, len);
    return OTA_OK;
}

/* Torn program: either a prefix is fully written and the byte at the cut gets some of its bits,
 * or every bit that should go 1->0 does so with probability 1/2. Both happen on real chips
 * depending on where in the page sequence the supply collapses. A torn program is by definition
 * incomplete: if chance cleared every bit, one is left at 1 so a test can rely on it. */
static void torn_program(ota_flash_emu_t *emu, uint32_t addr, const uint8_t *src, size_t len)
{
    uint8_t *dst = emu->mem + addr;
    size_t last_pending = len; /* a byte that still had bits to clear before the cut */
    if (rng_next(&emu->rng) & 1u) {
        size_t cut = (size_t)rng_below(&emu->rng, len);
        for (size_t i = 0; i < cut; i++) {
            dst[i] &= src[i];
        }
        for (size_t i = cut; i < len; i++) {
            if (dst[i] & ~src[i]) {
                last_pending = i;
            }
        }
        uint8_t clear = (uint8_t)(dst[cut] & ~src[cut]);
        dst[cut] &= (uint8_t) ~(clear & (uint8_t)rng_next(&emu->rng));
    } else {
        for (size_t i = 0; i < len; i++) {
            uint8_t clear = (uint8_t)(dst[i] & ~src[i]);
            if (clear) {
                last_pending = i;
            }
            dst[i] &= (uint8_t) ~(clear & (uint8_t)rng_next(&emu->rng));
        }
    }
    if (last_pending < len && memcmp(dst, src, len) == 0) {
        /* put back the lowest bit that had to be cleared in that byte */
        uint8_t was_one = (uint8_t)~src[last_pending];
        dst[last_pending] |= (uint8_t)(was_one & (uint8_t)-was_one);
    }
}

/* The strict check and the AND run in 64-bit words (memcpy loads: no alignment or aliasing
 * assumptions), which the compiler vectorises; byte loops here cost as much as a SHA-256 pass
 * over the same bytes (bench/: emu_program was ~8 instructions per programmed byte). */
#define WORD_SIZE sizeof(uint64_t)

/* Bits that @p src would have to raise from 0 to 1 in @p dst, OR-ed over @p len bytes. */
static uint64_t raise_bits(const uint8_t *dst, const uint8_t *src, size_t len)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + WORD_SIZE <= len; i += WORD_SIZE) {
        uint64_t d, s;
        memcpy(&d, dst + i, WORD_SIZE);
        memcpy(&s, src + i, WORD_SIZE);
        acc |= ~d & s;
    }
    for (; i < len; i++) {
        acc |= (uint8_t)(~dst[i] & src[i]);
    }
    return acc;
}

static void and_bytes(uint8_t *dst, const uint8_t *src, size_t len)
{
    size_t i = 0;
    for (; i + WORD_SIZE <= len; i += WORD_SIZE) {
        uint64_t d, s;
        memcpy(&d, dst + i, WORD_SIZE);
        memcpy(&s, src + i, WORD_SIZE);
        d &= s;
        memcpy(dst + i, &d, WORD_SIZE);
    }
    for (; i < len; i++) {
        dst[i] &= src[i];
    }
}

static int emu_program(void *ctx, uint32_t addr, const void *buf, size_t len)
{
    ota_flash_emu_t *emu = ctx;
    const uint8_t *src = buf;
    if (emu->powered_off) {
        return OTA_ERR_FLASH_POWER_LOST;
    }
    if (emu->cfg.readonly) {
        return OTA_ERR_FLASH_READONLY;
    }
    if (emu->cfg.strict && raise_bits(emu->mem + addr, src, len) != 0) {
        for (size_t i = 0; i < len; i++) { /* the slow path only finds the first offender */
            uint8_t raise = (uint8_t)(~emu->mem[addr + i] & src[i]);
            if (raise != 0) {
                emu->last_fault_addr = addr + (uint32_t)i;
                OTA_LOGE(TAG,
                         "program at 0x%08x would set bits 0x%02x from 0 to 1 (byte is 0x%02x, "
                         "wanted 0x%02x): erase first",
                         (unsigned)(addr + i), raise, emu->mem[addr + i], src[i]);
                break;
            }
        }
        return OTA_ERR_FLASH_PROGRAM_ONE;
    }
    if (take_cut(emu)) {
        if (emu->cut_mode == OTA_FLASH_CUT_TORN) {
            torn_program(emu, addr, src, len);
        }
        return OTA_ERR_FLASH_POWER_LOST;
    }
    if (fault_on_write(emu, addr, len) == FAULT_FAIL) {
        uint64_t saved = emu->rng;
        emu->rng = emu->fault_rng;
        torn_program(emu, addr, src, len); /* the chip gave up part way */
        emu->fault_rng = emu->rng;
        emu->rng = saved;
        emu->last_fault_addr = addr;
        OTA_LOGE(TAG, "program at 0x%08x (%u bytes) failed: the chip reports a program error", (unsigned)addr,
                 (unsigned)len);
        return OTA_ERR_FLASH_PROGRAM_FAILED;
    }
    uint8_t *dst = emu->mem + addr;
    and_bytes(dst, src, len);
    if (program_is_worn(emu, addr, len)) {
        for (size_t i = 0; i < len; i++) { /* one bit that should have cleared stays 1 */
            uint8_t clear = (uint8_t)~src[i];
            dst[i] |= (uint8_t)(clear & (uint8_t)-clear);
        }
        emu->fault_hits++;
    }
    uint64_t first_page = addr / emu->flash.page_size;
    uint64_t last_page = (addr + len - 1) / emu->flash.page_size;
    uint64_t pages = last_page - first_page + 1;
    emu->stats.program_ops++;
    emu->stats.program_bytes += len;
    emu->stats.program_pages += pages;
    emu->stats.sim_time_ns += pages * emu->cfg.timing.page_program_us * 1000ull;
    return OTA_OK;
}

/* Torn erase: a block erase has done some of its sectors; the sector being erased when the power
 * went holds bits that drifted towards 1 at random. */
static void torn_erase(ota_flash_emu_t *emu, uint32_t addr, uint32_t len)
{
    uint32_t sectors = len / emu->flash.sector_size;
    uint32_t cut = (uint32_t)rng_below(&emu->rng, sectors);
    memset(emu->mem + addr, OTA_FLASH_ERASED_BYTE, (size_t)cut * emu->flash.sector_size);
    uint8_t *s = emu->mem + addr + (size_t)cut * emu->flash.sector_size;
    for (uint32_t i = 0; i < emu->flash.sector_size; i++) {
        s[i] |= (uint8_t)rng_next(&emu->rng);
    }
}

static int emu_erase(void *ctx, uint32_t addr, uint32_t len)
{
    ota_flash_emu_t *emu = ctx;
    if (emu->powered_off) {
        return OTA_ERR_FLASH_POWER_LOST;
    }
    if (emu->cfg.readonly) {
        return OTA_ERR_FLASH_READONLY;
    }
    bool block = len == emu->flash.block_size;
    if ((!block && len != emu->flash.sector_size) || addr % len != 0) {
        emu->last_fault_addr = addr;
        return OTA_ERR_FLASH_MISALIGNED;
    }
    if (take_cut(emu)) {
        if (emu->cut_mode == OTA_FLASH_CUT_TORN) {
            torn_erase(emu, addr, len);
        }
        return OTA_ERR_FLASH_POWER_LOST;
    }
    if (fault_on_write(emu, addr, len) == FAULT_FAIL) {
        uint64_t saved = emu->rng;
        emu->rng = emu->fault_rng;
        torn_erase(emu, addr, len); /* erase error: the unit is left neither old nor erased */
        emu->fault_rng = emu->rng;
        emu->rng = saved;
        emu->last_fault_addr = addr;
        OTA_LOGE(TAG, "erase at 0x%08x (%u bytes) failed: the chip reports an erase error", (unsigned)addr,
                 (unsigned)len);
        return OTA_ERR_FLASH_ERASE_FAILED;
    }
    memset(emu->mem + addr, OTA_FLASH_ERASED_BYTE, len);
    uint32_t first = addr / emu->flash.sector_size;
    uint32_t count = len / emu->flash.sector_size;
    for (uint32_t s = first; s < first + count; s++) {
        emu->wear[s]++;
        if (emu->wear[s] > emu->stats.max_sector_wear) {
            emu->stats.max_sector_wear = emu->wear[s];
        }
    }
    if (block) {
        emu->stats.block_erases++;
        emu->stats.sim_time_ns += emu->cfg.timing.block_erase_us * 1000ull;
    } else {
        emu->stats.sector_erases++;
        emu->stats.sim_time_ns += emu->cfg.timing.sector_erase_us * 1000ull;
    }
    emu->stats.erase_bytes += len;
    return OTA_OK;
}

static const ota_flash_ops_t k_emu_ops = {
    .read = emu_read,
    .program = emu_program,
    .erase = emu_erase,
    .map = emu_map,
};

int ota_flash_emu_create(const ota_flash_emu_config_t *cfg, uint8_t *memory, ota_flash_emu_t **out)
{
    if (cfg == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    *out = NULL;
    ota_flash_emu_config_t c = *cfg;
    if (c.size == 0) {
        c.size = OTA_FLASH_EMU_DEFAULT_SIZE;
    }
    if (c.size % OTA_FLASH_BLOCK_SIZE != 0 || c.size > OTA_FLASH_EMU_MAX_SIZE) {
        return OTA_ERR_FLASH_GEOMETRY;
    }
    apply_timing_defaults(&c.timing);

    ota_flash_emu_t *emu = ota_calloc(1, sizeof *emu);
    if (emu == NULL) {
        return OTA_ERR_NO_MEM;
    }
    emu->cfg = c;
    emu->wear = ota_calloc(c.size / OTA_FLASH_SECTOR_SIZE, sizeof *emu->wear);
    if (memory == NULL) {
        emu->mem = ota_malloc(c.size);
        emu->owns_mem = true;
        if (emu->mem != NULL) {
            memset(emu->mem, OTA_FLASH_ERASED_BYTE, c.size);
        }
    } else {
        emu->mem = memory;
    }
    if (emu->wear == NULL || emu->mem == NULL) {
        ota_flash_emu_destroy(emu);
        return OTA_ERR_NO_MEM;
    }
    emu->flash = (ota_flash_t){
        .ops = &k_emu_ops,
        .ctx = emu,
        .size = c.size,
        .sector_size = OTA_FLASH_SECTOR_SIZE,
        .block_size = OTA_FLASH_BLOCK_SIZE,
        .page_size = OTA_FLASH_PAGE_SIZE,
    };
    emu->last_fault_addr = UINT32_MAX;
    *out = emu;
    return OTA_OK;
}

void ota_flash_emu_destroy(ota_flash_emu_t *emu)
{
    if (emu == NULL) {
        return;
    }
    if (emu->owns_mem) {
        ota_free(emu->mem);
    }
    ota_free(emu->wear);
    ota_free(emu);
}

ota_flash_t *ota_flash_emu_flash(ota_flash_emu_t *emu)
{
    return &emu->flash;
}

uint8_t *ota_flash_emu_memory(ota_flash_emu_t *emu)
{
    return emu->mem;
}

const ota_flash_emu_config_t *ota_flash_emu_config(const ota_flash_emu_t *emu)
{
    return &emu->cfg;
}

void ota_flash_emu_get_stats(const ota_flash_emu_t *emu, ota_flash_emu_stats_t *out)
{
    *out = emu->stats;
}

void ota_flash_emu_reset_stats(ota_flash_emu_t *emu)
{
    uint32_t wear = emu->stats.max_sector_wear;
    memset(&emu->stats, 0, sizeof emu->stats);
    emu->stats.max_sector_wear = wear;
}

uint32_t ota_flash_emu_sector_wear(const ota_flash_emu_t *emu, uint32_t sector_index)
{
    return sector_index < emu->cfg.size / OTA_FLASH_SECTOR_SIZE ? emu->wear[sector_index] : 0;
}

uint64_t ota_flash_emu_op_count(const ota_flash_emu_t *emu)
{
    return emu->ops;
}

void ota_flash_emu_schedule_cut(ota_flash_emu_t *emu, uint64_t k, ota_flash_cut_mode_t mode, uint64_t seed)
{
    emu->cut_at_op = k == 0 ? 0 : emu->ops + k;
    emu->cut_mode = mode;
    /* Mix k into the seed so every cut point of one sweep gets different torn contents. */
    emu->rng = seed ^ (k * 0xD1B54A32D192ED03ull);
}

bool ota_flash_emu_is_powered_off(const ota_flash_emu_t *emu)
{
    return emu->powered_off;
}

void ota_flash_emu_power_on(ota_flash_emu_t *emu)
{
    emu->powered_off = false;
    emu->cut_at_op = 0;
}

void ota_flash_emu_set_fault(ota_flash_emu_t *emu, const ota_flash_fault_t *fault)
{
    memset(&emu->fault, 0, sizeof emu->fault);
    emu->fault_active = false;
    emu->fault_hits = 0;
    if (fault == NULL || fault->kind == OTA_FLASH_FAULT_NONE) {
        return;
    }
    emu->fault = *fault;
    emu->fault_rng = fault->seed ^ 0xA0761D6478BD642Full;
    if (fault->at_op == 0) {
        emu->fault_at = 0;
        emu->fault_active = true;
        if (emu->fault.len == 0) {
            emu->fault.addr = 0;
            emu->fault.len = emu->cfg.size;
        }
    } else {
        emu->fault_at = emu->ops + fault->at_op;
    }
}

uint64_t ota_flash_emu_fault_hits(const ota_flash_emu_t *emu)
{
    return emu->fault_hits;
}

uint32_t ota_flash_emu_last_fault_addr(const ota_flash_emu_t *emu)
{
    return emu->last_fault_addr;
}
