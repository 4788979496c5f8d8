/* Names and messages of ota_err_t, generated from OTA_ERR_LIST. */
#include "ota/ota_err.h"

#include <stddef.h>

typedef struct {
    int code;
    const char *name;
    const char *message;
} err_entry_t;

static const err_entry_t k_errors[] = {
#define OTA_ERR_TABLE_ENTRY(name, value, message) {value, #name, message},
    OTA_ERR_LIST(OTA_ERR_TABLE_ENTRY)
#undef OTA_ERR_TABLE_ENTRY
};

static const err_entry_t *find(int err)
{
    for (size_t i = 0; i < sizeof k_errors / sizeof k_errors[0]; i++) {
        if (k_errors[i].code == err) {
            return &k_errors[i];
        }
    }
    return NULL;
}

const char *ota_strerror(int err)
{
    const err_entry_t *e = find(err);
    return e ? e->message : "unknown error";
}

const char *ota_err_name(int err)
{
    const err_entry_t *e = find(err);
    return e ? e->name : "OTA_ERR_UNKNOWN";
}
