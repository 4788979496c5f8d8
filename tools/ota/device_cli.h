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
#include "ota/sim/ota_device_file.h"
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
 * A device command: its usage, how it opens the device, and what it does with it. Every device
 * command parses, routes its log, opens DEVICE and checks it the same way (device_command_main).
 */
typedef struct {
    const char *name;        /**< "set-boot": "ota set-boot", its errors, "Try 'ota set-boot --help'." */
    const char *operands;    /**< the usage's operands: "DEVICE.bin" or "DEVICE.bin LABEL" */
    int operand_count;       /**< how many: 1 or 2 */
    const char *about;       /**< the usage's description, each line ending in "\n" */
    const char *json_help;   /**< what --json does, the usage's option line */
    const char *exit_status; /**< the usage's text after "Exit status: ", ending in "\n" */
    device_log_route_t route;
    bool writable;      /**< opened for writing (its state is saved) */
    bool needs_running; /**< fails, saying so, unless the device runs an app ('ota boot' first) */
    /** The command's work on the open device; returns the exit status. */
    int (*run)(ota_device_file_t *f, const device_args_t *a);
} device_command_t;

/** Run device command @p c on argv (argv[0] its name); returns the exit status. */
int device_command_main(const device_command_t *c, int argc, char **argv);

/** Open DEVICE (its eFuses and Kconfig from DEVICE.state, ESP-IDF's strict checks); NULL with the
 *  error printed. */
ota_device_file_t *device_open(const char *path, bool writable);

/** Save the device's state; the error printed. */
int device_save(ota_device_file_t *f);

/** "VALID", "PENDING_VERIFY", ... of an otadata state. */
const char *device_state_text(uint32_t state, char buf[12]);

/** The device's two otadata entries as docs/json.md's `otadata`, or null when it has none. */
out_t *device_otadata(const ota_device_t *dev);

/**
 * Run the bootloader, save the state, report (the JSON document with --json; the boot log is the
 * text); @p rollback (taken, may be NULL) goes in as the "rollback" field. Returns the exit status.
 */
int device_boot_and_report(ota_device_file_t *f, bool json, out_t *rollback);

#endif /* OTA_CLI_DEVICE_CLI_H */
