/*
 * URIs (src/source/uri.c): the scheme test and the file:// mapping onto a path, with output
 * buffers from 1 byte to PATH_MAX-like sizes (first input byte) and three sdcard roots.
 * Properties: on success the path is NUL-terminated inside the buffer, has no ".." segment, and
 * an sdcard URI stays below its root.
 */
#include "fuzz.h"

#include "ota/port/ota_source.h"

OTA_FUZZ_QUIET_INIT

static bool has_dotdot_segment(const char *p)
{
    for (const char *s = p; (s = strstr(s, "..")) != NULL; s++) {
        bool starts = s == p || s[-1] == '/';
        bool ends = s[2] == '\0' || s[2] == '/';
        if (starts && ends) {
            return true;
        }
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    static const char *const roots[] = {"/mnt/sdcard", "/", NULL, "./sd//"};
    const char *root = roots[data[0] & 3u];
    size_t out_size = (data[0] >> 2) == 63 ? 4096 : (size_t)(data[0] >> 2) + 1;
    char *uri = ota_fuzz_strndup(data + 1, size - 1);
    char *out = malloc(out_size);
    if (uri != NULL && out != NULL) {
        (void)ota_uri_scheme(uri);
        if (ota_uri_file_path(uri, root, out, out_size) == 0) {
            OTA_FUZZ_CHECK(memchr(out, '\0', out_size) != NULL);
            OTA_FUZZ_CHECK(!has_dotdot_segment(out));
            OTA_FUZZ_CHECK(out[0] == '/' || strncmp(out, "./sd", 4) == 0 || strncmp(out, "./sdcard", 8) == 0);
        }
    }
    free(uri);
    free(out);
    return 0;
}
