/* RFC 8259's rules that strict jsmn does not check (json_strict.h), moved out of the release
 * manifest parser so ESP-ADF's manifest checker reads JSON by the same rules. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* the types only: each reader compiles jsmn's code privately (JSMN_STATIC) */
#define JSMN_HEADER
#define JSMN_STRICT
#include <jsmn.h>

#include "json_strict.h"

int ota_json_skip(const jsmntok_t *tok, int ntok, int t)
{
    int end = tok[t].end;
    int i = t + 1;
    while (i < ntok && tok[i].start < end) {
        i++;
    }
    return i;
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

int ota_json_hexval(char ch)
{
    if (is_digit(ch)) {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

bool ota_json_hex_bytes(const char *text, size_t n, uint8_t *out, size_t len)
{
    if (n != 2 * len) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        int hi = ota_json_hexval(text[2 * i]), lo = ota_json_hexval(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* A JSON primitive as RFC 8259 spells it: true, false, null or a number. */
static bool primitive_valid(const char *s, size_t n)
{
    if ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0) ||
        (n == 4 && memcmp(s, "null", 4) == 0)) {
        return true;
    }
    size_t i = 0;
    if (i < n && s[i] == '-') {
        i++;
    }
    if (i >= n || !is_digit(s[i])) {
        return false;
    }
    if (s[i] == '0') {
        i++;
    } else {
        while (i < n && is_digit(s[i])) {
            i++;
        }
    }
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || !is_digit(s[i])) {
            return false;
        }
        while (i < n && is_digit(s[i])) {
            i++;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            i++;
        }
        if (i >= n || !is_digit(s[i])) {
            return false;
        }
        while (i < n && is_digit(s[i])) {
            i++;
        }
    }
    return i == n;
}

/* Where a token's text starts and ends (a string's quotes are outside jsmn's start..end). */
static int span_start(const jsmntok_t *t)
{
    return t->type == JSMN_STRING ? t->start - 1 : t->start;
}

static int span_end(const jsmntok_t *t)
{
    return t->type == JSMN_STRING ? t->end + 1 : t->end;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* js[from..to) is white space around exactly one @p sep (or nothing but white space when sep is 0).
 * jsmn does not look at separators: it takes [1,,2], [1,] and {"a":1,} as JSON. */
static bool gap_ok(const char *js, int from, int to, char sep)
{
    bool seen = sep == 0;
    for (int i = from; i < to; i++) {
        if (!seen && js[i] == sep) {
            seen = true;
        } else if (!is_space(js[i])) {
            return false;
        }
    }
    return seen;
}

int ota_json_strict_check(const char *js, const jsmntok_t *tok, int ntok, bool plain_keys)
{
    for (int i = 0; i < ntok; i++) {
        const jsmntok_t *t = &tok[i];
        const char *s = js + t->start;
        size_t n = (size_t)(t->end - t->start);
        if (t->type == JSMN_PRIMITIVE && !primitive_valid(s, n)) {
            return i;
        }
        if (t->type == JSMN_STRING) {
            for (size_t k = 0; k < n; k++) {
                if ((unsigned char)s[k] < 0x20) {
                    return i;
                }
            }
        }
        if (t->type != JSMN_OBJECT && t->type != JSMN_ARRAY) {
            continue;
        }
        bool obj = t->type == JSMN_OBJECT;
        int children = obj ? 2 * t->size : t->size;
        int k = i + 1, prev_end = t->start + 1;
        for (int m = 0; m < children; m++) {
            if (k >= ntok) {
                return i;
            }
            bool key = obj && m % 2 == 0;
            if (key && (tok[k].type != JSMN_STRING || tok[k].size != 1 ||
                        (plain_keys &&
                         memchr(js + tok[k].start, '\\', (size_t)(tok[k].end - tok[k].start)) != NULL))) {
                return k;
            }
            char sep = m == 0 ? 0 : (obj && m % 2 == 1) ? ':' : ',';
            if (!gap_ok(js, prev_end, span_start(&tok[k]), sep)) {
                return k;
            }
            prev_end = span_end(&tok[k]);
            k = key ? k + 1 : ota_json_skip(tok, ntok, k);
        }
        if (!gap_ok(js, prev_end, t->end - 1, 0)) {
            return i;
        }
    }
    return -1;
}
