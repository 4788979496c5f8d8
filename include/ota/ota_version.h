/**
 * @file ota_version.h
 * @brief Firmware and tone-image version strings: ESP-ADF's number rule and our comparison.
 *
 * Two things, both pure:
 *  - ota_version_espadf_number(): ESP-ADF's ota_get_version_number(), reproduced exactly with
 *    its quirks (reference/esp-adf-ota-service.md §4.3), for compatibility and tests;
 *  - ota_version_compare(): the comparison the service's version check uses. It orders ESP-ADF
 *    "vA.B.C" numbers and `git describe` strings ("v2.2-252-g62edbd26-dirty"), and says so
 *    plainly when two versions cannot be ordered instead of guessing.
 *
 * Comparison rules (incoming vs running; first that applies):
 *  1. NULL, empty, longer than 32 bytes (esp_app_desc_t.version) or holding a byte outside
 *     printable ASCII (an erased 0xFF field, say) -> UNPARSEABLE.
 *  2. Byte-identical strings -> SAME.
 *  3. Each string is split into base + commits + hash + dirty: "BASE-N-gHEX[-dirty]" or
 *     "BASE[-dirty]" (a plain tag: N = 0, no hash). HEX is 4..64 hex digits, N decimal.
 *  4. Different bases: if both are dotted numbers ("v2.2", "V1.2.3", "2.3", optional v/V,
 *     1..8 parts, each < 2^32) they are compared part by part, missing parts counting as 0
 *     ("v2.3" > "v2.2-252-g..", "v1.0.1" > "v1.0"); numerically equal bases ("v2.2" vs
 *     "v2.2.0") continue as if the same. Otherwise -> NOT_COMPARABLE.
 *  5. Same base: more commits is newer ("v2.2-252-g.." > "v2.2-237-g..", "v2.2-5-gabc" >
 *     "v2.2"). Equal counts: different hashes (two branches, same distance from the tag) ->
 *     NOT_COMPARABLE; the same commit (hashes equal up to the shorter abbreviation, or a plain
 *     tag vs "TAG-0-gHEX") is SAME, unless either side is -dirty: a modified tree of that
 *     commit -> NOT_COMPARABLE. A -dirty mark does not change the order of different counts.
 */
#ifndef OTA_VERSION_H
#define OTA_VERSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_VERSION_MAX_LEN    32u /**< esp_app_desc_t.version is char[32] */
#define OTA_VERSION_MAX_PARTS  8u  /**< dotted-number parts kept */
#define OTA_VERSION_REASON_LEN 160u

/**
 * ESP-ADF's ota_get_version_number(): -1 for NULL or strlen > 32; the text is cut at '.' with
 * strtok semantics (empty fields vanish: "v1..2.3" is fine, so are ".v1.2.3" and "v1.2.3.");
 * the first field must start with 'v'/'V', which is skipped (what remains may be empty: 0);
 * exactly 3 fields, each only '0'..'9' with a value <= 255. Result (A<<16)|(B<<8)|C, so
 * "V1.2.3" -> 66051. Returns -1 for "v1.0" (mk_audio_tone.py's default!), "1.2.3", "v1.2.3.4",
 * "v256.0.0" and every git describe string. Values too large for an int give -1 (newlib's atoi
 * saturates on the ESP32, and the saturated value fails the <= 255 test).
 * @return (A<<16)|(B<<8)|C, or -1 (not an ota_err_t).
 */
int ota_version_espadf_number(const char *version);

/** Outcome of comparing an incoming version with the running one. */
typedef enum {
    OTA_VERSION_NEWER,          /**< incoming is newer: upgrade */
    OTA_VERSION_SAME,           /**< same version: do not re-install */
    OTA_VERSION_OLDER,          /**< incoming is older: a downgrade */
    OTA_VERSION_NOT_COMPARABLE, /**< both readable, but no order can be told (different tags, branches) */
    OTA_VERSION_UNPARSEABLE,    /**< at least one is not a version string at all */
} ota_version_order_t;

/** A version string split as the comparison sees it (pointers into the original string). */
typedef struct {
    const char *base; /**< the tag part ("v2.2"); not NUL-terminated at base_len */
    size_t base_len;
    uint32_t commits; /**< commits after the tag; 0 for a plain tag */
    bool has_hash;    /**< a -gHEX part was present */
    const char *hash; /**< the hex digits (without 'g'); not NUL-terminated at hash_len */
    size_t hash_len;
    bool dirty;   /**< ends in "-dirty" */
    bool numeric; /**< base is a dotted number; then parts[]/nparts are valid */
    uint32_t parts[OTA_VERSION_MAX_PARTS];
    size_t nparts;
} ota_version_t;

/** Result of ota_version_compare(). */
typedef struct {
    ota_version_order_t order;
    char
        reason[OTA_VERSION_REASON_LEN]; /**< short text for a log line, e.g. "237 < 252 commits after v2.2" */
} ota_version_cmp_t;

/** Split @p text (rules 1 and 3 above).
 *  @return OTA_OK; OTA_ERR_INVALID_ARG (NULL text or out); OTA_ERR_VERSION_UNPARSEABLE for what
 *          rule 1 refuses. */
int ota_version_parse(const char *text, ota_version_t *out);

/**
 * Compare @p incoming with @p running by the rules above; @p out (may be NULL) gets the order
 * and a reason. Returns the order.
 */
ota_version_order_t ota_version_compare(const char *incoming, const char *running, ota_version_cmp_t *out);

/** "newer", "same", "older", "not comparable", "unparseable"; "unknown" for another value (never
 *  NULL). */
const char *ota_version_order_name(ota_version_order_t order);

/**
 * The service's verdict on an order.
 * @return OTA_OK for NEWER; OTA_ERR_VERSION_NOT_NEWER for SAME and OLDER;
 *         OTA_ERR_VERSION_NOT_COMPARABLE; OTA_ERR_VERSION_UNPARSEABLE; OTA_ERR_INVALID_ARG for a
 *         value outside the enum.
 */
int ota_version_order_to_err(ota_version_order_t order);

#ifdef __cplusplus
}
#endif
#endif /* OTA_VERSION_H */
