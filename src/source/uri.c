/* URI schemes and the file:// path mapping (pure: no file system access). */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/port/ota_source.h"
#include "source/source_internal.h"

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive "does s start with prefix" (prefix is lowercase). */
static bool has_prefix_nocase(const char *s, const char *prefix)
{
    for (; *prefix != '\0'; s++, prefix++) {
        if (ascii_lower(*s) != *prefix) {
            return false;
        }
    }
    return true;
}

static bool equal_nocase_n(const char *s, size_t len, const char *word)
{
    size_t i = 0;
    for (; i < len && word[i] != '\0'; i++) {
        if (ascii_lower(s[i]) != word[i]) {
            return false;
        }
    }
    return i == len && word[i] == '\0';
}

ota_uri_scheme_t ota_uri_scheme(const char *uri)
{
    if (uri == NULL) {
        return OTA_URI_INVALID;
    }
    /* ESP-ADF used strstr(uri, "file://"), so "http://x/?u=file://y" counted as a file URI; a URI's
     * scheme is its prefix. */
    if (has_prefix_nocase(uri, "file://")) {
        return OTA_URI_FILE;
    }
    if (has_prefix_nocase(uri, "http://")) {
        return uri[7] != '\0' ? OTA_URI_HTTP : OTA_URI_INVALID;
    }
    if (has_prefix_nocase(uri, "https://")) {
        return uri[8] != '\0' ? OTA_URI_HTTPS : OTA_URI_INVALID;
    }
    return OTA_URI_INVALID;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = ascii_lower(c);
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/*
 * Append the URI path @p p to out[*used...], decoding %XX escapes, and refuse a ".." segment
 * (decoded, so "%2e%2e" is caught too) and an encoded NUL.
 */
static int append_path(const char *p, char *out, size_t out_size, size_t *used)
{
    size_t seg_start = *used;
    for (;;) {
        char c = *p;
        if (c == '%') {
            int hi = hex_value(p[1]);
            int lo = hi < 0 ? -1 : hex_value(p[2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                return OTA_ERR_SRC_URI;
            }
            c = (char)(hi * 16 + lo);
            p += 3;
        } else if (c != '\0') {
            p++;
        }
        if (c == '/' || c == '\0') {
            size_t seg_len = *used - seg_start;
            if (seg_len == 2 && out[seg_start] == '.' && out[seg_start + 1] == '.') {
                return OTA_ERR_SRC_PATH_ESCAPE;
            }
            seg_start = *used + 1;
        }
        if (c == '\0') {
            break;
        }
        if (*used + 1 >= out_size) {
            return OTA_ERR_BUFFER_TOO_SMALL;
        }
        out[(*used)++] = c;
    }
    out[*used] = '\0';
    return OTA_OK;
}

/* The authority of a file URI ("" for file:///x), as pointer and length. */
static void file_host(const char *uri, const char **host, size_t *len)
{
    const char *rest = uri + 7; /* after "file://" */
    const char *slash = strchr(rest, '/');
    *host = rest;
    *len = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
}

bool ota_uri_file_is_sdcard(const char *uri)
{
    if (ota_uri_scheme(uri) != OTA_URI_FILE) {
        return false;
    }
    const char *host;
    size_t len;
    file_host(uri, &host, &len);
    return equal_nocase_n(host, len, "sdcard");
}

int ota_uri_file_path(const char *uri, const char *sdcard_root, char *out, size_t out_size)
{
    if (uri == NULL || out == NULL || out_size == 0) {
        return OTA_ERR_INVALID_ARG;
    }
    out[0] = '\0';
    if (ota_uri_scheme(uri) != OTA_URI_FILE) {
        return OTA_ERR_SRC_URI;
    }
    const char *rest = uri + 7; /* after "file://" */
    const char *slash = strchr(rest, '/');
    size_t host_len = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
    const char *path = slash != NULL ? slash + 1 : rest + host_len; /* without its leading '/' */
    bool absolute;
    if (host_len == 0 || equal_nocase_n(rest, host_len, "localhost")) {
        absolute = true; /* file:///x and file://localhost/x are /x (RFC 8089) */
    } else if (equal_nocase_n(rest, host_len, "sdcard")) {
        absolute = false; /* the ESP-ADF example's file://sdcard/x, the SD card's mount point */
    } else {
        return OTA_ERR_SRC_URI; /* a file on another host */
    }
    if (*path == '\0') {
        return OTA_ERR_SRC_URI; /* no file named */
    }

    size_t used = 0;
    if (absolute) {
        if (out_size < 2) {
            return OTA_ERR_BUFFER_TOO_SMALL;
        }
        out[used++] = '/';
    } else {
        const char *root =
            (sdcard_root != NULL && sdcard_root[0] != '\0') ? sdcard_root : OTA_SOURCE_DEFAULT_SDCARD_ROOT;
        size_t root_len = strlen(root);
        while (root_len > 1 && root[root_len - 1] == '/') {
            root_len--;
        }
        bool root_is_slash = root_len == 1 && root[0] == '/';
        size_t need = root_len + (root_is_slash ? 0 : 1);
        if (need + 1 > out_size) {
            return OTA_ERR_BUFFER_TOO_SMALL;
        }
        memcpy(out, root, root_len);
        used = root_len;
        if (!root_is_slash) {
            out[used++] = '/';
        }
    }
    int err = append_path(path, out, out_size, &used);
    if (err != OTA_OK) {
        out[0] = '\0';
    }
    return err;
}

long ota_source_read_full(ota_source_t *src, void *buf, size_t len)
{
    if (src == NULL || (buf == NULL && len > 0)) {
        return OTA_ERR_INVALID_ARG;
    }
    if (len > (size_t)LONG_MAX) {
        len = (size_t)LONG_MAX;
    }
    size_t done = 0;
    while (done < len) {
        int n = ota_source_read(src, (uint8_t *)buf + done, len - done);
        if (n < 0) {
            return n;
        }
        if (n == 0) {
            break;
        }
        done += (size_t)n;
    }
    return (long)done;
}
