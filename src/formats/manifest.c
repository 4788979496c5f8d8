/* Release manifest parser (ota_manifest.h): JSON through jsmn in strict mode, tokens on the stack,
 * every value checked against its field's rule before it is copied into a fixed-size field. */
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_manifest.h"

/* jsmn is header-only: JSMN_STATIC keeps its two functions private to this file; JSMN_STRICT makes
 * it refuse unquoted strings and primitives used as keys. What strict jsmn still lets through
 * (a key without ':', a primitive such as "tru" or "01", text after the document) is checked below. */
#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include "json_strict.h"

typedef struct {
    const char *js;
    const jsmntok_t *tok;
    int ntok;
    ota_manifest_diag_t *diag;
} parse_ctx_t;

static int fail(parse_ctx_t *c, int err, int t, int item, const char *field)
{
    if (c->diag != NULL) {
        c->diag->offset = t >= 0 && t < c->ntok ? (size_t)c->tok[t].start : 0;
        c->diag->item = item;
        c->diag->field = field;
    }
    return err;
}

/* Index of the first token after the value at @p t (its whole subtree). */
static int skip(const parse_ctx_t *c, int t)
{
    return ota_json_skip(c->tok, c->ntok, t);
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Every token well formed (json_strict.h); keys plain: a key another parser would decode to
 * "version" must not be skipped here as unknown. */
static int check_tokens(parse_ctx_t *c)
{
    int bad = ota_json_strict_check(c->js, c->tok, c->ntok, true);
    return bad < 0 ? OTA_OK : fail(c, OTA_ERR_MANIFEST_MALFORMED, bad, -1, NULL);
}

static bool key_is(const parse_ctx_t *c, int t, const char *name)
{
    size_t n = strlen(name);
    return (size_t)(c->tok[t].end - c->tok[t].start) == n && memcmp(c->js + c->tok[t].start, name, n) == 0;
}

/* Decode the JSON string at token @p t into @p out (at most @p max bytes + NUL). Refuses what a
 * label, URI or version cannot hold: a decoded control byte (\u0000 would cut the string short for
 * every C reader after us), a UTF-16 surrogate, more than @p max bytes. */
static bool copy_string(const parse_ctx_t *c, int t, char *out, size_t max)
{
    const char *s = c->js + c->tok[t].start;
    size_t n = (size_t)(c->tok[t].end - c->tok[t].start), o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned cp = (unsigned char)s[i];
        bool escaped = cp == '\\';
        if (escaped) {
            if (++i >= n) {
                return false;
            }
            switch (s[i]) {
            case '"':
            case '\\':
            case '/': cp = (unsigned char)s[i]; break;
            case 'u':
                if (i + 4 >= n) {
                    return false;
                }
                cp = 0;
                for (int k = 1; k <= 4; k++) {
                    int h = ota_json_hexval(s[i + k]);
                    if (h < 0) {
                        return false;
                    }
                    cp = cp << 4 | (unsigned)h;
                }
                i += 4;
                break;
            default: return false; /* \b \f \n \r \t: control bytes */
            }
        }
        if (cp < 0x20 || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        unsigned char enc[3];
        size_t len = 0;
        if (cp < 0x80 || !escaped) {
            enc[len++] = (unsigned char)cp; /* a raw byte is copied as is */
        } else if (cp < 0x800) {
            enc[len++] = (unsigned char)(0xC0 | cp >> 6);
            enc[len++] = (unsigned char)(0x80 | (cp & 0x3F));
        } else {
            enc[len++] = (unsigned char)(0xE0 | cp >> 12);
            enc[len++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            enc[len++] = (unsigned char)(0x80 | (cp & 0x3F));
        }
        if (o + len > max) {
            return false;
        }
        memcpy(out + o, enc, len);
        o += len;
    }
    out[o] = '\0';
    return true;
}

/* A JSON integer 0..UINT32_MAX written as plain digits (no sign, fraction, exponent). */
static bool parse_u32(const parse_ctx_t *c, int t, uint32_t *out)
{
    if (c->tok[t].type != JSMN_PRIMITIVE) {
        return false;
    }
    const char *s = c->js + c->tok[t].start;
    size_t n = (size_t)(c->tok[t].end - c->tok[t].start);
    if (n == 0 || n > 10 || (n > 1 && s[0] == '0')) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i])) {
            return false;
        }
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > UINT32_MAX) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

/* Exactly 2 * @p len hex digits, as ESP-ADF's parse_hex_hash reads them (either case). */
static bool parse_hex(const parse_ctx_t *c, int t, uint8_t *out, size_t len)
{
    return c->tok[t].type == JSMN_STRING &&
           ota_json_hex_bytes(c->js + c->tok[t].start, (size_t)(c->tok[t].end - c->tok[t].start), out, len);
}

/* Field bits, to refuse a known field given twice (two parsers could each read another one). */
enum {
    F_LABEL = 1u << 0,
    F_TYPE = 1u << 1,
    F_URI = 1u << 2,
    F_SIZE = 1u << 3,
    F_SHA256 = 1u << 4,
    F_MD5 = 1u << 5,
    F_VERSION = 1u << 6,
    F_MINVER = 1u << 7,
    F_PROJECT = 1u << 8,
    F_FORMAT = 1u << 9,
    F_SEQUENCE = 1u << 10,
    F_ITEMS = 1u << 11,
};

static const struct {
    const char *name;
    unsigned bit;
} k_item_fields[] = {
    {"label", F_LABEL},          {"type", F_TYPE}, {"uri", F_URI},         {"size", F_SIZE},
    {"sha256", F_SHA256},        {"md5", F_MD5},   {"version", F_VERSION}, {"min_running_version", F_MINVER},
    {"project_name", F_PROJECT},
};

/* One item object at token @p t. @p adf: ESP-ADF's shape (its url is our uri, fields optional but
 * version). Unknown keys are skipped. */
static int parse_item(parse_ctx_t *c, int t, int idx, bool adf, ota_manifest_item_t *it)
{
    memset(it, 0, sizeof *it);
    it->type = OTA_MANIFEST_ITEM_APP;
    unsigned seen = 0;
    int k = t + 1;
    for (int m = 0; m < c->tok[t].size; m++, k = skip(c, k + 1)) {
        int v = k + 1;
        unsigned bit = 0;
        const char *name = NULL;
        for (size_t f = 0; f < sizeof k_item_fields / sizeof k_item_fields[0]; f++) {
            if (key_is(c, k, k_item_fields[f].name)) {
                bit = k_item_fields[f].bit;
                name = k_item_fields[f].name;
            }
        }
        if (adf) {
            /* ESP-ADF's fields: version, project_name, size, sha256, md5, and url (our uri) */
            bool url = key_is(c, k, "url");
            bit = url ? F_URI : (bit & (F_LABEL | F_TYPE | F_URI | F_MINVER)) ? 0 : bit;
            name = url ? "url" : name;
        }
        if (bit == 0) {
            continue; /* unknown here: skipped */
        }
        if (seen & bit) {
            return fail(c, OTA_ERR_MANIFEST_FIELD, k, idx, name);
        }
        seen |= bit;
        bool str = c->tok[v].type == JSMN_STRING;
        bool ok = true;
        int err = OTA_ERR_MANIFEST_FIELD;
        switch (bit) {
        case F_LABEL: ok = str && copy_string(c, v, it->label, OTA_PARTITION_LABEL_MAX); break;
        case F_TYPE:
            if (str && key_is(c, v, "app")) {
                it->type = OTA_MANIFEST_ITEM_APP;
            } else if (str && key_is(c, v, "data")) {
                it->type = OTA_MANIFEST_ITEM_DATA;
            } else {
                ok = false;
            }
            break;
        case F_URI: ok = str && copy_string(c, v, it->uri, OTA_MANIFEST_URI_MAX); break;
        case F_SIZE:
            ok = parse_u32(c, v, &it->size) && it->size > 0;
            it->has_size = ok;
            err = OTA_ERR_MANIFEST_SIZE;
            break;
        case F_SHA256:
            ok = it->has_sha256 = parse_hex(c, v, it->sha256, sizeof it->sha256);
            err = OTA_ERR_MANIFEST_HASH;
            break;
        case F_MD5:
            ok = it->has_md5 = parse_hex(c, v, it->md5, sizeof it->md5);
            err = OTA_ERR_MANIFEST_HASH;
            break;
        case F_VERSION:
            ok = str && copy_string(c, v, it->version, OTA_MANIFEST_VERSION_MAX) && it->version[0] != '\0';
            break;
        case F_MINVER:
            ok = str && copy_string(c, v, it->min_running_version, OTA_MANIFEST_VERSION_MAX) &&
                 it->min_running_version[0] != '\0';
            break;
        case F_PROJECT: ok = str && copy_string(c, v, it->project_name, OTA_MANIFEST_PROJECT_MAX); break;
        default: break;
        }
        if (!ok) {
            return fail(c, err, v, idx, name);
        }
    }
    /* required fields: ESP-ADF's checker needs only a version; a release item needs all but md5,
     * min_running_version, project_name, and label for an app (the next OTA slot). */
    unsigned need = adf ? F_VERSION : F_TYPE | F_URI | F_SIZE | F_SHA256 | F_VERSION;
    if (!adf && it->type == OTA_MANIFEST_ITEM_DATA) {
        need |= F_LABEL;
    }
    static const char *const names[] = {"label", "type", "uri", "size", "sha256", "md5", "version"};
    for (unsigned b = 0; b < 7; b++) {
        if ((need & (1u << b)) && !(seen & (1u << b))) {
            return fail(c, OTA_ERR_MANIFEST_MALFORMED, t, idx, names[b]);
        }
    }
    if (!adf && it->type == OTA_MANIFEST_ITEM_DATA && it->label[0] == '\0') {
        return fail(c, OTA_ERR_MANIFEST_FIELD, t, idx, "label");
    }
    return OTA_OK;
}

static int parse_release(parse_ctx_t *c, ota_manifest_t *out)
{
    unsigned seen = 0;
    int items_tok = -1;
    int k = 1;
    for (int m = 0; m < c->tok[0].size; m++, k = skip(c, k + 1)) {
        int v = k + 1;
        const char *name = NULL;
        unsigned bit = 0;
        if (key_is(c, k, "format")) {
            name = "format";
            bit = F_FORMAT;
        } else if (key_is(c, k, "sequence")) {
            name = "sequence";
            bit = F_SEQUENCE;
        } else if (key_is(c, k, "items")) {
            name = "items";
            bit = F_ITEMS;
        } else {
            continue;
        }
        if (seen & bit) {
            return fail(c, OTA_ERR_MANIFEST_FIELD, k, -1, name);
        }
        seen |= bit;
        if (bit == F_FORMAT && (c->tok[v].type != JSMN_STRING || !key_is(c, v, OTA_MANIFEST_FORMAT))) {
            return fail(c, OTA_ERR_MANIFEST_FIELD, v, -1, name);
        }
        if (bit == F_SEQUENCE && (!parse_u32(c, v, &out->sequence) || out->sequence == 0)) {
            return fail(c, OTA_ERR_MANIFEST_FIELD, v, -1, name);
        }
        if (bit == F_ITEMS) {
            if (c->tok[v].type != JSMN_ARRAY) {
                return fail(c, OTA_ERR_MANIFEST_MALFORMED, v, -1, name);
            }
            items_tok = v;
        }
    }
    static const char *const names[] = {"format", "sequence", "items"};
    for (unsigned b = 0; b < 3; b++) {
        if (!(seen & (F_FORMAT << b))) {
            return fail(c, OTA_ERR_MANIFEST_MALFORMED, 0, -1, names[b]);
        }
    }
    int n = c->tok[items_tok].size;
    if (n == 0) {
        return fail(c, OTA_ERR_MANIFEST_MALFORMED, items_tok, -1, "items");
    }
    if (n > (int)OTA_MANIFEST_MAX_ITEMS) {
        return fail(c, OTA_ERR_MANIFEST_TOO_LARGE, items_tok, -1, "items");
    }
    k = items_tok + 1;
    for (int i = 0; i < n; i++, k = skip(c, k)) {
        if (c->tok[k].type != JSMN_OBJECT) {
            return fail(c, OTA_ERR_MANIFEST_MALFORMED, k, i, NULL);
        }
        int err = parse_item(c, k, i, false, &out->items[i]);
        if (err != OTA_OK) {
            return err;
        }
        for (int j = 0; j < i; j++) {
            const ota_manifest_item_t *a = &out->items[j], *b = &out->items[i];
            bool same_label = a->label[0] != '\0' && strcmp(a->label, b->label) == 0;
            bool two_apps = a->type == OTA_MANIFEST_ITEM_APP && b->type == OTA_MANIFEST_ITEM_APP;
            if (same_label || two_apps) {
                return fail(c, OTA_ERR_MANIFEST_DUPLICATE, k, i, same_label ? "label" : "type");
            }
        }
        out->count = (unsigned)(i + 1);
    }
    out->kind = OTA_MANIFEST_RELEASE;
    return OTA_OK;
}

int ota_manifest_parse(const char *json, size_t len, ota_manifest_t *out, ota_manifest_diag_t *diag)
{
    if (diag != NULL) {
        diag->offset = 0;
        diag->item = -1;
        diag->field = NULL;
    }
    if (json == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    if (len > OTA_MANIFEST_MAX_SIZE) {
        return OTA_ERR_MANIFEST_TOO_LARGE;
    }
    jsmntok_t tok[OTA_MANIFEST_MAX_TOKENS];
    jsmn_parser p;
    jsmn_init(&p);
    int n = jsmn_parse(&p, json, len, tok, OTA_MANIFEST_MAX_TOKENS);
    parse_ctx_t c = {.js = json, .tok = tok, .ntok = n > 0 ? n : 0, .diag = diag};
    if (diag != NULL && n < 0) {
        diag->offset = p.pos;
    }
    if (n == JSMN_ERROR_NOMEM) {
        return OTA_ERR_MANIFEST_TOO_LARGE;
    }
    if (n == JSMN_ERROR_PART || n == 0) {
        return OTA_ERR_MANIFEST_TRUNCATED; /* the text ended inside the document, or before it */
    }
    if (n < 0 || tok[0].type != JSMN_OBJECT) {
        return fail(&c, OTA_ERR_MANIFEST_MALFORMED, 0, -1, NULL);
    }
    /* one document: only white space after the object (jsmn would go on to a second one) */
    for (size_t i = (size_t)tok[0].end; i < len; i++) {
        if (json[i] != ' ' && json[i] != '\t' && json[i] != '\n' && json[i] != '\r') {
            if (diag != NULL) {
                diag->offset = i;
            }
            return OTA_ERR_MANIFEST_MALFORMED;
        }
    }
    int err = check_tokens(&c);
    if (err != OTA_OK) {
        return err;
    }
    bool release = false;
    int k = 1;
    for (int m = 0; m < tok[0].size; m++, k = skip(&c, k + 1)) {
        release = release || key_is(&c, k, "format") || key_is(&c, k, "items");
    }
    if (release) {
        err = parse_release(&c, out);
    } else {
        /* ESP-ADF esp_ota_service's manifest: the top-level object is the one item */
        out->kind = OTA_MANIFEST_ESP_ADF;
        out->count = 1;
        err = parse_item(&c, 0, 0, true, &out->items[0]);
    }
    if (err != OTA_OK) {
        memset(out, 0, sizeof *out);
    }
    return err;
}

size_t ota_manifest_json_len(const uint8_t *data, size_t len)
{
    while (data != NULL && len > 0 && data[len - 1] == 0xFF) {
        len--;
    }
    return data != NULL ? len : 0;
}

const char *ota_manifest_item_type_name(ota_manifest_item_type_t type)
{
    return type == OTA_MANIFEST_ITEM_DATA ? "data" : "app";
}
