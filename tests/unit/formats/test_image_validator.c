/* The streaming app-image validator against the real du1906 image and esptool's report of it
 * (testdata/esp-adf/du1906_app.image_info.txt, esptool v4.9.1 image_info --version 2), plus
 * chunking and events; corruptions, limits and crafted images in test_image_corruption.c. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/ota_app_image.h"
#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "image_validator.h"

uint8_t *s_img;
size_t s_len;

/* --- esptool's report, parsed ------------------------------------------------------------------ */

typedef struct {
    char key[64];
    char value[160];
} kv_t;

typedef struct {
    kv_t kv[64];
    int count;
    struct {
        unsigned index, len, addr, offs;
        char types[64];
    } seg[16];
    int seg_count;
} report_t;

static report_t s_report;

/* esptool v4.9.1 printed the raw app-description fields, NUL padding included: drop the NULs and
 * the surrounding blanks to get the values. */
static void clean(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r != '\0') {
            *w++ = *r;
        }
    }
    *w = '\0';
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r')) {
        s[--n] = '\0';
    }
}

static void load_report(void)
{
    size_t len;
    uint8_t *raw = ts_read_file(ts_testdata("esp-adf/du1906_app.image_info.txt"), &len);
    memset(&s_report, 0, sizeof s_report);
    size_t pos = 0;
    bool in_segments = false;
    while (pos < len) {
        char line[256];
        size_t n = 0;
        while (pos < len && raw[pos] != '\n') {
            if (raw[pos] != '\0' && n < sizeof line - 1) {
                line[n++] = (char)raw[pos];
            }
            pos++;
        }
        pos++;
        line[n] = '\0';
        clean(line);
        if (strncmp(line, "-------", 7) == 0) {
            in_segments = true;
            continue;
        }
        if (in_segments) {
            if (line[0] == '\0') {
                in_segments = false;
                continue;
            }
            unsigned i, l, a, o;
            int consumed = 0;
            assert_int_equal(sscanf(line, "%u %x %x %x %n", &i, &l, &a, &o, &consumed), 4);
            s_report.seg[s_report.seg_count].index = i;
            s_report.seg[s_report.seg_count].len = l;
            s_report.seg[s_report.seg_count].addr = a;
            s_report.seg[s_report.seg_count].offs = o;
            snprintf(s_report.seg[s_report.seg_count].types, 64, "%s", line + consumed);
            s_report.seg_count++;
            continue;
        }
        char *colon = strstr(line, ": ");
        if (colon == NULL) {
            colon = strchr(line, ':');
            if (colon == NULL || colon[1] != '\0') {
                continue;
            }
        }
        kv_t *kv = &s_report.kv[s_report.count++];
        snprintf(kv->key, sizeof kv->key, "%.*s", (int)(colon - line), line);
        snprintf(kv->value, sizeof kv->value, "%s", colon[1] ? colon + 2 : "");
        clean(kv->value);
    }
    free(raw);
}

static const char *rep(const char *key)
{
    for (int i = 0; i < s_report.count; i++) {
        if (strcmp(s_report.kv[i].key, key) == 0) {
            return s_report.kv[i].value;
        }
    }
    fail_msg("key '%s' not in image_info.txt", key);
    return NULL;
}

static unsigned long rep_num(const char *key)
{
    return strtoul(rep(key), NULL, 0);
}

static int setup(void **state)
{
    (void)state;
    s_img = ts_read_file(ts_testdata("esp-adf/du1906_app.bin"), &s_len);
    load_report();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(s_img);
    return 0;
}

int validate(const uint8_t *img, size_t len, const ota_image_validator_config_t *cfg, ota_image_info_t *info,
             ota_image_diag_t *diag)
{
    ota_image_info_t i;
    ota_image_diag_t d;
    return ota_image_validate_buffer(img, len, cfg, info ? info : &i, diag ? diag : &d);
}

/* --- the real image matches esptool's report ------------------------------------------------------ */

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", p[i]);
    }
}

static void test_du1906_matches_esptool(void **state)
{
    (void)state;
    ota_image_info_t info;
    ota_image_diag_t diag;
    assert_int_equal(validate(s_img, s_len, NULL, &info, &diag), OTA_OK);
    assert_int_equal(diag.err, OTA_OK);
    assert_true(info.complete);
    assert_int_equal(info.image_len, s_len);
    assert_int_equal(rep_num("File size"), s_len);

    const ota_image_header_t *h = &info.header;
    assert_int_equal(h->entry_addr, rep_num("Entry point"));
    assert_int_equal(h->segment_count, rep_num("Segments"));
    assert_string_equal(ota_image_flash_size_name(h->spi_size), rep("Flash size"));
    assert_string_equal(ota_image_flash_freq_name(h->chip_id, h->spi_speed), rep("Flash freq"));
    assert_string_equal(ota_image_flash_mode_name(h->spi_mode), rep("Flash mode"));
    char buf[160];
    snprintf(buf, sizeof buf, "0x%x%s", h->wp_pin,
             h->wp_pin == OTA_IMAGE_WP_PIN_DISABLED ? " (disabled)" : "");
    assert_string_equal(buf, rep("WP pin"));
    snprintf(buf, sizeof buf,
             "clk_drv: 0x%x, q_drv: 0x%x, d_drv: 0x%x, cs0_drv: 0x%x, hd_drv: 0x%x, wp_drv: 0x%x",
             h->spi_pin_drv[0] & 0xF, h->spi_pin_drv[0] >> 4, h->spi_pin_drv[1] & 0xF, h->spi_pin_drv[1] >> 4,
             h->spi_pin_drv[2] & 0xF, h->spi_pin_drv[2] >> 4);
    assert_string_equal(buf, rep("Flash pins drive settings"));
    snprintf(buf, sizeof buf, "%u (%s)", h->chip_id, ota_chip_display_name(h->chip_id));
    assert_string_equal(buf, rep("Chip ID"));
    snprintf(buf, sizeof buf, "v%u.%u, (legacy min_rev = %u)", h->min_chip_rev_full / 100,
             h->min_chip_rev_full % 100, h->min_chip_rev);
    assert_string_equal(buf, rep("Minimal chip revision"));
    snprintf(buf, sizeof buf, "v%u.%u", h->max_chip_rev_full / 100, h->max_chip_rev_full % 100);
    assert_string_equal(buf, rep("Maximal chip revision"));
    assert_true(h->hash_appended);

    assert_int_equal(info.segments_seen, s_report.seg_count);
    for (int i = 0; i < s_report.seg_count; i++) {
        assert_int_equal(info.segments[i].data_len, s_report.seg[i].len);
        assert_int_equal(info.segments[i].load_addr, s_report.seg[i].addr);
        assert_int_equal(info.segments[i].header_offset, s_report.seg[i].offs);
        char types[64];
        ota_chip_memory_types(h->chip_id, info.segments[i].load_addr, types, sizeof types);
        assert_string_equal(types, s_report.seg[i].types);
    }

    snprintf(buf, sizeof buf, "0x%02x (%s)", info.checksum_stored,
             info.checksum_stored == info.checksum_calculated ? "valid" : "invalid");
    assert_string_equal(buf, rep("Checksum"));
    assert_int_equal(info.checksum_calculated, 0xa1);
    char digest[65];
    hex(info.hash_calculated, 32, digest);
    snprintf(buf, sizeof buf, "%s (valid)", digest);
    assert_string_equal(buf, rep("Validation hash"));
    assert_memory_equal(info.hash_stored, info.hash_calculated, 32);

    const ota_app_desc_t *d = &info.app_desc;
    assert_true(info.app_desc_valid);
    assert_string_equal(d->project_name, rep("Project name"));
    assert_string_equal(d->version, rep("App version"));
    snprintf(buf, sizeof buf, "%s %s", d->date, d->time);
    clean(buf);
    assert_string_equal(buf, rep("Compile time"));
    hex(d->app_elf_sha256, 32, digest);
    assert_string_equal(digest, rep("ELF file SHA256"));
    assert_string_equal(d->idf_ver, rep("ESP-IDF"));
    snprintf(buf, sizeof buf, "%u.%u", d->min_efuse_blk_rev_full / 100, d->min_efuse_blk_rev_full % 100);
    assert_string_equal(buf, rep("Minimal eFuse block revision"));
    snprintf(buf, sizeof buf, "%u.%u", d->max_efuse_blk_rev_full / 100, d->max_efuse_blk_rev_full % 100);
    assert_string_equal(buf, rep("Maximal eFuse block revision"));
    assert_int_equal(d->secure_version, rep_num("Secure version"));
}

/* The checksum and digest, computed here without the validator: XOR of segment data from 0xEF
 * and SHA-256 of everything before the digest. */
static void test_du1906_independent_checksum(void **state)
{
    (void)state;
    uint8_t x = 0xEF;
    size_t pos = 24;
    for (unsigned i = 0; i < s_img[1]; i++) {
        uint32_t len = (uint32_t)s_img[pos + 4] | (uint32_t)s_img[pos + 5] << 8 |
                       (uint32_t)s_img[pos + 6] << 16 | (uint32_t)s_img[pos + 7] << 24;
        pos += 8;
        for (uint32_t j = 0; j < len; j++) {
            x ^= s_img[pos + j];
        }
        pos += len;
    }
    size_t end = (pos + 1 + 15) & ~(size_t)15;
    assert_int_equal(s_img[end - 1], x);
    assert_int_equal(end + 32, s_len);
    ota_image_info_t info;
    assert_int_equal(validate(s_img, s_len, NULL, &info, NULL), OTA_OK);
    assert_int_equal(info.checksum_calculated, x);
}

/* --- chunking ----------------------------------------------------------------------------------- */

static int feed_chunks(const uint8_t *img, size_t len, size_t chunk, ota_image_info_t *info)
{
    ota_image_validator_t *v = malloc(sizeof *v);
    assert_non_null(v);
    ota_image_validator_init(v, NULL, NULL, NULL);
    int err = OTA_OK;
    for (size_t off = 0; off < len && err == OTA_OK; off += chunk) {
        err = ota_image_validator_feed(v, img + off, len - off < chunk ? len - off : chunk);
    }
    if (err == OTA_OK) {
        err = ota_image_validator_finish(v);
    }
    *info = v->info;
    free(v);
    return err;
}

static void test_chunk_sizes_agree(void **state)
{
    (void)state;
    ota_image_info_t whole, other;
    assert_int_equal(feed_chunks(s_img, s_len, s_len, &whole), OTA_OK);
    size_t chunks[] = {1, 3, 4096, 65537};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        assert_int_equal(feed_chunks(s_img, s_len, chunks[i], &other), OTA_OK);
        assert_memory_equal(&other.header, &whole.header, sizeof whole.header);
        assert_memory_equal(&other.app_desc, &whole.app_desc, sizeof whole.app_desc);
        assert_memory_equal(other.segments, whole.segments, sizeof whole.segments);
        assert_int_equal(other.checksum_calculated, whole.checksum_calculated);
        assert_memory_equal(other.hash_calculated, whole.hash_calculated, 32);
        assert_int_equal(other.image_len, whole.image_len);
    }
    /* a corrupted image fails the same way whatever the chunking */
    uint8_t *bad = malloc(s_len);
    memcpy(bad, s_img, s_len);
    bad[0x100000] ^= 0x40;
    assert_int_equal(feed_chunks(bad, s_len, 1, &other), OTA_ERR_IMG_CHECKSUM);
    assert_int_equal(feed_chunks(bad, s_len, 3, &other), OTA_ERR_IMG_CHECKSUM);
    assert_int_equal(feed_chunks(bad, s_len, 4096, &other), OTA_ERR_IMG_CHECKSUM);
    free(bad);
}

/* --- events ------------------------------------------------------------------------------------- */

typedef struct {
    int order[32];
    uint64_t at[32];
    int count;
    const ota_image_validator_t *v;
    int stop_on;
} events_t;

static int on_event(void *ctx, ota_image_event_t event, const ota_image_info_t *info)
{
    events_t *e = ctx;
    (void)info;
    e->order[e->count] = (int)event;
    e->at[e->count] = e->v->pos;
    e->count++;
    return (int)event == e->stop_on ? OTA_ERR_VERSION_NOT_NEWER : OTA_OK;
}

static void test_events_arrive_as_soon_as_possible(void **state)
{
    (void)state;
    ota_image_validator_t *v = malloc(sizeof *v);
    events_t ev = {.v = v, .stop_on = -1};
    ota_image_validator_init(v, NULL, on_event, &ev);
    for (size_t i = 0; i < s_len; i++) {
        assert_int_equal(ota_image_validator_feed(v, s_img + i, 1), OTA_OK);
        if (i + 1 == OTA_IMAGE_HEADER_SIZE) {
            assert_true(v->info.header_valid);
        }
        if (i + 1 == OTA_IMAGE_PEEK_SIZE - 1) {
            assert_false(v->info.app_desc_valid);
        }
        if (i + 1 == OTA_IMAGE_PEEK_SIZE) {
            assert_true(v->info.app_desc_valid);
            assert_string_equal(v->info.app_desc.version, "v1.4.0");
        }
    }
    assert_int_equal(ota_image_validator_finish(v), OTA_OK);
    assert_int_equal(ev.count, 1 + 6 + 1);
    assert_int_equal(ev.order[0], OTA_IMAGE_EVENT_HEADER);
    assert_int_equal(ev.at[0], 24);
    assert_int_equal(ev.order[1], OTA_IMAGE_EVENT_SEGMENT);
    assert_int_equal(ev.at[1], 32);
    assert_int_equal(ev.order[2], OTA_IMAGE_EVENT_APP_DESC);
    assert_int_equal(ev.at[2], 288);
    /* a checker refusing the image stops the stream with its own code */
    events_t stop = {.v = v, .stop_on = OTA_IMAGE_EVENT_APP_DESC};
    ota_image_validator_init(v, NULL, on_event, &stop);
    assert_int_equal(ota_image_validator_feed(v, s_img, 4096), OTA_ERR_VERSION_NOT_NEWER);
    assert_int_equal(ota_image_validator_feed(v, s_img + 4096, 10), OTA_ERR_VERSION_NOT_NEWER);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_du1906_matches_esptool),
        cmocka_unit_test(test_du1906_independent_checksum),
        cmocka_unit_test(test_chunk_sizes_agree),
        cmocka_unit_test(test_events_arrive_as_soon_as_possible),
        cmocka_unit_test(test_flips),
        cmocka_unit_test(test_keep_going_reports_checksum_and_hash),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_trailing_data),
        cmocka_unit_test(test_max_size),
        cmocka_unit_test(test_chip_checks),
        cmocka_unit_test(test_crafted),
        cmocka_unit_test(test_codecs_roundtrip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
