/*
 * two_devices: ESP-ADF's OTA example list on one or more device images at once, in one process.
 *
 *   two_devices [OPTIONS] DEVICE APP_URI DATA_URI [DEVICE APP_URI DATA_URI ...]
 *
 * For each DEVICE (a flash image made with `ota flash create`, its sidecar DEVICE.state beside it)
 * it does what src/sim/host/example_host.c does for `ota run` — power on if nothing runs, let a
 * PENDING_VERIFY app confirm itself, build the example's upgrade list
 * (ota_example_make_upgrade_list: data item, app item with reboot_flag), restart = run the
 * simulated bootloader — but with one OTA service per device, all started with
 * ota_service_start() before any is waited for, so the services run concurrently in their worker
 * threads. That is the "two services on two devices in one process" promise of ota_service.h.
 *
 * It also serves the network-fault sweep: unlike `ota run` it takes the source's timeouts and
 * retry settings (--stall-timeout, --retries, --retry-backoff, --connect-timeout).
 *
 * Output: one JSON object per line on stdout, each with "device": the device's index (0-based,
 * in argument order), in the `ota run --json` vocabulary (item_begin, version_check, progress,
 * result, finish, boot); the log goes to stderr. An empty URI drops its item, as in `ota run`.
 * Exit status: 0 every item of every device succeeded or was skipped and every device boots,
 * 1 otherwise, 2 usage error.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/sim/ota_bootloader.h"
#include "ota/sim/ota_device_file.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_log_posix.h"
#include "ota/ota_ops.h"
#include "ota/ota_otadata.h"
#include "ota/ota_update_features.h"
#include "ota/sim/ota_example_host.h"

#define MAX_DEVICES 8

static pthread_mutex_t g_out_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct {
    int index;
    const char *path;
    ota_device_file_t *file;
    ota_device_t *dev;
    ota_example_config_t example;
    ota_service_t *service;
    ota_service_summary_t summary;
    int run_err;  /* ota_service_start/wait */
    int boot_err; /* last boot */
} device_t;

/* One JSON line, whole, whatever thread prints it. Takes ownership of @p o. */
static void print_json(cJSON *o)
{
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL) {
        return;
    }
    pthread_mutex_lock(&g_out_lock);
    fputs(text, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    pthread_mutex_unlock(&g_out_lock);
    free(text);
}

static cJSON *event_object(const device_t *d, const char *name)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "device", d->index);
    cJSON_AddStringToObject(o, "event", name);
    return o;
}

static void on_event(const ota_event_t *ev, void *arg)
{
    device_t *d = arg;
    cJSON *o;
    switch (ev->type) {
    case OTA_EVENT_ITEM_BEGIN:
        o = event_object(d, "item_begin");
        cJSON_AddNumberToObject(o, "id", ev->id);
        cJSON_AddStringToObject(o, "type", ev->node->type == OTA_PART_TYPE_APP ? "app" : "data");
        cJSON_AddStringToObject(o, "uri", ev->node->uri ? ev->node->uri : "");
        break;
    case OTA_EVENT_VERSION_CHECK:
        o = event_object(d, "version_check");
        cJSON_AddNumberToObject(o, "id", ev->id);
        cJSON_AddStringToObject(o, "running", ev->version_check.running);
        cJSON_AddStringToObject(o, "incoming", ev->version_check.incoming);
        cJSON_AddBoolToObject(o, "enforced", ev->version_check.enforced);
        cJSON_AddStringToObject(o, "reason", ota_err_name(ev->version_check.decision));
        break;
    case OTA_EVENT_PROGRESS:
        o = event_object(d, "progress");
        cJSON_AddNumberToObject(o, "id", ev->id);
        cJSON_AddNumberToObject(o, "bytes", (double)ev->progress.bytes);
        cJSON_AddNumberToObject(o, "total", (double)ev->progress.total);
        break;
    case OTA_EVENT_RESULT:
        o = event_object(d, "result");
        cJSON_AddNumberToObject(o, "id", ev->id);
        cJSON_AddStringToObject(o, "result", ota_item_result_name(ev->result.result));
        cJSON_AddStringToObject(o, "reason", ota_err_name(ev->result.reason));
        if (ev->result.http_status != 0) {
            cJSON_AddNumberToObject(o, "http_status", ev->result.http_status);
        }
        cJSON_AddStringToObject(o, "detail", ev->result.detail ? ev->result.detail : "");
        break;
    case OTA_EVENT_FINISH:
        o = event_object(d, "finish");
        cJSON_AddNumberToObject(o, "succeeded", ev->finish.succeeded);
        cJSON_AddNumberToObject(o, "skipped", ev->finish.skipped);
        cJSON_AddNumberToObject(o, "failed", ev->finish.failed);
        cJSON_AddNumberToObject(o, "not_run", ev->finish.not_run);
        cJSON_AddBoolToObject(o, "restart", ev->finish.restart);
        break;
    default: return;
    }
    print_json(o);
}

/* Reset: the simulated bootloader picks the app. */
static int power_on(device_t *d)
{
    ota_boot_result_t boot;
    d->boot_err = ota_bootloader_run(d->dev, &boot);
    cJSON *o = event_object(d, "boot");
    cJSON_AddBoolToObject(o, "ok", d->boot_err == OTA_OK);
    if (d->boot_err == OTA_OK && boot.partition != NULL) {
        cJSON_AddStringToObject(o, "partition", boot.partition->label);
        cJSON_AddNumberToObject(o, "offset", boot.partition->offset);
        if (boot.image.app_desc_valid) {
            cJSON_AddStringToObject(o, "project", boot.image.app_desc.project_name);
            cJSON_AddStringToObject(o, "version", boot.image.app_desc.version);
        }
    } else {
        cJSON_AddStringToObject(o, "error", ota_err_name(d->boot_err));
    }
    print_json(o);
    return d->boot_err;
}

/* esp_restart(), called from the device's service worker. */
static void restart(void *arg)
{
    device_t *d = arg;
    ota_device_set_running(d->dev, NULL);
    power_on(d);
}

/* Open, power on if needed, confirm a PENDING_VERIFY app, create the service with its list. */
static int prepare_device(device_t *d)
{
    ota_device_file_options_t dopts = {.emu = {.strict = true}};
    char diag[256] = "";
    int err = ota_device_file_open(d->path, &dopts, &d->file, diag, sizeof diag);
    if (err != OTA_OK) {
        fprintf(stderr, "two_devices: %s: %s\n", d->path, diag[0] ? diag : ota_strerror(err));
        return err;
    }
    d->dev = ota_device_file_device(d->file);
    if (ota_device_running(d->dev) == NULL && (err = power_on(d)) != OTA_OK) {
        return err;
    }
    const ota_partition_info_t *running = ota_device_running(d->dev);
    uint32_t state = 0;
    if (d->dev->rollback_enabled && ota_partition_is_ota_app(running) &&
        ota_ops_get_state_partition(d->dev, running, &state) == OTA_OK && state == OTA_IMG_PENDING_VERIFY &&
        (err = ota_ops_mark_app_valid_cancel_rollback(d->dev)) != OTA_OK) {
        return err;
    }
    ota_service_config_t cfg = {
        .features = &ota_update_features_all,
        .device = d->dev,
        .event_cb = on_event,
        .event_ctx = d,
        .restart = restart,
        .restart_ctx = d,
        .source = {.transport = &d->example.source},
        .version_check = d->example.force_check_firmware_version,
    };
    err = ota_service_create(&cfg, &d->service);
    if (err != OTA_OK) {
        return err;
    }
    d->example.device = d->dev;
    d->example.features = &ota_update_features_all;
    ota_upgrade_ops_t list[2];
    int count = ota_example_make_upgrade_list(&d->example, list);
    return count > 0 ? ota_service_set_upgrade_list(d->service, list, count) : OTA_ERR_SVC_NO_LIST;
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: two_devices [OPTIONS] DEVICE APP_URI DATA_URI [DEVICE APP_URI DATA_URI ...]\n"
                 "Runs ESP-ADF's OTA example list on every DEVICE concurrently (one OTA service each).\n"
                 "  --sdcard DIR            file://sdcard/ root (default ./sdcard)\n"
                 "  --data-label LABEL      data partition (default flash_tone)\n"
                 "  --force-version-check   install an app only if newer\n"
                 "  --break-after-fail      stop a list at its first failed item\n"
                 "  --stall-timeout MS      source stall timeout\n"
                 "  --connect-timeout MS    source connect timeout\n"
                 "  --retries N             automatic resumes (-1: none)\n"
                 "  --retry-backoff MS      first back-off before a resume\n"
                 "One JSON event per line on stdout (with \"device\"), the log on stderr.\n");
}

static int parse_number(const char *text, long min, long *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v < min || v > 100000000L) {
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    enum {
        O_SDCARD = 256,
        O_LABEL,
        O_CHECK,
        O_BREAK,
        O_STALL,
        O_CONNECT,
        O_RETRIES,
        O_BACKOFF
    };
    static const struct option options[] = {
        {"sdcard", required_argument, NULL, O_SDCARD},
        {"data-label", required_argument, NULL, O_LABEL},
        {"force-version-check", no_argument, NULL, O_CHECK},
        {"break-after-fail", no_argument, NULL, O_BREAK},
        {"stall-timeout", required_argument, NULL, O_STALL},
        {"connect-timeout", required_argument, NULL, O_CONNECT},
        {"retries", required_argument, NULL, O_RETRIES},
        {"retry-backoff", required_argument, NULL, O_BACKOFF},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    ota_example_config_t base = {
        .data_partition_label = OTA_EXAMPLE_DEFAULT_DATA_PARTITION_LABEL,
    };
    int c;
    long v;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case O_SDCARD: base.source.sdcard_root = optarg; break;
        case O_LABEL: base.data_partition_label = optarg; break;
        case O_CHECK: base.force_check_firmware_version = true; break;
        case O_BREAK: base.break_after_fail = true; break;
        case O_STALL:
        case O_CONNECT:
        case O_BACKOFF:
            if (parse_number(optarg, 1, &v) != 0) {
                usage(stderr);
                return 2;
            }
            if (c == O_STALL) {
                base.source.stall_timeout_ms = (uint32_t)v;
            } else if (c == O_CONNECT) {
                base.source.connect_timeout_ms = (uint32_t)v;
            } else {
                base.source.retry_backoff_ms = (uint32_t)v;
            }
            break;
        case O_RETRIES:
            if (parse_number(optarg, -1, &v) != 0) {
                usage(stderr);
                return 2;
            }
            base.source.max_retries = (int)v;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    int n = argc - optind;
    if (n <= 0 || n % 3 != 0 || n / 3 > MAX_DEVICES) {
        usage(stderr);
        return 2;
    }
    int count = n / 3;
    ota_log_to_stream(stderr, 0);

    device_t devices[MAX_DEVICES];
    memset(devices, 0, sizeof devices);
    int failed = 0;
    for (int i = 0; i < count; i++) {
        device_t *d = &devices[i];
        d->index = i;
        d->path = argv[optind + 3 * i];
        d->example = base;
        d->example.firmware_upgrade_uri = argv[optind + 3 * i + 1];
        d->example.data_upgrade_uri = argv[optind + 3 * i + 2];
        int err = prepare_device(d);
        if (err != OTA_OK) {
            fprintf(stderr, "two_devices: device %d (%s): %s\n", i, d->path, ota_strerror(err));
            failed = 1;
        }
    }
    /* Start every service before waiting for any: they run side by side. */
    bool started[MAX_DEVICES] = {false};
    for (int i = 0; i < count && !failed; i++) {
        devices[i].run_err = ota_service_start(devices[i].service);
        started[i] = devices[i].run_err == OTA_OK;
        if (!started[i]) {
            fprintf(stderr, "two_devices: device %d: cannot start: %s\n", i,
                    ota_strerror(devices[i].run_err));
            failed = 1;
        }
    }
    for (int i = 0; i < count; i++) {
        device_t *d = &devices[i];
        if (!started[i]) {
            continue;
        }
        d->run_err = ota_service_wait(d->service, &d->summary);
        if (d->summary.failed > 0 || d->boot_err != OTA_OK ||
            (d->run_err != OTA_OK && d->summary.failed == 0)) {
            failed = 1;
        }
    }
    for (int i = 0; i < MAX_DEVICES; i++) {
        device_t *d = &devices[i];
        ota_service_destroy(d->service);
        if (d->file != NULL) {
            if (ota_device_file_save(d->file) != OTA_OK) {
                fprintf(stderr, "two_devices: %s: cannot save the device state\n", d->path);
                failed = 1;
            }
            ota_device_file_close(d->file);
        }
    }
    return failed ? 1 : 0;
}
