/* ota_bench devtime: the simulated flash time of the service's update against the floor and
 * ESP-ADF-like strategies. */
#include "ota_bench.h"

/* ---- device time -------------------------------------------------------------------------- */

static void print_devtime(const char *what, uint64_t bytes, const ota_flash_emu_t *emu)
{
    ota_flash_emu_stats_t s;
    ota_flash_emu_get_stats(emu, &s);
    const ota_flash_timing_t *t = &ota_flash_emu_config(emu)->timing;
    uint64_t erase_ns = (s.sector_erases * t->sector_erase_us + s.block_erases * t->block_erase_us) * 1000ull;
    uint64_t program_ns = s.program_pages * t->page_program_us * 1000ull;
    printf("{\"cmd\":\"devtime\",\"what\":\"%s\",\"bytes\":%llu,\"erase_ns\":%llu,\"program_ns\":%llu,"
           "\"read_ns\":%llu,",
           what, (unsigned long long)bytes, (unsigned long long)erase_ns, (unsigned long long)program_ns,
           (unsigned long long)(s.sim_time_ns - erase_ns - program_ns));
    print_flash_stats(&s);
    putchar(',');
    print_timing(ota_flash_emu_config(emu));
    printf("}\n");
}

/* Program @p len bytes at @p addr one page-program command at a time. */
static void program_pages(const ota_flash_t *flash, uint32_t addr, const uint8_t *data, size_t len)
{
    for (size_t off = 0; off < len;) {
        uint32_t a = addr + (uint32_t)off;
        size_t n = flash->page_size - a % flash->page_size;
        if (n > len - off) {
            n = len - off;
        }
        int err = ota_flash_program(flash, a, data + off, n);
        if (err != OTA_OK) {
            die("program failed%s", "", err);
        }
        off += n;
    }
}

/* The physical floor for @p len bytes at @p addr: the cheapest erase cover (64 KiB blocks, or
 * sectors where fewer sectors cost less than a block) of the image and, for a data partition, of
 * the rest of the partition up to @p cover_end (ESP-ADF leaves it erased; the bench fills it with a
 * previous image first, so all of it must be erased), then page programs; no reads. */
void floor_strategy(const ota_flash_t *flash, const ota_flash_timing_t *t, uint32_t addr, const uint8_t *data,
                    size_t len, uint32_t cover_end)
{
    uint32_t end =
        addr + (uint32_t)((len + flash->sector_size - 1) / flash->sector_size * flash->sector_size);
    if (cover_end > end) {
        end = cover_end;
    }
    uint32_t a = addr;
    while (a < end) {
        if (a % flash->block_size == 0) {
            uint32_t left = end - a;
            uint32_t sectors = (left + flash->sector_size - 1) / flash->sector_size;
            bool block =
                left >= flash->block_size || (uint64_t)sectors * t->sector_erase_us > t->block_erase_us;
            if (block && a + flash->block_size <= flash->size) {
                ota_flash_erase_block(flash, a);
                a += flash->block_size;
                continue;
            }
        }
        ota_flash_erase_sector(flash, a);
        a += flash->sector_size;
    }
    program_pages(flash, addr, data, len);
}

/* A data partition starts out full of a previous image (not counted: it is the chip's state), so
 * leaving nothing of it behind costs what it costs. */
void fill_stale(bench_device_t *d, const ota_partition_info_t *target, bool data)
{
    uint8_t *mem = ota_flash_emu_memory(d->emu) + target->offset;
    for (uint32_t i = 0; data && i < target->size; i++) {
        mem[i] = (uint8_t)(i * 7u + 0x11u) & 0x7Fu;
    }
}

int cmd_devtime(const options_t *o)
{
    if (o->device == NULL || o->image == NULL) {
        die("devtime needs --device and --image%s", "", 0);
    }
    char abs[4096], uri[4200];
    if (realpath(o->image, abs) == NULL) {
        die("cannot resolve %s", o->image, 0);
    }
    snprintf(uri, sizeof uri, "file://%s", abs);
    size_t len;
    uint8_t *image = read_file(o->image, &len);

    /* 1. the service, on the RAM emulator */
    bench_device_t d = {.pristine_path = o->device, .running = o->running};
    device_load(&d);
    device_reset(&d);
    const ota_partition_info_t *slot = o->data_label
                                           ? ota_partition_find_by_label(&d.dev->table, o->data_label)
                                           : ota_ops_get_next_update_partition(d.dev, NULL);
    if (slot == NULL) {
        die("no target partition%s", "", 0);
    }
    ota_partition_info_t target = *slot;
    run_ctx_t rc = {
        .dev = d.dev, .uri = uri, .data_label = o->data_label, .source = {.proxy = ""}, .buffer = o->buffer};
    fill_stale(&d, &target, o->data_label != NULL);
    int err = bench_service_run(&rc);
    if (err != OTA_OK || rc.summary.succeeded != 1) {
        die("the update of %s failed", uri, err);
    }
    const uint8_t *after = ota_flash_emu_memory(d.emu) + target.offset;
    if (memcmp(after, image, len) != 0) {
        die("%s: the partition does not hold the image after the update", target.label, 0);
    }
    for (size_t i = len; o->data_label != NULL && i < target.size; i++) {
        if (after[i] != 0xFF) {
            die("%s: a byte of the previous content is left after the image", target.label, 0);
        }
    }
    printf("{\"cmd\":\"devtime_target\",\"label\":\"%s\",\"offset\":%u,\"size\":%u}\n", target.label,
           (unsigned)target.offset, (unsigned)target.size);
    print_devtime("service", len, d.emu);

    /* 2. the floor and 3. ESP-ADF-like strategies, on the same (re-loaded) chip */
    const ota_flash_t *flash = ota_flash_emu_flash(d.emu);
    const ota_flash_timing_t *t = &ota_flash_emu_config(d.emu)->timing;
    device_reset(&d);
    fill_stale(&d, &target, o->data_label != NULL);
    floor_strategy(flash, t, target.offset, image, len, o->data_label ? target.offset + target.size : 0);
    print_devtime("floor", len, d.emu);

    device_reset(&d);
    fill_stale(&d, &target, o->data_label != NULL);
    for (uint32_t a = target.offset; a < target.offset + target.size; a += flash->sector_size) {
        ota_flash_erase_sector(flash, a);
    }
    program_pages(flash, target.offset, image, len);
    print_devtime("espadf_sectors", len, d.emu);

    device_reset(&d);
    fill_stale(&d, &target, o->data_label != NULL);
    ota_flash_erase_range(flash, target.offset, target.size); /* esp_flash_erase_region: blocks if aligned */
    program_pages(flash, target.offset, image, len);
    print_devtime("espadf_erase_range", len, d.emu);

    ota_flash_emu_destroy(d.emu);
    free(d.pristine);
    free(image);
    return 0;
}
