/* What strict jsmn lets through and RFC 8259 does not, checked on its tokens: shared by the JSON
 * readers of the core (the release manifest, ESP-ADF's manifest checker). Include <jsmn.h> first
 * (each reader includes it with JSMN_STATIC, so jsmn's code stays private to that reader). */
#ifndef OTA_JSON_STRICT_H
#define OTA_JSON_STRICT_H

#include <stdbool.h>

/**
 * Check the @p ntok tokens jsmn (strict mode) made of @p js: every primitive is true, false, null
 * or an RFC 8259 number; strings hold no raw control byte; object keys are strings followed by one
 * ':', values are separated by exactly one ',' (jsmn takes [1,,2], [1,] and {"a":1,}). With
 * @p plain_keys, a key holding an escape is refused too.
 * @return -1 when all is well, else the index of the first bad token.
 */
int ota_json_strict_check(const char *js, const jsmntok_t *tok, int ntok, bool plain_keys);

#endif /* OTA_JSON_STRICT_H */
