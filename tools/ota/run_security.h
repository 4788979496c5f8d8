/* `ota run`: this run's security options over the state file's (--trusted-key-digest,
 * --decrypt-key), the on_open / before_save hooks of ota_example_host_run. */
#ifndef OTA_RUN_SECURITY_H
#define OTA_RUN_SECURITY_H

#include "ota/sim/ota_device_file.h"
#include "run_manifest.h"

/* --trusted-key-digest / --decrypt-key: this run's security settings, over the state file's;
 * taken back before the state is saved (they are options, not eFuses). */
typedef struct {
    const char *digest_path[OTA_DEVICE_KEY_DIGESTS];
    unsigned digests;
    const char *decrypt; /* SCHEME:PATH */
    ota_device_security_t saved;
    char saved_key_path[400];
    ota_enc_scheme_t saved_scheme;
    run_manifest_t *manifest; /* --manifest: reads the device's release floor */
} run_security_t;

/** on_open: apply the options (and read what --manifest's messages need). @return OTA_OK or the
 *  error (printed). */
int run_security_apply(void *arg, ota_device_file_t *file);
/** before_save: take the options back (they are options, not eFuses). */
void run_security_restore(void *arg, ota_device_file_t *file);

#endif /* OTA_RUN_SECURITY_H */
