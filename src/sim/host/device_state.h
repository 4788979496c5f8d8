/* Private to src/sim/host: what device_file.c needs of the state file's parser (device_state.c)
 * beyond the public ota_device_state_parse / ota_device_state_format. */
#ifndef OTA_SIM_DEVICE_STATE_H
#define OTA_SIM_DEVICE_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "ota/sim/ota_device_file.h"

/* What the sidecar says beyond the fields of ota_device_t that ota_device_state_read sets directly. */
typedef struct {
    char running[OTA_PARTITION_LABEL_MAX + 2]; /* "" = none */
    bool running_set;
    bool table_offset_set;
    bool chip_set;
    bool rev_set;
    char decrypt_path[400];          /* decrypt_key_file= ("" none) */
    ota_enc_scheme_t decrypt_scheme; /* decrypt_key_scheme= (0: not given) */
} ota_device_state_extra_t;

/* Parse; unknown lines are appended to *extra when extra != NULL. `running` is only recorded in
 * @p st: it names an entry of a table that may not be loaded yet (its offset is in the file). */
int ota_device_state_read(const char *text, size_t len, ota_device_t *dev, ota_device_state_extra_t *st,
                          char *diag, size_t diag_size, char **extra, size_t *extra_len);

/* `running=LABEL` of @p st against the loaded table. */
int ota_device_state_resolve_running(ota_device_t *dev, const ota_device_state_extra_t *st, char *diag,
                                     size_t diag_size);

/* snprintf into @p diag (nothing when diag is NULL or size 0). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void ota_device_state_diag(char *diag, size_t size, const char *fmt, ...);

#endif
