/* The core's flash device (ota_flash.h) on ESP-IDF's esp_partition_read / write / erase_range.
 *
 * Why esp_partition and not esp_flash_*: the core addresses the whole chip (the table at 0x8000,
 * otadata, the app slots, data partitions), but on ESP-IDF every access that goes through
 * esp_partition gets the partition's read-only flag and flash-encryption handling, and the same
 * code runs on ESP-IDF's Linux target (partition_linux.c: a flash image file, with power-off
 * emulation), where esp_flash_* has no implementation. So each request is split at partition
 * boundaries and sent to the partition that holds it. The ranges the table does not cover
 * (bootloader, the table's own sector, any hole, the end of the chip) are registered once as
 * external partitions so that they can be read through the same API; the port refuses to program
 * or erase them (OTA_ERR_FLASH_READONLY): the service never writes there, and ESP-IDF's own
 * dangerous-write check would stop a write to the bootloader or table anyway.
 * No map(): esp_partition_mmap hands out MMU pages whose handles must be freed, and the core's
 * map contract lets several views live at once; reads into the work buffer are used instead. */
#include "flash_esp_partition.h"

#include <stdio.h>
#include <string.h>

#include "esp_err.h"
#include "ota/ota_err.h"
#include "sdkconfig.h"
#if CONFIG_IDF_TARGET_LINUX
#include "esp_private/partition_linux.h"
#else
#include "esp_flash.h"
#endif

/* a subtype no ESP-IDF partition uses, so the gaps are recognisable in esp_partition_find() */
#define GAP_SUBTYPE ((esp_partition_subtype_t)0xfe)

typedef enum {
    OP_READ,
    OP_PROGRAM,
    OP_ERASE
} op_t;

static int map_err(esp_err_t e, op_t op)
{
    switch (e) {
    case ESP_OK: return OTA_OK;
    case ESP_ERR_NO_MEM: return OTA_ERR_NO_MEM;
    case ESP_ERR_NOT_ALLOWED: return OTA_ERR_FLASH_READONLY; /* a read-only partition */
    case ESP_ERR_INVALID_ARG:
    case ESP_ERR_INVALID_SIZE: return OTA_ERR_FLASH_OUT_OF_RANGE;
    default:
        /* ESP_ERR_FLASH_OP_FAIL and the rest: the chip (or the Linux target's emulated power-off,
         * which reports the interrupted operation this way) did not complete it */
        return op == OP_ERASE ? OTA_ERR_FLASH_ERASE_FAILED : OTA_ERR_FLASH_PROGRAM_FAILED;
    }
}

/* Index of the region holding addr (regions are sorted and cover the flash). */
static size_t region_of(const ota_esp_flash_t *f, uint32_t addr)
{
    size_t lo = 0, hi = f->count;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (f->region[mid]->address <= addr) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Apply op to [addr, addr+len), one partition at a time. */
static int each_region(ota_esp_flash_t *f, op_t op, uint32_t addr, uint8_t *rbuf, const uint8_t *wbuf,
                       size_t len)
{
    while (len > 0) {
        size_t i = region_of(f, addr);
        const esp_partition_t *p = f->region[i];
        size_t off = addr - p->address;
        size_t n = p->size - off < len ? p->size - off : len;
        if (op != OP_READ && f->is_gap[i]) {
            return OTA_ERR_FLASH_READONLY;
        }
        esp_err_t e = op == OP_READ      ? esp_partition_read(p, off, rbuf, n)
                      : op == OP_PROGRAM ? esp_partition_write(p, off, wbuf, n)
                                         : esp_partition_erase_range(p, off, n);
        if (e != ESP_OK) {
            return map_err(e, op == OP_READ ? OP_PROGRAM : op);
        }
        addr += (uint32_t)n;
        len -= n;
        rbuf = rbuf != NULL ? rbuf + n : NULL;
        wbuf = wbuf != NULL ? wbuf + n : NULL;
    }
    return OTA_OK;
}

static int op_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    int err = each_region(ctx, OP_READ, addr, buf, NULL, len);
    /* a failed read is neither a program nor an erase: report it as the device's failure */
    return err == OTA_ERR_FLASH_PROGRAM_FAILED ? OTA_ERR_IO : err;
}

static int op_program(void *ctx, uint32_t addr, const void *buf, size_t len)
{
    return each_region(ctx, OP_PROGRAM, addr, NULL, buf, len);
}

static int op_erase(void *ctx, uint32_t addr, uint32_t len)
{
    return each_region(ctx, OP_ERASE, addr, NULL, NULL, len);
}

static const ota_flash_ops_t k_ops = {op_read, op_program, op_erase, NULL};

static int chip_size(uint32_t *size)
{
#if CONFIG_IDF_TARGET_LINUX
    const esp_partition_file_mmap_ctrl_t *act = esp_partition_get_file_mmap_ctrl_act();
    if (act == NULL || act->flash_file_size == 0 || act->flash_file_size > UINT32_MAX) {
        return OTA_ERR_FLASH_GEOMETRY;
    }
    *size = (uint32_t)act->flash_file_size;
    return OTA_OK;
#else
    return esp_flash_get_size(NULL, size) == ESP_OK ? OTA_OK : OTA_ERR_FLASH_GEOMETRY;
#endif
}

static int add_region(ota_esp_flash_t *f, const esp_partition_t *p, bool gap)
{
    if (f->count == OTA_ESP_FLASH_MAX_REGIONS) {
        return OTA_ERR_NO_MEM;
    }
    size_t i = f->count++;
    while (i > 0 && f->region[i - 1]->address > p->address) { /* insertion sort by address */
        f->region[i] = f->region[i - 1];
        f->is_gap[i] = f->is_gap[i - 1];
        i--;
    }
    f->region[i] = p;
    f->is_gap[i] = gap ? 1 : 0;
    return OTA_OK;
}

static int register_gap(ota_esp_flash_t *f, uint32_t from, uint32_t to)
{
    char label[17];
    snprintf(label, sizeof label, "ota_gap_%06x", (unsigned)from);
    const esp_partition_t *p = NULL;
    esp_err_t e = esp_partition_register_external(NULL, from, to - from, label, ESP_PARTITION_TYPE_DATA,
                                                  GAP_SUBTYPE, &p);
    if (e != ESP_OK) {
        return e == ESP_ERR_NO_MEM ? OTA_ERR_NO_MEM : OTA_ERR_FLASH_GEOMETRY;
    }
    return add_region(f, p, true);
}

int ota_esp_flash_init(ota_esp_flash_t *f, uint32_t flash_size)
{
    if (f == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(f, 0, sizeof *f);
    /* loads the table first (on the Linux target that also maps the flash file, whose size
     * chip_size() then reads) */
    if (esp_partition_find_first(ESP_PARTITION_TYPE_ANY, ESP_PARTITION_SUBTYPE_ANY, NULL) == NULL) {
        return OTA_ERR_NOT_FOUND;
    }
    int err = flash_size != 0 ? OTA_OK : chip_size(&flash_size);
    if (err != OTA_OK) {
        return err;
    }
    if (flash_size == 0 || flash_size % OTA_FLASH_BLOCK_SIZE != 0 || flash_size > 16u * 1024 * 1024) {
        return OTA_ERR_FLASH_GEOMETRY;
    }
    esp_partition_iterator_t it = esp_partition_find(ESP_PARTITION_TYPE_ANY, ESP_PARTITION_SUBTYPE_ANY, NULL);
    if (it == NULL) {
        return OTA_ERR_NOT_FOUND;
    }
    for (; it != NULL && err == OTA_OK; it = esp_partition_next(it)) {
        const esp_partition_t *p = esp_partition_get(it);
#if !CONFIG_IDF_TARGET_LINUX
        if (p->flash_chip != esp_flash_default_chip) {
            continue; /* a partition on another chip (esp_partition_register_external) */
        }
#endif
        if (p->subtype == GAP_SUBTYPE && strncmp(p->label, "ota_gap_", 8) == 0) {
            continue; /* left by an earlier init without deinit */
        }
        if ((uint64_t)p->address + p->size > flash_size) {
            err = OTA_ERR_FLASH_GEOMETRY;
        } else {
            err = add_region(f, p, false);
        }
    }
    esp_partition_iterator_release(it);
    /* the gaps between the table's partitions (which ESP-IDF loads sorted and without overlap) */
    uint32_t gap_from[OTA_ESP_FLASH_MAX_REGIONS + 1], gap_to[OTA_ESP_FLASH_MAX_REGIONS + 1];
    size_t gaps = 0;
    uint32_t cursor = 0;
    for (size_t i = 0; i < f->count && err == OTA_OK; i++) {
        const esp_partition_t *p = f->region[i];
        if (p->address > cursor) {
            gap_from[gaps] = cursor;
            gap_to[gaps++] = p->address;
        }
        if (p->address + p->size > cursor) {
            cursor = p->address + p->size;
        }
    }
    if (cursor < flash_size) {
        gap_from[gaps] = cursor;
        gap_to[gaps++] = flash_size;
    }
    for (size_t i = 0; i < gaps && err == OTA_OK; i++) {
        err = register_gap(f, gap_from[i], gap_to[i]);
    }
    if (err != OTA_OK) {
        ota_esp_flash_deinit(f);
        return err;
    }
    f->flash = (ota_flash_t){
        .ops = &k_ops,
        .ctx = f,
        .size = flash_size,
        .sector_size = OTA_FLASH_SECTOR_SIZE,
        .block_size = OTA_FLASH_BLOCK_SIZE,
        .page_size = OTA_FLASH_PAGE_SIZE,
    };
    return OTA_OK;
}

void ota_esp_flash_deinit(ota_esp_flash_t *f)
{
    if (f == NULL) {
        return;
    }
    for (size_t i = 0; i < f->count; i++) {
        if (f->is_gap[i]) {
            (void)esp_partition_deregister_external(f->region[i]);
        }
    }
    memset(f, 0, sizeof *f);
}
