/* gen_esp32part.py's text and number rules (ESP-IDF v6.0.2; reference/esp-idf-formats.md §1.6):
 * Python's strip/splitlines/UTF-8 decode and parse_int(), for the partition table CSV parser
 * (partition_csv.c). Pure, no allocation. */
#include "sim/partition_csv_text.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_partition.h"

/* --- text basics ----------------------------------------------------------------------------- */

/* str.isspace() for the ASCII range (Python strips these from fields and lines). */
static bool is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F);
}

span_t ota_csv_strip(span_t s)
{
    while (s.n > 0 && is_space((unsigned char)s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n > 0 && is_space((unsigned char)s.p[s.n - 1])) {
        s.n--;
    }
    return s;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool span_equals_lower(span_t s, const char *word)
{
    size_t n = strlen(word);
    if (n != s.n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (lower(s.p[i]) != word[i]) {
            return false;
        }
    }
    return true;
}

bool ota_csv_span_equals(span_t s, const char *word)
{
    return strlen(word) == s.n && memcmp(s.p, word, s.n) == 0;
}

/* Length of the line terminator at text[i] as str.splitlines() sees it, 0 if none. */
size_t ota_csv_line_break_len(const char *text, size_t len, size_t i)
{
    unsigned char c = (unsigned char)text[i];
    if (c == '\r') {
        return (i + 1 < len && text[i + 1] == '\n') ? 2 : 1;
    }
    if (c == '\n' || c == '\v' || c == '\f' || c == 0x1C || c == 0x1D || c == 0x1E) {
        return 1;
    }
    if (c == 0xC2 && i + 1 < len && (unsigned char)text[i + 1] == 0x85) { /* U+0085 */
        return 2;
    }
    if (c == 0xE2 && i + 2 < len && (unsigned char)text[i + 1] == 0x80 &&
        ((unsigned char)text[i + 2] == 0xA8 || (unsigned char)text[i + 2] == 0xA9)) { /* U+2028/9 */
        return 3;
    }
    return 0;
}

/* Strict UTF-8 check (Python's decode() would raise on anything else). */
bool ota_csv_valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t more;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            more = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            more = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            more = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + more >= n) {
            return false;
        }
        for (size_t k = 1; k <= more; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        bool overlong_or_surrogate = more == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF));
        if (overlong_or_surrogate || (more == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
            return false;
        }
        i += more + 1;
    }
    return true;
}

/* Python's '0x%x' % v, which writes negative numbers as "0x-1000". */
const char *ota_csv_hex64(int64_t v, char buf[24])
{
    if (v < 0) {
        snprintf(buf, 24, "0x-%llx", (unsigned long long)(0 - (uint64_t)v));
    } else {
        snprintf(buf, 24, "0x%llx", (unsigned long long)v);
    }
    return buf;
}

/* --- numbers: gen_esp32part's ota_csv_parse_int() ------------------------------------------------------- */

static const char *keyword_at(keywords_t kw, size_t i, uint8_t *value)
{
    switch (kw.kind) {
    case KW_TYPES: return ota_partition_type_keyword(i, value);
    case KW_SUBTYPES: return ota_partition_subtype_keyword(kw.type, i, value);
    default: return NULL;
    }
}

enum {
    NUM_OK = 0,
    NUM_INVALID = 1,
    NUM_RANGE = 2
};

static int digit_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'Z') {
        return c - 'A' + 10;
    }
    return 99;
}

/* Python's int(s, 0): optional sign, 0x/0o/0b prefixes, single underscores between digits (and
 * after a prefix), no leading zeros on a non-zero decimal. */
static int python_int(span_t s, int64_t *out)
{
    s = ota_csv_strip(s);
    bool negative = false;
    if (s.n > 0 && (s.p[0] == '+' || s.p[0] == '-')) {
        negative = s.p[0] == '-';
        s.p++;
        s.n--;
    }
    unsigned base = 10;
    size_t i = 0;
    if (s.n >= 2 && s.p[0] == '0') {
        char x = lower(s.p[1]);
        base = x == 'x' ? 16 : x == 'o' ? 8 : x == 'b' ? 2 : 10;
        if (base != 10) {
            i = 2;
            if (i < s.n && s.p[i] == '_') {
                i++;
            }
        }
    }
    if (i >= s.n) {
        return NUM_INVALID;
    }
    uint64_t value = 0;
    bool overflow = false, nonzero_after_leading_zero = false, prev_digit = false;
    bool leading_zero = base == 10 && s.p[i] == '0';
    for (; i < s.n; i++) {
        char c = s.p[i];
        if (c == '_') {
            if (!prev_digit || i + 1 >= s.n) {
                return NUM_INVALID;
            }
            prev_digit = false;
            continue;
        }
        int d = digit_value(c);
        if (d >= (int)base) {
            return NUM_INVALID;
        }
        if (leading_zero && d != 0) {
            nonzero_after_leading_zero = true;
        }
        if (value > (UINT64_MAX - (uint64_t)d) / base) {
            overflow = true;
        } else {
            value = value * base + (uint64_t)d;
        }
        prev_digit = true;
    }
    if (!prev_digit || nonzero_after_leading_zero) {
        return NUM_INVALID;
    }
    if (overflow || value > (uint64_t)INT64_MAX) {
        return NUM_RANGE;
    }
    *out = negative ? -(int64_t)value : (int64_t)value;
    return NUM_OK;
}

void ota_csv_fmt_msg(char *msg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, MSG_MAX, fmt, ap);
    va_end(ap);
}

/* "Known keywords: a, b, c" list of gen_esp32part's message. */
static void keyword_list(keywords_t kw, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    const char *name;
    for (size_t i = 0; (name = keyword_at(kw, i, NULL)) != NULL && used < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", name);
        used += n > 0 ? (size_t)n : 0;
    }
}

/* ota_csv_parse_int(v, keywords): k/m suffixes (recursively in gen_esp32part, case-insensitive), then
 * int(v, 0), then a keyword. The recursion only ever strips one trailing k/m, so it is done here
 * as a loop (a line of a million 'k's must not exhaust the stack). On failure returns an
 * OTA_ERR_PT_* code with the InputError text (about the innermost value) in @p msg. */
int ota_csv_parse_int(span_t whole, keywords_t kw, int64_t *out, char *msg)
{
    span_t v = whole;
    unsigned shift = 0; /* the suffixes multiply by 2^shift */
    while (v.n > 0 && (lower(v.p[v.n - 1]) == 'k' || lower(v.p[v.n - 1]) == 'm')) {
        unsigned bits = lower(v.p[v.n - 1]) == 'k' ? 10u : 20u;
        shift = shift > 64 ? shift : shift + bits;
        v.n--;
    }
    int64_t base = 0;
    int err = OTA_OK;
    int r = python_int(v, &base);
    if (r == NUM_RANGE) {
        ota_csv_fmt_msg(msg, "Value '%.*s%s' is out of range", QUOTE(v));
        return OTA_ERR_PT_VALUE_RANGE;
    }
    if (r != NUM_OK) {
        err = OTA_ERR_PT_UNKNOWN_KEYWORD;
        uint8_t value;
        const char *name;
        for (size_t i = 0; err != OTA_OK && (name = keyword_at(kw, i, &value)) != NULL; i++) {
            if (span_equals_lower(v, name)) {
                base = value;
                err = OTA_OK;
            }
        }
    }
    if (err == OTA_OK) {
        uint64_t magnitude = base < 0 ? 0 - (uint64_t)base : (uint64_t)base;
        if (base != 0 && (shift >= 63 || magnitude > ((uint64_t)INT64_MAX >> shift))) {
            ota_csv_fmt_msg(msg, "Value '%.*s%s' is out of range", QUOTE(whole));
            return OTA_ERR_PT_VALUE_RANGE;
        }
        *out = base == 0 ? 0 : (base < 0 ? -(int64_t)(magnitude << shift) : (int64_t)(magnitude << shift));
        return OTA_OK;
    }
    if (keyword_at(kw, 0, NULL) == NULL) {
        ota_csv_fmt_msg(msg, "Invalid field value %.*s%s", QUOTE(v));
        return OTA_ERR_PT_SYNTAX;
    }
    char known[160];
    keyword_list(kw, known, sizeof known);
    ota_csv_fmt_msg(msg, "Value '%.*s%s' is not valid. Known keywords: %s", QUOTE(v), known);
    return OTA_ERR_PT_UNKNOWN_KEYWORD;
}
