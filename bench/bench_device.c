/* ota_bench's device under test: the pristine device image loaded into the RAM emulator or a
 * file-backed copy, reset before every repeat, behind a flash that times each operation. */
#include "ota_bench.h"

/* ---- flash with per-operation wall-clock accounting (--phases) ---------------------------- */

static int tf_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    timed_flash_t *t = ctx;
    uint64_t t0 = now_ns();
    int err = t->inner->ops->read(t->inner->ctx, addr, buf, len);
    t->read_ns += now_ns() - t0;
    return err;
}

static int tf_program(void *ctx, uint32_t addr, const void *buf, size_t len)
{
    timed_flash_t *t = ctx;
    uint64_t t0 = now_ns();
    int err = t->inner->ops->program(t->inner->ctx, addr, buf, len);
    t->program_ns += now_ns() - t0;
    return err;
}

static int tf_erase(void *ctx, uint32_t addr, uint32_t len)
{
    timed_flash_t *t = ctx;
    uint64_t t0 = now_ns();
    int err = t->inner->ops->erase(t->inner->ctx, addr, len);
    t->erase_ns += now_ns() - t0;
    return err;
}

/* A mapped range is read where it lies: the time the caller then spends on it is its own. */
static int tf_map(void *ctx, uint32_t addr, size_t len, const void **out)
{
    timed_flash_t *t = ctx;
    uint64_t t0 = now_ns();
    int err = t->inner->ops->map(t->inner->ctx, addr, len, out);
    t->read_ns += now_ns() - t0;
    return err;
}

static const ota_flash_ops_t k_timed_ops = {
    .read = tf_read, .program = tf_program, .erase = tf_erase, .map = tf_map};

void timed_flash_wrap(timed_flash_t *t, const ota_flash_t *inner)
{
    memset(t, 0, sizeof *t);
    t->flash = *inner;
    t->flash.ops = &k_timed_ops;
    t->flash.ctx = t;
    t->inner = inner;
}

/* ---- device under test -------------------------------------------------------------------- */

ota_flash_emu_t *device_emu(bench_device_t *d)
{
    return d->file != NULL ? ota_flash_file_emu(ota_device_file_flash(d->file)) : d->emu;
}

void device_load(bench_device_t *d)
{
    d->pristine = read_file(d->pristine_path, &d->pristine_len);
    if (d->file_device == NULL) {
        ota_flash_emu_config_t cfg = {.size = (uint32_t)d->pristine_len, .strict = true};
        int err = ota_flash_emu_create(&cfg, NULL, &d->emu);
        if (err != OTA_OK) {
            die("cannot create a RAM flash of %s's size", d->pristine_path, err);
        }
    }
}

/* Put the pristine bytes back and open the device (not timed). */
void device_reset(bench_device_t *d)
{
    const ota_flash_t *flash;
    if (d->file_device != NULL) {
        write_file(d->file_device, d->pristine, d->pristine_len);
        char state[4096];
        snprintf(state, sizeof state, "%s%s", d->file_device, OTA_DEVICE_STATE_SUFFIX);
        unlink(state);
        ota_device_file_options_t opts = {.emu = {.strict = true}};
        char diag[256] = "";
        int err = ota_device_file_open(d->file_device, &opts, &d->file, diag, sizeof diag);
        if (err != OTA_OK) {
            die("cannot open device %s", d->file_device, err);
        }
        d->dev = ota_device_file_device(d->file);
        flash = d->dev->flash;
    } else {
        memcpy(ota_flash_emu_memory(d->emu), d->pristine, d->pristine_len);
        flash = ota_flash_emu_flash(d->emu);
        ota_device_init(&d->ram_dev, flash, NULL);
        ota_partition_diag_t diag;
        int err = ota_device_load_table(&d->ram_dev, &diag);
        if (err != OTA_OK) {
            die("no partition table in %s", d->pristine_path, err);
        }
        d->dev = &d->ram_dev;
    }
    if (d->phases) {
        timed_flash_wrap(&d->timed, flash);
        d->dev->flash = &d->timed.flash;
    }
    ota_device_set_running(d->dev, NULL);
    if (d->running != NULL) {
        const ota_partition_info_t *p = ota_partition_find_by_label(&d->dev->table, d->running);
        if (p == NULL) {
            die("no partition %s", d->running, 0);
        }
        ota_device_set_running(d->dev, p);
    }
    if (d->security_text != NULL) {
        char diag[200] = "";
        int err = ota_device_state_parse(d->security_text, d->security_len, d->dev, diag, sizeof diag);
        if (err != OTA_OK) {
            die("--security: %s", diag, err);
        }
    }
    if (d->decrypt_key.data != NULL) {
        d->dev->security.decrypt_key = d->decrypt_key;
    }
    ota_flash_emu_reset_stats(device_emu(d));
}

void device_close(bench_device_t *d)
{
    if (d->file != NULL) {
        ota_device_file_close(d->file);
        d->file = NULL;
    }
}
