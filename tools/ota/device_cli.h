/**
 * @file device_cli.h
 * @brief What the device commands (`ota info`, `boot`, `set-boot`, `confirm`, `rollback`) share:
 *        a DEVICE (a flash image file plus its DEVICE.state sidecar, ota_device_file.h) opened the
 *        same way, its otadata and a boot as results of the output layer (out.h).
 */
#ifndef OTA_CLI_DEVICE_CLI_H
#define OTA_CLI_DEVICE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "out.h"
#include "ota/ota_device_file.h"
#include "ota/ota_ops.h"

typedef struct {
    bool json;
    const char *device;
    const char *label; /* set-boot */
} device_args_t;

/* Log routing of a device command: the boot log is the output of `boot` and `rollback` (stdout,
 * stderr with --json); the others log to stderr, `info` errors only. */
typedef enum {
    DEVICE_LOG_IS_OUTPUT,
    DEVICE_LOG_TO_STDERR,
    DEVICE_LOG_ERRORS_ONLY
} device_log_route_t;

/**
 * The common start of a device command: parse the arguments (@p operands of them: DEVICE [LABEL]),
 * route the log, open the device. NULL when the command ends here, with *rc its exit status (0
 * after --help).
 */
ota_device_file_t *device_start(const char *command, int argc, char **argv, int operands,
                                void (*usage)(FILE *), device_log_route_t route, bool writable,
                                device_args_t *a, int *rc);

/** Save the device's state; the error printed. */
int device_save(ota_device_file_t *f);

/** "VALID", "PENDING_VERIFY", ... of an otadata state. */
const char *device_state_text(uint32_t state, char buf[12]);

/** The device's two otadata entries as docs/json.md's `otadata`, or null when it has none. */
out_t *device_otadata(const ota_device_t *dev);

/** The running app, or false with the error printed ("run 'ota boot' first"). */
bool device_require_running(const ota_device_t *dev, const char *path);

/**
 * Run the bootloader, save the state, report (the JSON document with --json; the boot log is the
 * text); @p rollback (taken, may be NULL) goes in as the "rollback" field. Returns the exit status.
 */
int device_boot_and_report(ota_device_file_t *f, bool json, out_t *rollback);

#endif /* OTA_CLI_DEVICE_CLI_H */
