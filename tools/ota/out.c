/* The output layer of the `ota` commands (out.h): the result tree, its adders and getters, and
 * the two renderings. */
#include "out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ota/ota_err.h"

/* Length of the valid UTF-8 sequence at @p s (1..4), or 0 if the byte there does not start one. */
static size_t utf8_sequence(const unsigned char *s)
{
    if (s[0] < 0x80) {
        return 1;
    }
    size_t n = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || (n == 2 && s[0] < 0xC2) || (n == 4 && s[0] > 0xF4)) {
        return 0; /* continuation byte, overlong 2-byte form, beyond U+10FFFF */
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    if ((n == 3 && s[0] == 0xE0 && s[1] < 0xA0) || (n == 3 && s[0] == 0xED && s[1] >= 0xA0) ||
        (n == 4 && s[0] == 0xF0 && s[1] < 0x90) || (n == 4 && s[0] == 0xF4 && s[1] >= 0x90)) {
        return 0; /* overlong, surrogate, beyond U+10FFFF */
    }
    return n;
}

/* @p value as valid UTF-8, any other byte as "\xNN" (malloc'ed; NULL when out of memory). */
static char *utf8_clean(const char *value)
{
    const unsigned char *v = (const unsigned char *)value;
    size_t len = strlen(value);
    char *clean = malloc(len * 4 + 1);
    if (clean == NULL) {
        return NULL;
    }
    size_t out = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_sequence(v + i);
        if (n == 0) {
            out += (size_t)sprintf(clean + out, "\\x%02x", v[i]);
            i++;
        } else {
            memcpy(clean + out, v + i, n);
            out += n;
            i += n;
        }
    }
    clean[out] = '\0';
    return clean;
}

/* --- building ---------------------------------------------------------------------------------- */

out_t *out_object(void)
{
    return cJSON_CreateObject();
}

out_t *out_array(void)
{
    return cJSON_CreateArray();
}

void out_put(out_t *o, const char *key, out_t *item)
{
    if (item == NULL) {
        item = cJSON_CreateNull();
    }
    if (o == NULL || item == NULL) {
        cJSON_Delete(item);
        return;
    }
    if (key != NULL) {
        cJSON_AddItemToObject(o, key, item);
    } else {
        cJSON_AddItemToArray(o, item);
    }
}

out_t *out_obj(out_t *o, const char *key)
{
    out_t *child = cJSON_CreateObject();
    out_put(o, key, child);
    return o != NULL ? child : NULL;
}

out_t *out_arr(out_t *o, const char *key)
{
    out_t *child = cJSON_CreateArray();
    out_put(o, key, child);
    return o != NULL ? child : NULL;
}

void out_str(out_t *o, const char *key, const char *value)
{
    if (value == NULL) {
        out_null(o, key);
        return;
    }
    char *clean = utf8_clean(value);
    out_put(o, key, clean != NULL ? cJSON_CreateString(clean) : NULL);
    free(clean);
}

void out_int(out_t *o, const char *key, int64_t value)
{
    out_put(o, key, cJSON_CreateNumber((double)value));
}

void out_bool(out_t *o, const char *key, bool value)
{
    out_put(o, key, cJSON_CreateBool(value));
}

void out_null(out_t *o, const char *key)
{
    out_put(o, key, cJSON_CreateNull());
}

void out_hex(out_t *o, const char *key, const uint8_t *data, size_t len)
{
    char *hex = data != NULL ? malloc(2 * len + 1) : NULL;
    if (hex != NULL) {
        cli_hex(data, len, hex);
    }
    out_put(o, key, hex != NULL ? cJSON_CreateString(hex) : NULL);
    free(hex);
}

out_t *out_error(int err, const char *message)
{
    out_t *e = out_object();
    out_str(e, "error", ota_err_name(err));
    out_int(e, "code", err);
    out_str(e, "message", message ? message : ota_strerror(err));
    return e;
}

void out_err_msg(out_t *o, const char *key, int err, const char *message)
{
    out_put(o, key, out_error(err, message));
}

void out_err(out_t *o, const char *key, int err)
{
    if (err == OTA_OK) {
        out_null(o, key);
    } else {
        out_err_msg(o, key, err, NULL);
    }
}

/* --- reading back ------------------------------------------------------------------------------ */

const out_t *out_get(const out_t *o, const char *key)
{
    return o != NULL ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

bool out_has(const out_t *o, const char *key)
{
    const out_t *v = out_get(o, key);
    return v != NULL && !cJSON_IsNull(v);
}

const char *out_get_str(const out_t *o, const char *key)
{
    const out_t *v = out_get(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int64_t out_get_int(const out_t *o, const char *key)
{
    const out_t *v = out_get(o, key);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

bool out_get_bool(const out_t *o, const char *key)
{
    return cJSON_IsTrue(out_get(o, key));
}

size_t out_count(const out_t *array)
{
    return cJSON_IsArray(array) ? (size_t)cJSON_GetArraySize(array) : 0;
}

const out_t *out_at(const out_t *array, size_t i)
{
    return cJSON_IsArray(array) ? cJSON_GetArrayItem(array, (int)i) : NULL;
}

/* --- rendering --------------------------------------------------------------------------------- */

void out_print_json(out_t *result)
{
    char *text = result != NULL ? cJSON_PrintUnformatted(result) : NULL;
    if (text != NULL) {
        puts(text);
        cJSON_free(text);
    }
    fflush(stdout);
    cJSON_Delete(result);
}

void out_emit(out_t *result, bool json, out_text_fn text, const void *ctx)
{
    if (json) {
        out_print_json(result);
        return;
    }
    if (text != NULL) {
        text(result, ctx);
    }
    cJSON_Delete(result);
}

int out_failure(bool json, int err, const char *message)
{
    if (json) {
        out_print_json(out_error(err, message));
    }
    return CLI_EXIT_FAIL;
}
