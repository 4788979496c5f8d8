/*
 * ESP-ADF esp_ota_service's manifest (ota_adf_manifest.h): ota_adf_manifest_parse over the input as
 * JSON text (an exact-size heap copy, no NUL), under two policies, and ota_semver_pack over the
 * input as a C string.
 * Properties: a parse is deterministic; refusals are manifest errors (-1200 block); an accepted
 * manifest has a non-empty, NUL-terminated version and label within their 32 bytes,
 * upgrade_available exactly when the decision is OTA_OK, a decision of the documented set, the
 * same fields under both policies; text after an accepted object changes nothing (cJSON_Parse
 * reads one value); a packed semver is 0..0xFFFFFF or invalid and unpacks to what packs back.
 */
#include "fuzz.h"

#include "ota/ota_adf_manifest.h"
#include "ota/ota_err.h"
#include "ota/ota_semver_packed.h"

OTA_FUZZ_QUIET_INIT

static const ota_adf_manifest_policy_t strict = {.current_version = "1.2.3",
                                                 .require_higher_version = true,
                                                 .check_project_name = true,
                                                 .current_project = "ota_http"};
static const ota_adf_manifest_policy_t lax = {.current_version = "1.2.3"};

static void check_fields(const ota_check_result_t *r)
{
    OTA_FUZZ_CHECK(memchr(r->version, '\0', sizeof r->version) != NULL && r->version[0] != '\0');
    OTA_FUZZ_CHECK(memchr(r->label, '\0', sizeof r->label) != NULL);
    OTA_FUZZ_CHECK(r->upgrade_available == (r->decision == OTA_OK));
    OTA_FUZZ_CHECK(r->decision == OTA_OK || r->decision == OTA_ERR_VERSION_NOT_NEWER ||
                   r->decision == OTA_ERR_VERSION_UNPARSEABLE ||
                   r->decision == OTA_ERR_VERSION_PROJECT_MISMATCH);
}

static void check_semver(const uint8_t *data, size_t size)
{
    char text[40];
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, n);
    text[n] = '\0';
    uint32_t packed = ota_semver_pack(text);
    OTA_FUZZ_CHECK(packed == OTA_SEMVER_PACKED_INVALID || packed <= 0xFFFFFFu);
    if (packed != OTA_SEMVER_PACKED_INVALID) {
        char back[16];
        OTA_FUZZ_CHECK(ota_semver_unpack(packed, back, sizeof back) == OTA_OK);
        OTA_FUZZ_CHECK(ota_semver_pack(back) == packed);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_semver(data, size);
    char *text = malloc(size + 8);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, data, size);
    ota_check_result_t a, b, again;
    int err = ota_adf_manifest_parse(text, size, &strict, &a);
    OTA_FUZZ_CHECK(err == OTA_OK || (err <= -1200 && err > -1300));
    int err2 = ota_adf_manifest_parse(text, size, &strict, &again);
    OTA_FUZZ_CHECK(err2 == err && memcmp(&a, &again, sizeof a) == 0);
    int errl = ota_adf_manifest_parse(text, size, &lax, &b);
    OTA_FUZZ_CHECK(errl == err);
    if (err == OTA_OK) {
        check_fields(&a);
        check_fields(&b);
        OTA_FUZZ_CHECK(b.upgrade_available); /* no policy: always */
        OTA_FUZZ_CHECK(strcmp(a.version, b.version) == 0 && strcmp(a.label, b.label) == 0);
        OTA_FUZZ_CHECK(a.image_size == b.image_size && a.has_hash == b.has_hash && a.has_md5 == b.has_md5);
        OTA_FUZZ_CHECK(memcmp(a.hash, b.hash, sizeof a.hash) == 0 && memcmp(a.md5, b.md5, sizeof a.md5) == 0);
        if (size + 6 <= OTA_ADF_MANIFEST_MAX_SIZE) {
            memcpy(text + size, " x}{[\"", 6);
            OTA_FUZZ_CHECK(ota_adf_manifest_parse(text, size + 6, &strict, &again) == OTA_OK);
            OTA_FUZZ_CHECK(memcmp(&a, &again, sizeof a) == 0);
        }
    }
    free(text);
    return 0;
}
