/*
 * Release manifests (ota_manifest.h): ota_manifest_parse over the input as JSON text (an exact-size
 * heap copy, no NUL), the partition check against a fixed table, and ota_manifest_verify_signed
 * over the input as a signed file (trusting no key and the input's own key digest).
 * Properties: a parse is deterministic; an accepted manifest has 1..8 items, NUL-terminated strings,
 * a sequence exactly for a release; refusals are manifest errors (-1200 block); an accepted
 * manifest cut before its closing brace is truncated, never accepted.
 */
#include "fuzz.h"

#include "ota/ota_err.h"
#include "ota/ota_manifest.h"

OTA_FUZZ_QUIET_INIT

static bool nul_within(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

static void check_accepted(const ota_manifest_t *m)
{
    OTA_FUZZ_CHECK(m->count >= 1 && m->count <= OTA_MANIFEST_MAX_ITEMS);
    OTA_FUZZ_CHECK(m->kind == OTA_MANIFEST_RELEASE ? m->sequence > 0 : m->sequence == 0 && m->count == 1);
    for (unsigned i = 0; i < m->count; i++) {
        const ota_manifest_item_t *it = &m->items[i];
        OTA_FUZZ_CHECK(nul_within(it->label, sizeof it->label) && nul_within(it->uri, sizeof it->uri));
        OTA_FUZZ_CHECK(nul_within(it->version, sizeof it->version) && it->version[0] != '\0');
        OTA_FUZZ_CHECK(nul_within(it->min_running_version, sizeof it->min_running_version));
        OTA_FUZZ_CHECK(nul_within(it->project_name, sizeof it->project_name));
        OTA_FUZZ_CHECK(!it->has_size || it->size > 0);
        if (m->kind == OTA_MANIFEST_RELEASE) {
            OTA_FUZZ_CHECK(it->has_size && it->has_sha256 && it->uri[0] != '\0');
            OTA_FUZZ_CHECK(it->type == OTA_MANIFEST_ITEM_APP || it->label[0] != '\0');
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, data, size);
    static ota_manifest_t m, again;
    ota_manifest_diag_t diag;
    int err = ota_manifest_parse(text, size, &m, &diag);
    OTA_FUZZ_CHECK(err == OTA_OK || (err <= -1200 && err > -1300));
    OTA_FUZZ_CHECK(err == OTA_OK || diag.offset <= size);
    int err2 = ota_manifest_parse(text, size, &again, NULL);
    OTA_FUZZ_CHECK(err2 == err && memcmp(&m, &again, sizeof m) == 0);
    if (err == OTA_OK) {
        check_accepted(&m);
        static const ota_partition_table_t table = {
            .entries = {{"otadata", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_OTA, 0xd000, 0x2000, 0},
                        {"ota_0", OTA_PART_TYPE_APP, 0x10, 0x10000, 0x100000, 0},
                        {"ota_1", OTA_PART_TYPE_APP, 0x11, 0x110000, 0x100000, 0},
                        {"flash_tone", OTA_PART_TYPE_DATA, 0x27, 0x210000, 0x80000, 0},
                        {"tone_b", OTA_PART_TYPE_DATA, 0x27, 0x280000, 0x10000, 0},
                        {"tone_c", OTA_PART_TYPE_DATA, 0x27, 0x288000, 0x10000, 0}},
            .count = 6,
        };
        int bad = -2;
        int perr = ota_manifest_check_partitions(&m, &table, &bad);
        OTA_FUZZ_CHECK(perr == OTA_OK ? bad == -1 : bad >= 0 && (unsigned)bad < m.count);
        OTA_FUZZ_CHECK(perr == OTA_OK || perr == OTA_ERR_MANIFEST_PARTITION ||
                       perr == OTA_ERR_MANIFEST_OVERLAP);
        /* the document cut before its closing brace */
        size_t n = size;
        while (n > 0 &&
               (text[n - 1] == ' ' || text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == '\t')) {
            n--;
        }
        OTA_FUZZ_CHECK(n > 0 && text[n - 1] == '}');
        char *cut = malloc(n - 1 ? n - 1 : 1);
        if (cut != NULL) {
            memcpy(cut, text, n - 1);
            OTA_FUZZ_CHECK(ota_manifest_parse(cut, n - 1, &again, NULL) == OTA_ERR_MANIFEST_TRUNCATED);
            free(cut);
        }
    }
    /* the same bytes as a signed file: no trusted key, then the sector's own block-0 key */
    ota_sig_trust_t trust = {.count = 0};
    size_t json_len = 0;
    int serr = ota_manifest_verify_signed(data, size, &trust, NULL, &json_len);
    OTA_FUZZ_CHECK(serr != OTA_OK);
    if (size >= 2 * OTA_SIG_SECTOR_SIZE && size % OTA_SIG_SECTOR_SIZE == 0 &&
        ota_sig_block_raw_key_digest(data + size - OTA_SIG_SECTOR_SIZE, trust.digest[0]) == OTA_OK) {
        trust.count = 1;
        serr = ota_manifest_verify_signed(data, size, &trust, NULL, &json_len);
        OTA_FUZZ_CHECK(serr != OTA_OK || json_len <= size - OTA_SIG_SECTOR_SIZE);
    }
    free(text);
    return 0;
}
