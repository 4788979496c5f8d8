/* sdkconfig text: CONFIG_X=value lines, Kconfig strings, "is not set" comments (see ota_sdkconfig.h). Pure. */
#include "ota/sim/ota_sdkconfig.h"

#include <string.h>

#include "ota/ota_err.h"

#define PREFIX       "CONFIG_"
#define PREFIX_LEN   (sizeof PREFIX - 1)
#define NOT_SET_TAIL " is not set"

/* One line, split; spans point into the text. */
typedef struct {
    const char *key;
    size_t key_len;
    const char *raw; /* unquoted value, or the inside of the quotes (escapes unresolved) */
    size_t raw_len;
    ota_sdkconfig_kind_t kind;
} line_t;

enum {
    LINE_NOTHING = 0,
    LINE_OPTION = 1
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static int syntax_error(ota_sdkconfig_diag_t *diag, unsigned line, size_t column, const char *message)
{
    if (diag != NULL) {
        diag->line = line;
        diag->column = (unsigned)column + 1;
        diag->message = message;
    }
    return OTA_ERR_PARSE;
}

/* Length of CONFIG_NAME at s (0 if s does not start with one). */
static size_t name_len(const char *s, size_t n)
{
    if (n <= PREFIX_LEN || memcmp(s, PREFIX, PREFIX_LEN) != 0) {
        return 0;
    }
    size_t i = PREFIX_LEN;
    while (i < n && is_name_char(s[i])) {
        i++;
    }
    return i == PREFIX_LEN ? 0 : i;
}

/* "# CONFIG_NAME is not set" (blanks after it allowed); s starts at the '#'. */
static bool parse_not_set(const char *s, size_t n, line_t *out)
{
    if (n < 2 || s[1] != ' ') {
        return false;
    }
    size_t k = name_len(s + 2, n - 2);
    if (k == 0) {
        return false;
    }
    size_t rest = 2 + k;
    size_t tail = sizeof NOT_SET_TAIL - 1;
    if (n - rest < tail || memcmp(s + rest, NOT_SET_TAIL, tail) != 0) {
        return false;
    }
    for (size_t i = rest + tail; i < n; i++) {
        if (!is_blank(s[i])) {
            return false;
        }
    }
    out->key = s + 2;
    out->key_len = k;
    out->raw = "n";
    out->raw_len = 1;
    out->kind = OTA_SDKCONFIG_NOT_SET;
    return true;
}

/* s[0, n) is one line without its line feed (a CR before it already removed). */
static int parse_line(const char *s, size_t n, unsigned lineno, line_t *out, ota_sdkconfig_diag_t *diag)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\0') {
            return syntax_error(diag, lineno, i, "NUL byte in the text");
        }
        if (s[i] == '\r') {
            return syntax_error(diag, lineno, i, "carriage return not followed by a line feed");
        }
    }
    size_t i = 0;
    while (i < n && is_blank(s[i])) {
        i++;
    }
    size_t end = n;
    while (end > i && is_blank(s[end - 1])) {
        end--;
    }
    if (i == end) {
        return LINE_NOTHING;
    }
    if (s[i] == '#') {
        return parse_not_set(s + i, end - i, out) ? LINE_OPTION : LINE_NOTHING;
    }
    if (end - i <= PREFIX_LEN || memcmp(s + i, PREFIX, PREFIX_LEN) != 0) {
        return syntax_error(diag, lineno, i, "expected CONFIG_NAME=value, a comment or a blank line");
    }
    size_t k = name_len(s + i, end - i);
    if (k == 0) {
        return syntax_error(diag, lineno, i + PREFIX_LEN, "empty option name");
    }
    size_t eq = i + k;
    if (eq >= end || s[eq] != '=') {
        if (eq < end && is_blank(s[eq])) {
            return syntax_error(diag, lineno, eq, "blank between the option name and '='");
        }
        return syntax_error(diag, lineno, eq,
                            eq < end ? "invalid character in the option name"
                                     : "expected '=' after the option name");
    }
    out->key = s + i;
    out->key_len = k;
    size_t v = eq + 1;
    if (v < end && s[v] == '"') {
        size_t j = v + 1;
        while (j < end && s[j] != '"') {
            j += s[j] == '\\' ? 2 : 1;
        }
        if (j >= end) {
            return syntax_error(diag, lineno, v, "unterminated string");
        }
        if (j + 1 != end) {
            return syntax_error(diag, lineno, j + 1, "text after the closing quote");
        }
        out->raw = s + v + 1;
        out->raw_len = j - v - 1;
        out->kind = OTA_SDKCONFIG_STRING;
    } else {
        out->raw = s + v;
        out->raw_len = end - v;
        out->kind = OTA_SDKCONFIG_VALUE;
    }
    return LINE_OPTION;
}

/* Value bytes after resolving Kconfig escapes. */
static size_t value_len(const line_t *l)
{
    if (l->kind != OTA_SDKCONFIG_STRING) {
        return l->raw_len;
    }
    size_t n = 0;
    for (size_t i = 0; i < l->raw_len; i++, n++) {
        if (l->raw[i] == '\\') {
            i++;
        }
    }
    return n;
}

/* Copy the value (escapes resolved) and a NUL into dst, which holds value_len(l) + 1 bytes. */
static void copy_value(const line_t *l, char *dst)
{
    size_t n = 0;
    for (size_t i = 0; i < l->raw_len; i++) {
        if (l->kind == OTA_SDKCONFIG_STRING && l->raw[i] == '\\') {
            i++;
        }
        dst[n++] = l->raw[i];
    }
    dst[n] = '\0';
}

/*
 * Walk the lines; for each option call visit(ctx, line, lineno). Shared by parse and get so that
 * both accept exactly the same text.
 */
typedef int (*visit_fn)(void *ctx, const line_t *line, unsigned lineno);

static int walk(const char *text, size_t len, visit_fn visit, void *ctx, ota_sdkconfig_diag_t *diag)
{
    if (diag != NULL) {
        memset(diag, 0, sizeof *diag);
    }
    if (text == NULL && len != 0) {
        return OTA_ERR_INVALID_ARG;
    }
    size_t pos = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        pos = 3;
    }
    unsigned lineno = 0;
    while (pos < len) {
        lineno++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t line_end = nl != NULL ? (size_t)(nl - text) : len;
        size_t n = line_end - pos;
        if (nl != NULL && n > 0 && text[line_end - 1] == '\r') {
            n--;
        }
        line_t line;
        int rc = parse_line(text + pos, n, lineno, &line, diag);
        if (rc < 0) {
            return rc;
        }
        if (rc == LINE_OPTION && visit != NULL) {
            rc = visit(ctx, &line, lineno);
            if (rc != OTA_OK) {
                return rc;
            }
        }
        pos = nl != NULL ? line_end + 1 : len;
    }
    return OTA_OK;
}

typedef struct {
    char *scratch;
    size_t scratch_size;
    ota_sdkconfig_cb_t cb;
    void *ctx;
    ota_sdkconfig_diag_t *diag;
} parse_ctx_t;

static int parse_visit(void *ctx, const line_t *line, unsigned lineno)
{
    parse_ctx_t *p = ctx;
    if (p->cb == NULL) {
        return OTA_OK;
    }
    size_t vlen = value_len(line);
    if (p->scratch == NULL || p->scratch_size < line->key_len + 1 + vlen + 1) {
        if (p->diag != NULL) {
            p->diag->line = lineno;
            p->diag->column = 1;
            p->diag->message = "option too long for the scratch buffer";
        }
        return OTA_ERR_BUFFER_TOO_SMALL;
    }
    memcpy(p->scratch, line->key, line->key_len);
    p->scratch[line->key_len] = '\0';
    char *value = p->scratch + line->key_len + 1;
    copy_value(line, value);
    ota_sdkconfig_entry_t entry = {p->scratch, value, vlen, line->kind, lineno};
    return p->cb(p->ctx, &entry);
}

int ota_sdkconfig_parse(const char *text, size_t len, char *scratch, size_t scratch_size,
                        ota_sdkconfig_cb_t cb, void *ctx, ota_sdkconfig_diag_t *diag)
{
    parse_ctx_t p = {scratch, scratch_size, cb, ctx, diag};
    return walk(text, len, parse_visit, &p, diag);
}

typedef struct {
    const char *key;
    size_t key_len;
    line_t found;
    unsigned found_line;
} get_ctx_t;

static int get_visit(void *ctx, const line_t *line, unsigned lineno)
{
    get_ctx_t *g = ctx;
    if (line->key_len == g->key_len && memcmp(line->key, g->key, g->key_len) == 0) {
        g->found = *line;
        g->found_line = lineno;
    }
    return OTA_OK;
}

static int get_line(const char *text, size_t len, const char *key, get_ctx_t *g, ota_sdkconfig_diag_t *diag)
{
    if (key == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(g, 0, sizeof *g);
    g->key = key;
    g->key_len = strlen(key);
    int rc = walk(text, len, get_visit, g, diag);
    if (rc != OTA_OK) {
        return rc;
    }
    return g->found_line == 0 ? OTA_ERR_NOT_FOUND : OTA_OK;
}

int ota_sdkconfig_get(const char *text, size_t len, const char *key, char *value, size_t value_size,
                      ota_sdkconfig_kind_t *kind, ota_sdkconfig_diag_t *diag)
{
    get_ctx_t g;
    int rc = get_line(text, len, key, &g, diag);
    if (rc != OTA_OK) {
        return rc;
    }
    if (kind != NULL) {
        *kind = g.found.kind;
    }
    if (value == NULL || value_size < value_len(&g.found) + 1) {
        return OTA_ERR_BUFFER_TOO_SMALL;
    }
    copy_value(&g.found, value);
    return OTA_OK;
}

int ota_sdkconfig_get_bool(const char *text, size_t len, const char *key, bool *out,
                           ota_sdkconfig_diag_t *diag)
{
    get_ctx_t g;
    int rc = get_line(text, len, key, &g, diag);
    if (rc != OTA_OK) {
        return rc;
    }
    if (out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    const line_t *l = &g.found;
    if (l->kind != OTA_SDKCONFIG_STRING && l->raw_len == 1 && (l->raw[0] == 'y' || l->raw[0] == 'n')) {
        *out = l->raw[0] == 'y';
        return OTA_OK;
    }
    if (diag != NULL) {
        diag->line = g.found_line;
        diag->column = 1;
        diag->message = "not a bool (expected y or n)";
    }
    return OTA_ERR_PARSE;
}
