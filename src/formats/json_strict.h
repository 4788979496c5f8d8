/* What strict jsmn lets through and RFC 8259 does not, checked on its tokens, and the small token
 * helpers: shared by the JSON readers of the core (the release manifest, ESP-ADF's manifest checker). Include <jsmn.h> first
 * (each reader includes it with JSMN_STATIC, so jsmn's code stays private to that reader). */
#ifndef OTA_JSON_STRICT_H
#define OTA_JSON_STRICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * Check the @p ntok tokens jsmn (strict mode) made of @p js: every primitive is true, false, null
 * or an RFC 8259 number; strings hold no raw control byte; object keys are strings followed by one
 * ':', values are separated by exactly one ',' (jsmn takes [1,,2], [1,] and {"a":1,}). With
 * @p plain_keys, a key holding an escape is refused too.
 * @return -1 when all is well, else the index of the first bad token.
 */
int ota_json_strict_check(const char *js, const jsmntok_t *tok, int ntok, bool plain_keys);

/** A document as jsmn tokenised it: the text and its tokens. */
typedef struct {
    const char *js;
    const jsmntok_t *tok;
    int ntok;
} ota_json_doc_t;

/** Index of the first of the @p ntok tokens after the value at @p t (its whole subtree). */
int ota_json_skip(const jsmntok_t *tok, int ntok, int t);

/** The value of one hex digit (either case), -1 for any other character. */
int ota_json_hexval(char ch);

/** @p text of @p n characters as exactly 2 * @p len hex digits (either case, ESP-ADF's
 *  parse_hex_hash) into @p out. False for another length or a non-hex character. */
bool ota_json_hex_bytes(const char *text, size_t n, uint8_t *out, size_t len);

#endif /* OTA_JSON_STRICT_H */
