/* `ota run --manifest URI`: the release manifest fetched through the sources the items use, set as
 * the service's upgrade list with ota_service_set_release, its refusal reported. */
#ifndef OTA_RUN_MANIFEST_H
#define OTA_RUN_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/ota_manifest.h"
#include "ota/ota_release.h"
#include "ota/ota_service.h"
#include "ota/port/ota_source_posix.h"
#include "ota/sim/ota_device_file.h"

/** The most bytes of a manifest file read: a signed one is its text padded to whole sectors (at
 *  most OTA_MANIFEST_MAX_SIZE) plus the signature sector. */
#define RUN_MANIFEST_FILE_MAX (OTA_MANIFEST_MAX_SIZE + 4096u)

typedef struct {
    const char *uri;     /* as given: a path, file://, http://, https:// */
    char base_uri[4200]; /* the URI the items resolve against (a path as file:///abs) */
    uint8_t *data;
    size_t len;
    bool json;
    /* set by run_manifest_set_list / run_manifest_on_open */
    bool set_called;
    int err;
    ota_release_diag_t diag;
    uint32_t floor;          /* the device's release floor (for the message of OTA_ERR_RELEASE_OLDER) */
    const ota_device_t *dev; /* the device, from run_manifest_on_open */
    bool verified;           /* a signed manifest verified here with the burned key digests */
    unsigned items;
} run_manifest_t;

/** Fetch @p rm->uri (at most RUN_MANIFEST_FILE_MAX bytes) with @p src's settings; the error printed
 *  (and with --json the error document). @return OTA_OK or the error. */
int run_manifest_fetch(run_manifest_t *rm, const ota_source_posix_config_t *src);
/** Before the run: what the messages need from the device. */
void run_manifest_on_open(run_manifest_t *rm, ota_device_file_t *file);
/** ota_example_config_t.set_list: ota_service_set_release with the fetched manifest. */
int run_manifest_set_list(void *ctx, ota_service_t *service);
/** The refusal (@p rm->err) on stderr with its name, message and item / field, and with --json a
 *  `release_refused` event on stdout. @return CLI_EXIT_FAIL. */
int run_manifest_report_refusal(const run_manifest_t *rm);
void run_manifest_free(run_manifest_t *rm);

#endif /* OTA_RUN_MANIFEST_H */
