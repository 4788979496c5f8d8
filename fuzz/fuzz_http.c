/*
 * HTTP response header blocks (src/source/http_rules.c): status lines, header fields,
 * Content-Length, Content-Range and ETag, fed line by line exactly as libcurl's header callback
 * hands them over (each line in its own exact-size buffer), then the decision whether the
 * response is the resource asked for and whether a body ended complete. The first byte picks the
 * request (plain GET or a resume at one of a few offsets, with or without a known identity).
 * Properties: an accepted 206 starts at the offset asked for; a response end is never before it.
 */
#include "fuzz.h"

#include "ota/port/ota_source.h"
#include "source/source_internal.h"

OTA_FUZZ_QUIET_INIT

static void decide(const ota_http_response_t *r, uint8_t sel)
{
    static const uint64_t offsets[] = {0, 1, 4096, 0x7FFFFFFFFFFFFFFFull};
    uint64_t offset = offsets[sel & 3u];
    bool ranged = offset > 0;
    ota_source_expect_t identity;
    memset(&identity, 0, sizeof identity);
    identity.total_size = (sel & 4) ? 100000 : -1;
    if (sel & 8) {
        strcpy(identity.etag, (sel & 16) ? "W/\"weak\"" : "\"abc\"");
    }
    ota_source_info_t info;
    ota_source_info_init(&info, offset);
    ota_http_accept_t acc;
    (void)ota_http_response_is_redirect(r);
    (void)ota_http_send_if_range(&identity);
    int err = ota_http_check_response(r, offset, ranged, &identity, &info, &acc);
    OTA_FUZZ_CHECK(memchr(info.error, '\0', sizeof info.error) != NULL);
    if (err == 0) {
        OTA_FUZZ_CHECK(acc.response_end >= offset);
        OTA_FUZZ_CHECK(r->status != 206 || r->cr_first == offset);
        info.offset = (sel & 32) ? offset : acc.response_end;
        (void)ota_http_check_end(&info, acc.response_end, (sel & 64) ? offset + 10 : UINT64_MAX);
    }
    (void)ota_source_err_retryable(err, r->status);
    (void)ota_source_backoff_ms(500, sel);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    uint8_t sel = data[0];
    data++;
    size--;
    ota_http_response_t r;
    ota_http_response_reset(&r);
    size_t start = 0;
    while (start < size) {
        const uint8_t *nl = memchr(data + start, '\n', size - start);
        size_t len = nl ? (size_t)(nl - (data + start)) + 1 : size - start;
        char *line = malloc(len ? len : 1);
        if (line == NULL) {
            return 0;
        }
        memcpy(line, data + start, len);
        ota_http_line_t kind = ota_http_response_feed(&r, line, len);
        free(line);
        OTA_FUZZ_CHECK(memchr(r.etag, '\0', sizeof r.etag) != NULL);
        OTA_FUZZ_CHECK(memchr(r.last_modified, '\0', sizeof r.last_modified) != NULL);
        OTA_FUZZ_CHECK(!r.has_content_range || r.cr_unsatisfied || r.cr_first <= r.cr_last);
        if (kind == OTA_HTTP_LINE_END) {
            decide(&r, sel);
        }
        start += len;
    }
    decide(&r, sel);

    /* Content-Range alone, as a whole value (the field parser trims it; this one may not be). */
    char *value = ota_fuzz_strndup(data, size);
    if (value != NULL) {
        uint64_t first;
        uint64_t last;
        int64_t total;
        bool unsat;
        if (ota_http_parse_content_range(value, size, &first, &last, &total, &unsat) == 0) {
            OTA_FUZZ_CHECK(unsat || (first <= last && (total < 0 || last < (uint64_t)total)));
        }
        (void)ota_http_etag_is_weak(value);
        free(value);
    }
    return 0;
}
