/* A RAM device for the boot tests: a partition table from a CSV in testdata, apps built with the
 * image builder and written into slots, raw otadata access. */
#ifndef BOOT_FIXTURE_H
#define BOOT_FIXTURE_H

#include "test_support.h"

#include "ota/ota_device.h"
#include "ota/ota_otadata.h"

typedef struct {
    ota_flash_emu_t *emu;
    ota_device_t dev;
} fx_t;

/* A 4 MiB erased device with the table of testdata/partitions/<csv> at 0x8000. */
void fx_init(fx_t *fx, const char *csv);
/* The same with the CSV text given. */
void fx_init_csv_text(fx_t *fx, const char *text, size_t len);
void fx_free(fx_t *fx);
const ota_partition_info_t *fx_part(fx_t *fx, const char *label);
/* Erase the partition and write an ESP32 app image (version, secure_version, size, seed). */
void fx_write_app(fx_t *fx, const char *label, const char *version, uint32_t secure_version, uint32_t size);
/* Flip one byte at a partition-relative offset (erase-free: direct array access). */
void fx_corrupt(fx_t *fx, const char *label, uint32_t offset);
void fx_erase(fx_t *fx, const char *label);
void fx_otadata(fx_t *fx, ota_otadata_entry_t e[2]);
void fx_set_otadata(fx_t *fx, int index, uint32_t seq, uint32_t state);

#endif
