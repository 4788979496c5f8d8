/**
 * @file out.h
 * @brief The output layer of the `ota` commands: a command builds its result once, as a tree of
 *        typed fields, and out_emit() renders it: one compact JSON line (--json, docs/json.md), or
 *        the command's text.
 *
 * Why: a command that prints text in one branch and JSON in another computes its result twice and
 * lets the two drift apart (a field in the text and not in the JSON, a failure printed in one mode
 * only). Here the command's work fills one result; the JSON is that result, field for field, and
 * the text renderer reads the same fields back (out_get_*), so what both say comes from one place.
 *
 * A result is an object or array of fields named as docs/json.md's schemas name them:
 *  - out_str: text from an image or a server too (kept valid UTF-8, other bytes as "\xNN"); NULL
 *    is JSON null, as every "string or null" field of the schemas;
 *  - out_int / out_bool / out_null / out_hex (lowercase hex of bytes; NULL: null);
 *  - out_err: the shared `error` object, null for OTA_OK;
 *  - out_obj / out_arr: a nested object or array (key NULL: appended to an array).
 * The tree is cJSON's (out_t is a cJSON node), so the builders of image_report.h nest with out_put.
 */
#ifndef OTA_CLI_OUT_H
#define OTA_CLI_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/** A result, or a field of one. */
typedef cJSON out_t;

/** A new empty result object / array (NULL only when out of memory: every adder accepts NULL). */
out_t *out_object(void);
out_t *out_array(void);

/* Adders: @p key names the field of object @p o; with key NULL the value is appended to array @p o. */
out_t *out_obj(out_t *o, const char *key);
out_t *out_arr(out_t *o, const char *key);
void out_str(out_t *o, const char *key, const char *value);
void out_int(out_t *o, const char *key, int64_t value);
void out_bool(out_t *o, const char *key, bool value);
void out_null(out_t *o, const char *key);
void out_hex(out_t *o, const char *key, const uint8_t *data, size_t len);
/** A new error object {error, code, message} (message NULL: ota_strerror(err)): a failure's result,
 *  to which a command may add the fields naming what failed. */
out_t *out_error(int err, const char *message);
/** The error object as field @p key of @p o. */
void out_err_msg(out_t *o, const char *key, int err, const char *message);
/** The error object, or null for OTA_OK. */
void out_err(out_t *o, const char *key, int err);
/** Put @p item (a tree built elsewhere, or NULL for null) under @p key; @p o takes it. */
void out_put(out_t *o, const char *key, out_t *item);

/* Getters, for text renderers: a missing or null field reads as NULL / 0 / false. */
const out_t *out_get(const out_t *o, const char *key);
const char *out_get_str(const out_t *o, const char *key);
int64_t out_get_int(const out_t *o, const char *key);
bool out_get_bool(const out_t *o, const char *key);
bool out_has(const out_t *o, const char *key); /**< present and not null */
size_t out_count(const out_t *array);
const out_t *out_at(const out_t *array, size_t i);

/** Renders a result as text on stdout, reading its fields; @p ctx: what the command passed. */
typedef void (*out_text_fn)(const out_t *result, const void *ctx);

/**
 * Print @p result: with @p json one compact JSON line on stdout (flushed), else @p text (NULL:
 * nothing). Frees @p result.
 */
void out_emit(out_t *result, bool json, out_text_fn text, const void *ctx);

/**
 * A failure whose cause is on stderr already: with @p json the error object {error, code,
 * message} on stdout (message NULL: ota_strerror(err)). Returns CLI_EXIT_FAIL.
 */
int out_failure(bool json, int err, const char *message);

/** Print @p result as one compact JSON line on stdout and free it. */
void out_print_json(out_t *result);

#endif /* OTA_CLI_OUT_H */
