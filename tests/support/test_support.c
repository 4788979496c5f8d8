/* Test helpers; see test_support.h. */
#include "test_support.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ota/ota_log.h"

const char *ts_testdata(const char *relative)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", OTA_TESTDATA_DIR, relative);
    return path;
}

void ts_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        fail_msg("cannot create %s: %s", path, strerror(errno));
    }
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

char *ts_mkdtemp(void)
{
    const char *base = getenv("TMPDIR");
    char *path = NULL;
    assert_true(asprintf(&path, "%s/ota-test-XXXXXX", base ? base : "/tmp") > 0);
    if (mkdtemp(path) == NULL) {
        fail_msg("mkdtemp: %s", strerror(errno));
    }
    return path;
}

void ts_rmtree(const char *path)
{
    DIR *d = opendir(path);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
                continue;
            }
            char *child = ts_path_join(path, e->d_name);
            struct stat st;
            if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode)) {
                ts_rmtree(child);
            } else {
                unlink(child);
            }
            free(child);
        }
        closedir(d);
    }
    rmdir(path);
}

char *ts_path_join(const char *dir, const char *name)
{
    char *path = NULL;
    assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
    return path;
}

ota_flash_emu_t *ts_ram_flash(uint32_t size)
{
    ota_flash_emu_config_t cfg = {.size = size, .strict = true};
    ota_flash_emu_t *emu = NULL;
    assert_int_equal(ota_flash_emu_create(&cfg, NULL, &emu), 0);
    return emu;
}

void ts_fill_random(void *buf, size_t len, uint64_t seed)
{
    uint8_t *p = buf;
    uint64_t state = seed;
    for (size_t i = 0; i < len; i += 8) {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        size_t n = len - i < 8 ? len - i : 8;
        memcpy(p + i, &z, n);
    }
}

static char *s_log;
static size_t s_log_len;

static void capture_sink(void *ctx, ota_log_level_t level, const char *tag, const char *message)
{
    (void)ctx;
    char *line = NULL;
    int n = asprintf(&line, "%c %s: %s\n", ota_log_level_letter(level), tag, message);
    assert_true(n > 0);
    char *grown = realloc(s_log, s_log_len + (size_t)n + 1);
    assert_non_null(grown);
    s_log = grown;
    memcpy(s_log + s_log_len, line, (size_t)n + 1);
    s_log_len += (size_t)n;
    free(line);
}

void ts_log_capture_start(void)
{
    free(s_log);
    s_log = NULL;
    s_log_len = 0;
    ota_log_set_level(OTA_LOG_VERBOSE);
    ota_log_set_sink(capture_sink, NULL);
}

void ts_log_capture_stop(void)
{
    ota_log_set_sink(NULL, NULL);
    ota_log_set_level(OTA_LOG_INFO);
    free(s_log);
    s_log = NULL;
    s_log_len = 0;
}

bool ts_log_contains(const char *needle)
{
    return s_log != NULL && strstr(s_log, needle) != NULL;
}

const char *ts_log_text(void)
{
    return s_log ? s_log : "";
}
