/*
 * sdkconfig text (Kconfig's output format): the parser with a callback, with a scratch buffer
 * of exactly the size the header promises is enough (longest line + 2), and the lookups the
 * CLI does (a string, a bool).
 */
#include "fuzz.h"

#include "ota/ota_err.h"
#include "ota/sim/ota_sdkconfig.h"

OTA_FUZZ_QUIET_INIT

static int check_entry(void *ctx, const ota_sdkconfig_entry_t *e)
{
    (void)ctx;
    OTA_FUZZ_CHECK(strlen(e->value) == e->value_len);
    OTA_FUZZ_CHECK(e->key[0] != '\0' && e->line >= 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = ota_fuzz_strndup(data, size);
    if (text == NULL) {
        return 0;
    }
    size_t longest = 0;
    size_t cur = 0;
    for (size_t i = 0; i < size; i++) {
        cur = data[i] == '\n' ? 0 : cur + 1;
        longest = cur > longest ? cur : longest;
    }
    size_t scratch_size = longest + 2;
    char *scratch = malloc(scratch_size);
    if (scratch != NULL) {
        ota_sdkconfig_diag_t diag;
        int err = ota_sdkconfig_parse(text, size, scratch, scratch_size, check_entry, NULL, &diag);
        /* The documented bound is enough: never BUFFER_TOO_SMALL at longest + 2. */
        OTA_FUZZ_CHECK(err != OTA_ERR_BUFFER_TOO_SMALL);
        free(scratch);
        /* A scratch buffer too small for most lines: refused, never overrun. */
        char tiny[8];
        (void)ota_sdkconfig_parse(text, size, tiny, sizeof tiny, NULL, NULL, &diag);
    }
    char value[64];
    ota_sdkconfig_kind_t kind;
    ota_sdkconfig_diag_t diag;
    bool b;
    (void)ota_sdkconfig_get(text, size, "CONFIG_APP_PROJECT_VER", value, sizeof value, &kind, &diag);
    (void)ota_sdkconfig_get_bool(text, size, "CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE", &b, &diag);
    free(text);
    return 0;
}
