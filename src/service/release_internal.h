/* A release installed as one (ota_release.h), private to src/service: what ota_service_set_release
 * (release.c) keeps with the service's list, the items' procedures (release_item.c) and the
 * commit after the list (release_commit.c). None of it is linked unless a firmware calls
 * ota_service_set_release: the engine only knows the list maker's hook (service_struct.h). */
#ifndef OTA_SERVICE_RELEASE_INTERNAL_H
#define OTA_SERVICE_RELEASE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/ota_app_image.h"
#include "ota/ota_checker.h"
#include "ota/ota_manifest.h"
#include "ota/ota_release.h"
#include "ota/port/ota_crypto.h"
#include "service_struct.h"

struct ota_path;

/* One item bound to its manifest entry: the checker (version) and the verifier (size, SHA-256). */
typedef struct {
    const ota_manifest_item_t *m;           /* the manifest's entry (in ota_release_run_t.manifest) */
    const ota_partition_info_t *target;     /* app: the next OTA slot; data: the twin not in use */
    char uri[2 * OTA_MANIFEST_URI_MAX + 2]; /* the item's URI resolved against the base */
    struct ota_path *path;                  /* the procedure's pipeline while it runs */
    ota_checker_t inner;                    /* the default procedure's checker, run first */
    ota_sha256_ctx_t sha;                   /* over every output byte, in order */
    uint64_t fed;                           /* bytes fed to sha */
    char message[160];                      /* why the verifier refused */
    bool desc_seen;                         /* app: desc holds the incoming app description */
    ota_app_desc_t desc;
    bool done; /* the item's procedure succeeded (written, verified, sector 0 committed) */
} ota_release_item_t;

/* The release of a service's list. */
typedef struct {
    ota_service_ext_t ext; /* first: the service's hook (service->ext points here) */
    ota_device_t *dev;
    ota_manifest_t manifest;
    uint32_t otadata_seq; /* the entry the release binds: the app's new one, or the active one */
    bool up_to_date;      /* its sequence is installed already: every item is skipped */
    bool begun;           /* BEGIN is on flash (before the first erase of this run) */
    int app;              /* index of the app item, -1: none */
    ota_release_item_t item[OTA_MANIFEST_MAX_ITEMS];
} ota_release_run_t;

/** Fill @p ops with the release item procedure (the default app or data one around the binding of
 *  the service's current item). */
void ota_release_item_proc(ota_upgrade_ops_t *ops);

/** The service's hook (service_struct.h): the commit after the list (an error: no restart,
 *  sum->first_error set), and with @p sum NULL the free of the release (release_commit.c). */
int ota_release_after_list(ota_service_ext_t *ext, ota_service_summary_t *sum);

/** The otadata seq a switch to @p slot (NULL: none, data only) would give the booted entry. */
int ota_release_target_seq(const ota_device_t *dev, const ota_partition_info_t *slot, uint32_t *out);

#endif /* OTA_SERVICE_RELEASE_INTERNAL_H */
