/*
 * Version strings (esp_app_desc_t.version, git describe output): ESP-ADF's number parser, the
 * splitter and the comparison, on two strings cut from the input at its first NUL.
 * Properties: the comparison is antisymmetric (a newer than b iff b older than a; same and the
 * two "no order" verdicts are symmetric) and every string equals itself unless unparseable.
 */
#include "fuzz.h"

#include "ota/ota_version.h"

OTA_FUZZ_QUIET_INIT

static ota_version_order_t mirror(ota_version_order_t o)
{
    return o == OTA_VERSION_NEWER ? OTA_VERSION_OLDER : o == OTA_VERSION_OLDER ? OTA_VERSION_NEWER : o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *cut = memchr(data, '\0', size);
    size_t alen = cut ? (size_t)(cut - data) : size;
    char *a = ota_fuzz_strndup(data, alen);
    char *b = cut ? ota_fuzz_strndup(cut + 1, size - alen - 1) : ota_fuzz_strndup(data, 0);
    if (a != NULL && b != NULL) {
        (void)ota_version_espadf_number(a);
        (void)ota_version_espadf_number(b);
        ota_version_t va;
        ota_version_t vb;
        int pa = ota_version_parse(a, &va);
        int pb = ota_version_parse(b, &vb);
        if (pa == 0) {
            OTA_FUZZ_CHECK(va.base_len <= alen && va.nparts <= OTA_VERSION_MAX_PARTS);
            OTA_FUZZ_CHECK(!va.has_hash || (va.hash >= a && va.hash + va.hash_len <= a + alen));
        }
        ota_version_cmp_t ab;
        ota_version_cmp_t ba;
        ota_version_order_t o1 = ota_version_compare(a, b, &ab);
        ota_version_order_t o2 = ota_version_compare(b, a, &ba);
        OTA_FUZZ_CHECK(memchr(ab.reason, '\0', sizeof ab.reason) != NULL);
        OTA_FUZZ_CHECK(o1 == mirror(o2));
        OTA_FUZZ_CHECK((pa == 0 && pb == 0) == (o1 != OTA_VERSION_UNPARSEABLE));
        if (pa == 0) {
            OTA_FUZZ_CHECK(ota_version_compare(a, a, NULL) == OTA_VERSION_SAME);
        }
        (void)ota_version_order_name(o1);
        (void)ota_version_order_to_err(o1);
    }
    free(a);
    free(b);
    return 0;
}
