/* ESP-ADF esp_ota_service's manifest (ota_adf_manifest.h): jsmn in strict mode with the tokens on
 * the stack, then cJSON's reading rules reproduced on the tokens (case-insensitive keys, first match,
 * decoded strings), then ESP-ADF's decision (manifest_evaluate_parsed_root in
 * components/esp_ota_service/src/checker/esp_ota_service_checker_manifest.c, esp-adf af7b72fb). */
#include "ota/ota_adf_manifest.h"

#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_semver_packed.h"

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include "json_strict.h"

typedef ota_json_doc_t doc_t;

static int hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        v = v << 4 | ota_json_hexval(s[i]); /* strict jsmn checked the four digits */
    }
    return v;
}

/* Append one code point as UTF-8 (cJSON's utf16_literal_to_utf8). False when it does not fit. */
static bool put_utf8(char *out, size_t cap, size_t *n, unsigned long cp)
{
    uint8_t b[4];
    size_t k;
    if (cp < 0x80) {
        b[0] = (uint8_t)cp;
        k = 1;
    } else if (cp < 0x800) {
        b[0] = (uint8_t)(0xC0 | cp >> 6);
        b[1] = (uint8_t)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        b[0] = (uint8_t)(0xE0 | cp >> 12);
        b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        b[2] = (uint8_t)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        b[0] = (uint8_t)(0xF0 | cp >> 18);
        b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
        b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        b[3] = (uint8_t)(0x80 | (cp & 0x3F));
        k = 4;
    }
    if (*n + k >= cap) {
        return false;
    }
    memcpy(out + *n, b, k);
    *n += k;
    return true;
}

/*
 * The string token @p t decoded as cJSON's valuestring, as a C string: it ends at a decoded NUL.
 * Returns the decoded length; -1 for an escape cJSON refuses (a lone or reversed UTF-16 surrogate:
 * cJSON then fails the whole document); -2 when it does not fit @p cap - 1 bytes (@p out then holds
 * the first bytes, as ESP-ADF's snprintf into a 32-byte field would). @p out may be NULL (cap 0):
 * only validate.
 */
static int decode_string(const doc_t *d, int t, char *out, size_t cap)
{
    const char *s = d->js + d->tok[t].start;
    const char *end = d->js + d->tok[t].end;
    char scratch[8];
    size_t n = 0;
    bool full = false, ended = false;
    while (s < end) {
        unsigned long cp;
        if (*s != '\\') {
            cp = (unsigned char)*s++;
            if (!ended && !full) {
                if (out != NULL && n + 1 < cap) {
                    out[n++] = (char)cp;
                } else {
                    full = true;
                }
            }
            continue;
        }
        s++;
        switch (*s) {
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u': {
            cp = (unsigned long)hex4(s + 1);
            s += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return -1;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end - s < 7 || s[1] != '\\' || s[2] != 'u') {
                    return -1;
                }
                unsigned long lo = (unsigned long)hex4(s + 3);
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    return -1;
                }
                cp = 0x10000 + ((cp & 0x3FF) << 10 | (lo & 0x3FF));
                s += 6;
            }
            break;
        }
        default: cp = (unsigned char)*s; break; /* \" \\ \/ */
        }
        s++;
        if (cp == 0) {
            ended = true; /* C string: cJSON's valuestring ends here */
        }
        if (!ended && !full) {
            size_t before = n;
            if (!put_utf8(out != NULL ? out : scratch, out != NULL ? cap : 0, &n, cp)) {
                n = before;
                full = true;
            }
        }
    }
    if (out != NULL && cap > 0) {
        out[n] = '\0';
    }
    return full ? -2 : (int)n;
}

/* Index of the first token after the value at @p t (its whole subtree). */
static int skip(const doc_t *d, int t)
{
    return ota_json_skip(d->tok, d->ntok, t);
}

static char lower(char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* cJSON_GetObjectItem(root, name): the value token of the first key equal to @p name ignoring
 * case (cJSON's case_insensitive_strcmp on the decoded key), or -1. */
static int find(const doc_t *d, const char *name)
{
    int k = 1;
    for (int m = 0; m < d->tok[0].size; m++, k = skip(d, k + 1)) {
        char key[16];
        int n = decode_string(d, k, key, sizeof key);
        if (n < 0) {
            continue; /* longer than any name we look for */
        }
        size_t i = 0;
        while (name[i] != '\0' && lower(key[i]) == name[i]) {
            i++;
        }
        if (name[i] == '\0' && key[i] == '\0') {
            return k + 1;
        }
    }
    return -1;
}

/* A non-empty string value copied (truncated) into @p out: cJSON_IsString && valuestring[0]. */
static bool get_string(const doc_t *d, int v, char *out, size_t cap)
{
    if (v < 0 || d->tok[v].type != JSMN_STRING) {
        return false;
    }
    (void)decode_string(d, v, out, cap);
    return true;
}

/* cJSON_IsNumber(size) && valuedouble > 0 -> (uint32_t)valuedouble, without floating point: the
 * integer part of the decimal text. A value of 2^32 or more is undefined in ESP-ADF's cast; here
 * it leaves the size unknown. */
static void get_size(const doc_t *d, int v, uint32_t *out)
{
    if (v < 0 || d->tok[v].type != JSMN_PRIMITIVE) {
        return;
    }
    const char *s = d->js + d->tok[v].start;
    const char *end = d->js + d->tok[v].end;
    if (*s < '0' || *s > '9') {
        return; /* negative, true, false, null */
    }
    /* the mantissa's digits (the point skipped) and how many stand before the point */
    const char *mant = s;
    long int_len = 0, mant_len = 0;
    bool point = false, nonzero = false;
    for (; s < end && *s != 'e' && *s != 'E'; s++) {
        if (*s == '.') {
            point = true;
            continue;
        }
        nonzero = nonzero || *s != '0';
        mant_len++;
        int_len += point ? 0 : 1;
    }
    if (!nonzero) {
        return; /* 0 is not above 0 */
    }
    long exp10 = 0;
    if (s < end) {
        s++;
        bool neg = *s == '-';
        s += *s == '-' || *s == '+';
        for (; s < end; s++) {
            exp10 = exp10 < 100000 ? exp10 * 10 + (*s - '0') : exp10;
        }
        exp10 = neg ? -exp10 : exp10;
    }
    /* the integer part: the first int_len + exp10 mantissa digits, zeros past its end */
    uint64_t value = 0;
    const char *p = mant;
    for (long i = 0; i < int_len + exp10; i++) {
        while (p < end && *p == '.') {
            p++;
        }
        int digit = i < mant_len ? *p++ - '0' : 0;
        value = value * 10 + (uint64_t)digit;
        if (value > UINT32_MAX) {
            return;
        }
    }
    *out = (uint32_t)value;
}

/* ESP-ADF's parse_hex_hash on the decoded string: exactly 2 * len hex digits. */
static bool get_hex(const doc_t *d, int v, uint8_t *out, size_t len)
{
    char text[2 * 32 + 2];
    if (v < 0 || d->tok[v].type != JSMN_STRING) {
        return false;
    }
    int n = decode_string(d, v, text, sizeof text);
    return n >= 0 && ota_json_hex_bytes(text, (size_t)n, out, len);
}

/* Length of the object that starts the text, white space before it included (cJSON_Parse reads
 * one value and ignores the rest): up to its closing brace, found by depth outside strings; the
 * whole text when it does not close (jsmn then says truncated). 0 when the text holds nothing but
 * white space; -1 when it starts with anything but an object (jsmn would take a stray ':'). */
static long first_object_len(const char *js, size_t len)
{
    size_t i = 0;
    while (i < len && (js[i] == ' ' || js[i] == '\t' || js[i] == '\n' || js[i] == '\r')) {
        i++;
    }
    if (i == len) {
        return 0;
    }
    if (js[i] != '{') {
        return -1;
    }
    int depth = 0;
    bool in_string = false;
    for (; i < len; i++) {
        char ch = js[i];
        if (in_string) {
            if (ch == '\\') {
                i++;
            } else if (ch == '"') {
                in_string = false;
            }
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if ((ch == '}' || ch == ']') && --depth == 0) {
            return (long)(i + 1);
        }
    }
    return (long)len;
}

static int parse_doc(const char *json, size_t len, jsmntok_t *tok, doc_t *d)
{
    long n_obj = first_object_len(json, len);
    if (n_obj <= 0) {
        return n_obj == 0 ? OTA_ERR_MANIFEST_TRUNCATED : OTA_ERR_MANIFEST_MALFORMED;
    }
    len = (size_t)n_obj;
    jsmn_parser p;
    jsmn_init(&p);
    int n = jsmn_parse(&p, json, len, tok, OTA_ADF_MANIFEST_MAX_TOKENS);
    if (n == JSMN_ERROR_NOMEM) {
        return OTA_ERR_MANIFEST_TOO_LARGE;
    }
    if (n == JSMN_ERROR_PART || n == 0) {
        return OTA_ERR_MANIFEST_TRUNCATED;
    }
    if (n < 0 || tok[0].type != JSMN_OBJECT || (size_t)tok[0].end != len) {
        return OTA_ERR_MANIFEST_MALFORMED;
    }
    *d = (doc_t){.js = json, .tok = tok, .ntok = n};
    if (ota_json_strict_check(json, tok, n, false) >= 0) {
        return OTA_ERR_MANIFEST_MALFORMED;
    }
    for (int i = 0; i < n; i++) {
        if (tok[i].type == JSMN_STRING && decode_string(d, i, NULL, 0) == -1) {
            return OTA_ERR_MANIFEST_MALFORMED; /* cJSON refuses the whole document */
        }
    }
    return OTA_OK;
}

int ota_adf_manifest_parse(const char *json, size_t len, const ota_adf_manifest_policy_t *policy,
                           ota_check_result_t *result)
{
    if (json == NULL || policy == NULL || policy->current_version == NULL || result == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_check_result_clear(result);
    size_t i = 0;
    while (policy->current_version[i] != '\0' && i + 1 < sizeof result->running) {
        result->running[i] = policy->current_version[i];
        i++;
    }
    if (len > OTA_ADF_MANIFEST_MAX_SIZE) {
        return OTA_ERR_MANIFEST_TOO_LARGE;
    }
    jsmntok_t tok[OTA_ADF_MANIFEST_MAX_TOKENS];
    doc_t d;
    int err = parse_doc(json, len, tok, &d);
    if (err != OTA_OK) {
        return err;
    }
    if (!get_string(&d, find(&d, "version"), result->version, sizeof result->version) ||
        result->version[0] == '\0') {
        result->version[0] = '\0';
        return OTA_ERR_MANIFEST_FIELD;
    }
    (void)get_string(&d, find(&d, "project_name"), result->label, sizeof result->label);
    get_size(&d, find(&d, "size"), &result->image_size);
    result->has_hash = get_hex(&d, find(&d, "sha256"), result->hash, sizeof result->hash);
    result->has_md5 = get_hex(&d, find(&d, "md5"), result->md5, sizeof result->md5);

    result->decision = OTA_OK;
    if (policy->check_project_name && policy->current_project != NULL && result->label[0] != '\0' &&
        strcmp(result->label, policy->current_project) != 0) {
        result->decision = OTA_ERR_VERSION_PROJECT_MISMATCH;
    } else if (policy->require_higher_version) {
        uint32_t cur = ota_semver_pack(policy->current_version);
        uint32_t inc = ota_semver_pack(result->version);
        if (inc == OTA_SEMVER_PACKED_INVALID) {
            result->decision = OTA_ERR_VERSION_UNPARSEABLE;
        } else if (cur == OTA_SEMVER_PACKED_INVALID) {
            result->decision = OTA_ERR_VERSION_UNPARSEABLE;
            return OTA_ERR_VERSION_UNPARSEABLE; /* ESP_ERR_INVALID_VERSION */
        } else if (inc <= cur) {
            result->decision = OTA_ERR_VERSION_NOT_NEWER;
        }
    }
    result->upgrade_available = result->decision == OTA_OK;
    return OTA_OK;
}

void ota_check_result_clear(ota_check_result_t *result)
{
    memset(result, 0, sizeof *result);
    result->image_size = OTA_CHECK_SIZE_UNKNOWN;
}
