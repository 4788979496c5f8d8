/* Version strings: ESP-ADF's ota_get_version_number and our comparison (see ota_version.h). Pure. */
#include "ota/ota_version.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ota/ota_err.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* strlen, but stops counting at limit + 1 (the input may be an unterminated 32-byte field copy). */
static size_t bounded_len(const char *s, size_t limit)
{
    size_t n = 0;
    while (n <= limit && s[n] != '\0') {
        n++;
    }
    return n;
}

int ota_version_espadf_number(const char *version)
{
    if (version == NULL) {
        return -1;
    }
    const size_t n = bounded_len(version, OTA_VERSION_MAX_LEN);
    if (n > OTA_VERSION_MAX_LEN) {
        return -1;
    }
    /* strtok(copy, "."): runs of '.' separate fields and never yield an empty one. */
    uint32_t result = 0;
    int field = 0;
    size_t i = 0;
    for (;;) {
        while (i < n && version[i] == '.') {
            i++;
        }
        if (i >= n) {
            break;
        }
        size_t start = i;
        while (i < n && version[i] != '.') {
            i++;
        }
        if (field == 0) {
            if (version[start] != 'v' && version[start] != 'V') {
                return -1;
            }
            start++; /* what is left may be empty: atoi("") == 0 */
        }
        if (field >= 3) {
            return -1; /* the original shifts by a negative count, then fails the cnt test */
        }
        uint32_t value = 0;
        for (size_t k = start; k < i; k++) {
            if (!is_digit(version[k])) {
                return -1;
            }
            value = value * 10u + (uint32_t)(version[k] - '0');
            if (value > 255u) {
                return -1; /* also covers atoi's saturation on overflow */
            }
        }
        result |= value << (8 * (2 - field));
        field++;
    }
    return field == 3 ? (int)result : -1;
}

/* --- our comparison ------------------------------------------------------------------------ */

/* Why a string is not a version at all; NULL when it is readable. */
static const char *unreadable_reason(const char *text)
{
    if (text == NULL) {
        return "missing";
    }
    size_t n = bounded_len(text, OTA_VERSION_MAX_LEN);
    if (n == 0) {
        return "empty";
    }
    if (n > OTA_VERSION_MAX_LEN) {
        return "longer than 32 bytes";
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c > 0x7E) {
            return "holds a non-printable byte";
        }
    }
    return NULL;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* "[vV]D(.D)*" with 1..OTA_VERSION_MAX_PARTS parts, each < 2^32. */
static bool parse_dotted(const char *s, size_t n, ota_version_t *v)
{
    size_t i = 0;
    if (i < n && (s[i] == 'v' || s[i] == 'V')) {
        i++;
    }
    v->nparts = 0;
    for (;;) {
        if (i >= n || !is_digit(s[i]) || v->nparts == OTA_VERSION_MAX_PARTS) {
            return false;
        }
        uint64_t value = 0;
        while (i < n && is_digit(s[i])) {
            value = value * 10u + (uint64_t)(s[i] - '0');
            if (value > UINT32_MAX) {
                return false;
            }
            i++;
        }
        v->parts[v->nparts++] = (uint32_t)value;
        if (i == n) {
            return true;
        }
        if (s[i] != '.') {
            return false;
        }
        i++;
    }
}

/* Recognise "BASE-N-gHEX" at the end of s[0, n); fills base/commits/hash. */
static bool parse_describe(const char *s, size_t n, ota_version_t *v)
{
    size_t i = n;
    while (i > 0 && is_hex(s[i - 1])) {
        i--;
    }
    size_t hex_len = n - i;
    if (hex_len < 4 || hex_len > 64 || i < 2 || s[i - 1] != 'g' || s[i - 2] != '-') {
        return false;
    }
    size_t hash_at = i;
    i -= 2;
    size_t digits_end = i;
    while (i > 0 && is_digit(s[i - 1])) {
        i--;
    }
    size_t ndigits = digits_end - i;
    if (ndigits == 0 || ndigits > 10 || i < 2 || s[i - 1] != '-') {
        return false; /* i < 2: the base must not be empty */
    }
    uint64_t commits = 0;
    for (size_t k = i; k < digits_end; k++) {
        commits = commits * 10u + (uint64_t)(s[k] - '0');
    }
    if (commits > UINT32_MAX) {
        return false;
    }
    v->base_len = i - 1;
    v->commits = (uint32_t)commits;
    v->has_hash = true;
    v->hash = s + hash_at;
    v->hash_len = hex_len;
    return true;
}

int ota_version_parse(const char *text, ota_version_t *out)
{
    if (out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    if (unreadable_reason(text) != NULL) {
        return OTA_ERR_VERSION_UNPARSEABLE;
    }
    size_t n = strlen(text);
    out->base = text;
    if (n > 6 && ends_with(text, n, "-dirty")) {
        out->dirty = true;
        n -= 6;
    }
    if (!parse_describe(text, n, out)) {
        out->base_len = n;
    }
    out->numeric = parse_dotted(out->base, out->base_len, out);
    if (!out->numeric) {
        out->nparts = 0;
    }
    return OTA_OK;
}

static int compare_parts(const ota_version_t *a, const ota_version_t *b)
{
    size_t n = a->nparts > b->nparts ? a->nparts : b->nparts;
    for (size_t i = 0; i < n; i++) {
        uint32_t x = i < a->nparts ? a->parts[i] : 0;
        uint32_t y = i < b->nparts ? b->parts[i] : 0;
        if (x != y) {
            return x > y ? 1 : -1;
        }
    }
    return 0;
}

/* Abbreviated hashes name the same commit when one is a prefix of the other. */
static bool same_hash(const ota_version_t *a, const ota_version_t *b)
{
    size_t n = a->hash_len < b->hash_len ? a->hash_len : b->hash_len;
    for (size_t i = 0; i < n; i++) {
        if (lower(a->hash[i]) != lower(b->hash[i])) {
            return false;
        }
    }
    return true;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static ota_version_order_t
finish(ota_version_cmp_t *out, ota_version_order_t order, const char *fmt, ...);

static ota_version_order_t finish(ota_version_cmp_t *out, ota_version_order_t order, const char *fmt, ...)
{
    if (out != NULL) {
        out->order = order;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(out->reason, sizeof out->reason, fmt, ap);
        va_end(ap);
    }
    return order;
}

static ota_version_order_t same_base(const ota_version_t *in, const ota_version_t *run,
                                     ota_version_cmp_t *out)
{
    const int bl = (int)in->base_len;
    if (in->commits != run->commits) {
        bool newer = in->commits > run->commits;
        return finish(out, newer ? OTA_VERSION_NEWER : OTA_VERSION_OLDER, "%u %s %u commits after %.*s%s",
                      (unsigned)in->commits, newer ? ">" : "<", (unsigned)run->commits, bl, in->base,
                      in->dirty || run->dirty ? " (-dirty ignored)" : "");
    }
    if (in->has_hash && run->has_hash && !same_hash(in, run)) {
        return finish(out, OTA_VERSION_NOT_COMPARABLE,
                      "different commits g%.*s and g%.*s, both %u after %.*s", (int)in->hash_len, in->hash,
                      (int)run->hash_len, run->hash, (unsigned)in->commits, bl, in->base);
    }
    if (in->dirty || run->dirty) {
        return finish(out, OTA_VERSION_NOT_COMPARABLE, "-dirty build of the same commit (%u after %.*s)",
                      (unsigned)in->commits, bl, in->base);
    }
    return finish(out, OTA_VERSION_SAME, "same commit (%u after %.*s)", (unsigned)in->commits, bl, in->base);
}

ota_version_order_t ota_version_compare(const char *incoming, const char *running, ota_version_cmp_t *out)
{
    const char *why_in = unreadable_reason(incoming);
    const char *why_run = unreadable_reason(running);
    if (why_in != NULL) {
        return finish(out, OTA_VERSION_UNPARSEABLE, "incoming version is %s", why_in);
    }
    if (why_run != NULL) {
        return finish(out, OTA_VERSION_UNPARSEABLE, "running version is %s", why_run);
    }
    if (strcmp(incoming, running) == 0) {
        return finish(out, OTA_VERSION_SAME, "identical");
    }
    ota_version_t in, run;
    (void)ota_version_parse(incoming, &in);
    (void)ota_version_parse(running, &run);
    if (in.base_len == run.base_len && memcmp(in.base, run.base, in.base_len) == 0) {
        return same_base(&in, &run, out);
    }
    if (!in.numeric || !run.numeric) {
        return finish(out, OTA_VERSION_NOT_COMPARABLE,
                      "different tags %.*s and %.*s, not both dotted numbers", (int)in.base_len, in.base,
                      (int)run.base_len, run.base);
    }
    int c = compare_parts(&in, &run);
    if (c == 0) {
        return same_base(&in, &run, out); /* "v2.2" and "v2.2.0" name the same release */
    }
    return finish(out, c > 0 ? OTA_VERSION_NEWER : OTA_VERSION_OLDER, "%.*s %s %.*s", (int)in.base_len,
                  in.base, c > 0 ? ">" : "<", (int)run.base_len, run.base);
}

const char *ota_version_order_name(ota_version_order_t order)
{
    switch (order) {
    case OTA_VERSION_NEWER: return "newer";
    case OTA_VERSION_SAME: return "same";
    case OTA_VERSION_OLDER: return "older";
    case OTA_VERSION_NOT_COMPARABLE: return "not comparable";
    case OTA_VERSION_UNPARSEABLE: return "unparseable";
    }
    return "unknown";
}

int ota_version_order_to_err(ota_version_order_t order)
{
    switch (order) {
    case OTA_VERSION_NEWER: return OTA_OK;
    case OTA_VERSION_SAME:
    case OTA_VERSION_OLDER: return OTA_ERR_VERSION_NOT_NEWER;
    case OTA_VERSION_NOT_COMPARABLE: return OTA_ERR_VERSION_NOT_COMPARABLE;
    case OTA_VERSION_UNPARSEABLE: return OTA_ERR_VERSION_UNPARSEABLE;
    }
    return OTA_ERR_INVALID_ARG;
}
