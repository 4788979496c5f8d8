/* What the files of ota_bench share (ota_bench.c: main and helpers; bench_device.c: the device
 * under test; bench_update.c: `update`; bench_alone.c: `source` and `sha`; bench_devtime.c:
 * `devtime`; bench_release.c: `release` and `space`). The measured functions (bench_service_run, bench_source_run, bench_sha_run) stay
 * noinline and global, so callgrind's --toggle-collect finds them by name. */
#ifndef OTA_BENCH_H
#define OTA_BENCH_H

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "malloc_count.h"
#include "ota/sim/ota_bootloader.h"
#include "ota/port/ota_crypto.h"
#include "ota/ota_device.h"
#include "ota/sim/ota_device_file.h"
#include "ota/ota_err.h"
#include "ota/sim/ota_flash_emu.h"
#include "ota/ota_log.h"
#include "ota/port/ota_log_posix.h"
#include "ota/port/ota_mem.h"
#include "ota/ota_ops.h"
#include "ota/ota_proc_default.h"
#include "ota/ota_service.h"
#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"
#include "ota/ota_update_features.h"
#include "ota/sim/ota_example_host.h"

#define MAX_REPEAT 64

uint64_t now_ns(void);
void die(const char *fmt, const char *a, int err);
uint8_t *read_file(const char *path, size_t *len);
void write_file(const char *path, const uint8_t *data, size_t len);

/* ---- flash with per-operation wall-clock accounting (--phases), bench_device.c ------------- */

typedef struct {
    ota_flash_t flash; /* first member: handed to the device */
    const ota_flash_t *inner;
    uint64_t read_ns, program_ns, erase_ns;
} timed_flash_t;

void timed_flash_wrap(timed_flash_t *t, const ota_flash_t *inner);

/* ---- device under test, bench_device.c ---------------------------------------------------- */

typedef struct {
    const char *pristine_path;
    const char *file_device; /* NULL: RAM emulator */
    const char *running;     /* label of the running app, or NULL */
    uint8_t *pristine;
    size_t pristine_len;
    /* RAM mode */
    ota_flash_emu_t *emu;
    ota_device_t ram_dev;
    /* file mode */
    ota_device_file_t *file;
    /* the device the service sees */
    ota_device_t *dev;
    timed_flash_t timed;
    bool phases;
    /* issue 11: security settings as state-file lines (--security) and the decrypt key bytes */
    char *security_text;
    size_t security_len;
    ota_enc_img_key_t decrypt_key;
} bench_device_t;

ota_flash_emu_t *device_emu(bench_device_t *d);
void device_load(bench_device_t *d);
void device_reset(bench_device_t *d);
void device_close(bench_device_t *d);

/* ---- the service run, bench_update.c ------------------------------------------------------ */

typedef struct {
    ota_device_t *dev;
    const char *uri;
    const char *data_label; /* NULL: app item */
    ota_source_posix_config_t source;
    size_t buffer;
    bool boot; /* restart hook runs the simulated bootloader (as `ota run`) */
    bool phases;
    uint64_t boot_ns;
    int boot_err;
    ota_service_summary_t summary;
} run_ctx_t;

__attribute__((noinline)) int bench_service_run(run_ctx_t *rc);
void print_flash_stats(const ota_flash_emu_stats_t *s);
void print_timing(const ota_flash_emu_config_t *cfg);

/* ---- the commands ------------------------------------------------------------------------- */

typedef struct {
    const char *device, *file_device, *uri, *running, *data_label, *cacert, *image;
    const char *security, *decrypt_key; /* state-file lines; rsa3072:PEM or ecies:KEY.bin */
    int repeat;
    size_t buffer, chunk;
    bool phases, boot;
} options_t;

int cmd_update(const options_t *o);
int cmd_source(const options_t *o);
int cmd_sha(const options_t *o);
int cmd_devtime(const options_t *o);
int cmd_release(const options_t *o);
int cmd_space(int argc, char **argv);

/* ---- shared by devtime and release, bench_devtime.c --------------------------------------- */

/* The floor: the cheapest erase cover of [addr, addr + len) (and up to cover_end when that is
 * further), then page programs; no reads. */
void floor_strategy(const ota_flash_t *flash, const ota_flash_timing_t *t, uint32_t addr, const uint8_t *data,
                    size_t len, uint32_t cover_end);
/* Fill @p target with a previous image's bytes when @p data (not counted: the chip's state). */
void fill_stale(bench_device_t *d, const ota_partition_info_t *target, bool data);

#endif /* OTA_BENCH_H */
