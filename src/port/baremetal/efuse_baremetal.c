/* The device's eFuse hook on boards without eFuses: a RAM word that, like a fuse field, only ever
 * gains bits. An ESP32 port calls esp_efuse_update_secure_version() here instead. */
#include "ota/ota_err.h"
#include "ota/port/ota_port_baremetal.h"

static uint32_t s_fuse_bits; /* thermometer code: secure version N = the N low bits burned */

static int burn_secure_version(void *ctx, uint32_t secure_version)
{
    (void)ctx;
    if (secure_version > 32u) {
        return OTA_ERR_INVALID_ARG;
    }
    uint32_t bits = secure_version == 32u ? 0xFFFFFFFFu : (1u << secure_version) - 1u;
    s_fuse_bits |= bits; /* programming a fuse can only set bits */
    return OTA_OK;
}

uint32_t ota_baremetal_efuse_secure_version(void)
{
    uint32_t n = 0;
    while (n < 32u && (s_fuse_bits & (1u << n)) != 0) {
        n++;
    }
    return n;
}

void ota_baremetal_device_hooks(ota_device_hooks_t *hooks)
{
    hooks->burn_secure_version = burn_secure_version;
    hooks->running_offset = NULL; /* the simulated bootloader tells which app runs */
    hooks->ctx = NULL;
}
